package simulate

import (
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// desiredByMinute lists a run's desired count minute by minute.
func desiredByMinute(r Result) []int {
	d := make([]int, len(r.Samples))
	for i, s := range r.Samples {
		d[i] = s.Desired
	}
	return d
}

func TestOracleStepUp(t *testing.T) {
	r := mustRun(t, stepUp(), testSetup(), &Oracle{})
	m := r.Measures
	if m.UnderTaskMinutes != 0 || m.OverTaskMinutes != 0 || m.ViolationMinutes != 0 {
		t.Errorf("oracle measures = %+v, want no under- or over-provisioning", m)
	}
	// The one rise, from 2 to 8 at minute 10, is met at once.
	if ttc := m.TimeToCapacity; ttc.Rises != 1 || ttc.Met != 1 || ttc.Max != 0 {
		t.Errorf("oracle time to capacity = %+v, want the one rise met at once", ttc)
	}
	// It raises desiredCount one startup delay early, and lowers it on time.
	if m.ScalingActions != 2 || sampleAt(t, r, 9).Desired != 8 || sampleAt(t, r, 8).Desired != 2 || sampleAt(t, r, 50).Desired != 2 {
		t.Errorf("oracle desired by minute %v", desiredByMinute(r))
	}
}

func TestSeedStallsInAlarm(t *testing.T) {
	st := testStepscaler(t)
	r := mustRun(t, stepUp(), testSetup(), &Seed{Policies: st.Policies})
	// One transition into ALARM at minute 11, one task; the alarm then stays in ALARM.
	for m := 11; m < 50; m++ {
		if d := sampleAt(t, r, m).Desired; d != 3 {
			t.Fatalf("minute %d: desired %d, want 3 while the alarm stays in ALARM; by minute %v", m, d, desiredByMinute(r))
		}
	}
	// The rise to 8 is never met: the need falls back to 2 at minute 50.
	if ttc := r.Measures.TimeToCapacity; r.Measures.ScalingActions != 1 || ttc.Rises != 1 || ttc.NeverMet != 1 || ttc.Met != 0 {
		t.Errorf("measures %+v, want one action and the rise to 8 never met", r.Measures)
	}
}

func TestStepscalerKeepsClimbingInAlarm(t *testing.T) {
	st := testStepscaler(t)
	r := mustRun(t, minuteTrace(seg{10, 20}, seg{40, 80}), testSetup(), st)
	// The alarm enters ALARM at minute 11 (40 rps a task over [10, 11)). Each minute it
	// stays there an execution takes one step: the last one's task started a minute after
	// its update, the stability check saw it at once and freed the lease, and the 60 s
	// cooldown is over. The data lag a minute behind the tasks: [16, 17) saw 7 tasks at
	// 11.4 rps, so minute 17 adds a ninth, and then the alarm is OK. The same sequence as
	// Application Auto Scaling's (TestAASStepScalingClimbsEachMinute).
	want := map[int]int{10: 2, 11: 3, 12: 4, 13: 5, 14: 6, 15: 7, 16: 8, 17: 9, 18: 9, 30: 9}
	for m, d := range want {
		if got := sampleAt(t, r, m).Desired; got != d {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, d, desiredByMinute(r))
		}
	}
	if r.Notes["executions"] != 7 || r.Notes["steps"] != 7 {
		t.Errorf("notes %v, want an execution and a step at each of minutes 11 to 17", r.Notes)
	}
	// The rise to 8 at minute 10 is met when the eighth task serves, at minute 17.
	if ttc := r.Measures.TimeToCapacity; ttc.Rises != 1 || ttc.Met != 1 || ttc.Max != 7*time.Minute {
		t.Errorf("%+v; want the need of 8 reached after 7 minutes", ttc)
	}
}

func TestAASStepScalingClimbsEachMinute(t *testing.T) {
	st := testStepscaler(t)
	r := mustRun(t, stepUp(), testSetup(), &AASStepScaling{Policies: st.Policies})
	for k := range 7 {
		if got := sampleAt(t, r, 11+k).Desired; got != 3+k {
			t.Fatalf("minute %d: desired %d, want %d; by minute %v", 11+k, got, 3+k, desiredByMinute(r))
		}
	}
	// The data lag a minute behind the tasks, so it overshoots by one, then stops.
	if got := sampleAt(t, r, 30).Desired; got != 9 {
		t.Errorf("minute 30: desired %d, want 9", got)
	}
}

func TestAASStepScalingCooldownCountsAddedCapacity(t *testing.T) {
	st := testStepscaler(t)
	for i := range st.Policies {
		st.Policies[i].Policy.CooldownSeconds = 300
	}
	r := mustRun(t, stepUp(), testSetup(), &AASStepScaling{Policies: st.Policies})
	// +1 at minute 11; during the cooldown the same step counts from 2 and adds nothing;
	// the next comes when the cooldown ends, five minutes later.
	want := map[int]int{11: 3, 12: 3, 15: 3, 16: 4, 20: 4, 21: 5}
	for m, d := range want {
		if got := sampleAt(t, r, m).Desired; got != d {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, d, desiredByMinute(r))
		}
	}
	if r.Notes["not scaled: "+scaling.CooldownActive] == 0 {
		t.Errorf("notes %v, want cooldowns", r.Notes)
	}
}

func TestTargetTrackingAfterThreeMinutes(t *testing.T) {
	setup := testSetup()
	setup.Max = 20
	// 6 rps a task before the step (below the target of 7, not 15 minutes below 6.3).
	r := mustRun(t, minuteTrace(seg{10, 12}, seg{20, 80}, seg{30, 12}), setup, NewAASTargetTracking(7))
	// Three one-minute datapoints of 40 above 7: at minute 13, ceil(2 × 40 / 7) = 12.
	if sampleAt(t, r, 12).Desired != 2 || sampleAt(t, r, 13).Desired != 12 {
		t.Errorf("desired by minute %v, want 2 until minute 13, then 12", desiredByMinute(r))
	}
	// After the drop, 15 minutes below 90% of the target (the datapoints of minutes 30 to
	// 44), then the same proportion: 12 tasks at 1 rps each against 7 need ceil(12 / 7) = 2.
	for m, d := range map[int]int{44: 12, 45: 2} {
		if got := sampleAt(t, r, m).Desired; got != d {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, d, desiredByMinute(r))
		}
	}

	// With a scale-in limit of 10%: one task every scale-in cooldown of 5 minutes.
	tt := NewAASTargetTracking(7)
	tt.ScaleInLimit = 0.1
	r = mustRun(t, minuteTrace(seg{10, 12}, seg{20, 80}, seg{30, 12}), setup, tt)
	for m, d := range map[int]int{44: 12, 45: 11, 49: 11, 50: 10, 55: 9} {
		if got := sampleAt(t, r, m).Desired; got != d {
			t.Errorf("limited: minute %d: desired %d, want %d; by minute %v", m, got, d, desiredByMinute(r))
		}
	}
}

// TestTargetTrackingCooldownBase: 2 tasks step to 12 at minute 13 (ceil(2 × 40 / 7));
// the next datapoints (minute 13, on 2 tasks, 40 a task) still breach, and during the
// scale-out cooldown sizing from the capacity before the scale-out asks again for 12,
// which adds nothing, while sizing from the current 12 asks ceil(12 × 40 / 7) = 69,
// clamped to the maximum.
func TestTargetTrackingCooldownBase(t *testing.T) {
	setup := testSetup()
	setup.Max = 20
	tr := minuteTrace(seg{10, 12}, seg{20, 80})
	before := mustRun(t, tr, setup, NewAASTargetTracking(7))
	current := NewAASTargetTracking(7)
	current.CooldownBase = CooldownBaseCurrent
	after := mustRun(t, tr, setup, current)
	if b, c := sampleAt(t, before, 14).Desired, sampleAt(t, after, 14).Desired; b != 12 || c != 20 {
		t.Errorf("minute 14: desired %d from the capacity before, %d from the current; want 12 and 20", b, c)
	}
}

func TestHPAHoldsAfterDrop(t *testing.T) {
	setup := testSetup()
	setup.Max = 20
	h := NewHPA(7)
	h.MetricDelay = 0
	r := mustRun(t, minuteTrace(seg{10, 12}, seg{20, 80}, seg{30, 12}), setup, h)
	// Up at the first syncs after the step: +4 (the Pods policy beats 100% of 2), then to
	// ceil(80 / 7) = 12 counting the starting tasks as idle.
	if sampleAt(t, r, 10).Desired != 2 || sampleAt(t, r, 11).Desired != 12 {
		t.Errorf("desired by minute %v, want 12 from minute 11", desiredByMinute(r))
	}
	// The drop at minute 30: the highest recommendation of the last 300 s holds 12 until
	// the last one made before the drop (at 30:00) leaves the window at 35:00.
	for m := 30; m < 35; m++ {
		if got := sampleAt(t, r, m).Desired; got != 12 {
			t.Fatalf("minute %d: desired %d, want 12 held; by minute %v", m, got, desiredByMinute(r))
		}
	}
	if got := sampleAt(t, r, 35).Desired; got != 2 {
		t.Errorf("minute 35: desired %d, want 2", got)
	}

	// With the default 15 s metric delay the sync at 30:15 still reads the window
	// [29:45, 30:00) and recommends 12, which holds until 35:15.
	r = mustRun(t, minuteTrace(seg{10, 12}, seg{20, 80}, seg{30, 12}), setup, NewHPA(7))
	if a, b := sampleAt(t, r, 35).Desired, sampleAt(t, r, 36).Desired; a != 12 || b != 2 {
		t.Errorf("delayed: minutes 35 and 36: desired %d and %d, want 12 and 2", a, b)
	}
}

func TestHPAReplicas(t *testing.T) {
	r := &hpaRun{h: *NewHPA(10), target: 10}
	tests := []struct {
		name                string
		cur, ready, unready int
		metric              float64
		want                int
	}{
		{"double", 4, 4, 0, 20, 8},
		{"within tolerance", 4, 4, 0, 10.9, 4},
		{"just outside", 10, 10, 0, 11.5, 12},
		{"scale down", 8, 8, 0, 2.5, 2},
		{"unready count as idle: 4 ready at 30, 4 starting", 8, 4, 4, 30, 12},
		{"unready absorb the load", 8, 4, 4, 15, 8},
		{"unready ignored when scaling down", 8, 4, 4, 5, 2},
	}
	for _, tt := range tests {
		if got := r.replicas(tt.cur, tt.ready, tt.unready, tt.metric); got != tt.want {
			t.Errorf("%s: replicas = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestStepscalerPlansAcrossAlarms: two scale-out alarms in ALARM in the same minute start
// one execution, and the larger step wins, as in Application Auto Scaling.
func TestStepscalerPlansAcrossAlarms(t *testing.T) {
	out := scaling.Policy{AlarmName: "high", Direction: scaling.Out, Adjustment: 1, CooldownSeconds: 60}
	higher := out
	higher.AlarmName, higher.Adjustment = "higher", 3
	st, err := NewStepscaler([]scaling.Policy{out, higher}, map[string]AlarmSpec{
		"high":   {Threshold: 10, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1},
		"higher": {Threshold: 20, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Policies[0].Policy.PollIntervalSeconds != 15 || st.Policies[0].Policy.StabilizationTimeoutSeconds != 600 {
		t.Errorf("defaults not applied: %+v", st.Policies[0].Policy)
	}
	r := mustRun(t, stepUp(), testSetup(), st)
	// Minute 11: 40 rps a task breaches both; +3 wins: 5. Minute 12: [11, 12) still 40 a
	// task on 2: +3, to 8. Minute 13: [12, 13) is 16 a task on 5, only "high": +1, to 9.
	// Minute 14: [13, 14) is 10 a task on 8, not above 10: no more.
	want := map[int]int{11: 5, 12: 8, 13: 9, 14: 9}
	for m, d := range want {
		if got := sampleAt(t, r, m).Desired; got != d {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, d, desiredByMinute(r))
		}
	}
}

// TestStepscalerWaitsForTheLease: while a step waits for its tasks, the next minutes'
// executions find the lease held and end; the one after the step is stable scales.
func TestStepscalerWaitsForTheLease(t *testing.T) {
	st := testStepscaler(t)
	setup := testSetup()
	setup.StartupDelay = 3 * time.Minute
	r := mustRun(t, stepUp(), setup, st)
	// +1 at minute 11; its task serves at minute 14, when the next step comes.
	want := map[int]int{11: 3, 12: 3, 13: 3, 14: 4}
	for m, d := range want {
		if got := sampleAt(t, r, m).Desired; got != d {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, d, desiredByMinute(r))
		}
	}
	if r.Notes["not scaled: "+scaling.ScalingInProgress] < 2 {
		t.Errorf("notes %v, want the executions of minutes 12 and 13 to find the lease held", r.Notes)
	}
}

func TestStepscalerDryRunNeverApplies(t *testing.T) {
	st := testStepscaler(t)
	for i := range st.Policies {
		st.Policies[i].Policy.DryRun = true
	}
	r := mustRun(t, stepUp(), testSetup(), st)
	// The alarm is in ALARM from minute 11 to minute 50 (the periods [10, 11) to [49, 50)
	// carry 40 rps a task on the 2 tasks that never change): one decision a minute.
	if r.Measures.ScalingActions != 0 || r.Notes["dry run: would scale"] != 40 {
		t.Errorf("dry run: %d actions, notes %v", r.Measures.ScalingActions, r.Notes)
	}
}

func TestStepscalerUnfulfilled(t *testing.T) {
	st := testStepscaler(t)
	for i := range st.Policies {
		st.Policies[i].Policy.StabilizationTimeoutSeconds = 60
	}
	setup := testSetup()
	setup.StartupDelay = 3 * time.Minute
	r := mustRun(t, stepUp(), setup, st)
	// The step's task is still starting at the deadline: the execution ends Unfulfilled;
	// the next minutes' steps count from the running tasks and add nothing until it serves.
	if r.Notes["unfulfilled: TimedOut"] == 0 || sampleAt(t, r, 14).Running != 3 {
		t.Errorf("notes %v, desired by minute %v", r.Notes, desiredByMinute(r))
	}
}

func TestStepscalerFromConfig(t *testing.T) {
	cfg, err := config.Load("../../config/stepscaler.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := StepscalerFromConfig(cfg, "prod/web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Policies) != 2 || st.Name() != "stepscaler prod/web" {
		t.Fatalf("policies %+v", st.Policies)
	}
	high := st.Policies[0]
	if high.Alarm.Threshold != 70 || high.Alarm.EvaluationPeriods != 3 || high.Alarm.DatapointsToAlarm != 2 ||
		high.Alarm.Period != time.Minute || high.Alarm.ComparisonOperator != GreaterThanOrEqualToThreshold || len(high.Policy.StepAdjustments) != 3 {
		t.Errorf("web-cpu-high: %+v", high)
	}
	if minC, maxC := st.Bounds(); minC != 2 || maxC != 20 {
		t.Errorf("bounds %d, %d", minC, maxC)
	}

	// The worker's queue-empty alarm has no metric block: its definition must be given.
	if _, err := StepscalerFromConfig(cfg, "worker", nil); err == nil || !strings.Contains(err.Error(), "alarm stepscaler-worker-queue-empty: no alarm definition") {
		t.Errorf("error = %v", err)
	}
	st, err = StepscalerFromConfig(cfg, "worker", map[string]AlarmSpec{
		"stepscaler-worker-queue-empty": {Threshold: 1, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 5},
	})
	if err != nil || len(st.Policies) != 2 || !st.Policies[0].Policy.DryRun {
		t.Fatalf("worker: %v, %+v", err, st)
	}
	if _, err := StepscalerFromConfig(cfg, "api", nil); err == nil || !strings.Contains(err.Error(), "have prod/web, prod/worker") {
		t.Errorf("unknown service: %v", err)
	}
}

// TestStepscalerMatchesAASOnALongClimb: a need that rises far past ten steps (the bound
// one execution used to have) is met at Application Auto Scaling's pace, minute for minute:
// both take a step each minute the alarm stays in ALARM.
func TestStepscalerMatchesAASOnALongClimb(t *testing.T) {
	st := testStepscaler(t)
	setup := testSetup()
	setup.Max = 30
	// 20 rps (2 tasks) for 10 minutes, then 200 rps (20 tasks) for two hours.
	tr := minuteTrace(seg{10, 20}, seg{120, 200})
	ours := mustRun(t, tr, setup, st)
	aas := mustRun(t, tr, setup, &AASStepScaling{Policies: st.Policies})
	for m := range ours.Samples {
		if a, b := ours.Samples[m].Desired, aas.Samples[m].Desired; a != b {
			t.Fatalf("minute %d: desired %d, Application Auto Scaling's %d; by minute %v vs %v", m, a, b, desiredByMinute(ours), desiredByMinute(aas))
		}
	}
	// From 2 to 20 is 18 steps, one a minute from minute 11: 20 tasks asked for at minute 28.
	if got := sampleAt(t, ours, 28).Desired; got != 20 {
		t.Errorf("minute 28: desired %d, want 20", got)
	}
	if ours.Measures.TimeToCapacity.NeverMet != 0 || ours.Notes["steps"] < 18 {
		t.Errorf("measures %+v, notes %v; want the need met in at least 18 steps", ours.Measures.TimeToCapacity, ours.Notes)
	}
}
