package scaling

import (
	"math"
	"strings"
	"testing"
	"time"
)

func at(d time.Duration) time.Time { return now.Add(d) }

func TestSlope(t *testing.T) {
	tests := []struct {
		name   string
		points []TimedValue
		want   float64
		ok     bool
	}{
		// 10, 20, 30 at 10 s apart: a straight line rising 1 a second.
		{"a straight line", []TimedValue{{at(0), 10}, {at(10 * time.Second), 20}, {at(20 * time.Second), 30}}, 1, true},
		// t̄ = 60, v̄ = 4: Σ(t−t̄)(v−v̄) = (−60)(−4) + 0 + 60×2 = 360, Σ(t−t̄)² = 7200.
		{"least squares through a bend", []TimedValue{{at(0), 0}, {at(time.Minute), 6}, {at(2 * time.Minute), 6}}, 0.05, true},
		{"falling", []TimedValue{{at(0), 30}, {at(30 * time.Second), 0}}, -1, true},
		{"flat", []TimedValue{{at(0), 5}, {at(time.Minute), 5}}, 0, true},
		{"one point", []TimedValue{{at(0), 5}}, 0, false},
		{"no spread in time", []TimedValue{{at(0), 5}, {at(0), 7}}, 0, false},
		{"not a number", []TimedValue{{at(0), 5}, {at(time.Minute), math.NaN()}}, 0, false},
	}
	for _, tt := range tests {
		got, ok := Slope(tt.points)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: Slope = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKeepRecommendations(t *testing.T) {
	kept := []Recommendation{{at(-400 * time.Second), 9}, {at(-300 * time.Second), 8}, {at(-100 * time.Second), 7}}
	got := KeepRecommendations(kept, Recommendation{now, 5}, 300*time.Second)
	// 400 s old is outside the window; exactly 300 s old is too (the HPA keeps those
	// strictly after the cutoff).
	want := []Recommendation{{at(-100 * time.Second), 7}, {now, 5}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("KeepRecommendations = %v, want %v", got, want)
	}
	if len(kept) != 3 || kept[0].Tasks != 9 {
		t.Errorf("the kept slice was changed: %v", kept)
	}

	var many []Recommendation
	for i := range 130 {
		many = append(many, Recommendation{at(time.Duration(i-130) * time.Second), i})
	}
	got = KeepRecommendations(many, Recommendation{now, 999}, time.Hour)
	if len(got) != MaxRecommendations || got[0].Tasks != 11 || got[len(got)-1].Tasks != 999 {
		t.Errorf("capped: %d kept, first %v, last %v; want %d from task count 11 to the new one", len(got), got[0], got[len(got)-1], MaxRecommendations)
	}
}

// TestScaleInStabilization follows the HPA's scale-down stabilization ("Horizontal Pod
// Autoscaling", Stabilization window, Kubernetes documentation: "all desired states from
// the past 5 minutes will be considered ... the highest recommendation within the
// window"). A TargetRatio scale-in on 10 tasks whose metric is 20 against a target of 50
// recommends ceil(10 × 20 / 50) = 4. Its alarm has been in ALARM for 10 minutes, longer
// than the window, unless a case says otherwise.
func TestScaleInStabilization(t *testing.T) {
	in := Policy{AlarmName: "low", MinCapacity: 1, MaxCapacity: 20, Direction: In, AdjustmentType: TargetRatio,
		TargetValue: 50, Tolerance: 0.1, ScaleInStabilizationWindowSeconds: 300}
	tests := []struct {
		name   string
		policy Policy
		recs   []Recommendation
		want   want
	}{
		{"no recommendations: the rule's own", in, nil, want{true, 4, ""}},
		{"an older, higher one holds the service at it", in, []Recommendation{{at(-200 * time.Second), 8}, {at(-400 * time.Second), 12}}, want{true, 8, ""}},
		{"one at the current count holds it", in, []Recommendation{{at(-60 * time.Second), 10}}, want{false, 10, ScaleInStabilized}},
		{"a scale-out's recommendation above it holds it", in, []Recommendation{{at(-30 * time.Second), 15}}, want{false, 10, ScaleInStabilized}},
		{"exactly a window old no longer counts", in, []Recommendation{{at(-300 * time.Second), 10}}, want{true, 4, ""}},
		{"lower ones change nothing", in, []Recommendation{{at(-30 * time.Second), 3}}, want{true, 4, ""}},
		{"without a window the history is ignored", withWindow(in, 0), []Recommendation{{at(-60 * time.Second), 10}}, want{true, 4, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: active(10), Metric: metric(20, 45), AlarmSince: ago(10 * time.Minute), History: History{Recommendations: tt.recs}, Now: now}
			d := Plan(tt.policy, o)
			check(t, d, o, tt.want)
			if d.Recommendation == nil || *d.Recommendation != (Recommendation{now, 4}) {
				t.Errorf("recommendation %v, want 4 tasks now: the rule's answer, before the window", d.Recommendation)
			}
		})
	}
	// Until the alarm has been in ALARM for the whole window, the recommendations the
	// workflow never made (the HPA makes one every 15 s) count as the desired count.
	for _, since := range []*time.Time{nil, ago(2 * time.Minute), ago(299 * time.Second)} {
		o := Observation{Service: active(10), Metric: metric(20, 45), AlarmSince: since, Now: now}
		d := Plan(in, o)
		check(t, d, o, want{false, 10, ScaleInStabilized})
		if !strings.Contains(d.NotScaledReasons[0].Message, "less than the 300s stabilization window") {
			t.Errorf("in ALARM since %v: message %q", since, d.NotScaledReasons[0].Message)
		}
	}
	o := Observation{Service: active(10), Metric: metric(20, 45), AlarmSince: ago(300 * time.Second), Now: now}
	check(t, Plan(in, o), o, want{true, 4, ""})

	// A scale-out policy has no scale-in window.
	out := withWindow(in, 300)
	out.Direction = Out
	o = Observation{Service: active(10), Metric: metric(80, 55), History: History{Recommendations: []Recommendation{{at(-10 * time.Second), 20}}}, Now: now}
	check(t, Plan(out, o), o, want{true, 16, ""})
}

func withWindow(p Policy, seconds int) Policy {
	p.ScaleInStabilizationWindowSeconds = seconds
	return p
}

// TestScaleOutLead: a TargetRatio scale-out with a lead sizes for the metric projected
// along its trend. 4 tasks at 60 against a target of 50 need ceil(4 × 60 / 50) = 5; rising
// 0.25 a second, in 60 s the metric is 75 and they need ceil(4 × 75 / 50) = 6.
func TestScaleOutLead(t *testing.T) {
	out := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 20, Direction: Out, AdjustmentType: TargetRatio,
		TargetValue: 50, Tolerance: 0.1, ScaleOutLeadSeconds: 60}
	tests := []struct {
		name   string
		policy Policy
		value  float64
		slope  float64
		want   want
	}{
		{"rising: sized for the projection", out, 60, 0.25, want{true, 6, ""}},
		{"flat: sized for now", out, 60, 0, want{true, 5, ""}},
		{"falling: never less than now", out, 60, -0.5, want{true, 5, ""}},
		// 52 is within the tolerance (ratio 1.04), but rising 0.2 a second it is 64 in
		// 60 s: ceil(4 × 64 / 50) = ceil(5.12) = 6.
		{"a projection leaves the tolerance", out, 52, 0.2, want{true, 6, ""}},
		{"no lead: the trend is ignored", withLead(out, 0), 60, 0.25, want{true, 5, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Observation{Service: active(4), Metric: &MetricValue{Value: tt.value, Threshold: 55, SlopePerSecond: tt.slope}, Now: now}
			d := Plan(tt.policy, o)
			check(t, d, o, tt.want)
			if d.Recommendation == nil || d.Recommendation.Tasks != tt.want.to {
				t.Errorf("recommendation %v, want %d", d.Recommendation, tt.want.to)
			}
		})
	}
	// A scale-in is never projected: 4 tasks at 20 against 50 need ceil(1.6) = 2.
	in := out
	in.Direction = In
	o := Observation{Service: active(4), Metric: &MetricValue{Value: 20, Threshold: 45, SlopePerSecond: 1}, Now: now}
	check(t, Plan(in, o), o, want{true, 2, ""})
	if d := Plan(out, Observation{Service: active(4), Metric: &MetricValue{Value: 60, SlopePerSecond: 0.25}, Now: now}); !strings.Contains(d.Reason, "75.0 in 60s") {
		t.Errorf("reason %q does not give the projection", d.Reason)
	}
}

func withLead(p Policy, seconds int) Policy {
	p.ScaleOutLeadSeconds = seconds
	return p
}

// TestRecommendationRecorded: what a decision hands the record step to keep.
func TestRecommendationRecorded(t *testing.T) {
	ratio := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 20, Direction: Out, AdjustmentType: TargetRatio, TargetValue: 50, Tolerance: 0.1}
	// Within the tolerance the HPA's replica calculator answers the current count.
	if d := Plan(ratio, Observation{Service: active(4), Metric: metric(52, 50), Now: now}); d.Recommendation == nil || d.Recommendation.Tasks != 4 {
		t.Errorf("within tolerance: recommendation %v, want the desired count 4", d.Recommendation)
	}
	// The rule's answer is kept even where the bounds clamp the step: 15 × 100 / 50 = 30.
	if d := Plan(ratio, Observation{Service: active(15), Metric: metric(100, 50), Now: now}); d.Recommendation == nil || d.Recommendation.Tasks != 30 || d.To != 20 {
		t.Errorf("clamped: to %d, recommendation %v; want to 20, recommendation 30", d.To, d.Recommendation)
	}
	if d := Plan(ratio, Observation{Service: active(4), Now: now}); d.Recommendation != nil {
		t.Errorf("no metric, yet a recommendation %v", d.Recommendation)
	}
	step := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 20, Direction: Out, Adjustment: 1}
	if d := Plan(step, Observation{Service: active(4), Metric: metric(60, 50), Now: now}); d.Recommendation != nil {
		t.Errorf("a simple step recommends nothing, got %v", d.Recommendation)
	}

	// Across alarms the highest is kept: 4 × 75 / 50 = 6 and 4 × 100 / 50 = 8.
	other := ratio
	other.AlarmName = "higher"
	readings := []AlarmReading{{Name: "high", State: StateAlarm, Metric: metric(75, 55)}, {Name: "higher", State: StateAlarm, Metric: metric(100, 55)}}
	d := Decide([]Policy{ratio, other}, readings, Observation{Service: active(4), Now: now})
	if d.To != 8 || d.Recommendation == nil || d.Recommendation.Tasks != 8 {
		t.Errorf("Decide: to %d, recommendation %v; want 8 and 8", d.To, d.Recommendation)
	}
	// And kept when nothing scales: the scale-in's 4 × 20 / 50 = 2, held at 4 by a
	// recommendation of 4 a minute ago.
	in := Policy{AlarmName: "low", MinCapacity: 1, MaxCapacity: 20, Direction: In, AdjustmentType: TargetRatio, TargetValue: 50, Tolerance: 0.1, ScaleInStabilizationWindowSeconds: 300}
	d = Decide([]Policy{ratio, in}, []AlarmReading{{Name: "high", State: StateOK}, {Name: "low", State: StateAlarm, Metric: metric(20, 45), StateSince: ago(time.Hour)}},
		Observation{Service: active(4), History: History{Recommendations: []Recommendation{{at(-time.Minute), 4}}}, Now: now})
	if d.Scale || d.Recommendation == nil || d.Recommendation.Tasks != 2 || d.NotScaledReasons[0].Code != ScaleInStabilized {
		t.Errorf("Decide held: %+v", d)
	}
}

// TestTargetRatioCooldownCountsFromBefore: 2 tasks at 102.5 against a target of 80 were
// sized to ceil(2 × 102.5 / 80) = 3. A minute later the third task serves, but the
// alarm's datapoints still show 102.5, measured on 2 tasks: counted from 3 they would ask
// for ceil(3 × 102.5 / 80) = 4, the same need met twice. During the scale-out cooldown
// the capacity that scale-out added counts toward this one (as for step policies,
// "Step scaling policies for Application Auto Scaling", Cooldown period): counted from
// the 2 before it, the policy asks for 3 again and adds nothing. After the cooldown the
// metric is the new tasks', and it counts from 3.
func TestTargetRatioCooldownCountsFromBefore(t *testing.T) {
	out := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 20, Direction: Out, AdjustmentType: TargetRatio,
		TargetValue: 80, Tolerance: 0.1, CooldownSeconds: 100}
	cooling := History{LastScaleOutAt: ago(time.Minute), LastScaleOutFrom: ptr(2)}
	o := Observation{Service: active(3), Metric: metric(102.5, 88), History: cooling, Now: now}
	d := Plan(out, o)
	check(t, d, o, want{false, 3, CooldownActive})
	if d.Base != 2 {
		t.Errorf("base %d, want 2, the capacity before the last scale-out", d.Base)
	}
	// A need beyond what the last scale-out met still scales: 2 × 200 / 80 = 5.
	o.Metric = metric(200, 88)
	check(t, Plan(out, o), o, want{true, 5, ""})
	// After the cooldown it counts from the current 3.
	o = Observation{Service: active(3), Metric: metric(102.5, 88), History: History{LastScaleOutAt: ago(2 * time.Minute), LastScaleOutFrom: ptr(2)}, Now: now}
	check(t, Plan(out, o), o, want{true, 4, ""})
}
