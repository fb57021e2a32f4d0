package simulate

import (
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
)

// quietStepscaler has one scale-out policy (+1 task, polled every 15 s, 600 s to settle)
// on an alarm above 1,000 rps per task, which the tests' loads never come near: every
// execution in them is the schedule's.
func quietStepscaler(t *testing.T, actions ...schedule.Action) *Stepscaler {
	t.Helper()
	st, err := NewStepscaler([]scaling.Policy{{AlarmName: "high", Direction: scaling.Out, Adjustment: 1, CooldownSeconds: 60,
		PollIntervalSeconds: 15, StabilizationTimeoutSeconds: 600}},
		map[string]AlarmSpec{"high": {Threshold: 1000, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}})
	if err != nil {
		t.Fatal(err)
	}
	st.Schedule = actions
	return st
}

// action is a scheduled action on expr setting the bounds given (nil leaves one as is).
func action(t *testing.T, name, expr string, minCapacity, maxCapacity *int) schedule.Action {
	t.Helper()
	e, err := schedule.Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return schedule.Action{Name: name, Schedule: e, MinCapacity: minCapacity, MaxCapacity: maxCapacity}
}

func intp(v int) *int { return &v }

// scheduleSetup serves 10 rps a task and starts a task in a minute, in [1, 10].
func scheduleSetup(initial int) Setup {
	return Setup{TaskCapacity: 10, StartupDelay: time.Minute, InitialTasks: initial, Min: 1, Max: 10}
}

type billing struct{ executions, transitions, invocations, steps, noAlarm int }

func checkBilling(t *testing.T, r Result, want billing) {
	t.Helper()
	got := billing{r.Notes["executions"], r.Notes["state transitions"], r.Notes["lambda invocations"], r.Notes["steps"],
		r.Notes["not scaled: "+scaling.NoAlarmInAlarm]}
	if got != want {
		t.Errorf("executions, transitions, invocations, steps, NoAlarmInAlarm = %+v, want %+v; notes %v", got, want, r.Notes)
	}
}

// TestStepscalerScheduledMinimum: an at() action raising the minimum to 4 at 10:20 moves a
// service of 1 task to 4 in that minute, with no alarm in ALARM, and the evaluation looks
// again in each minute of the catch-up.
//
// Worked by hand. 5 rps on 1 task is 5 per task, never above 1,000: no notification, no
// alarm in ALARM. Minutes 0-19 (10:00-10:19): the action has not fired, the bounds are the
// setup's [1, 10], 1 task is within them: no execution, desired 1.
//
// 10:20:00, execution 1: the bounds are [4, 10]; no alarm in ALARM, so workflow.Decide's
// IntoBounds sets desired 4. The three new tasks serve at 10:21:00. The change is no
// alarm's, so it is watched as the service's one policy would: every 15 s, 600 s at most.
// The checks at 10:20:15, 10:20:30 and 10:20:45 see 1 running and 3 pending (in
// progress); the one at 10:21:00 sees 4 running (stable). 4 checks × 3 transitions and
// 1 invocation, then the scaling path's 10 transitions and 6 invocations: 22 and 10.
//
// 10:21, 10:22, 10:23, 10:24, executions 2-5: the action fired 1 to 4 minutes before
// (evaluate.ScheduleCatchUp starts the service in the firing's minute and the four
// after). The 10:21:00 check ran first, so the lease is free; 4 is within [4, 10] and no
// alarm is in ALARM: not scaled (NoAlarmInAlarm), 9 transitions and 5 invocations each,
// 36 and 20. 10:25: the firing is five minutes back, no execution.
//
// Totals: 5 executions, 22 + 36 = 58 transitions, 10 + 20 = 30 invocations, 1 step.
func TestStepscalerScheduledMinimum(t *testing.T) {
	st := quietStepscaler(t, action(t, "raise", "at(2026-11-27T10:20:00)", intp(4), nil))
	r := mustRun(t, minuteTrace(seg{40, 5}), scheduleSetup(0), st)
	for m, want := range map[int]int{0: 1, 19: 1, 20: 4, 21: 4, 39: 4} {
		if got := sampleAt(t, r, m).Desired; got != want {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, want, desiredByMinute(r))
		}
	}
	checkBilling(t, r, billing{executions: 5, transitions: 58, invocations: 30, steps: 1, noAlarm: 4})
	if r.Measures.ScalingActions != 1 {
		t.Errorf("scaling actions %d, want 1", r.Measures.ScalingActions)
	}
}

// TestStepscalerScheduledMaximum: a cron action that fires once, at 10:20 on 27 November
// 2026 only (its year and day fields), setting the maximum to 2 while the service runs 5,
// scales it in to 2 in that minute.
//
// Worked by hand. 5 rps on 5 tasks is 1 per task: no alarm. Minutes 0-19: bounds [1, 10],
// desired 5. 10:20:00, execution 1: bounds [1, 2], 5 is above them: desired 2, and the
// three tasks stop at once. The check at 10:20:15 sees 2 desired, 2 running, none pending:
// stable. 1 check (3 transitions, 1 invocation) and the scaling path (10, 6): 13 and 7.
// 10:21-10:24, executions 2-5: within [1, 2], not scaled (NoAlarmInAlarm): 36 and 20.
// Totals: 5 executions, 49 transitions, 27 invocations, 1 step.
func TestStepscalerScheduledMaximum(t *testing.T) {
	st := quietStepscaler(t, action(t, "cap", "cron(20 10 27 11 ? 2026)", nil, intp(2)))
	r := mustRun(t, minuteTrace(seg{40, 5}), scheduleSetup(5), st)
	for m, want := range map[int]int{0: 5, 19: 5, 20: 2, 39: 2} {
		if got := sampleAt(t, r, m).Desired; got != want {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, want, desiredByMinute(r))
		}
	}
	if got := sampleAt(t, r, 20).Running; got != 2 {
		t.Errorf("minute 20: %d running, want 2", got)
	}
	checkBilling(t, r, billing{executions: 5, transitions: 49, invocations: 27, steps: 1, noAlarm: 4})
}

// TestStepscalerScheduledBeforeTheTrace: an action that fired the day before the trace
// (minimum 3) has the bounds [3, 10] in force from its first minute. The deployed service
// would already run 3; the run starts with the setup's 1, so the first evaluation, at
// 10:00:00, gives it the execution the firing had.
//
// Worked by hand: desired 3 at minute 0; the two new tasks serve at 10:01:00; checks at
// 10:00:15, :30, :45 (in progress) and 10:01:00 (stable): 4 × 3 + 10 = 22 transitions,
// 4 × 1 + 6 = 10 invocations. No action fires within the trace, so no other execution.
func TestStepscalerScheduledBeforeTheTrace(t *testing.T) {
	st := quietStepscaler(t, action(t, "yesterday", "at(2026-11-26T10:00:00)", intp(3), nil))
	r := mustRun(t, minuteTrace(seg{40, 5}), scheduleSetup(0), st)
	for m, want := range map[int]int{0: 3, 39: 3} {
		if got := sampleAt(t, r, m).Desired; got != want {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, want, desiredByMinute(r))
		}
	}
	checkBilling(t, r, billing{executions: 1, transitions: 22, invocations: 10, steps: 1})
}

// TestStepscalerScheduleIsNotClamped: deployed, an action setting [12, 15] over a
// service configured [1, 10] takes it to 12 tasks. The simulated service cannot leave the
// setup's [1, 10], which every autoscaler shares, and clamping to 10 would replay a
// service the workflow does not run: the run fails, saying why.
func TestStepscalerScheduleIsNotClamped(t *testing.T) {
	st := quietStepscaler(t, action(t, "big", "at(2026-11-27T10:20:00)", intp(12), intp(15)))
	_, err := Run(minuteTrace(seg{40, 5}), scheduleSetup(0), st)
	if err == nil {
		t.Fatal("the run went on with desired count 12 outside the setup's [1, 10]")
	}
	for _, want := range []string{"2026-11-27T10:20:00Z", "[12, 15]", "desired count 12", "outside the setup's [1, 10]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestStepscalerFromConfigSchedule: the configured service's scheduled actions come with
// its policies; the shipped prod/web has none.
func TestStepscalerFromConfigSchedule(t *testing.T) {
	cfg, err := config.Load("../../config/scheduled-scaling.json")
	if err != nil {
		t.Fatal(err)
	}
	spec := AlarmSpec{Threshold: 70, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}
	st, err := StepscalerFromConfig(cfg, "prod/web", map[string]AlarmSpec{"web-cpu-high": spec, "web-cpu-low": spec})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range st.Schedule {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "weekday-morning,weekday-evening,black-friday" {
		t.Errorf("schedule %s", got)
	}
	shipped, err := config.Load("../../config/stepscaler.json")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := StepscalerFromConfig(shipped, "prod/web", nil); err != nil || st.Schedule != nil {
		t.Errorf("shipped prod/web: %v, schedule %v", err, st.Schedule)
	}
}
