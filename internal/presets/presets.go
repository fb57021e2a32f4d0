// Package presets holds Stepscaler's named policy presets: latency-first, balanced and
// cost-first. Each is a pair of TargetRatio policies, one per direction, with the alarms
// that drive them, built from what the policy engine (package scaling) can do:
// proportional sizing both ways, a scale-out sized for the metric it expects once the new
// tasks serve (Policy.ScaleOutLeadSeconds), and a scale-in held at the highest
// recommendation of a stabilization window (Policy.ScaleInStabilizationWindowSeconds), on
// CloudWatch high-resolution alarms where the preset asks for speed.
//
// A preset is data. Rules turns it into the policies and alarm definitions of one
// service; the backtest (package simulate) replays them, and the configuration (package
// config) resolves a service's "preset" block to the same rules. Each preset's main knob
// is its target utilization: sweeping it draws the preset's trade-off curve.
// docs/configuration.md describes them for users; docs/backtest.md gives where each sits
// on every shipped trace and what it costs.
package presets

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Shape is the timing of one CloudWatch alarm: DatapointsToAlarm of EvaluationPeriods
// periods of Period. Periods of 10 s and 30 s make a high-resolution alarm, which needs a
// metric published at that resolution (PutMetricData with StorageResolution 1).
type Shape struct {
	Period            time.Duration
	EvaluationPeriods int
	DatapointsToAlarm int
}

// HighResolution reports whether the alarm is billed as a high-resolution alarm.
func (s Shape) HighResolution() bool { return s.Period < time.Minute }

// evaluationInterval is how often CloudWatch evaluates such an alarm: every 10 s for a
// period of 10 or 30 s, every minute otherwise ("Using Amazon CloudWatch alarms": "If the
// alarm period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds").
func (s Shape) evaluationInterval() time.Duration {
	if s.HighResolution() {
		return 10 * time.Second
	}
	return time.Minute
}

// Preset is one named policy pair. Thresholds and targets are fractions of a task's
// capacity, so one preset fits any per-task metric (CPU utilization, requests per task).
type Preset struct {
	Name    string
	Summary string
	// Target is the default target utilization, a fraction of a task's capacity: the
	// preset's main knob.
	Target float64
	// Tolerance is how far the metric may stray from the target before the service is
	// resized (the HPA's 0.1 in every preset); the alarms fire beyond it.
	Tolerance float64
	// Out and In time the scale-out and scale-in alarms.
	Out, In Shape
	// OutAggregation and InAggregation combine each alarm's datapoints into the value
	// the policy sizes from: Maximum sizes a scale-in for the busiest period of its
	// window, as the HPA's stabilization keeps the highest recommendation.
	OutAggregation, InAggregation string
	// ScaleInWindow is the scale-in stabilization window.
	ScaleInWindow time.Duration
	// InCooldown is the scale-in policy's cooldown, which a scale-in waits after any
	// scaling. The scale-out cooldown is not a choice: it is CatchUp, the time the metric
	// takes to reflect the tasks a scale-out added.
	InCooldown time.Duration
	// Lead sizes the scale-out for the metric projected over the tasks' start-up delay
	// and the metric's age (LeadTime, scaling.Policy.ScaleOutLeadSeconds). No preset
	// sets it: on every shipped trace it only added idle capacity (docs/backtest.md,
	// Findings); the backtest's sensitivity shows it as a what-if.
	Lead bool
	// Metric says what metric the preset needs, for the documentation.
	Metric string
}

// The presets, in the order they are listed. What sets them apart is how long they hold
// capacity after a fall and how fast and how far ahead they add it; each then has a
// default target. The choices follow from what each aims at, not from any one trace
// (docs/backtest.md reports them on every shipped trace and demand scale):
//   - every preset sizes proportionally both ways with the HPA's tolerance of 0.1, and
//     fires its alarms just beyond it, so an alarm in ALARM is a resize;
//   - every scale-out alarm fires on one breaching datapoint of its last three and sizes
//     for the highest of them, as the HPA acts on each 15 s reading;
//   - every scale-in alarm fires after a minute below the band, sizes for the highest
//     datapoint of that minute, and the stabilization window holds the highest
//     recommendation of the window, as the HPA's scale-down stabilization does;
//   - latency-first reads 10 s data, holds capacity for 10 minutes after a fall and
//     targets 60%;
//   - balanced reads 10 s data and holds capacity for the HPA's default 5 minutes, at a
//     70% target;
//   - cost-first reads 30 s data (a cheaper metric to publish) and holds capacity for 2
//     minutes, at 80%.
var (
	LatencyFirst = Preset{
		Name:    "latency-first",
		Summary: "targets 60%, reacts to one 10 s datapoint, holds capacity 10 minutes after a fall",
		Target:  0.60, Tolerance: 0.1,
		Out:            Shape{Period: 10 * time.Second, EvaluationPeriods: 3, DatapointsToAlarm: 1},
		In:             Shape{Period: 30 * time.Second, EvaluationPeriods: 2, DatapointsToAlarm: 2},
		OutAggregation: "Maximum", InAggregation: "Maximum",
		ScaleInWindow: 10 * time.Minute, InCooldown: time.Minute,
		Metric: "a per-task load metric (CPU utilization or requests per task) published every 10 s",
	}
	Balanced = Preset{
		Name:    "balanced",
		Summary: "targets 70%, reacts to one 10 s datapoint, holds capacity 5 minutes after a fall (the HPA's default)",
		Target:  0.70, Tolerance: 0.1,
		Out:            Shape{Period: 10 * time.Second, EvaluationPeriods: 3, DatapointsToAlarm: 1},
		In:             Shape{Period: 30 * time.Second, EvaluationPeriods: 2, DatapointsToAlarm: 2},
		OutAggregation: "Maximum", InAggregation: "Maximum",
		ScaleInWindow: 5 * time.Minute, InCooldown: time.Minute,
		Metric: "a per-task load metric published every 10 s",
	}
	CostFirst = Preset{
		Name:    "cost-first",
		Summary: "targets 80%, reacts to one 30 s datapoint, holds capacity 2 minutes after a fall",
		Target:  0.80, Tolerance: 0.1,
		Out:            Shape{Period: 30 * time.Second, EvaluationPeriods: 2, DatapointsToAlarm: 1},
		In:             Shape{Period: 30 * time.Second, EvaluationPeriods: 2, DatapointsToAlarm: 2},
		OutAggregation: "Maximum", InAggregation: "Maximum",
		ScaleInWindow: 2 * time.Minute, InCooldown: time.Minute,
		Metric: "a per-task load metric published every 30 s (or 10 s)",
	}
)

// All lists the presets.
var All = []Preset{LatencyFirst, Balanced, CostFirst}

// Lookup finds a preset by name.
func Lookup(name string) (Preset, bool) {
	for _, p := range All {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// Names lists the presets' names.
func Names() []string {
	names := make([]string, len(All))
	for i, p := range All {
		names[i] = p.Name
	}
	return names
}

// Service is what a preset needs to know of the service it scales.
type Service struct {
	// Name prefixes the alarms' names ("<name>-out", "<name>-in").
	Name     string
	Min, Max int
	// Capacity is the metric's value when a task is fully used: 100 for CPU utilization
	// in percent, or the requests per second one task serves.
	Capacity float64
	// StartupDelay is how long a new task takes from desiredCount raised to serving.
	StartupDelay time.Duration
}

// Alarm is the definition of the CloudWatch metric alarm a rule needs, in the terms of
// PutMetricAlarm; the metric itself is the service's per-task load metric.
type Alarm struct {
	Name               string
	Threshold          float64
	ComparisonOperator string
	Period             time.Duration
	EvaluationPeriods  int
	DatapointsToAlarm  int
	TreatMissingData   string
}

// Rule is one alarm and the policy it drives.
type Rule struct {
	Policy scaling.Policy
	Alarm  Alarm
}

// Defaults of the workflow's own settings in the rules: the configuration's defaults.
const (
	pollIntervalSeconds         = 15
	stabilizationTimeoutSeconds = 600
)

// Rules are the preset's scale-out and scale-in rules for svc, aiming at target (a
// fraction of a task's capacity; 0 means the preset's Target).
//
// The scale-out alarm fires above target × (1 + tolerance), the scale-in alarm below
// target × (1 − tolerance); missing data counts as not breaching, so a gap never scales.
func (p Preset) Rules(svc Service, target float64) ([]Rule, error) {
	if target == 0 {
		target = p.Target
	}
	if err := p.check(svc, target); err != nil {
		return nil, fmt.Errorf("preset %s: %w", p.Name, err)
	}
	value := target * svc.Capacity
	base := scaling.Policy{
		MinCapacity: svc.Min, MaxCapacity: svc.Max,
		AdjustmentType: scaling.TargetRatio, TargetValue: value, Tolerance: p.Tolerance,
		PollIntervalSeconds: pollIntervalSeconds, StabilizationTimeoutSeconds: stabilizationTimeoutSeconds,
	}
	out := base
	out.AlarmName, out.Direction = svc.Name+"-out", scaling.Out
	out.CooldownSeconds = seconds(p.CatchUp(svc.StartupDelay))
	out.MetricAggregationType = p.OutAggregation
	if p.Lead {
		out.ScaleOutLeadSeconds = seconds(p.LeadTime(svc.StartupDelay))
	}
	in := base
	in.AlarmName, in.Direction = svc.Name+"-in", scaling.In
	in.CooldownSeconds = seconds(p.InCooldown)
	in.MetricAggregationType = p.InAggregation
	in.ScaleInStabilizationWindowSeconds = seconds(p.ScaleInWindow)
	return []Rule{
		{Policy: out, Alarm: alarm(out.AlarmName, value*(1+p.Tolerance), "GreaterThanThreshold", p.Out)},
		{Policy: in, Alarm: alarm(in.AlarmName, value*(1-p.Tolerance), "LessThanThreshold", p.In)},
	}, nil
}

// LeadTime is how far ahead a scale-out sizes: the tasks' start-up delay, plus the age of
// the value it sizes from. That value is the mean of the alarm's datapoints, centred half
// the evaluation window before the newest, which CloudWatch sees about one evaluation
// interval after its period ends.
func (p Preset) LeadTime(startup time.Duration) time.Duration {
	window := time.Duration(p.Out.EvaluationPeriods) * p.Out.Period
	return startup + window/2 + p.Out.evaluationInterval()
}

// CatchUp is how long after a scale-out the scale-out alarm's datapoints still come
// partly from before its tasks served: their start-up delay, the alarm's evaluation
// window, and one evaluation interval for the newest datapoint to arrive. It is the
// scale-out cooldown, during which a further scale-out is counted from the capacity
// before the last one (see scaling.Plan), so the same need is not met twice.
func (p Preset) CatchUp(startup time.Duration) time.Duration {
	return startup + time.Duration(p.Out.EvaluationPeriods)*p.Out.Period + p.Out.evaluationInterval()
}

func (p Preset) check(svc Service, target float64) error {
	var problems []error
	if !(target > 0 && target <= 1) {
		problems = append(problems, fmt.Errorf("target %v must be a fraction of a task's capacity in (0, 1]", target))
	}
	if !(svc.Capacity > 0) || math.IsInf(svc.Capacity, 0) {
		problems = append(problems, fmt.Errorf("capacity %v must be a positive number", svc.Capacity))
	}
	if svc.Min < 0 || svc.Max < 1 || svc.Max < svc.Min {
		problems = append(problems, fmt.Errorf("want 0 <= min <= max and max >= 1, got %d, %d", svc.Min, svc.Max))
	}
	if svc.StartupDelay < 0 {
		problems = append(problems, fmt.Errorf("start-up delay %s is negative", svc.StartupDelay))
	}
	return errors.Join(problems...)
}

func alarm(name string, threshold float64, op string, s Shape) Alarm {
	return Alarm{Name: name, Threshold: threshold, ComparisonOperator: op, Period: s.Period,
		EvaluationPeriods: s.EvaluationPeriods, DatapointsToAlarm: s.DatapointsToAlarm, TreatMissingData: "notBreaching"}
}

func seconds(d time.Duration) int { return int(d / time.Second) }
