// Package config reads and validates Stepscaler's scaling configuration: the ECS services
// it may scale and the CloudWatch alarms that drive them. The same file is shipped with the
// starter function and read by the CDK app, so both apply one definition.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Defaults applied to an alarm that leaves a field out. The cooldown is Application Auto
// Scaling's default; the stabilization figures suit services whose tasks start in a minute
// or two.
const (
	DefaultAdjustment                  = 1
	DefaultCooldownSeconds             = 300
	DefaultStabilizationTimeoutSeconds = 600
	DefaultPollIntervalSeconds         = 15
)

// Limits that keep hostile or mistaken values out of the workflow.
const (
	maxServiceTasks = 5000  // ECS's limit of tasks per service
	maxCooldown     = 86400 // one day
	maxStabilize    = 86400 // one day; a Standard execution could wait longer, nobody should
	maxPoll         = 3600  // one hour
	maxNameLen      = 255   // ECS cluster/service names and CloudWatch alarm names
	maxFileBytes    = 1 << 20
)

// Config is the whole scaling configuration.
type Config struct {
	Schema   string    `json:"$schema,omitempty"`
	Services []Service `json:"services"`

	byAlarm map[string]Target
}

// Service is one ECS service and the alarms that scale it.
type Service struct {
	Cluster     string  `json:"cluster"`
	Service     string  `json:"service"`
	MinCapacity int     `json:"minCapacity"`
	MaxCapacity int     `json:"maxCapacity"`
	Alarms      []Alarm `json:"alarms"`
}

// Alarm is one CloudWatch alarm and the step it takes when it goes into ALARM.
type Alarm struct {
	AlarmName                   string            `json:"alarmName"`
	Direction                   scaling.Direction `json:"direction"`
	Adjustment                  *int              `json:"adjustment,omitempty"`
	CooldownSeconds             *int              `json:"cooldownSeconds,omitempty"`
	StabilizationTimeoutSeconds *int              `json:"stabilizationTimeoutSeconds,omitempty"`
	PollIntervalSeconds         *int              `json:"pollIntervalSeconds,omitempty"`
	// Metric, when given, lets the CDK app create the alarm; without it the alarm is
	// expected to exist already and only needs the topic as an alarm action.
	Metric *Metric `json:"metric,omitempty"`
}

// Target is what an alarm resolves to: the service it scales and the policy it applies.
type Target struct {
	Service scaling.ServiceRef `json:"service"`
	Policy  scaling.Policy     `json:"policy"`
}

// Error reports every problem found in one configuration file, each naming its field.
type Error struct {
	File     string
	Problems []Problem
}

// Problem is one invalid field.
type Problem struct {
	Field   string // JSON path, e.g. services[0].alarms[1].direction
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid scaling config %s:", e.File)
	if len(e.Problems) == 1 {
		fmt.Fprintf(&b, " %s: %s", e.Problems[0].Field, e.Problems[0].Message)
		return b.String()
	}
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Field, p.Message)
	}
	return b.String()
}

// Load reads, decodes and validates the configuration file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read scaling config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read scaling config %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a configuration; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > maxFileBytes {
		return nil, &Error{File: name, Problems: []Problem{{"(file)", fmt.Sprintf("larger than %d bytes", maxFileBytes)}}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, &Error{File: name, Problems: []Problem{decodeProblem(data, err)}}
	}
	if dec.More() {
		return nil, &Error{File: name, Problems: []Problem{{"(file)", "unexpected data after the top-level object"}}}
	}
	if problems := c.validate(); len(problems) > 0 {
		return nil, &Error{File: name, Problems: problems}
	}
	c.index()
	return &c, nil
}

// Lookup resolves an alarm name to the service it scales and the policy it applies.
func (c *Config) Lookup(alarmName string) (Target, bool) {
	t, ok := c.byAlarm[alarmName]
	return t, ok
}

// Targets lists every alarm's target, in file order.
func (c *Config) Targets() []Target {
	var ts []Target
	for _, s := range c.Services {
		for _, a := range s.Alarms {
			ts = append(ts, c.byAlarm[a.AlarmName])
		}
	}
	return ts
}

func (c *Config) index() {
	c.byAlarm = make(map[string]Target)
	for _, s := range c.Services {
		ref := scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service}
		for _, a := range s.Alarms {
			c.byAlarm[a.AlarmName] = Target{Service: ref, Policy: a.policy(s)}
		}
	}
}

func (a Alarm) policy(s Service) scaling.Policy {
	return scaling.Policy{
		AlarmName:                   a.AlarmName,
		MinCapacity:                 s.MinCapacity,
		MaxCapacity:                 s.MaxCapacity,
		Direction:                   a.Direction,
		Adjustment:                  orDefault(a.Adjustment, DefaultAdjustment),
		CooldownSeconds:             orDefault(a.CooldownSeconds, DefaultCooldownSeconds),
		StabilizationTimeoutSeconds: orDefault(a.StabilizationTimeoutSeconds, DefaultStabilizationTimeoutSeconds),
		PollIntervalSeconds:         orDefault(a.PollIntervalSeconds, DefaultPollIntervalSeconds),
	}
}

func orDefault(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

// decodeProblem turns a json decoding error into a Problem that names the field or the
// line, so a user can find the mistake without a JSON linter.
func decodeProblem(data []byte, err error) Problem {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(file)"
		}
		return Problem{field, fmt.Sprintf("expected %s, got JSON %s", typeErr.Type, typeErr.Value)}
	case errors.As(err, &syntaxErr):
		line, col := position(data, syntaxErr.Offset)
		return Problem{"(file)", fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, syntaxErr)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Problem{strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Problem{"(file)", "empty or truncated JSON"}
	default:
		return Problem{"(file)", err.Error()}
	}
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
