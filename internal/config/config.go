// Package config reads and validates Stepscaler's scaling configuration: the ECS services
// it may scale and the CloudWatch alarms that drive them. The same file is shipped with every
// function and read by the CDK app, so the stack and every step apply one definition.
package config

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
)

// Defaults applied to an alarm that leaves a field out. The cooldown is Application Auto
// Scaling's default, the tolerance the Kubernetes HPA's, the aggregation Application Auto
// Scaling's MetricAggregationType default; the stabilization figures suit services whose
// tasks start in a minute or two.
const (
	DefaultAdjustmentType              = scaling.ChangeInCapacity
	DefaultAdjustment                  = 1
	DefaultCooldownSeconds             = 300
	DefaultStabilizationTimeoutSeconds = 600
	DefaultPollIntervalSeconds         = 15
	DefaultTolerance                   = 0.1
	DefaultMetricAggregationType       = "Average"
)

// MaxStabilityChecks bounds how many times one execution checks the service's stability
// after a step: stabilizationTimeoutSeconds / pollIntervalSeconds may not exceed it. Each
// check costs an execution a fixed number of history events, so the bound keeps the worst
// case far below Step Functions' quota of 25,000 events per execution, which fails an
// execution uncatchably (statemachine's TestWorstCaseHistory computes it from the ASL).
const MaxStabilityChecks = 300

// Limits that keep hostile or mistaken values out of the workflow.
const (
	maxServiceTasks = 5000  // ECS's limit of tasks per service
	maxCooldown     = 86400 // one day
	maxStabilize    = 86400 // one day; a Standard execution could wait longer, nobody should
	maxPoll         = 3600  // one hour
	maxNameLen      = 255   // characters in ECS cluster/service names and CloudWatch alarm names
	maxFileBytes    = 1 << 20
	maxPercent      = 1000 // a tenfold step is already more than any sane policy asks
	// maxStepAdjustments is Application Auto Scaling's quota of step adjustments per step
	// scaling policy ("Quotas for Application Auto Scaling").
	maxStepAdjustments = 20
	// maxScheduledActions is Application Auto Scaling's quota of scheduled actions per
	// scalable target ("Quotas for Application Auto Scaling"), and maxActionNameLen the
	// length of ScheduledActionName (PutScheduledAction, AAS API Reference).
	maxScheduledActions = 200
	maxActionNameLen    = 256
	// maxWindowSeconds bounds scaleInStabilizationWindowSeconds and scaleOutLeadSeconds.
	maxWindowSeconds = 3600
)

// Config is the whole scaling configuration.
//
// A field tagged config:"required" must be given, and not as null; one tagged
// config:"nullable" may be null; any other may be left out, but not set to null (see
// decode.go).
type Config struct {
	Schema   string    `json:"$schema,omitempty"`
	Services []Service `json:"services" config:"required"`
	// AlarmSources lists the accounts and Regions, other than the deployment's own, whose
	// alarms may notify Stepscaler (a central monitoring account, say). Notifications from
	// anywhere else are refused.
	AlarmSources []AlarmSource `json:"alarmSources,omitempty"`

	byAlarm   map[string]Target
	schedules map[scaling.ServiceRef]schedule.Schedule
}

// AlarmSource is an account and Region whose alarms may notify Stepscaler.
type AlarmSource struct {
	AccountID string `json:"accountId" config:"required"`
	Region    string `json:"region" config:"required"`
}

// AcceptsAlarmsFrom reports whether alarms of the given account and Region may notify a
// deployment in ownAccount and ownRegion: its own do, and those alarmSources lists.
func (c *Config) AcceptsAlarmsFrom(account, region, ownAccount, ownRegion string) bool {
	if account == ownAccount && region == ownRegion {
		return true
	}
	for _, s := range c.AlarmSources {
		if s.AccountID == account && s.Region == region {
			return true
		}
	}
	return false
}

// Service is one ECS service and the alarms that scale it.
type Service struct {
	Cluster     string `json:"cluster" config:"required"`
	Service     string `json:"service" config:"required"`
	MinCapacity int    `json:"minCapacity" config:"required"`
	MaxCapacity int    `json:"maxCapacity" config:"required"`
	// DryRun makes every alarm of the service decide and record what it would do, without
	// updating the service: a way to try a policy on production traffic.
	DryRun bool    `json:"dryRun,omitempty"`
	Alarms []Alarm `json:"alarms" config:"required"`
	// ScheduledActions change minCapacity and maxCapacity at set times, as Application
	// Auto Scaling's scheduled actions do. A service with scheduled actions may have no
	// alarm.
	ScheduledActions []ScheduledAction `json:"scheduledActions,omitempty"`
	// Preset scales the service with one of the named presets (package presets). Parse
	// resolves it into the preset's two alarms and appends them to Alarms, so that the
	// functions, the stack and the simulator all see ordinary alarms.
	Preset *Preset `json:"preset,omitempty"`
}

// MarshalJSON writes the service as its file gives it: the alarms its preset resolved to
// are left out, since the preset block stands for them. A parsed configuration written out
// thus parses again to the same configuration, rather than to one whose preset collides
// with its own alarms.
func (s Service) MarshalJSON() ([]byte, error) {
	type file Service // the same fields, without this method
	f := file(s)
	f.Alarms = slices.DeleteFunc(slices.Clone(s.Alarms), func(a Alarm) bool { return a.preset != "" })
	return json.Marshal(f)
}

// ScheduledAction is one scheduled action of a service, spelled as Application Auto
// Scaling's ScheduledAction (PutScheduledAction, AAS API Reference) in the configuration's
// lowerCamelCase.
type ScheduledAction struct {
	// ScheduledActionName is unique among the service's scheduled actions.
	ScheduledActionName string `json:"scheduledActionName" config:"required"`
	// Schedule is at(yyyy-mm-ddThh:mm:ss), rate(value unit) or
	// cron(minutes hours day-of-month month day-of-week year).
	Schedule string `json:"schedule" config:"required"`
	// Timezone is the IANA time zone an at or cron expression is read in; UTC if left out.
	Timezone string `json:"timezone,omitempty"`
	// StartTime and EndTime bound a recurring schedule: RFC 3339 date-times, such as
	// 2026-12-01T00:00:00Z. A rate schedule counts from its StartTime.
	StartTime string `json:"startTime,omitempty"`
	EndTime   string `json:"endTime,omitempty"`
	// ScalableTargetAction is the minimum and the maximum capacity the action sets, or one
	// of them.
	ScalableTargetAction *ScalableTargetAction `json:"scalableTargetAction" config:"required"`
}

// ScalableTargetAction is the bounds a scheduled action sets, as AAS's
// ScalableTargetAction: "You can set both values or just one."
type ScalableTargetAction struct {
	MinCapacity *int `json:"minCapacity,omitempty"`
	MaxCapacity *int `json:"maxCapacity,omitempty"`
}

// Alarm is one CloudWatch alarm and the step it takes when it goes into ALARM. Optional
// fields are pointers, so validation can tell a field left out from one set to zero.
type Alarm struct {
	AlarmName string            `json:"alarmName" config:"required"`
	Direction scaling.Direction `json:"direction" config:"required"`
	// AlarmType says whether the alarm is a metric alarm (the default) or an existing
	// composite alarm, which has no metric to size a step from.
	AlarmType AlarmType `json:"alarmType,omitempty"`
	// AdjustmentType says how adjustment and stepAdjustments are read (default
	// ChangeInCapacity); TargetRatio sizes the service from targetValue instead.
	AdjustmentType scaling.AdjustmentType `json:"adjustmentType,omitempty"`
	// Adjustment is the simple step's magnitude. StepAdjustments replaces it with steps
	// chosen by the size of the breach.
	Adjustment             *int             `json:"adjustment,omitempty"`
	StepAdjustments        []StepAdjustment `json:"stepAdjustments,omitempty"`
	MinAdjustmentMagnitude *int             `json:"minAdjustmentMagnitude,omitempty"`
	// TargetValue, Tolerance and ScaleLimit configure TargetRatio.
	TargetValue *float64    `json:"targetValue,omitempty"`
	Tolerance   *float64    `json:"tolerance,omitempty"`
	ScaleLimit  *ScaleLimit `json:"scaleLimit,omitempty"`
	// ScaleInStabilizationWindowSeconds holds a TargetRatio scale-in at the highest
	// recommendation of the window, as the HPA's scale-down stabilization window;
	// ScaleOutLeadSeconds sizes a TargetRatio scale-out for the metric this far ahead on
	// its trend. scaling.Policy's fields of the same names say exactly how.
	ScaleInStabilizationWindowSeconds *int `json:"scaleInStabilizationWindowSeconds,omitempty"`
	ScaleOutLeadSeconds               *int `json:"scaleOutLeadSeconds,omitempty"`
	CooldownSeconds                   *int `json:"cooldownSeconds,omitempty"`
	StabilizationTimeoutSeconds       *int `json:"stabilizationTimeoutSeconds,omitempty"`
	PollIntervalSeconds               *int `json:"pollIntervalSeconds,omitempty"`
	// MetricAggregationType combines the alarm's datapoints for step and TargetRatio
	// policies: Average (default), Minimum or Maximum.
	MetricAggregationType string `json:"metricAggregationType,omitempty"`
	// Metric, when given, lets the CDK app create the alarm; without it the alarm is
	// expected to exist already and only needs the topic as an alarm action.
	Metric *Metric `json:"metric,omitempty"`

	// preset names the preset the alarm was resolved from; empty for an alarm the file
	// lists.
	preset string
}

// PresetName is the name of the preset the alarm was resolved from (Service.Preset), or
// "" for an alarm the configuration lists itself.
func (a Alarm) PresetName() string { return a.preset }

// AlarmType is the kind of CloudWatch alarm an Alarm entry names.
type AlarmType string

const (
	// MetricAlarm watches one metric or a metric math expression; the default.
	MetricAlarm AlarmType = "metric"
	// CompositeAlarm combines other alarms' states. It exists outside the stack (which
	// creates only metric alarms) and has no metric, so it cannot size a step.
	CompositeAlarm AlarmType = "composite"
)

// StepAdjustment is one step of an alarm's stepAdjustments, spelled as Application Auto
// Scaling's StepAdjustment: bounds relative to the alarm's threshold, a bound left out (or
// null) is infinite. ScalingAdjustment is signed as AAS writes it, "A positive value adds to
// the current capacity while a negative number removes from the current capacity. For
// exact capacity, you must specify a non-negative value" (StepAdjustment, AAS API
// Reference): a scale-out alarm's steps are 0 or more, a scale-in alarm's 0 or less. The
// policy the planner gets carries the magnitude, and the direction its sign.
type StepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"metricIntervalLowerBound,omitempty" config:"nullable"`
	MetricIntervalUpperBound *float64 `json:"metricIntervalUpperBound,omitempty" config:"nullable"`
	ScalingAdjustment        *int     `json:"scalingAdjustment" config:"required"`
}

// ScaleLimit bounds one TargetRatio step by tasks, by percent of the desired count, or by
// the larger of both.
type ScaleLimit struct {
	MaxTasks   *int `json:"maxTasks,omitempty"`
	MaxPercent *int `json:"maxPercent,omitempty"`
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
	var c Config
	d := decode(data, &c)
	if d.fatal != nil {
		return nil, &Error{File: name, Problems: []Problem{*d.fatal}}
	}
	// Every problem is reported at once: the file's structural mistakes, then the rules
	// each entry breaks, except in entries the decoding could read only in part.
	problems := d.problems
	v := c.validate(d.given, d.unreadable)
	for _, p := range v.problems {
		if !d.unreadable(p.Field) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{File: name, Problems: problems}
	}
	if err := c.resolvePresets(); err != nil {
		// The validator resolved every preset already; this is a bug, not a bad file.
		return nil, &Error{File: name, Problems: []Problem{{"(presets)", err.Error()}}}
	}
	c.index(v.schedules)
	return &c, nil
}

// ServiceTarget is one configured service and the policies of all its alarms, in the
// order the configuration lists them, with its bounds and scheduled actions.
type ServiceTarget struct {
	Service  scaling.ServiceRef
	Policies []scaling.Policy
	// DryRun is the service's dryRun: decide and record, never update the service.
	DryRun bool
	// Bounds are the service's minCapacity and maxCapacity, the bounds in force until a
	// scheduled action first sets one. Every policy carries them too.
	Bounds schedule.Bounds
	// Schedule is the service's scheduled actions, compiled, in file order; nil without.
	Schedule schedule.Schedule
}

// Within is the service's policies deciding within the bounds b rather than the
// configured ones: a step takes BoundsAt(now).Bounds, so that its decision lands in the
// bounds the schedule has in force. The policies are the caller's own.
func (t ServiceTarget) Within(b schedule.Bounds) []scaling.Policy {
	ps := make([]scaling.Policy, len(t.Policies))
	for i, p := range t.Policies {
		p = Target{Policy: p}.clone().Policy
		p.MinCapacity, p.MaxCapacity = b.Min, b.Max
		ps[i] = p
	}
	return ps
}

// BoundsAt is what the service's scheduled actions make of its bounds at t: the latest
// firing of each action, applied in the order they fired, over its configured bounds
// (schedule.Schedule.Effective). Without scheduled actions they are the configured ones.
func (t ServiceTarget) BoundsAt(at time.Time) schedule.Effect {
	return t.Schedule.Effective(t.Bounds, at)
}

// Service resolves a service to its policies. The target is the caller's own.
func (c *Config) Service(ref scaling.ServiceRef) (ServiceTarget, bool) {
	for _, s := range c.Services {
		if s.Cluster == ref.Cluster && s.Service == ref.Service {
			t := ServiceTarget{Service: ref, DryRun: s.DryRun,
				Bounds:   schedule.Bounds{Min: s.MinCapacity, Max: s.MaxCapacity},
				Schedule: c.schedules[ref].Clone()}
			for _, a := range s.Alarms {
				t.Policies = append(t.Policies, c.byAlarm[a.AlarmName].clone().Policy)
			}
			return t, true
		}
	}
	return ServiceTarget{}, false
}

// ServiceTargets lists every configured service with its policies, in file order.
func (c *Config) ServiceTargets() []ServiceTarget {
	ts := make([]ServiceTarget, 0, len(c.Services))
	for _, s := range c.Services {
		t, _ := c.Service(scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service})
		ts = append(ts, t)
	}
	return ts
}

// Policy returns the policy of the service's alarm alarmName.
func (t ServiceTarget) Policy(alarmName string) (scaling.Policy, bool) {
	for _, p := range t.Policies {
		if p.AlarmName == alarmName {
			return p, true
		}
	}
	return scaling.Policy{}, false
}

// AlarmNames lists the service's alarms.
func (t ServiceTarget) AlarmNames() []string {
	names := make([]string, len(t.Policies))
	for i, p := range t.Policies {
		names[i] = p.AlarmName
	}
	return names
}

// Watch is how long and how often a change of the service is watched for stability: the
// deciding alarm's stabilizationTimeoutSeconds and pollIntervalSeconds; for a change its
// bounds made (alarm ""), as long as its longest policy would and as often as its most
// frequent, or the defaults when it has no alarm at all. ok is false for an alarm the
// service does not have.
func (t ServiceTarget) Watch(alarm string) (timeoutSeconds, pollSeconds int, ok bool) {
	if alarm != "" {
		p, ok := t.Policy(alarm)
		return p.StabilizationTimeoutSeconds, p.PollIntervalSeconds, ok
	}
	timeoutSeconds, pollSeconds = DefaultStabilizationTimeoutSeconds, DefaultPollIntervalSeconds
	for i, p := range t.Policies {
		if i == 0 {
			timeoutSeconds, pollSeconds = p.StabilizationTimeoutSeconds, p.PollIntervalSeconds
		}
		timeoutSeconds, pollSeconds = max(timeoutSeconds, p.StabilizationTimeoutSeconds), min(pollSeconds, p.PollIntervalSeconds)
	}
	return timeoutSeconds, pollSeconds, true
}

// LongestStabilization is the longest stabilizationTimeoutSeconds among the service's
// alarms: the longest one step of the service may wait for it to settle.
func (t ServiceTarget) LongestStabilization() time.Duration {
	longest := 0
	for _, p := range t.Policies {
		longest = max(longest, p.StabilizationTimeoutSeconds)
	}
	return time.Duration(longest) * time.Second
}

// AlarmNames lists every configured alarm, in file order.
func (c *Config) AlarmNames() []string {
	var names []string
	for _, s := range c.Services {
		for _, a := range s.Alarms {
			names = append(names, a.AlarmName)
		}
	}
	return names
}

// MayHaveCompositeAlarms reports whether any alarm is declared composite ("alarmType":
// "composite"). DescribeAlarms returns composite alarms only when asked for them, and
// answers that only to a caller allowed cloudwatch:DescribeAlarms on "*": the functions
// ask, and the stack grants "*", exactly in this case. The declaration decides, not a
// guess from alarms without a metric block, which are usually metric alarms created
// elsewhere; a composite alarm left undeclared is not found when it is described.
func (c *Config) MayHaveCompositeAlarms() bool {
	for _, s := range c.Services {
		for _, a := range s.Alarms {
			if a.AlarmType == CompositeAlarm {
				return true
			}
		}
	}
	return false
}

// Lookup resolves an alarm name to the service it scales and the policy it applies. The
// target is the caller's own: changing it leaves the configuration as it was.
func (c *Config) Lookup(alarmName string) (Target, bool) {
	t, ok := c.byAlarm[alarmName]
	return t.clone(), ok
}

// Targets lists every alarm's target, in file order.
func (c *Config) Targets() []Target {
	var ts []Target
	for _, s := range c.Services {
		for _, a := range s.Alarms {
			ts = append(ts, c.byAlarm[a.AlarmName].clone())
		}
	}
	return ts
}

// clone copies what a Policy holds by reference: the step bounds, the scale limit and
// the alarm names.
func (t Target) clone() Target {
	p := &t.Policy
	if p.StepAdjustments != nil {
		steps := make([]scaling.StepAdjustment, len(p.StepAdjustments))
		for i, s := range p.StepAdjustments {
			steps[i] = scaling.StepAdjustment{
				MetricIntervalLowerBound: clonePtr(s.MetricIntervalLowerBound),
				MetricIntervalUpperBound: clonePtr(s.MetricIntervalUpperBound),
				ScalingAdjustment:        s.ScalingAdjustment,
			}
		}
		p.StepAdjustments = steps
	}
	p.ScaleLimit = clonePtr(p.ScaleLimit)
	return t
}

// index resolves every alarm to its target and keeps the services' compiled schedules,
// by the service's position in the file.
func (c *Config) index(schedules map[int]schedule.Schedule) {
	c.byAlarm = make(map[string]Target)
	c.schedules = make(map[scaling.ServiceRef]schedule.Schedule)
	for i, s := range c.Services {
		ref := scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service}
		if len(schedules[i]) > 0 {
			c.schedules[ref] = schedules[i]
		}
		for _, a := range s.Alarms {
			c.byAlarm[a.AlarmName] = Target{Service: ref, Policy: a.policy(s)}
		}
	}
}

// policy resolves an alarm entry, with its service's bounds and defaults, into the policy
// an execution carries. Fields that do not apply to the adjustment type stay zero, so the
// execution input shows only what the planner will use.
func (a Alarm) policy(s Service) scaling.Policy {
	t := a.adjustmentType()
	p := scaling.Policy{
		AlarmName:                   a.AlarmName,
		MinCapacity:                 s.MinCapacity,
		MaxCapacity:                 s.MaxCapacity,
		Direction:                   a.Direction,
		AdjustmentType:              t,
		CooldownSeconds:             orDefault(a.CooldownSeconds, DefaultCooldownSeconds),
		StabilizationTimeoutSeconds: orDefault(a.StabilizationTimeoutSeconds, DefaultStabilizationTimeoutSeconds),
		PollIntervalSeconds:         orDefault(a.PollIntervalSeconds, DefaultPollIntervalSeconds),
		DryRun:                      s.DryRun,
	}
	switch {
	case t == scaling.TargetRatio:
		p.TargetValue = *a.TargetValue
		p.Tolerance = DefaultTolerance
		if a.Tolerance != nil {
			p.Tolerance = *a.Tolerance
		}
		if l := a.ScaleLimit; l != nil {
			p.ScaleLimit = &scaling.ScaleLimit{MaxTasks: orDefault(l.MaxTasks, 0), MaxPercent: orDefault(l.MaxPercent, 0)}
		}
		// Validation allows each only in its direction.
		p.ScaleInStabilizationWindowSeconds = orDefault(a.ScaleInStabilizationWindowSeconds, 0)
		p.ScaleOutLeadSeconds = orDefault(a.ScaleOutLeadSeconds, 0)
	case len(a.StepAdjustments) > 0:
		p.StepAdjustments = make([]scaling.StepAdjustment, len(a.StepAdjustments))
		for i, st := range a.StepAdjustments {
			// The file keeps AAS's sign; the planner takes the magnitude and the alarm's
			// direction (validation refused a sign against the direction).
			p.StepAdjustments[i] = scaling.StepAdjustment{
				MetricIntervalLowerBound: clonePtr(st.MetricIntervalLowerBound),
				MetricIntervalUpperBound: clonePtr(st.MetricIntervalUpperBound),
				ScalingAdjustment:        abs(*st.ScalingAdjustment),
			}
		}
	default:
		p.Adjustment = orDefault(a.Adjustment, DefaultAdjustment)
	}
	if t == scaling.PercentChangeInCapacity {
		p.MinAdjustmentMagnitude = orDefault(a.MinAdjustmentMagnitude, 0)
	}
	if p.SizesFromMetric() {
		p.MetricAggregationType = a.MetricAggregationType
		if p.MetricAggregationType == "" {
			p.MetricAggregationType = DefaultMetricAggregationType
		}
	}
	return p
}

func (a Alarm) adjustmentType() scaling.AdjustmentType {
	if a.AdjustmentType == "" {
		return DefaultAdjustmentType
	}
	return a.AdjustmentType
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func orDefault(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// removedFields are fields earlier releases accepted, with what to do about them.
var removedFields = map[string]string{
	"maxSteps":           "no longer used, remove it: every minute that an alarm stays in ALARM, the scheduled evaluation takes the next step, so no bound on steps per execution is needed",
	"maxDurationSeconds": "no longer used, remove it: each execution takes one step, and the scheduled evaluation takes the next one every minute the alarm stays in ALARM",
}
