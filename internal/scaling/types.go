// Package scaling holds Stepscaler's scaling domain: the policy an alarm applies to a
// service, and the pure decision of what desiredCount that policy asks for. It calls no
// AWS API; the Lambda handlers feed it what they read and act on what it returns, the way
// the Kubernetes HPA keeps its replica calculation apart from its controller.
package scaling

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Direction is the way an alarm moves a service.
type Direction string

const (
	Out Direction = "out" // add tasks
	In  Direction = "in"  // remove tasks
)

// Valid reports whether d is one of the known directions.
func (d Direction) Valid() bool { return d == Out || d == In }

// sign is +1 for Out and -1 for In: adjustments are magnitudes and the direction signs them.
func (d Direction) sign() int {
	if d == In {
		return -1
	}
	return 1
}

// AdjustmentType says how a policy's adjustment is read. The first three are Application
// Auto Scaling's StepScalingPolicyConfiguration.AdjustmentType values; TargetRatio is the
// Kubernetes HPA's proportional rule.
type AdjustmentType string

const (
	// ChangeInCapacity adds or removes a number of tasks.
	ChangeInCapacity AdjustmentType = "ChangeInCapacity"
	// PercentChangeInCapacity adds or removes a percentage of the current capacity, rounded
	// the way Application Auto Scaling rounds it.
	PercentChangeInCapacity AdjustmentType = "PercentChangeInCapacity"
	// ExactCapacity sets the capacity to the adjustment.
	ExactCapacity AdjustmentType = "ExactCapacity"
	// TargetRatio sizes the service to ceil(current × metric / targetValue).
	TargetRatio AdjustmentType = "TargetRatio"
)

// AdjustmentTypes lists the known adjustment types, for validation messages.
var AdjustmentTypes = []AdjustmentType{ChangeInCapacity, PercentChangeInCapacity, ExactCapacity, TargetRatio}

// Valid reports whether t is a known adjustment type. The empty type is valid: policies
// written before adjustment types existed mean ChangeInCapacity.
func (t AdjustmentType) Valid() bool {
	switch t {
	case "", ChangeInCapacity, PercentChangeInCapacity, ExactCapacity, TargetRatio:
		return true
	}
	return false
}

// orDefault resolves the empty type of older execution inputs.
func (t AdjustmentType) orDefault() AdjustmentType {
	if t == "" {
		return ChangeInCapacity
	}
	return t
}

// relative reports whether the type adjusts the current capacity (as opposed to naming
// a capacity outright), which is what the scale-out cooldown's accounting applies to.
func (t AdjustmentType) relative() bool {
	t = t.orDefault()
	return t == ChangeInCapacity || t == PercentChangeInCapacity
}

// ServiceRef names one ECS service.
type ServiceRef struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
}

// ResourceID is the service in Application Auto Scaling's notation,
// "service/<cluster>/<service>", so activity records read like theirs.
func (s ServiceRef) ResourceID() string {
	return fmt.Sprintf("service/%s/%s", s.Cluster, s.Service)
}

func (s ServiceRef) String() string { return s.Cluster + "/" + s.Service }

// Policy is what one alarm asks of one service: the service's bounds and the alarm's step.
// Every step of the workflow reads it from the deployed configuration, never from the
// execution's input, so nobody who can start an execution can change what it may do.
type Policy struct {
	AlarmName   string    `json:"alarmName"`
	MinCapacity int       `json:"minCapacity"`
	MaxCapacity int       `json:"maxCapacity"`
	Direction   Direction `json:"direction"`
	// Adjustment is the simple step's magnitude; Direction gives its sign. It counts tasks
	// (ChangeInCapacity), a percentage of the current capacity (PercentChangeInCapacity)
	// or the capacity to set (ExactCapacity). Unused with StepAdjustments or TargetRatio.
	Adjustment      int `json:"adjustment"`
	CooldownSeconds int `json:"cooldownSeconds"`
	// StabilizationTimeoutSeconds bounds the wait for the service to become stable after
	// the update; past it the activity ends Unfulfilled.
	StabilizationTimeoutSeconds int `json:"stabilizationTimeoutSeconds"`
	PollIntervalSeconds         int `json:"pollIntervalSeconds"`

	// AdjustmentType says how Adjustment and StepAdjustments are read; empty means
	// ChangeInCapacity.
	AdjustmentType AdjustmentType `json:"adjustmentType,omitempty"`
	// StepAdjustments, when present, choose the adjustment by the size of the alarm's
	// breach (metric − threshold), as Application Auto Scaling's step scaling does.
	StepAdjustments []StepAdjustment `json:"stepAdjustments,omitempty"`
	// MinAdjustmentMagnitude is the least number of tasks a PercentChangeInCapacity
	// adjustment moves.
	MinAdjustmentMagnitude int `json:"minAdjustmentMagnitude,omitempty"`
	// TargetValue is the metric value a TargetRatio policy sizes the service for.
	TargetValue float64 `json:"targetValue,omitempty"`
	// Tolerance is how far from 1 the TargetRatio metric/target ratio may be before the
	// service is resized.
	Tolerance float64 `json:"tolerance,omitempty"`
	// ScaleLimit bounds one TargetRatio step; nil leaves only [min, max].
	ScaleLimit *ScaleLimit `json:"scaleLimit,omitempty"`
	// DryRun makes the workflow record the decision without updating the service.
	DryRun bool `json:"dryRun,omitempty"`
	// MetricAggregationType combines the alarm's datapoints into the value a step or
	// TargetRatio policy sizes from: Average (the default), Minimum or Maximum, as
	// Application Auto Scaling's StepScalingPolicyConfiguration.MetricAggregationType.
	MetricAggregationType string `json:"metricAggregationType,omitempty"`
	// ScaleInStabilizationWindowSeconds, for a TargetRatio scale-in, holds the service at
	// the highest recommendation made within this many seconds (its own included), as the
	// HPA's scale-down stabilization window: a dip shorter than the window removes nothing,
	// and a fall is followed a window behind. Recommendations come from
	// History.Recommendations. 0 turns it off.
	ScaleInStabilizationWindowSeconds int `json:"scaleInStabilizationWindowSeconds,omitempty"`
	// ScaleOutLeadSeconds, for a TargetRatio scale-out, sizes the service for the metric
	// projected this many seconds ahead along its rising trend (MetricValue.SlopePerSecond),
	// so that the tasks started now cover the demand they will meet once they serve. Set
	// it to about the tasks' start-up time plus the metric's age. 0 sizes for the metric
	// as it is; a falling or unknown trend never shrinks a scale-out.
	ScaleOutLeadSeconds int `json:"scaleOutLeadSeconds,omitempty"`
}

// SizesFromMetric reports whether the policy needs the alarm's metric to size a step:
// step adjustments and TargetRatio do, a simple adjustment does not.
func (p Policy) SizesFromMetric() bool {
	return p.AdjustmentType.orDefault() == TargetRatio || len(p.StepAdjustments) > 0
}

// StepAdjustment is one interval of breach sizes and the adjustment it takes, as
// Application Auto Scaling's StepAdjustment: the bounds are relative to the alarm's
// threshold, a nil bound is infinite, and ScalingAdjustment is a magnitude (the policy's
// Direction gives the sign, where Application Auto Scaling uses a signed number).
type StepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"metricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `json:"metricIntervalUpperBound,omitempty"`
	ScalingAdjustment        int      `json:"scalingAdjustment"`
}

// Contains reports whether the breach (metric − threshold) falls in the interval. The
// inclusivity follows Application Auto Scaling's StepAdjustment: when the metric is above
// the threshold the lower bound is inclusive and the upper exclusive, and below it the
// lower bound is exclusive and the upper inclusive. above says which side applies; it
// matters only for a breach that sits exactly on a bound.
func (s StepAdjustment) Contains(breach float64, above bool) bool {
	lo, hi := s.bounds()
	if above {
		return lo <= breach && breach < hi
	}
	return lo < breach && breach <= hi
}

// Interval writes the step's interval with the brackets of the side it is read on, e.g.
// "[20, +inf)" above the threshold or "(-inf, -20]" below it.
func (s StepAdjustment) Interval(above bool) string {
	lo, hi := s.bounds()
	open, closeB := "(", "]"
	if above {
		open, closeB = "[", ")"
	}
	if math.IsInf(lo, -1) {
		open = "("
	}
	if math.IsInf(hi, 1) {
		closeB = ")"
	}
	return open + formatBound(lo) + ", " + formatBound(hi) + closeB
}

func (s StepAdjustment) bounds() (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if s.MetricIntervalLowerBound != nil {
		lo = *s.MetricIntervalLowerBound
	}
	if s.MetricIntervalUpperBound != nil {
		hi = *s.MetricIntervalUpperBound
	}
	return lo, hi
}

func formatBound(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ScaleLimit bounds how far one TargetRatio step moves desiredCount, like the HPA's
// scaling policies of type Pods and Percent. With both set the larger allowance wins, as
// the HPA's default selectPolicy Max.
type ScaleLimit struct {
	MaxTasks   int `json:"maxTasks,omitempty"`
	MaxPercent int `json:"maxPercent,omitempty"`
}

// Not-scaled reason codes. The first three are Application Auto Scaling's own
// (NotScaledReason.Code); the others name the cases Stepscaler adds.
const (
	AlreadyAtMaxCapacity     = "AlreadyAtMaxCapacity"
	AlreadyAtMinCapacity     = "AlreadyAtMinCapacity"
	AlreadyAtDesiredCapacity = "AlreadyAtDesiredCapacity"
	CooldownActive           = "CooldownActive"
	ScalingInProgress        = "ScalingInProgress"
	ServiceNotActive         = "ServiceNotActive"
	// ScalingSuspended: an operator suspended scaling in the alarm's direction.
	ScalingSuspended = "ScalingSuspended"
	// ScaleInBlockedByScaleOutAlarm: a scale-out alarm of the service is in ALARM, and a
	// scale-out outranks a scale-in.
	ScaleInBlockedByScaleOutAlarm = "ScaleInBlockedByScaleOutAlarm"
	// DeploymentInProgress: no scale-in while the service is rolling out a deployment.
	DeploymentInProgress = "DeploymentInProgress"
	// WithinTolerance: a TargetRatio policy's metric is close enough to its target.
	WithinTolerance = "WithinTolerance"
	// ScaleInStabilized: a recommendation within the scale-in stabilization window asks
	// for at least the current capacity (the HPA's ScaleDownStabilized).
	ScaleInStabilized = "ScaleInStabilized"
	// NoMetricValue: a step or TargetRatio policy has no datapoint to size the step from.
	NoMetricValue = "NoMetricValue"
	// NoAlarmInAlarm: CloudWatch reports none of the service's alarms in ALARM now,
	// whatever the notification that started the execution said.
	NoAlarmInAlarm = "NoAlarmInAlarm"
	// ServiceNotScalable: ECS does not size the service by its desired count (a DAEMON
	// service runs one task per container instance).
	ServiceNotScalable = "ServiceNotScalable"
)

// NotScaledReason says, in machine-readable form, why a decision changed nothing. It has
// the shape of Application Auto Scaling's NotScaledReason, plus a human message.
type NotScaledReason struct {
	Code string `json:"code"`
	// Alarm names the alarm whose policy was held back; empty for reasons that concern
	// the service as a whole.
	Alarm           string `json:"alarm,omitempty"`
	Message         string `json:"message"`
	CurrentCapacity *int   `json:"currentCapacity,omitempty"`
	MinCapacity     *int   `json:"minCapacity,omitempty"`
	MaxCapacity     *int   `json:"maxCapacity,omitempty"`
}

// Summary says in a few words how far the policy moves the service, for activity causes
// and listings: "+2 tasks", "-20% (at least 1 task)", "to exactly 5 tasks", "steps [0, 10):
// +1 task; [10, +inf): +3 tasks" or "to ceil(current × metric / 50), tolerance 0.1".
func (p Policy) Summary() string {
	t := p.AdjustmentType.orDefault()
	if t == TargetRatio {
		// The metric is the alarm's datapoints combined by MetricAggregationType; say so
		// when that is not their average, which "metric" reads as.
		metric := "metric"
		switch p.MetricAggregationType {
		case "Maximum":
			metric = "highest datapoint"
		case "Minimum":
			metric = "lowest datapoint"
		}
		s := fmt.Sprintf("to ceil(current × %s / %s), tolerance %v", metric, formatBound(p.TargetValue), p.Tolerance)
		if l := p.ScaleLimit; l != nil {
			switch {
			case l.MaxTasks > 0 && l.MaxPercent > 0:
				s += fmt.Sprintf(", at most the larger of %s and %d%% a step", tasks(l.MaxTasks), l.MaxPercent)
			case l.MaxPercent > 0:
				s += fmt.Sprintf(", at most %d%% a step", l.MaxPercent)
			case l.MaxTasks > 0:
				s += fmt.Sprintf(", at most %s a step", tasks(l.MaxTasks))
			}
		}
		if p.ScaleOutLeadSeconds > 0 && p.Direction == Out {
			s += fmt.Sprintf(", sized for the metric %ds ahead on its trend", p.ScaleOutLeadSeconds)
		}
		if p.ScaleInStabilizationWindowSeconds > 0 && p.Direction == In {
			s += fmt.Sprintf(", no lower than the highest recommendation of the last %ds", p.ScaleInStabilizationWindowSeconds)
		}
		return s
	}
	magnitude := func(m int) string {
		switch t {
		case ExactCapacity:
			return "to exactly " + tasks(m)
		case PercentChangeInCapacity:
			s := fmt.Sprintf("%+d%%", p.Direction.sign()*m)
			if p.MinAdjustmentMagnitude > 0 && m != 0 {
				s += fmt.Sprintf(" (at least %s)", tasks(p.MinAdjustmentMagnitude))
			}
			return s
		default:
			return signedTasks(p.Direction.sign() * m)
		}
	}
	if len(p.StepAdjustments) == 0 {
		return magnitude(p.Adjustment)
	}
	parts := make([]string, len(p.StepAdjustments))
	for i, s := range p.StepAdjustments {
		lo, hi := s.bounds()
		// A step is read on the side of the threshold it lies on; one that straddles the
		// threshold on the alarm's own side.
		above := lo >= 0 || (hi > 0 && p.Direction == Out)
		parts[i] = s.Interval(above) + ": " + magnitude(s.ScalingAdjustment)
	}
	return "steps " + strings.Join(parts, "; ")
}
