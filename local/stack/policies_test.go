package stack_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/stack"
)

// Scenarios of continuous re-evaluation and of the policy controls, on the local stack.
// A test plays the load: it holds an alarm in ALARM through the local CloudWatch for as
// long as the service has fewer tasks than the load needs.

// steps returns an execution's activities, oldest first.
func steps(t *testing.T, service, execution string) []activity.Activity {
	t.Helper()
	acts, err := st.Store.List(context.Background(), scaling.ServiceRef{Cluster: "test", Service: service}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []activity.Activity
	for i := len(acts) - 1; i >= 0; i-- {
		if id := acts[i].ActivityID; id == execution || strings.HasPrefix(id, execution+"-step-") {
			out = append(out, acts[i])
		}
	}
	return out
}

func transitions(t *testing.T, execution string) int {
	t.Helper()
	events, err := st.History(context.Background(), st.ExecutionARN(execution))
	if err != nil {
		t.Fatal(err)
	}
	return stack.StateTransitions(events)
}

func breachReason(value float64) string {
	return fmt.Sprintf("Threshold Crossed: 1 out of the last 1 datapoints [%.1f (27/11/26 10:00:00)] was greater than or equal to the threshold (70.0) (minimum 1 datapoint for OK -> ALARM transition).", value)
}

// playLoad holds alarm in ALARM while the service runs fewer than needed tasks, and sets
// it OK once it runs enough, until stop is closed.
func playLoad(t *testing.T, service, alarmName string, needed int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := context.Background()
		last := ""
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			v, _ := st.ECS.Service("test", service)
			state, reason := "ALARM", breachReason(95)
			if v.RunningCount >= needed {
				state, reason = "OK", "Threshold Crossed: 1 out of the last 1 datapoints [40.0 (27/11/26 10:00:00)] was not greater than or equal to the threshold (70.0)."
			}
			if state != last {
				if err := st.SetAlarmState(ctx, alarmName, state, reason); err != nil {
					t.Error(err)
					return
				}
				last = state
			}
		}
	}()
	return &wg
}

func counts(acts []activity.Activity) string {
	var b strings.Builder
	for i, a := range acts {
		if i == 0 {
			fmt.Fprintf(&b, "%d", a.FromCount)
		}
		fmt.Fprintf(&b, " → %d", a.ToCount)
	}
	return b.String()
}

func TestClimbsWhileInAlarmAndStopsAtMax(t *testing.T) {
	skipShort(t)
	createService(t, "climb", ecsemu.ServiceSpec{DesiredCount: 1})
	deliver(t, alarmMessage("climb-high", "ALARM", t0)) // the alarm stays in ALARM
	name := executionName("climb-high", t0)
	if s := finish(t, name); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s, want SUCCEEDED", s)
	}
	if d := desired(t, "climb"); d != 4 {
		t.Errorf("desired %d, want the maximum 4", d)
	}
	acts := steps(t, "climb", name)
	if got := counts(acts); got != "1 → 2 → 3 → 4" {
		t.Errorf("steps %s, want 1 → 2 → 3 → 4", got)
	}
	for _, a := range acts {
		if a.StatusCode != activity.StatusSuccessful {
			t.Errorf("step %s: %s %s", a.ActivityID, a.StatusCode, a.StatusMessage)
		}
	}
	t.Logf("desired counts %s in %d state transitions", counts(acts), transitions(t, name))
}

func TestClimbStopsWhenTheLoadIsServed(t *testing.T) {
	skipShort(t)
	createService(t, "load", ecsemu.ServiceSpec{DesiredCount: 1})
	stop := make(chan struct{})
	wg := playLoad(t, "load", "load-high", 3, stop)
	defer func() { close(stop); wg.Wait() }()
	name := fire(t, "load-high", t0, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "load"); d != 3 {
		t.Errorf("desired %d, want 3: what the load needs, short of the maximum 10", d)
	}
	if got := counts(steps(t, "load", name)); got != "1 → 2 → 3" {
		t.Errorf("steps %s, want 1 → 2 → 3", got)
	}
	if s, _ := st.Store.State(context.Background(), scaling.ServiceRef{Cluster: "test", Service: "load"}); s.LeaseOwner != "" {
		t.Errorf("lease still held by %s after the alarm left ALARM", s.LeaseOwner)
	}
}

func TestScaleInDuringScaleOutCooldownDoesNothing(t *testing.T) {
	skipShort(t)
	createService(t, "cool-in", ecsemu.ServiceSpec{DesiredCount: 2})
	fire(t, "cool-in-high", t0, sfntypes.ExecutionStatusSucceeded)
	// The load drops at once: the scale-out alarm clears and the scale-in alarm fires,
	// within the scale-out's cooldown.
	if err := st.SetAlarmState(context.Background(), "cool-in-high", "OK", "Threshold Crossed: no longer breaching."); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	name := fire(t, "cool-in-low", at, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "cool-in"); d != 3 {
		t.Errorf("desired %d, want 3 (unchanged after the scale-out)", d)
	}
	a := recorded(t, "cool-in", name)
	wantActivity(t, a, workflow.StatusNotScaled, 3, 3, scaling.CooldownActive)
}

func TestScaleInWaitsForScaleOutAlarms(t *testing.T) {
	skipShort(t)
	createService(t, "multi", ecsemu.ServiceSpec{DesiredCount: 3})
	ctx := context.Background()
	if err := st.SetAlarmState(ctx, "multi-latency-high", "ALARM", breachReason(95)); err != nil {
		t.Fatal(err)
	}
	name := fire(t, "multi-cpu-low", t0, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "multi"); d != 3 {
		t.Errorf("desired %d, want 3: a scale-out alarm is in ALARM", d)
	}
	wantActivity(t, recorded(t, "multi", name), workflow.StatusNotScaled, 3, 3, scaling.ScaleInBlockedByScaleOutAlarm)

	// With the scale-out alarm back to OK, the same scale-in goes ahead.
	if err := st.SetAlarmState(ctx, "multi-latency-high", "OK", "Threshold Crossed: not breaching."); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	fire(t, "multi-cpu-low", at, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "multi"); d != 2 {
		t.Errorf("desired %d, want 2 once no scale-out alarm is in ALARM", d)
	}
}

func TestSuspendedScaleOutRecordsWhy(t *testing.T) {
	skipShort(t)
	createService(t, "suspended", ecsemu.ServiceSpec{DesiredCount: 1})
	ref := scaling.ServiceRef{Cluster: "test", Service: "suspended"}
	if err := st.Store.SetSuspended(context.Background(), ref, scaling.Out, true); err != nil {
		t.Fatal(err)
	}
	name := fire(t, "suspended-high", t0, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "suspended"); d != 1 {
		t.Errorf("desired %d, want 1 while suspended", d)
	}
	wantActivity(t, recorded(t, "suspended", name), workflow.StatusNotScaled, 1, 1, scaling.ScalingSuspended)

	// Resumed at runtime, with no redeploy: the next alarm scales.
	if err := st.Store.SetSuspended(context.Background(), ref, scaling.Out, false); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	fire(t, "suspended-high", at, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "suspended"); d != 2 {
		t.Errorf("desired %d after resume, want 2", d)
	}
}

func TestDryRunDecidesAndRecordsButChangesNothing(t *testing.T) {
	skipShort(t)
	createService(t, "dry", ecsemu.ServiceSpec{DesiredCount: 1})
	updates := st.ECS.Calls("UpdateService")
	name := fire(t, "dry-high", t0, sfntypes.ExecutionStatusSucceeded)
	if got := st.ECS.Calls("UpdateService"); got != updates {
		t.Errorf("UpdateService called %d times in a dry run", got-updates)
	}
	if d := desired(t, "dry"); d != 1 {
		t.Errorf("desired %d, want 1", d)
	}
	a := recorded(t, "dry", name)
	if a.StatusCode != workflow.StatusDryRun || a.FromCount != 1 || a.ToCount != 3 {
		t.Errorf("activity %s from %d to %d (%s), want DryRun from 1 to 3", a.StatusCode, a.FromCount, a.ToCount, a.StatusMessage)
	}
	if n := len(steps(t, "dry", name)); n != 1 {
		t.Errorf("%d steps recorded, want 1: a dry run does not loop", n)
	}
}

// An alarm that stays in ALARM notifies once. A step held back by a cooldown must not end
// the matter: the execution keeps reading the alarm and scales when the cooldown is over.
func TestKeepsWatchingThroughACooldown(t *testing.T) {
	skipShort(t)
	createService(t, "patient", ecsemu.ServiceSpec{DesiredCount: 1, TaskStartDelay: -1})
	fire(t, "patient-high", t0, sfntypes.ExecutionStatusSucceeded)
	at := t0.Add(time.Minute) // within the 2 s cooldown of the first step
	name := fire(t, "patient-high", at, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "patient"); d != 3 {
		t.Errorf("desired %d, want 3: the held-back step taken once the cooldown ran out", d)
	}
	acts := steps(t, "patient", name)
	if len(acts) != 2 || acts[0].StatusCode != workflow.StatusNotScaled || acts[1].StatusCode != activity.StatusSuccessful {
		for _, a := range acts {
			t.Logf("%s %s %s", a.ActivityID, a.StatusCode, a.StatusMessage)
		}
		t.Fatalf("want the notification's step recorded as not scaled (cooldown), then one successful step")
	}
	if acts[0].NotScaledReasons[0].Code != scaling.CooldownActive || acts[1].FromCount != 2 || acts[1].ToCount != 3 {
		t.Errorf("steps: %+v / %+v", acts[0].NotScaledReasons, acts[1])
	}
}
