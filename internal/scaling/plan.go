package scaling

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

// Observation is everything the planner looks at besides the policy.
type Observation struct {
	Service service.Snapshot
	History History
	// Metric is the alarm's current breach data: its metric's value now and the alarm's
	// threshold; nil when unknown. Decide sets it per alarm.
	Metric *MetricValue
	// AlarmSince is when the alarm entered ALARM (AlarmReading.StateSince); nil when
	// unknown. Decide sets it per alarm.
	AlarmSince *time.Time
	// NotScalable, when not empty, says why ECS does not size the service by its desired
	// count (a DAEMON service); the caller judges it from the service (stability.Scalable).
	NotScalable string
	Now         time.Time
}

// MetricValue is the newest datapoint behind an alarm and the alarm's threshold.
type MetricValue struct {
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// SlopePerSecond is the metric's trend over the alarm's evaluation periods, in its
	// units per second (Slope); 0 when unknown. Only ScaleOutLeadSeconds reads it.
	SlopePerSecond float64 `json:"slopePerSecond,omitempty"`
}

// History is what the service's state item remembers of past scalings, for cooldowns,
// and the directions an operator suspended.
type History struct {
	LastScaleOutAt *time.Time `json:"lastScaleOutAt,omitempty"`
	LastScaleInAt  *time.Time `json:"lastScaleInAt,omitempty"`
	// LastScaleOutFrom is the capacity before the last scale-out (its Decision.Base):
	// during the scale-out cooldown, capacity that scale-out added counts toward the next
	// step.
	LastScaleOutFrom *int `json:"lastScaleOutFrom,omitempty"`
	SuspendedOut     bool `json:"suspendedOut,omitempty"`
	SuspendedIn      bool `json:"suspendedIn,omitempty"`
	// Recommendations are the service's recent TargetRatio recommendations, kept by the
	// record step (KeepRecommendations) for ScaleInStabilizationWindowSeconds.
	Recommendations []Recommendation `json:"recommendations,omitempty"`
}

// Decision is the outcome of planning: either a new desiredCount, or the reasons why not.
type Decision struct {
	// AlarmName is the alarm whose policy decided: the one that scales, or, when nothing
	// scales, the first whose reasons are given. Empty when no alarm is in ALARM.
	AlarmName string `json:"alarmName,omitempty"`
	// Scale says a change is wanted. With DryRun the caller records it and leaves the
	// service alone, so a dry run's activity shows exactly what would have happened.
	Scale     bool      `json:"scale"`
	Direction Direction `json:"direction"`
	From      int       `json:"from"`
	To        int       `json:"to"`
	// Description reads like Application Auto Scaling's: "Setting desired count to 3."
	Description      string            `json:"description"`
	NotScaledReasons []NotScaledReason `json:"notScaledReasons,omitempty"`
	DryRun           bool              `json:"dryRun"` // always present: the state machine's Choice reads it
	// Step is the step adjustment the breach fell in, for step policies.
	Step *StepAdjustment `json:"step,omitempty"`
	// Base is the capacity the adjustment was computed from: the desired or running count,
	// or during a scale-out cooldown the capacity before the last scale-out. After a
	// scale-out the workflow records it as History.LastScaleOutFrom: a step repeated
	// within the cooldown then asks for the same capacity and adds nothing, and a chain of
	// scale-outs stays anchored at the capacity that started it, as in Application Auto
	// Scaling, where the capacity "added by the initiating scale-out activity" counts.
	Base int `json:"base"`
	// Reason is one sentence of why, e.g. "breach 25.0 above threshold falls in step
	// [20, +inf): +3 tasks".
	Reason string `json:"reason,omitempty"`
	// Recommendation is the capacity a TargetRatio policy's rule asked for now, whether or
	// not the service scales; the record step keeps it in the state item
	// (KeepRecommendations) for the scale-in stabilization window. nil for other policies
	// and without a metric value. With several policies, the highest.
	Recommendation *Recommendation `json:"recommendation,omitempty"`
}

// Plan decides what one alarm's policy asks of the service right now. It is a pure
// function of its inputs. Its guarantees:
//   - a decision to scale always lands inside [MinCapacity, MaxCapacity];
//   - it never moves the service against the alarm's direction, and a scale-out never
//     lands below the current desiredCount nor a scale-in above it;
//   - a blocked decision carries at least one not-scaled reason, and To == From.
//
// The checks run in this order, and the first that blocks gives the reason: the service
// is not ACTIVE; the direction is suspended; a scale-in during a deployment; the adjustment cannot be computed (no metric
// value, within tolerance, no step for the breach); the service is already at the bound;
// a cooldown; nothing changes.
func Plan(p Policy, o Observation) Decision {
	svc, h := o.Service, o.History
	from := svc.DesiredCount
	d := Decision{AlarmName: p.AlarmName, Direction: p.Direction, From: from, To: from, Base: from, DryRun: p.DryRun}

	if svc.Status != service.StatusActive {
		return d.notScaled(NotScaledReason{
			Code:    ServiceNotActive,
			Message: fmt.Sprintf("service status is %s, not ACTIVE", orUnknown(svc.Status)),
		})
	}
	if !p.Direction.Valid() {
		return d.notScaled(NotScaledReason{Code: AlreadyAtDesiredCapacity, Message: fmt.Sprintf("unknown direction %q", p.Direction)})
	}
	// Application Auto Scaling suspends dynamic scaling per direction
	// (DynamicScalingOutSuspended, DynamicScalingInSuspended): "Suspending and resuming
	// scaling for Application Auto Scaling", Application Auto Scaling User Guide.
	if (p.Direction == Out && h.SuspendedOut) || (p.Direction == In && h.SuspendedIn) {
		return d.notScaled(NotScaledReason{
			Code:    ScalingSuspended,
			Message: fmt.Sprintf("dynamic scale-%s is suspended for this service", p.Direction),
		})
	}
	// "Application Auto Scaling turns off scale-in processes while Amazon ECS deployments
	// are in progress ... However, scale-out processes continue to occur" ("Troubleshooting
	// service auto scaling in Amazon ECS", Amazon ECS Developer Guide).
	if p.Direction == In && svc.DeploymentInProgress() {
		return d.notScaled(NotScaledReason{
			Code:    DeploymentInProgress,
			Message: "a deployment is in progress; scale-in waits until it completes",
		})
	}

	cooling, until := cooldownUntil(p, h, o.Now)
	base, baseNote := capacityBase(svc, p.Direction)
	// Application Auto Scaling's scale-out cooldown: "capacity added by the initiating
	// scale-out activity is calculated as part of the desired capacity for the next
	// scale-out activity ... If the alarm triggers again during the cooldown period but at
	// a more aggressive step adjustment of 3, the previous increase of 2 is considered
	// part of the current capacity. Therefore, only 1 is added" ("Step scaling policies for
	// Application Auto Scaling", Cooldown period). So during the cooldown a relative step
	// is counted from the capacity before the last scale-out, and only what exceeds the
	// current desiredCount is added. ExactCapacity names a capacity, so the same rule is
	// simply "scale out only to more than now". TargetRatio sizes from a capacity too, the
	// one its metric was measured on: during the cooldown the alarm's datapoints still
	// largely come from before the last scale-out's tasks served, so it is counted from
	// the capacity before it as well; counting the new tasks against a metric they have
	// not yet lowered would add the same capacity twice.
	carried := false
	if p.Direction == Out && cooling && (p.AdjustmentType.relative() || p.AdjustmentType == TargetRatio) && h.LastScaleOutFrom != nil {
		base, carried = *h.LastScaleOutFrom, true
		baseNote = fmt.Sprintf("counted from %d, the capacity before the last scale-out, as the scale-out cooldown is in effect", base)
	}

	pr, blocked := propose(p, base, from, o, h)
	d.Base, d.Step, d.Reason = pr.base, pr.step, pr.reason
	if pr.recommended != nil {
		d.Recommendation = &Recommendation{At: o.Now, Tasks: *pr.recommended}
	}
	if pr.base == base && baseNote != "" && d.Reason != "" {
		d.Reason += " (" + baseNote + ")"
	}
	if blocked != nil {
		return d.notScaled(*blocked)
	}

	capacity := func(code, msg string) NotScaledReason {
		return NotScaledReason{Code: code, Message: msg,
			CurrentCapacity: ptr(from), MinCapacity: ptr(p.MinCapacity), MaxCapacity: ptr(p.MaxCapacity)}
	}
	if p.Direction == Out && from >= p.MaxCapacity {
		return d.notScaled(capacity(AlreadyAtMaxCapacity, fmt.Sprintf("desired count %d is at or above the maximum %d", from, p.MaxCapacity)))
	}
	if p.Direction == In && from <= p.MinCapacity {
		return d.notScaled(capacity(AlreadyAtMinCapacity, fmt.Sprintf("desired count %d is at or below the minimum %d", from, p.MinCapacity)))
	}

	// "A scaling adjustment can't change the capacity of the scalable target above the
	// maximum capacity or below the minimum capacity" (Application Auto Scaling User
	// Guide). A service below its minimum goes at least to the minimum, one above its
	// maximum at most to the maximum.
	to := clamp(pr.target, p.MinCapacity, p.MaxCapacity)
	moves := (p.Direction == Out && to > from) || (p.Direction == In && to < from)

	if cooling {
		cooldown := fmt.Sprintf("scale-%s cooldown of %ds is in effect until %s",
			p.Direction, p.CooldownSeconds, until.UTC().Format(time.RFC3339))
		switch {
		case p.Direction == In:
			// "scale-in activities are blocked until the cooldown period has expired".
			return d.notScaled(NotScaledReason{Code: CooldownActive, Message: cooldown})
		case p.AdjustmentType.relative() && !carried:
			// Without the capacity before the last scale-out (state written by an older
			// release) the added capacity cannot be counted; waiting is the safe side.
			return d.notScaled(NotScaledReason{Code: CooldownActive, Message: cooldown})
		case !moves:
			// "The scaling policy won't increase the desired capacity again unless either
			// a larger scale out is triggered or the cooldown period ends."
			return d.notScaled(NotScaledReason{Code: CooldownActive,
				Message: fmt.Sprintf("%s, and the last scale-out already covers this step (it asks for %d)", cooldown, to)})
		}
	}
	if !moves && pr.stabilized != "" {
		return d.notScaled(NotScaledReason{Code: ScaleInStabilized, Message: pr.stabilized})
	}
	if !moves {
		return d.notScaled(capacity(AlreadyAtDesiredCapacity,
			fmt.Sprintf("the policy asks for %s, which is no scale-%s from desired count %d", tasks(to), p.Direction, from)))
	}

	d.Scale, d.To = true, to
	d.Description = fmt.Sprintf("Setting desired count to %d.", to)
	if p.DryRun {
		d.Description = fmt.Sprintf("Dry run: would set desired count to %d.", to)
	}
	return d
}

// capacityBase is the capacity relative adjustments start from. Application Auto Scaling
// computes from the target's current capacity; for an ECS service Stepscaler counts from
// the running tasks when they differ from desiredCount, because they are what the alarm's
// metric measured and what the service really has. It does so only on the side that makes
// the step smaller: a scale-out counts from the running tasks while some are still
// starting (they are not asked for twice), a scale-in while some are still stopping (they
// are not removed twice). The other way round would overshoot: a deployment's surge runs
// up to maximumPercent of desiredCount, and a scale-in counted from tasks still starting
// would remove them as well as the step. Plan then never lets a scale-out land below the
// current desiredCount nor a scale-in above it.
func capacityBase(svc service.Snapshot, dir Direction) (int, string) {
	running, desired := svc.RunningCount, svc.DesiredCount
	if (dir == Out && running < desired) || (dir == In && running > desired) {
		return running, fmt.Sprintf("counted from the %d running tasks, not the desired %d", running, desired)
	}
	return desired, ""
}

// proposal is the capacity a policy asks for, before the bounds and cooldowns.
type proposal struct {
	target int
	base   int
	step   *StepAdjustment
	reason string
	// recommended is a TargetRatio policy's recommendation, to be recorded; stabilized
	// says why the scale-in stabilization window raised target above it.
	recommended *int
	stabilized  string
}

// propose computes the capacity the policy asks for from base. It returns a not-scaled
// reason when there is nothing to compute from or the policy asks for nothing.
func propose(p Policy, base, from int, o Observation, h History) (proposal, *NotScaledReason) {
	t, m := p.AdjustmentType.orDefault(), o.Metric
	switch {
	case t == TargetRatio:
		return proportional(p, base, from, o, h)
	case len(p.StepAdjustments) > 0:
		if m == nil || !finite(m.Value) || !finite(m.Threshold) {
			return proposal{base: base}, &NotScaledReason{Code: NoMetricValue,
				Message: "the alarm's datapoint is unknown, so no step adjustment can be chosen"}
		}
		breach := m.Value - m.Threshold
		// Exactly on the threshold the side is the alarm's own: a scale-out alarm breaches
		// at or above it (so a step starting at 0 applies), a scale-in alarm at or below it
		// (so a step ending at 0 applies), matching the API reference's examples of
		// [0, 10) for "greater than or equal to 50" and (-10, 0] for "less than or equal to 50".
		above := breach > 0 || (breach == 0 && p.Direction == Out)
		side := "above"
		switch {
		case breach < 0:
			side = "below"
		case breach == 0:
			side = "at"
		}
		for i := range p.StepAdjustments {
			s := p.StepAdjustments[i]
			if !s.Contains(breach, above) {
				continue
			}
			target, b, how := adjust(t, p, base, from, s.ScalingAdjustment)
			return proposal{target: target, base: b, step: &s,
				reason: fmt.Sprintf("breach %s %s threshold falls in step %s: %s", formatValue(breach), side, s.Interval(above), how)}, nil
		}
		return proposal{base: base}, &NotScaledReason{Code: AlreadyAtDesiredCapacity,
			Message: fmt.Sprintf("breach %s %s threshold falls in no step adjustment", formatValue(breach), side)}
	default:
		target, b, how := adjust(t, p, base, from, p.Adjustment)
		return proposal{target: target, base: b, reason: fmt.Sprintf("simple scale-%s step: %s", p.Direction, how)}, nil
	}
}

// adjust applies one adjustment of magnitude m to base, signed by the direction, and
// says how in words. It returns the base it used: ExactCapacity uses none, so it reports
// the desired count.
func adjust(t AdjustmentType, p Policy, base, from, m int) (target, usedBase int, how string) {
	sign := p.Direction.sign()
	switch t {
	case ExactCapacity:
		return m, from, fmt.Sprintf("set exactly %s", tasks(m))
	case PercentChangeInCapacity:
		pct := sign * m
		delta := percentChange(base, pct)
		how = fmt.Sprintf("%+d%% of %d = %s", pct, base, signedTasks(delta))
		// "With PercentChangeInCapacity, you can also specify the minimum amount to scale
		// using the MinAdjustmentMagnitude parameter ... 25 percent of 4 is 1. However,
		// because you specified a minimum increment of 2, Application Auto Scaling adds 2"
		// ("Step scaling policies for Application Auto Scaling"). A 0% step is the
		// documented "Unchanged" band, so the minimum does not turn it into a change.
		if m != 0 && abs(delta) < p.MinAdjustmentMagnitude {
			delta = sign * p.MinAdjustmentMagnitude
			how += fmt.Sprintf(", raised to the minimum adjustment magnitude: %s", signedTasks(delta))
		}
		return base + delta, base, how
	default: // ChangeInCapacity
		return base + sign*m, base, signedTasks(sign * m)
	}
}

// percentChange is pct percent of capacity, rounded as Application Auto Scaling rounds a
// PercentChangeInCapacity result ("Step scaling policies for Application Auto Scaling",
// Scaling adjustment types): values greater than 1 are rounded down (12.7 → 12), values
// between 0 and 1 to 1, values between 0 and -1 to -1, and values less than -1 are
// rounded up (-6.67 → -6). Integer division truncates toward zero, which is exactly that
// outside (-1, 1), and keeps the arithmetic exact.
func percentChange(capacity, pct int) int {
	n := capacity * pct
	q := n / 100
	if q == 0 && n != 0 {
		if n > 0 {
			return 1
		}
		return -1
	}
	return q
}

// proportional is the HPA's rule, desiredReplicas = ceil[currentReplicas ×
// (currentMetricValue / desiredMetricValue)], skipped when the ratio is within the
// tolerance of 1.0 ("Horizontal Pod Autoscaling", Algorithm details, Kubernetes
// documentation). The current capacity is capacityBase's, as the HPA sizes from the pods
// its metric came from; the result is an absolute capacity, so the scale-out cooldown
// needs no accounting for it.
//
// Two additions, each off unless the policy sets it:
//   - ScaleOutLeadSeconds: a scale-out sizes for value + slope × lead when the metric is
//     rising, so the tasks it starts cover the demand of the moment they serve;
//   - ScaleInStabilizationWindowSeconds: a scale-in asks for no less than the highest
//     recommendation within the window, this one included, as the HPA's scale-down
//     stabilization (stabilizeRecommendationWithBehaviors in
//     pkg/controller/podautoscaler/horizontal.go). The HPA recommends every 15 s; the
//     workflow only when an alarm is in ALARM. So the window also counts the desired
//     count as recommended while the scale-in alarm has been in ALARM for less than the
//     window (or for an unknown time): before it, the metric was not low enough for a
//     scale-in, and the HPA would have recommended no fewer tasks.
//
// Either way the recommendation recorded is the rule's own answer, before the window,
// the scale limit and the bounds, and the desired count when the ratio is within the
// tolerance, as the HPA records its replica calculator's answer.
func proportional(p Policy, base, from int, o Observation, h History) (proposal, *NotScaledReason) {
	m, now := o.Metric, o.Now
	pr := proposal{base: base}
	if m == nil || !finite(m.Value) {
		return pr, &NotScaledReason{Code: NoMetricValue, Message: "the alarm's datapoint is unknown, so the service cannot be sized to the target"}
	}
	if !(p.TargetValue > 0) || !finite(p.TargetValue) {
		return pr, &NotScaledReason{Code: AlreadyAtDesiredCapacity, Message: fmt.Sprintf("targetValue %v is not a positive number", p.TargetValue)}
	}
	value := m.Value
	if p.Direction == Out && p.ScaleOutLeadSeconds > 0 && m.SlopePerSecond > 0 && finite(m.SlopePerSecond) {
		value += m.SlopePerSecond * float64(p.ScaleOutLeadSeconds)
		pr.reason = fmt.Sprintf("metric %s rising %s a second, %s in %ds; ", formatValue(m.Value),
			strconv.FormatFloat(m.SlopePerSecond, 'g', 3, 64), formatValue(value), p.ScaleOutLeadSeconds)
	}
	ratio := value / p.TargetValue
	pr.reason += fmt.Sprintf("metric %s / target %s = ratio %.2f", formatValue(value), formatValue(p.TargetValue), ratio)
	if math.Abs(ratio-1) <= p.Tolerance {
		pr.recommended = ptr(from)
		return pr, &NotScaledReason{Code: WithinTolerance,
			Message: fmt.Sprintf("%s is within the tolerance %v of 1", pr.reason, p.Tolerance)}
	}
	// Multiplying before dividing keeps exact cases exact (50 × 90 / 75 = 60), and the
	// epsilon keeps a product that is an integer up to rounding error from gaining a task.
	// The cap keeps the conversion to int defined; [min, max] clamps it further.
	f := math.Ceil(float64(base)*value/p.TargetValue - 1e-9)
	f = math.Max(math.Min(f, math.MaxInt32), math.MinInt32)
	pr.target = int(f)
	pr.recommended = ptr(pr.target)
	pr.reason += fmt.Sprintf(": ceil(%d × %.2f) = %s", base, ratio, tasks(pr.target))
	if w := p.ScaleInStabilizationWindowSeconds; p.Direction == In && w > 0 {
		cutoff := now.Add(-time.Duration(w) * time.Second)
		if o.AlarmSince == nil || o.AlarmSince.After(cutoff) {
			if from > pr.target {
				since := "for an unknown time"
				if o.AlarmSince != nil {
					since = fmt.Sprintf("for %s", now.Sub(*o.AlarmSince).Round(time.Second))
				}
				pr.target = from
				pr.stabilized = fmt.Sprintf("the alarm has been in ALARM %s, less than the %ds stabilization window: the desired count %d stands", since, w, from)
				pr.reason += ", held: " + pr.stabilized
			}
		} else if high, raised := highestSince(h.Recommendations, cutoff, pr.target); raised {
			pr.target = high
			pr.stabilized = fmt.Sprintf("the highest recommendation of the last %ds asks for %s", w, tasks(high))
			pr.reason += ", raised: " + pr.stabilized
		}
	}
	if l := p.ScaleLimit; l != nil {
		if allow, how := l.allowance(from); allow > 0 {
			switch {
			case p.Direction == Out && pr.target > from+allow:
				pr.target = from + allow
				pr.reason += fmt.Sprintf(", limited to %s by scaleLimit (%s)", signedTasks(allow), how)
			case p.Direction == In && pr.target < from-allow:
				pr.target = from - allow
				pr.reason += fmt.Sprintf(", limited to %s by scaleLimit (%s)", signedTasks(-allow), how)
			}
		}
	}
	return pr, nil
}

// allowance is how many tasks one step may add or remove from the desired count current.
// The percent is rounded up, as the HPA rounds its Percent policy (so a small service can
// always move by one), and with both limits the larger allowance wins: the HPA's default
// selectPolicy Max, "the policy which allows the highest amount of change".
func (l ScaleLimit) allowance(current int) (int, string) {
	byTasks := l.MaxTasks
	byPercent := 0
	if l.MaxPercent > 0 {
		byPercent = (current*l.MaxPercent + 99) / 100
	}
	switch {
	case l.MaxTasks > 0 && l.MaxPercent > 0:
		return max(byTasks, byPercent), fmt.Sprintf("the larger of %s and %d%% of %d", tasks(byTasks), l.MaxPercent, current)
	case l.MaxPercent > 0:
		return byPercent, fmt.Sprintf("%d%% of %d", l.MaxPercent, current)
	default:
		return byTasks, tasks(byTasks)
	}
}

// cooldownUntil applies the cooldowns. A scale-out waits for the scale-out cooldown, as in
// Application Auto Scaling ("Step scaling policies for Application Auto Scaling", Cooldown
// period), where capacity added during it counts toward the next step (see Plan).
//
// A scale-in waits for its cooldown after the last scaling in either direction. That is
// stricter than Application Auto Scaling, where a scale-out ends a scale-in cooldown and
// nothing stops a scale-in right after a scale-out: shrinking a service that just grew is
// how a pair of alarms flaps, and Kubernetes' HPA holds scale-down back for the same reason
// (a 300 s stabilization window by default). Scale-out is never held back by a scale-in.
func cooldownUntil(p Policy, h History, now time.Time) (bool, time.Time) {
	cooldown := time.Duration(p.CooldownSeconds) * time.Second
	var last *time.Time
	switch p.Direction {
	case Out:
		last = h.LastScaleOutAt
	case In:
		last = h.LastScaleInAt
		if h.LastScaleOutAt != nil && (last == nil || h.LastScaleOutAt.After(*last)) {
			last = h.LastScaleOutAt
		}
	}
	if last == nil || cooldown <= 0 {
		return false, time.Time{}
	}
	until := last.Add(cooldown)
	return now.Before(until), until
}

func (d Decision) notScaled(r NotScaledReason) Decision {
	d.Scale, d.To = false, d.From
	if r.Alarm == "" {
		r.Alarm = d.AlarmName
	}
	d.NotScaledReasons = append(d.NotScaledReasons, r)
	d.Description = fmt.Sprintf("Not scaled: %s.", r.Message)
	if d.Reason == "" {
		d.Reason = r.Message
	}
	return d
}

// formatValue writes a metric value with at least one decimal, "25.0", and as many as it
// needs, "0.125".
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func tasks(n int) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d task", n)
	}
	return fmt.Sprintf("%d tasks", n)
}

func signedTasks(n int) string {
	if n > 0 {
		return "+" + tasks(n)
	}
	return tasks(n)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func ptr(v int) *int { return &v }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
