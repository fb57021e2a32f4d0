package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/presets"
)

// Preset scales a service with one of the named presets of package presets
// (latency-first, balanced, cost-first) instead of alarms the file lists. Parse resolves
// it into the preset's scale-out and scale-in alarms, named AlarmNamePrefix + "-out" and
// "-in", with the metric blocks the stack creates them from.
type Preset struct {
	Name string `json:"name" config:"required"`
	// Metric is the per-task load metric both alarms watch: its identity only, as a
	// metric block gives it; the preset sets the period, threshold and evaluation.
	Metric *PresetMetric `json:"metric" config:"required"`
	// CapacityPerTask is the metric's value when one task is fully used: 100 for CPU
	// utilization in percent, or the requests per second one task serves.
	CapacityPerTask *float64 `json:"capacityPerTask" config:"required"`
	// TargetUtilizationPercent is the target, in percent of CapacityPerTask; the preset's
	// own when left out. It is the preset's main knob: the backtest sweeps it.
	TargetUtilizationPercent *float64 `json:"targetUtilizationPercent,omitempty"`
	// StartupSeconds is how long a new task takes from desiredCount raised to serving;
	// the scale-out cooldown covers it. DefaultStartupSeconds when left out.
	StartupSeconds *int `json:"startupSeconds,omitempty"`
	// AlarmNamePrefix names the two alarms; "stepscaler-<cluster>-<service>" when left
	// out.
	AlarmNamePrefix string `json:"alarmNamePrefix,omitempty"`
}

// PresetMetric is the identity of the metric a preset's alarms watch: one metric
// (Namespace, MetricName, Dimensions, Statistic) or metric math (Expression over
// Metrics), spelled as a metric block.
type PresetMetric struct {
	Namespace  string            `json:"namespace,omitempty"`
	MetricName string            `json:"metricName,omitempty"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Statistic  string            `json:"statistic,omitempty"`
	Expression string            `json:"expression,omitempty"`
	Label      string            `json:"label,omitempty"`
	Metrics    []MetricQuery     `json:"metrics,omitempty"`
}

// DefaultStartupSeconds is a preset's start-up delay when the file gives none: about what
// a Fargate task takes to pull a small image and pass its first health check, and the
// backtest's default.
const DefaultStartupSeconds = 60

// maxStartupSeconds bounds startupSeconds: a task that needs longer than an hour to serve
// is not one a per-minute scaler can help.
const maxStartupSeconds = 3600

// alarmNamePrefix is the prefix of the preset's alarm names.
func (p Preset) alarmNamePrefix(s Service) string {
	if p.AlarmNamePrefix != "" {
		return p.AlarmNamePrefix
	}
	return "stepscaler-" + s.Cluster + "-" + s.Service
}

// presetAlarmNames are the names of the alarms the preset resolves to, in the order
// presets.Preset.Rules gives them.
func (p Preset) alarmNames(s Service) []string {
	prefix := p.alarmNamePrefix(s)
	return []string{prefix + "-out", prefix + "-in"}
}

// rules resolves the preset with presets.Preset.Rules, once the validator has found its
// fields sound.
func (p Preset) rules(s Service) ([]presets.Rule, error) {
	pre, ok := presets.Lookup(p.Name)
	if !ok {
		return nil, fmt.Errorf("unknown preset %q", p.Name)
	}
	target := 0.0
	if p.TargetUtilizationPercent != nil {
		target = *p.TargetUtilizationPercent / 100
	}
	return pre.Rules(presets.Service{
		Name: p.alarmNamePrefix(s), Min: s.MinCapacity, Max: s.MaxCapacity,
		Capacity:     *p.CapacityPerTask,
		StartupDelay: time.Duration(orDefault(p.StartupSeconds, DefaultStartupSeconds)) * time.Second,
	}, target)
}

// alarms are the alarm entries the preset stands for: each rule's policy, spelled as the
// fields of an alarm the file could list, and its alarm as a metric block on the
// preset's metric. Every field is given, so no configuration default comes between the
// preset and the policy it decides with.
func (p Preset) alarms(s Service) ([]Alarm, error) {
	rules, err := p.rules(s)
	if err != nil {
		return nil, err
	}
	alarms := make([]Alarm, len(rules))
	for i, r := range rules {
		pol, al := r.Policy, r.Alarm
		pol.TargetValue, al.Threshold = tidy(pol.TargetValue), tidy(al.Threshold)
		a := Alarm{
			AlarmName:                   al.Name,
			Direction:                   pol.Direction,
			AdjustmentType:              pol.AdjustmentType,
			TargetValue:                 &pol.TargetValue,
			Tolerance:                   &pol.Tolerance,
			CooldownSeconds:             &pol.CooldownSeconds,
			StabilizationTimeoutSeconds: &pol.StabilizationTimeoutSeconds,
			PollIntervalSeconds:         &pol.PollIntervalSeconds,
			MetricAggregationType:       pol.MetricAggregationType,
			Metric:                      p.Metric.block(al),
			preset:                      p.Name,
		}
		if pol.ScaleInStabilizationWindowSeconds > 0 {
			a.ScaleInStabilizationWindowSeconds = &pol.ScaleInStabilizationWindowSeconds
		}
		if pol.ScaleOutLeadSeconds > 0 {
			a.ScaleOutLeadSeconds = &pol.ScaleOutLeadSeconds
		}
		alarms[i] = a
	}
	return alarms, nil
}

// tidy rounds a value derived from a percentage to 12 significant digits, so that a 55%
// target of 100 is 55, not 55.00000000000001, in the policy, the alarm and every message
// that shows them: far finer than any metric is measured.
func tidy(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// block is the metric block of one of the preset's alarms.
func (m *PresetMetric) block(a presets.Alarm) *Metric {
	return &Metric{
		Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions, Statistic: m.Statistic,
		Expression: m.Expression, Label: m.Label, Metrics: slices.Clone(m.Metrics),
		PeriodSeconds:      int(a.Period / time.Second),
		Threshold:          a.Threshold,
		ComparisonOperator: a.ComparisonOperator,
		EvaluationPeriods:  a.EvaluationPeriods,
		DatapointsToAlarm:  a.DatapointsToAlarm,
		TreatMissingData:   a.TreatMissingData,
	}
}

// resolvePresets appends to every service with a preset the alarms it stands for. Parse
// calls it once the file is valid.
func (c *Config) resolvePresets() error {
	for i := range c.Services {
		s := &c.Services[i]
		if s.Preset == nil {
			continue
		}
		alarms, err := s.Preset.alarms(*s)
		if err != nil {
			return fmt.Errorf("services[%d].preset: %w", i, err)
		}
		s.Alarms = append(s.Alarms, alarms...)
	}
	return nil
}

// preset checks a service's preset block. The rules the preset builds are checked too,
// so that a preset never resolves to an alarm the file could not list.
func (v *validator) preset(at string, s Service) {
	p, before := s.Preset, len(v.problems)
	if _, ok := presets.Lookup(p.Name); !ok {
		v.addf(at+".name", "must be one of %v, got %q", presets.Names(), p.Name)
	}
	if m := p.Metric; m != nil {
		v.metricIdentity(at+".metric", Metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions,
			Statistic: m.Statistic, Expression: m.Expression, Label: m.Label, Metrics: m.Metrics})
		v.highResolution(at+".metric", *m)
	}
	if c := p.CapacityPerTask; c != nil && (!(*c > 0) || !finite(*c)) {
		v.addf(at+".capacityPerTask", "must be a positive number, got %v", *c)
	}
	if t := p.TargetUtilizationPercent; t != nil && !(*t > 0 && *t <= 100) {
		v.addf(at+".targetUtilizationPercent", "must be above 0 and at most 100, got %v", *t)
	}
	v.intRange(at+".startupSeconds", p.StartupSeconds, 0, maxStartupSeconds)
	if v.given[at+".alarmNamePrefix"] {
		switch prefix := p.AlarmNamePrefix; {
		case prefix == "":
			v.addf(at+".alarmNamePrefix", "must not be empty: leave it out for stepscaler-<cluster>-<service>")
		case strings.ContainsFunc(prefix, isASCIIControl):
			v.addf(at+".alarmNamePrefix", "must not contain ASCII control characters (CloudWatch refuses them in alarm names), got %q", prefix)
		}
	}
	for _, name := range p.alarmNames(s) {
		if n := utf8.RuneCountInString(name); n > maxNameLen {
			v.addf(at+".alarmNamePrefix", "makes the alarm name %.40q… of %d characters, beyond CloudWatch's %d: give a shorter alarmNamePrefix", name, n, maxNameLen)
			break
		}
	}
	// Resolve only what is sound, so that a mistake is reported once: the preset's own
	// fields above, the service's bounds by service().
	badBounds := s.MinCapacity < 0 || s.MaxCapacity < 1 || s.MaxCapacity < s.MinCapacity
	if p.Metric == nil || p.CapacityPerTask == nil || len(v.problems) > before || badBounds {
		return
	}
	alarms, err := p.alarms(s)
	if err != nil {
		v.addf(at, "%v", err)
		return
	}
	// JSON has no infinity, and CloudWatch takes no such threshold: a capacityPerTask
	// near the largest float64 overflows.
	for _, a := range alarms {
		if !finite(*a.TargetValue) || !finite(a.Metric.Threshold) {
			v.addf(at+".capacityPerTask", "%v makes alarm %s's target %v and threshold %v: too large to be a finite number",
				*p.CapacityPerTask, a.AlarmName, *a.TargetValue, a.Metric.Threshold)
			return
		}
	}
}

// highResolution refuses a preset on a metric of an AWS service. A preset's alarms have
// periods of 10 and 30 seconds, which PutMetricAlarm says to give "only for metrics that
// are stored by a PutMetricData call with a StorageResolution of 1"; on any other metric
// the alarm "might often lapse into INSUFFICIENT_DATA status". AWS services publish their
// metrics (AWS/ECS, AWS/ApplicationELB, AWS/SQS, ECS/ContainerInsights) at one minute or
// coarser.
func (v *validator) highResolution(at string, m PresetMetric) {
	const why = "is published by an AWS service at one-minute resolution at best, and a preset's alarms have 10 and 30 s periods, " +
		"which need a metric published with StorageResolution 1 (see docs/configuration.md#presets)"
	if awsNamespace(m.Namespace) {
		v.addf(at+".namespace", "%q %s", m.Namespace, why)
	}
	for i, q := range m.Metrics {
		if awsNamespace(q.Namespace) {
			v.addf(fmt.Sprintf("%s.metrics[%d].namespace", at, i), "%q %s", q.Namespace, why)
		}
	}
}

func awsNamespace(ns string) bool {
	return strings.HasPrefix(ns, "AWS/") || strings.HasPrefix(ns, "ECS/ContainerInsights")
}
