package config

import (
	"fmt"
	"math"
	"regexp"
	"unicode"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// ECS cluster and service names: up to 255 letters, numbers, hyphens and underscores.
var ecsName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

type validator struct{ problems []Problem }

func (v *validator) addf(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{field, fmt.Sprintf(format, args...)})
}

func (c *Config) validate() []Problem {
	v := &validator{}
	if len(c.Services) == 0 {
		v.addf("services", "must list at least one service")
	}
	seenService := map[scaling.ServiceRef]string{}
	seenAlarm := map[string]string{}
	for i, s := range c.Services {
		at := fmt.Sprintf("services[%d]", i)
		v.service(at, s)
		ref := scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service}
		if prev, dup := seenService[ref]; dup {
			v.addf(at, "service %s is already configured at %s", ref, prev)
		}
		seenService[ref] = at
		for j, a := range s.Alarms {
			aat := fmt.Sprintf("%s.alarms[%d]", at, j)
			v.alarm(aat, a, s)
			// One alarm drives one service: a notification must resolve to exactly one policy.
			if prev, dup := seenAlarm[a.AlarmName]; dup && a.AlarmName != "" {
				v.addf(aat+".alarmName", "alarm %q is already configured at %s", a.AlarmName, prev)
			}
			seenAlarm[a.AlarmName] = aat
		}
	}
	return v.problems
}

func (v *validator) service(at string, s Service) {
	if !ecsName.MatchString(s.Cluster) {
		v.addf(at+".cluster", "must be 1-255 letters, numbers, hyphens or underscores, got %q", s.Cluster)
	}
	if !ecsName.MatchString(s.Service) {
		v.addf(at+".service", "must be 1-255 letters, numbers, hyphens or underscores, got %q", s.Service)
	}
	if s.MinCapacity < 0 || s.MinCapacity > maxServiceTasks {
		v.addf(at+".minCapacity", "must be between 0 and %d, got %d", maxServiceTasks, s.MinCapacity)
	}
	if s.MaxCapacity < 1 || s.MaxCapacity > maxServiceTasks {
		v.addf(at+".maxCapacity", "must be between 1 and %d, got %d", maxServiceTasks, s.MaxCapacity)
	}
	if s.MaxCapacity < s.MinCapacity {
		v.addf(at+".maxCapacity", "must not be below minCapacity (%d), got %d", s.MinCapacity, s.MaxCapacity)
	}
	if len(s.Alarms) == 0 {
		v.addf(at+".alarms", "must list at least one alarm")
	}
}

func (v *validator) alarm(at string, a Alarm, s Service) {
	if a.AlarmName == "" || len(a.AlarmName) > maxNameLen || hasControl(a.AlarmName) {
		v.addf(at+".alarmName", "must be 1-%d printable characters, got %q", maxNameLen, a.AlarmName)
	}
	if !a.Direction.Valid() {
		v.addf(at+".direction", `must be "out" or "in", got %q`, a.Direction)
	}
	// A step larger than the range is fine: the plan clamps it to [min, max].
	v.intRange(at+".adjustment", a.Adjustment, 1, maxServiceTasks)
	v.intRange(at+".cooldownSeconds", a.CooldownSeconds, 0, maxCooldown)
	v.intRange(at+".stabilizationTimeoutSeconds", a.StabilizationTimeoutSeconds, 1, maxStabilize)
	v.intRange(at+".pollIntervalSeconds", a.PollIntervalSeconds, 1, maxPoll)
	timeout := orDefault(a.StabilizationTimeoutSeconds, DefaultStabilizationTimeoutSeconds)
	poll := orDefault(a.PollIntervalSeconds, DefaultPollIntervalSeconds)
	if poll > timeout {
		v.addf(at+".pollIntervalSeconds", "%d is longer than stabilizationTimeoutSeconds (%d)", poll, timeout)
	}
	if a.Metric != nil {
		v.metric(at+".metric", *a.Metric)
	}
}

func (v *validator) intRange(field string, p *int, lo, hi int) {
	if p != nil && (*p < lo || *p > hi) {
		v.addf(field, "must be between %d and %d, got %d", lo, hi, *p)
	}
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
