package scaling

import (
	"testing"
	"time"
)

// The tests in this file reproduce the worked examples of the documentation Stepscaler's
// rules come from, number for number.

// TestAASStepAdjustmentsExample reproduces the step adjustments example of
// "Step scaling policies for Application Auto Scaling", Application Auto Scaling User Guide,
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html
// ("Step adjustments"): current and desired capacity 10, an alarm threshold of 50,
// PercentChangeInCapacity, a scale-out policy of [0, 10) 0, [10, 20) +10%, [20, +inf) +30%
// and a scale-in policy of (-10, 0] 0, (-20, -10] -10%, (-inf, -20] -30%. The page walks
// 10 → 11 at 60, 11 → 14 at 70 ("30 percent of 11, 3.3, rounded down to 3"), 14 → 13 at 40
// ("10 percent of 14, 1.4, rounded down to 1") and 13 → 10 at 30 ("30 percent of 13, 3.9,
// rounded down to 3"), and keeps the capacity between 40 and 60.
func TestAASStepAdjustmentsExample(t *testing.T) {
	out := Policy{MinCapacity: 1, MaxCapacity: 100, Direction: Out, AdjustmentType: PercentChangeInCapacity,
		StepAdjustments: []StepAdjustment{
			{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: 0},
			{MetricIntervalLowerBound: f(10), MetricIntervalUpperBound: f(20), ScalingAdjustment: 10},
			{MetricIntervalLowerBound: f(20), ScalingAdjustment: 30},
		}}
	// The page's scale-in adjustments are -10 and -30; Stepscaler's are magnitudes and
	// the direction signs them.
	in := Policy{MinCapacity: 1, MaxCapacity: 100, Direction: In, AdjustmentType: PercentChangeInCapacity,
		StepAdjustments: []StepAdjustment{
			{MetricIntervalLowerBound: f(-10), MetricIntervalUpperBound: f(0), ScalingAdjustment: 0},
			{MetricIntervalLowerBound: f(-20), MetricIntervalUpperBound: f(-10), ScalingAdjustment: 10},
			{MetricIntervalUpperBound: f(-20), ScalingAdjustment: 30},
		}}
	tests := []struct {
		name    string
		policy  Policy
		current int
		value   float64
		want    want
	}{
		{"metric reaches 60: +10% of 10", out, 10, 60, want{true, 11, ""}},
		{"metric rises to 70: +30% of 11 = 3.3, rounded down", out, 11, 70, want{true, 14, ""}},
		{"metric falls to 40: -10% of 14 = -1.4, rounded up", in, 14, 40, want{true, 13, ""}},
		{"metric falls to 30: -30% of 13 = -3.9, rounded up", in, 13, 30, want{true, 10, ""}},
		{"between 40 and 60 the scale-out policy leaves it", out, 10, 59.9, want{false, 10, AlreadyAtDesiredCapacity}},
		{"between 40 and 60 the scale-in policy leaves it", in, 10, 40.1, want{false, 10, AlreadyAtDesiredCapacity}},
		{"exactly at the threshold, scale-out side: [0, 10) applies", out, 10, 50, want{false, 10, AlreadyAtDesiredCapacity}},
		{"exactly at the threshold, scale-in side: (-10, 0] applies", in, 10, 50, want{false, 10, AlreadyAtDesiredCapacity}},
		{"above the threshold the lower bound is inclusive: 60 is in [10, 20)", out, 10, 60, want{true, 11, ""}},
		{"above the threshold the upper bound is exclusive: 80 is in [20, +inf)", out, 10, 80, want{true, 13, ""}},
		{"below the threshold the upper bound is inclusive: 30 is in (-inf, -20]", in, 10, 30, want{true, 7, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: active(tt.current), Metric: metric(tt.value, 50), Now: now}
			check(t, Plan(tt.policy, o), o, tt.want)
		})
	}
}

// TestAASPercentRounding reproduces the rounding note of "Step scaling policies for
// Application Auto Scaling" ("Scaling adjustment types"),
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html:
// values greater than 1 are rounded down (12.7 → 12), values between 0 and 1 to 1
// (.67 → 1), values between 0 and -1 to -1 (-.58 → -1), values less than -1 rounded up
// (-6.67 → -6); and its example "If the current capacity is 10 and the adjustment is 10
// percent, then Application Auto Scaling adds 1".
func TestAASPercentRounding(t *testing.T) {
	tests := []struct {
		capacity, pct, want int
	}{
		{127, 10, 12}, // 12.7
		{67, 1, 1},    // .67
		{58, -1, -1},  // -.58
		{667, -1, -6}, // -6.67
		{10, 10, 1},   // the page's example
		{10, -100, -10},
		{0, 50, 0},
	}
	for _, tt := range tests {
		if got := percentChange(tt.capacity, tt.pct); got != tt.want {
			t.Errorf("percentChange(%d, %d%%) = %d, want %d", tt.capacity, tt.pct, got, tt.want)
		}
	}
	p := Policy{MinCapacity: 0, MaxCapacity: 1000, Direction: Out, AdjustmentType: PercentChangeInCapacity, Adjustment: 10}
	o := Observation{Service: active(127), Now: now}
	check(t, Plan(p, o), o, want{true, 139, ""})
	p.Direction, p.Adjustment = In, 1
	o.Service = active(667)
	check(t, Plan(p, o), o, want{true, 661, ""})
}

// TestAASMinAdjustmentMagnitude reproduces the MinAdjustmentMagnitude example of
// "StepScalingPolicyConfiguration", Application Auto Scaling API Reference,
// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html:
// "scale out an Amazon ECS service by 25 percent and you specify a MinAdjustmentMagnitude
// of 2. If the service has 4 tasks ... 25 percent of 4 is 1. However, because you specified
// a MinAdjustmentMagnitude of 2, Application Auto Scaling scales out the service by 2 tasks."
func TestAASMinAdjustmentMagnitude(t *testing.T) {
	p := Policy{MinCapacity: 1, MaxCapacity: 20, Direction: Out, AdjustmentType: PercentChangeInCapacity,
		Adjustment: 25, MinAdjustmentMagnitude: 2}
	o := Observation{Service: active(4), Now: now}
	check(t, Plan(p, o), o, want{true, 6, ""})

	p.Direction = In
	o.Service = active(8)
	check(t, Plan(p, o), o, want{true, 6, ""}) // 25% of 8 is 2 already

	// A 0% step is the documented "Unchanged" band: the minimum does not make it move.
	p.Direction, p.Adjustment = Out, 0
	p.StepAdjustments = []StepAdjustment{{MetricIntervalLowerBound: f(0), ScalingAdjustment: 0}}
	o = Observation{Service: active(4), Metric: metric(55, 50), Now: now}
	check(t, Plan(p, o), o, want{false, 4, AlreadyAtDesiredCapacity})
}

// TestAASScaleOutCooldown reproduces the cooldown example of "Step scaling policies for
// Application Auto Scaling" ("Cooldown period"),
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html:
// an alarm scales out by 2 and a cooldown starts; "If the alarm triggers again during the
// cooldown period but at a more aggressive step adjustment of 3, the previous increase of
// 2 is considered part of the current capacity. Therefore, only 1 is added", and "The
// scaling policy won't increase the desired capacity again unless either a larger scale
// out is triggered or the cooldown period ends". Scale-in is blocked during its own
// cooldown, which a scale-out ends ("the cooldown period for the scale-in activity stops").
func TestAASScaleOutCooldown(t *testing.T) {
	steps := func(adj int) Policy {
		return Policy{MinCapacity: 1, MaxCapacity: 50, Direction: Out, CooldownSeconds: 300,
			StepAdjustments: []StepAdjustment{
				{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(20), ScalingAdjustment: 2},
				{MetricIntervalLowerBound: f(20), ScalingAdjustment: adj},
			}}
	}
	// The first scale-out took the service from 10 to 12 a minute ago.
	cooling := History{LastScaleOutAt: ago(time.Minute), LastScaleOutFrom: ptr(10)}
	cooled := History{LastScaleOutAt: ago(10 * time.Minute), LastScaleOutFrom: ptr(10)}
	tests := []struct {
		name    string
		policy  Policy
		history History
		value   float64
		want    want
		base    int
	}{
		{"a more aggressive step of 3 adds only 1", steps(3), cooling, 80, want{true, 13, ""}, 10},
		{"the same step of 2 adds nothing", steps(3), cooling, 60, want{false, 12, CooldownActive}, 10},
		{"a smaller step adds nothing", steps(1), cooling, 80, want{false, 12, CooldownActive}, 10},
		{"after the cooldown the step counts from now", steps(3), cooled, 80, want{true, 15, ""}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: active(12), History: tt.history, Metric: metric(tt.value, 50), Now: now}
			d := Plan(tt.policy, o)
			check(t, d, o, tt.want)
			if d.Base != tt.base {
				t.Errorf("Base = %d, want %d", d.Base, tt.base)
			}
		})
	}

	// Absolute capacities need no accounting: a larger one scales out, others wait.
	exact := Policy{MinCapacity: 1, MaxCapacity: 50, Direction: Out, CooldownSeconds: 300, AdjustmentType: ExactCapacity, Adjustment: 15}
	o := Observation{Service: active(12), History: cooling, Now: now}
	check(t, Plan(exact, o), o, want{true, 15, ""})
	exact.Adjustment = 11
	check(t, Plan(exact, o), o, want{false, 12, CooldownActive})
}

// TestHPAAlgorithmExamples reproduces "Horizontal Pod Autoscaling", Kubernetes
// documentation, https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
// ("Algorithm details"): desiredReplicas = ceil[currentReplicas × (currentMetricValue /
// desiredMetricValue)]; "if the current metric value is 200m, and the desired value is
// 100m, the number of replicas will be doubled ... If the current value is instead 50m,
// you'll halve the number of replicas"; "The control plane skips any scaling action if the
// ratio is sufficiently close to 1.0 (within a globally-configurable tolerance, 0.1 by
// default)". The 50-replica case (90% against a 75% target → 60) is from "Kubernetes v1.33:
// HorizontalPodAutoscaler Configurable Tolerance", Kubernetes blog,
// https://kubernetes.io/blog/2025/04/28/kubernetes-v1-33-hpa-configurable-tolerance/.
func TestHPAAlgorithmExamples(t *testing.T) {
	ratio := func(dir Direction, target float64) Policy {
		return Policy{MinCapacity: 1, MaxCapacity: 100, Direction: dir, AdjustmentType: TargetRatio, TargetValue: target, Tolerance: 0.1}
	}
	tests := []struct {
		name    string
		policy  Policy
		current int
		value   float64
		want    want
	}{
		{"200m against 100m doubles", ratio(Out, 0.1), 4, 0.2, want{true, 8, ""}},
		{"50m against 100m halves", ratio(In, 0.1), 8, 0.05, want{true, 4, ""}},
		{"a ratio of 1.05 is within the tolerance", ratio(Out, 0.1), 4, 0.105, want{false, 4, WithinTolerance}},
		{"a ratio of 0.95 is within the tolerance", ratio(In, 0.1), 4, 0.095, want{false, 4, WithinTolerance}},
		{"a ratio of 1.2 is not", ratio(Out, 0.1), 10, 0.12, want{true, 12, ""}},
		{"50 replicas at 90% against 75% → 60", ratio(Out, 75), 50, 90, want{true, 60, ""}},
		{"ceil rounds a scale-out up", ratio(Out, 100), 3, 150, want{true, 5, ""}},
		{"ceil rounds a scale-in up too (conservative)", ratio(In, 100), 3, 40, want{true, 2, ""}},
		{"an out alarm never scales in", ratio(Out, 0.1), 8, 0.05, want{false, 8, AlreadyAtDesiredCapacity}},
		{"an in alarm never scales out", ratio(In, 0.1), 4, 0.2, want{false, 4, AlreadyAtDesiredCapacity}},
		{"clamped to max", ratio(Out, 10), 60, 50, want{true, 100, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: active(tt.current), Metric: metric(tt.value, 0), Now: now}
			check(t, Plan(tt.policy, o), o, tt.want)
		})
	}

	p := ratio(Out, 0.1)
	o := Observation{Service: active(4), Now: now}
	check(t, Plan(p, o), o, want{false, 4, NoMetricValue})
	p.Tolerance = 0
	o.Metric = metric(0.101, 0)
	check(t, Plan(p, o), o, want{true, 5, ""})
}

// TestHPAScalingPolicyExamples reproduces the scaling policies of "Horizontal Pod
// Autoscaling" ("Configurable scaling behavior"), Kubernetes documentation,
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/: with a Pods
// policy of 4 and a Percent policy of 10, "the policy which allows the highest amount of
// change is selected ... if there are 80 replicas and the target has to be scaled down to
// 10 replicas then during the first step 8 replicas will be reduced. In the next iteration
// when the number of replicas is 72, 10% of the pods is 7.2 but the number is rounded up to
// 8 ... When the number of replicas falls below 40 the first policy (Pods) is applied and 4
// replicas will be reduced at a time". The default scale-up behaviour allows "4 pods or a
// 100% of the currently running replicas", whichever is more.
func TestHPAScalingPolicyExamples(t *testing.T) {
	down := Policy{MinCapacity: 1, MaxCapacity: 100, Direction: In, AdjustmentType: TargetRatio,
		TargetValue: 100, Tolerance: 0.1, ScaleLimit: &ScaleLimit{MaxTasks: 4, MaxPercent: 10}}
	up := Policy{MinCapacity: 1, MaxCapacity: 100, Direction: Out, AdjustmentType: TargetRatio,
		TargetValue: 100, Tolerance: 0.1, ScaleLimit: &ScaleLimit{MaxTasks: 4, MaxPercent: 100}}
	tests := []struct {
		name    string
		policy  Policy
		current int
		value   float64
		want    want
	}{
		// A value of 12.5 against 100 asks 80 replicas for 10.
		{"80 replicas: 10% (8) beats 4", down, 80, 12.5, want{true, 72, ""}},
		{"72 replicas: 10% is 7.2, rounded up to 8", down, 72, 12.5, want{true, 64, ""}},
		{"40 replicas: both allow 4", down, 40, 12.5, want{true, 36, ""}},
		{"below 40 the Pods policy applies", down, 30, 12.5, want{true, 26, ""}},
		{"the limit does not slow a small step", down, 30, 88, want{true, 27, ""}},
		{"scale-up of 2: 4 pods beats 100%", up, 2, 1000, want{true, 6, ""}},
		{"scale-up of 10: 100% beats 4 pods", up, 10, 1000, want{true, 20, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: active(tt.current), Metric: metric(tt.value, 0), Now: now}
			check(t, Plan(tt.policy, o), o, tt.want)
		})
	}
	only := up
	only.ScaleLimit = &ScaleLimit{MaxPercent: 50}
	o := Observation{Service: active(3), Metric: metric(1000, 0), Now: now}
	check(t, Plan(only, o), o, want{true, 5, ""}) // 50% of 3 = 1.5, rounded up to 2
	only.ScaleLimit = &ScaleLimit{MaxTasks: 1}
	check(t, Plan(only, o), o, want{true, 4, ""})
}
