package scaling

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

func active(desired int) service.Snapshot {
	return service.Snapshot{Status: service.StatusActive, DesiredCount: desired, RunningCount: desired}
}

func counts(desired, running int) service.Snapshot {
	return service.Snapshot{Status: service.StatusActive, DesiredCount: desired, RunningCount: running}
}

func metric(value, threshold float64) *MetricValue {
	return &MetricValue{Value: value, Threshold: threshold}
}

func f(v float64) *float64 { return &v }

// want is what a planning test expects: scale or not, the new count, and the reason code.
type want struct {
	scale  bool
	to     int
	reason string
}

func check(t *testing.T, d Decision, o Observation, w want) {
	t.Helper()
	if d.Scale != w.scale || d.To != w.to {
		t.Fatalf("Plan() = scale %v to %d, want scale %v to %d (%+v)", d.Scale, d.To, w.scale, w.to, d)
	}
	if d.From != o.Service.DesiredCount {
		t.Errorf("From = %d, want %d", d.From, o.Service.DesiredCount)
	}
	if d.Reason == "" || d.Description == "" {
		t.Errorf("decision without reason or description: %+v", d)
	}
	if w.reason == "" {
		if len(d.NotScaledReasons) != 0 {
			t.Errorf("unexpected not-scaled reasons %+v", d.NotScaledReasons)
		}
		return
	}
	if len(d.NotScaledReasons) != 1 || d.NotScaledReasons[0].Code != w.reason {
		t.Fatalf("NotScaledReasons = %+v, want one %s", d.NotScaledReasons, w.reason)
	}
	if d.NotScaledReasons[0].Message == "" {
		t.Errorf("reason without message: %+v", d)
	}
}

func TestPlan(t *testing.T) {
	out := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 5, Direction: Out, Adjustment: 2, CooldownSeconds: 300}
	in := out
	in.AlarmName, in.Direction, in.Adjustment = "low", In, 1

	tests := []struct {
		name    string
		policy  Policy
		svc     service.Snapshot
		history History
		want    want
	}{
		{"scale out by the step", out, active(1), History{}, want{true, 3, ""}},
		{"scale out clamped to max", out, active(4), History{}, want{true, 5, ""}},
		{"already at max", out, active(5), History{}, want{false, 5, AlreadyAtMaxCapacity}},
		{"above max never scales out", out, active(7), History{}, want{false, 7, AlreadyAtMaxCapacity}},
		{"below min scales out at least to min", Policy{MinCapacity: 4, MaxCapacity: 9, Direction: Out, Adjustment: 1}, active(0), History{}, want{true, 4, ""}},
		{"scale in by the step", in, active(3), History{}, want{true, 2, ""}},
		{"scale in down to min", Policy{MinCapacity: 2, MaxCapacity: 9, Direction: In, Adjustment: 5}, active(4), History{}, want{true, 2, ""}},
		{"already at min", in, active(1), History{}, want{false, 1, AlreadyAtMinCapacity}},
		{"below min never scales in", in, active(0), History{}, want{false, 0, AlreadyAtMinCapacity}},
		{"above max scales in to max", Policy{MinCapacity: 1, MaxCapacity: 5, Direction: In, Adjustment: 1}, active(9), History{}, want{true, 5, ""}},
		{"scale-out cooldown without the previous capacity blocks scale-out", out, active(2), History{LastScaleOutAt: ago(time.Minute)}, want{false, 2, CooldownActive}},
		{"scale-out cooldown over", out, active(2), History{LastScaleOutAt: ago(5 * time.Minute)}, want{true, 4, ""}},
		{"scale-in cooldown does not block scale-out", out, active(2), History{LastScaleInAt: ago(time.Second)}, want{true, 4, ""}},
		{"scale-in cooldown blocks scale-in", in, active(3), History{LastScaleInAt: ago(time.Minute)}, want{false, 3, CooldownActive}},
		{"a later scale-out restarts the scale-in cooldown", in, active(3), History{LastScaleInAt: ago(10 * time.Minute), LastScaleOutAt: ago(time.Minute)}, want{false, 3, CooldownActive}},
		{"scale-in waits its cooldown after a scale-out (anti-flapping)", in, active(3), History{LastScaleOutAt: ago(time.Second), LastScaleOutFrom: ptr(2)}, want{false, 3, CooldownActive}},
		{"scale-in after both cooldowns ran out", in, active(3), History{LastScaleInAt: ago(20 * time.Minute), LastScaleOutAt: ago(10 * time.Minute)}, want{true, 2, ""}},
		{"zero cooldown never blocks", Policy{MinCapacity: 1, MaxCapacity: 5, Direction: Out, Adjustment: 1}, active(2), History{LastScaleOutAt: ago(0)}, want{true, 3, ""}},
		{"capacity reason wins over cooldown", out, active(5), History{LastScaleOutAt: ago(time.Second)}, want{false, 5, AlreadyAtMaxCapacity}},
		{"draining service is not scaled", out, service.Snapshot{Status: service.StatusDraining, DesiredCount: 1}, History{}, want{false, 1, ServiceNotActive}},
		{"unknown status is not scaled", out, service.Snapshot{DesiredCount: 1}, History{}, want{false, 1, ServiceNotActive}},
		{"scale-out suspended", out, active(2), History{SuspendedOut: true}, want{false, 2, ScalingSuspended}},
		{"scale-in suspension does not stop scale-out", out, active(2), History{SuspendedIn: true}, want{true, 4, ""}},
		{"scale-in suspended", in, active(3), History{SuspendedIn: true}, want{false, 3, ScalingSuspended}},
		{"unknown direction", Policy{MinCapacity: 1, MaxCapacity: 5, Direction: "up", Adjustment: 1}, active(2), History{}, want{false, 2, AlreadyAtDesiredCapacity}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: tt.svc, History: tt.history, Now: now}
			check(t, Plan(tt.policy, o), o, tt.want)
		})
	}
}

// TestPlanCheckOrder pins which reason wins when several apply: service state, then
// suspension, then the deployment guard, then the computation, bounds, cooldown and no-op.
// (A scale-out alarm in ALARM holding a scale-in back is Decide's rule: TestDecide.)
func TestPlanCheckOrder(t *testing.T) {
	in := Policy{MinCapacity: 1, MaxCapacity: 10, Direction: In, Adjustment: 1, CooldownSeconds: 300}
	out := in
	out.Direction = Out
	deploying := active(5)
	deploying.Deployments = []service.Deployment{
		{Status: service.DeploymentPrimary, RolloutState: service.RolloutInProgress},
		{Status: "ACTIVE", RolloutState: service.RolloutCompleted},
	}
	draining := deploying
	draining.Status = service.StatusDraining
	stepIn := in
	stepIn.StepAdjustments = []StepAdjustment{{MetricIntervalUpperBound: f(0), ScalingAdjustment: 1}}
	cooledIn := History{LastScaleInAt: ago(time.Minute)}

	tests := []struct {
		name    string
		policy  Policy
		svc     service.Snapshot
		history History
		metric  *MetricValue
		want    want
	}{
		{"inactive wins over everything", in, draining, History{SuspendedIn: true}, nil, want{false, 5, ServiceNotActive}},
		{"suspension wins over the deployment guard", in, deploying, History{SuspendedIn: true}, nil, want{false, 5, ScalingSuspended}},
		{"a deployment blocks scale-in", in, deploying, cooledIn, nil, want{false, 5, DeploymentInProgress}},
		{"a deployment does not block scale-out", out, deploying, History{}, nil, want{true, 6, ""}},
		{"no metric for a step policy", stepIn, active(1), cooledIn, nil, want{false, 1, NoMetricValue}},
		{"bounds win over cooldown", stepIn, active(1), cooledIn, metric(10, 30), want{false, 1, AlreadyAtMinCapacity}},
		{"cooldown after bounds", stepIn, active(5), cooledIn, metric(10, 30), want{false, 5, CooldownActive}},
		{"scales once nothing blocks", stepIn, active(5), History{}, metric(10, 30), want{true, 4, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: tt.svc, History: tt.history, Metric: tt.metric, Now: now}
			check(t, Plan(tt.policy, o), o, tt.want)
		})
	}
}

// TestPlanCountsFromRunningTasks checks the capacity base: the running count on the side
// that makes the step smaller, and never a result that undercuts desiredCount.
func TestPlanCountsFromRunningTasks(t *testing.T) {
	out := Policy{MinCapacity: 1, MaxCapacity: 50, Direction: Out, Adjustment: 2}
	in := Policy{MinCapacity: 1, MaxCapacity: 50, Direction: In, Adjustment: 1}
	pctOut := Policy{MinCapacity: 1, MaxCapacity: 50, Direction: Out, AdjustmentType: PercentChangeInCapacity, Adjustment: 50}
	tests := []struct {
		name   string
		policy Policy
		svc    service.Snapshot
		want   want
		base   int
	}{
		{"tasks still starting: the step is counted from the running ones", out, counts(10, 6), want{false, 10, AlreadyAtDesiredCapacity}, 6},
		{"a step larger than the shortfall scales out", Policy{MinCapacity: 1, MaxCapacity: 50, Direction: Out, Adjustment: 6}, counts(10, 6), want{true, 12, ""}, 6},
		{"percent of the running tasks", pctOut, counts(10, 8), want{true, 12, ""}, 8},
		{"deployment surge: scale-out counts from desired", out, counts(4, 8), want{true, 6, ""}, 4},
		{"tasks still stopping: scale-in waits for them", in, counts(10, 12), want{false, 10, AlreadyAtDesiredCapacity}, 12},
		{"tasks still starting: scale-in counts from desired", in, counts(10, 6), want{true, 9, ""}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: tt.svc, Now: now}
			d := Plan(tt.policy, o)
			check(t, d, o, tt.want)
			if d.Base != tt.base {
				t.Errorf("Base = %d, want %d", d.Base, tt.base)
			}
		})
	}
}

func TestPlanExactCapacity(t *testing.T) {
	out := Policy{MinCapacity: 2, MaxCapacity: 20, Direction: Out, AdjustmentType: ExactCapacity, Adjustment: 8}
	in := out
	in.Direction, in.Adjustment = In, 3
	tests := []struct {
		name   string
		policy Policy
		svc    service.Snapshot
		want   want
	}{
		{"sets the capacity", out, active(3), want{true, 8, ""}},
		{"an out alarm never lowers the capacity", out, active(10), want{false, 10, AlreadyAtDesiredCapacity}},
		{"already there", out, active(8), want{false, 8, AlreadyAtDesiredCapacity}},
		{"an in alarm lowers it", in, active(10), want{true, 3, ""}},
		{"an in alarm never raises it", in, active(2), want{false, 2, AlreadyAtMinCapacity}},
		{"clamped to the range", Policy{MinCapacity: 2, MaxCapacity: 6, Direction: Out, AdjustmentType: ExactCapacity, Adjustment: 8}, active(3), want{true, 6, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: tt.svc, Now: now}
			check(t, Plan(tt.policy, o), o, tt.want)
		})
	}
}

func TestPlanDryRun(t *testing.T) {
	p := Policy{MinCapacity: 1, MaxCapacity: 5, Direction: Out, Adjustment: 1, DryRun: true}
	o := Observation{Service: active(2), Now: now}
	d := Plan(p, o)
	if !d.Scale || !d.DryRun || d.To != 3 || !strings.HasPrefix(d.Description, "Dry run:") {
		t.Errorf("dry run decision = %+v, want Scale and DryRun to 3 with a dry-run description", d)
	}
	o.Service = active(5)
	if d := Plan(p, o); d.Scale || !d.DryRun || len(d.NotScaledReasons) != 1 {
		t.Errorf("dry run at max = %+v, want not scaled, DryRun, one reason", d)
	}
}

func TestPlanReason(t *testing.T) {
	p := Policy{MinCapacity: 1, MaxCapacity: 20, Direction: Out, StepAdjustments: []StepAdjustment{
		{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(20), ScalingAdjustment: 1},
		{MetricIntervalLowerBound: f(20), ScalingAdjustment: 3},
	}}
	o := Observation{Service: active(4), Metric: metric(75, 50), Now: now}
	d := Plan(p, o)
	if want := "breach 25.0 above threshold falls in step [20, +inf): +3 tasks"; d.Reason != want {
		t.Errorf("Reason = %q, want %q", d.Reason, want)
	}
	if d.Step == nil || d.Step.ScalingAdjustment != 3 || d.To != 7 || d.Base != 4 {
		t.Errorf("decision = %+v, want the [20, +inf) step from base 4 to 7", d)
	}
	o.Service = counts(4, 3)
	if d := Plan(p, o); !strings.Contains(d.Reason, "counted from the 3 running tasks") {
		t.Errorf("Reason = %q, want it to say the step counts from the running tasks", d.Reason)
	}
}

func TestStepAdjustmentInterval(t *testing.T) {
	tests := []struct {
		step  StepAdjustment
		above bool
		want  string
	}{
		{StepAdjustment{MetricIntervalLowerBound: f(20)}, true, "[20, +inf)"},
		{StepAdjustment{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10.5)}, true, "[0, 10.5)"},
		{StepAdjustment{MetricIntervalUpperBound: f(-20)}, false, "(-inf, -20]"},
		{StepAdjustment{MetricIntervalLowerBound: f(-20), MetricIntervalUpperBound: f(-10)}, false, "(-20, -10]"},
	}
	for _, tt := range tests {
		if got := tt.step.Interval(tt.above); got != tt.want {
			t.Errorf("Interval() = %q, want %q", got, tt.want)
		}
	}
}

// TestPolicyJSONIsBackwardCompatible decodes an execution input written before the new
// fields existed: it must plan as it did, a ChangeInCapacity step.
func TestPolicyJSONIsBackwardCompatible(t *testing.T) {
	old := `{"alarmName":"high","minCapacity":1,"maxCapacity":5,"direction":"out","adjustment":2,
		"cooldownSeconds":60,"stabilizationTimeoutSeconds":600,"pollIntervalSeconds":15}`
	var p Policy
	if err := json.Unmarshal([]byte(old), &p); err != nil {
		t.Fatal(err)
	}
	o := Observation{Service: active(1), Now: now}
	check(t, Plan(p, o), o, want{true, 3, ""})

	b, err := json.Marshal(Plan(p, o))
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"scale":true`, `"from":1`, `"to":3`, `"base":1`, `"reason":"simple scale-out step: +2 tasks"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("decision JSON %s lacks %s", b, field)
		}
	}
}

// adjustmentPolicies are one policy of each kind, for the invariants and the benchmarks.
func adjustmentPolicies(minC, maxC, adj int, dir Direction) map[string]Policy {
	base := Policy{MinCapacity: minC, MaxCapacity: maxC, Direction: dir, CooldownSeconds: 300}
	change, pct, exact, steps, ratio := base, base, base, base, base
	change.AdjustmentType, change.Adjustment = ChangeInCapacity, adj
	pct.AdjustmentType, pct.Adjustment, pct.MinAdjustmentMagnitude = PercentChangeInCapacity, adj*15, adj%3
	exact.AdjustmentType, exact.Adjustment = ExactCapacity, adj
	steps.AdjustmentType = PercentChangeInCapacity
	steps.StepAdjustments = []StepAdjustment{
		{MetricIntervalUpperBound: f(-20), ScalingAdjustment: 30},
		{MetricIntervalLowerBound: f(-20), MetricIntervalUpperBound: f(0), ScalingAdjustment: 10},
		{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: 0},
		{MetricIntervalLowerBound: f(10), MetricIntervalUpperBound: f(20), ScalingAdjustment: 10 * adj},
		{MetricIntervalLowerBound: f(20), ScalingAdjustment: 30 * adj},
	}
	ratio.AdjustmentType, ratio.TargetValue, ratio.Tolerance = TargetRatio, 50, 0.1
	if adj%2 == 0 {
		ratio.ScaleLimit = &ScaleLimit{MaxTasks: adj, MaxPercent: 50}
	}
	return map[string]Policy{"ChangeInCapacity": change, "PercentChangeInCapacity": pct,
		"ExactCapacity": exact, "StepAdjustments": steps, "TargetRatio": ratio}
}

// TestPlanInvariants checks the safety invariants over a grid of policies of every
// adjustment type, counts, metrics and cooldown states: a scaling decision lands in
// [min, max] and moves in the alarm's direction from the current desiredCount, and a
// non-scaling decision says why and leaves To == From.
func TestPlanInvariants(t *testing.T) {
	histories := []History{
		{},
		{LastScaleOutAt: ago(time.Minute), LastScaleOutFrom: ptr(2)},
		{LastScaleOutAt: ago(time.Minute)},
		{LastScaleInAt: ago(time.Minute)},
	}
	metrics := []*MetricValue{nil, metric(0, 50), metric(35, 50), metric(50, 50), metric(58, 50), metric(65, 50), metric(200, 50)}
	scaled, blocked := map[string]int{}, map[string]int{}
	for minC := 0; minC <= 3; minC++ {
		for maxC := max(minC, 1); maxC <= 6; maxC++ {
			for adj := 1; adj <= 7; adj += 2 {
				for _, dir := range []Direction{Out, In} {
					for kind, p := range adjustmentPolicies(minC, maxC, adj, dir) {
						for desired := 0; desired <= 8; desired++ {
							for _, running := range []int{desired, max(desired-2, 0), desired + 2} {
								for _, h := range histories {
									for _, m := range metrics {
										o := Observation{Service: counts(desired, running), History: h, Metric: m, Now: now}
										d := Plan(p, o)
										if d.From != desired {
											t.Fatalf("%s %+v %+v: From %d, want %d", kind, p, o, d.From, desired)
										}
										if d.Scale {
											scaled[kind]++
										} else {
											blocked[kind]++
										}
										if d.Scale {
											if d.To < minC || d.To > maxC {
												t.Fatalf("%s %+v %+v: To %d outside [%d, %d]", kind, p, o, d.To, minC, maxC)
											}
											if (dir == Out && d.To <= desired) || (dir == In && d.To >= desired) {
												t.Fatalf("%s %+v %+v: To %d against the direction from %d", kind, p, o, d.To, desired)
											}
											if len(d.NotScaledReasons) != 0 {
												t.Fatalf("%s %+v %+v: scaled with reasons %+v", kind, p, o, d.NotScaledReasons)
											}
										} else if len(d.NotScaledReasons) == 0 || d.To != desired {
											t.Fatalf("%s %+v %+v: not scaled without reason or with To changed: %+v", kind, p, o, d)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	// The grid must exercise both outcomes of every kind, or it proves little.
	for kind := range adjustmentPolicies(0, 1, 1, Out) {
		if scaled[kind] == 0 || blocked[kind] == 0 {
			t.Errorf("%s: %d scaling and %d blocked decisions; want both", kind, scaled[kind], blocked[kind])
		}
	}
	t.Logf("scaling decisions %v, blocked %v", scaled, blocked)
}

func BenchmarkPlan(b *testing.B) {
	last := now.Add(-time.Hour)
	o := Observation{Service: counts(10, 9), History: History{LastScaleOutAt: &last, LastScaleOutFrom: ptr(8)},
		Metric: metric(75, 50), Now: now}
	policies := adjustmentPolicies(1, 50, 2, Out)
	for _, kind := range []string{"ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity", "StepAdjustments", "TargetRatio"} {
		p := policies[kind]
		if kind == "ExactCapacity" {
			p.Adjustment = 20
		}
		b.Run(kind, func(b *testing.B) {
			if d := Plan(p, o); !d.Scale {
				b.Fatalf("benchmark policy does not scale: %+v", d)
			}
			b.ReportAllocs()
			for b.Loop() {
				Plan(p, o)
			}
		})
	}
}

func TestPolicySummary(t *testing.T) {
	tests := []struct {
		policy Policy
		want   string
	}{
		{Policy{Direction: Out, Adjustment: 2}, "+2 tasks"},
		{Policy{Direction: In, Adjustment: 1}, "-1 task"},
		{Policy{Direction: In, AdjustmentType: PercentChangeInCapacity, Adjustment: 20, MinAdjustmentMagnitude: 1}, "-20% (at least 1 task)"},
		{Policy{Direction: Out, AdjustmentType: ExactCapacity, Adjustment: 5}, "to exactly 5 tasks"},
		{Policy{Direction: Out, StepAdjustments: []StepAdjustment{
			{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: 1},
			{MetricIntervalLowerBound: f(10), ScalingAdjustment: 3},
		}}, "steps [0, 10): +1 task; [10, +inf): +3 tasks"},
		{Policy{Direction: In, AdjustmentType: PercentChangeInCapacity, StepAdjustments: []StepAdjustment{
			{MetricIntervalUpperBound: f(-20), ScalingAdjustment: 30},
			{MetricIntervalLowerBound: f(-20), MetricIntervalUpperBound: f(0), ScalingAdjustment: 10},
		}}, "steps (-inf, -20]: -30%; (-20, 0]: -10%"},
		{Policy{Direction: Out, AdjustmentType: TargetRatio, TargetValue: 50, Tolerance: 0.1, ScaleLimit: &ScaleLimit{MaxTasks: 10, MaxPercent: 100}},
			"to ceil(current × metric / 50), tolerance 0.1, at most the larger of 10 tasks and 100% a step"},
		{Policy{Direction: In, AdjustmentType: TargetRatio, TargetValue: 70, Tolerance: 0.1, MetricAggregationType: "Maximum", ScaleInStabilizationWindowSeconds: 300},
			"to ceil(current × highest datapoint / 70), tolerance 0.1, no lower than the highest recommendation of the last 300s"},
		{Policy{Direction: Out, AdjustmentType: TargetRatio, TargetValue: 70, Tolerance: 0.1, MetricAggregationType: "Minimum"},
			"to ceil(current × lowest datapoint / 70), tolerance 0.1"},
	}
	for _, tt := range tests {
		if got := tt.policy.Summary(); got != tt.want {
			t.Errorf("Summary() = %q, want %q", got, tt.want)
		}
	}
}
