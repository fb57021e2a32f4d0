package stack_test

import (
	"context"
	"sync"
	"testing"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// Scenarios of the policy controls on the local stack. A test plays the load: it holds an
// alarm in ALARM through CloudWatch for as long as the service has fewer tasks than the
// load needs, and runs the per-minute evaluation.

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
			v, _ := st.ECS.Service(ref(service).Cluster, service)
			state, reason := "ALARM", breachReason(95)
			if v.RunningCount >= needed {
				state, reason = "OK", okReason
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

func TestClimbStopsWhenTheLoadIsServed(t *testing.T) {
	skipShort(t)
	createService(t, "load", ecsemu.ServiceSpec{DesiredCount: 1})
	stop := make(chan struct{})
	wg := playLoad(t, "load", "load-high", 3, stop)
	defer func() { close(stop); wg.Wait() }()
	t.Cleanup(func() { _ = st.SetAlarmStateQuietly(context.Background(), "load-high", "OK", okReason) })
	for range 10 {
		if v, _ := st.ECS.Service("test", "load"); v.RunningCount >= 3 {
			break
		}
		evaluate(t, "load")
	}
	// One more minute: the alarm is OK, nothing starts.
	evaluate(t, "load")
	if d := desired(t, "load"); d != 3 {
		t.Errorf("desired %d, want 3: what the load needs, short of the maximum 10", d)
	}
	if got := counts(activities(t, "load")); got != "1 → 2 → 3" {
		t.Errorf("steps %s, want 1 → 2 → 3", got)
	}
	if s, _ := st.Store.State(context.Background(), ref("load")); s.LeaseOwner != "" {
		t.Errorf("lease still held by %s after the alarm left ALARM", s.LeaseOwner)
	}
}

func TestScaleInDuringScaleOutCooldownDoesNothing(t *testing.T) {
	skipShort(t)
	createService(t, "cool-in", ecsemu.ServiceSpec{DesiredCount: 2})
	if _, status := fire(t, "cool-in-high", "cool-in"); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("scale-out: %s", status)
	}
	// The load drops at once: the scale-out alarm clears and the scale-in alarm fires,
	// within the scale-out's cooldown (and within its minute: the evaluation takes it).
	setAlarm(t, "cool-in-high", "OK")
	setAlarmQuietly(t, "cool-in-low", "ALARM")
	next := evaluate(t, "cool-in")
	if len(next) != 1 {
		t.Fatalf("evaluation started %v, want one execution", next)
	}
	if d := desired(t, "cool-in"); d != 3 {
		t.Errorf("desired %d, want 3 (unchanged after the scale-out)", d)
	}
	wantActivity(t, recorded(t, "cool-in", next[0]), activity.StatusNotScaled, 3, 3, scaling.CooldownActive)
}

// A scale-out alarm in ALARM holds every scale-in back, even when it cannot scale out.
func TestScaleInWaitsForScaleOutAlarms(t *testing.T) {
	skipShort(t)
	createService(t, "multi", ecsemu.ServiceSpec{DesiredCount: 5})
	setAlarmQuietly(t, "multi-latency-high", "ALARM")
	name, status := fire(t, "multi-cpu-low", "multi")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	if d := desired(t, "multi"); d != 5 {
		t.Errorf("desired %d, want 5: a scale-out alarm is in ALARM (at the maximum)", d)
	}
	wantActivity(t, recorded(t, "multi", name), activity.StatusNotScaled, 5, 5, scaling.ScaleInBlockedByScaleOutAlarm)

	// With the scale-out alarm back to OK, the next minute's evaluation scales in.
	setAlarm(t, "multi-latency-high", "OK")
	next := evaluate(t, "multi")
	if len(next) != 1 || desired(t, "multi") != 4 {
		t.Errorf("evaluation started %v, desired %d; want one execution scaling in to 4", next, desired(t, "multi"))
	}
}

func TestSuspendedScaleOutRecordsWhy(t *testing.T) {
	skipShort(t)
	createService(t, "suspended", ecsemu.ServiceSpec{DesiredCount: 1})
	if err := st.Store.SetSuspended(context.Background(), ref("suspended"), scaling.Out, true); err != nil {
		t.Fatal(err)
	}
	name, status := fire(t, "suspended-high", "suspended")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	if d := desired(t, "suspended"); d != 1 {
		t.Errorf("desired %d, want 1 while suspended", d)
	}
	wantActivity(t, recorded(t, "suspended", name), activity.StatusNotScaled, 1, 1, scaling.ScalingSuspended)

	// Resumed at runtime, with no redeploy: the next minute's evaluation scales.
	if err := st.Store.SetSuspended(context.Background(), ref("suspended"), scaling.Out, false); err != nil {
		t.Fatal(err)
	}
	evaluate(t, "suspended")
	if d := desired(t, "suspended"); d != 2 {
		t.Errorf("desired %d after resume, want 2", d)
	}
}

func TestDryRunDecidesAndRecordsButChangesNothing(t *testing.T) {
	skipShort(t)
	createService(t, "dry", ecsemu.ServiceSpec{DesiredCount: 1})
	updates := st.ECS.Calls("UpdateService")
	name, status := fire(t, "dry-high", "dry")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	if got := st.ECS.Calls("UpdateService"); got != updates {
		t.Errorf("UpdateService called %d times in a dry run", got-updates)
	}
	if d := desired(t, "dry"); d != 1 {
		t.Errorf("desired %d, want 1", d)
	}
	a := recorded(t, "dry", name)
	if a.StatusCode != activity.StatusDryRun || a.FromCount != 1 || a.ToCount != 3 {
		t.Errorf("activity %s from %d to %d (%s), want DryRun from 1 to 3", a.StatusCode, a.FromCount, a.ToCount, a.StatusMessage)
	}
}

// A step held back by a cooldown is not lost: the alarm stays in ALARM, and the first
// evaluation after the cooldown takes it.
func TestScalesAgainOnceTheCooldownEnds(t *testing.T) {
	skipShort(t)
	createService(t, "patient", ecsemu.ServiceSpec{DesiredCount: 1, TaskStartDelay: -1})
	if _, status := fire(t, "patient-high", "patient"); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("first step: %s", status)
	}
	held := evaluate(t, "patient") // within the 3 s cooldown
	if len(held) != 1 {
		t.Fatalf("evaluation started %v, want one execution", held)
	}
	wantActivity(t, recorded(t, "patient", held[0]), activity.StatusNotScaled, 2, 2, scaling.CooldownActive)
	time.Sleep(3 * time.Second)
	evaluate(t, "patient")
	if d := desired(t, "patient"); d != 3 {
		t.Errorf("desired %d, want 3: the held-back step taken once the cooldown ran out", d)
	}
}
