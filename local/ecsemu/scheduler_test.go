package ecsemu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// These tests drive the scheduler on a fake clock, so every instant is
// exact; the wire tests in emulator_test.go cover the same behaviour end to
// end on the real clock.

type fakeClock struct{ t time.Time }

func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }

func newTestEmulator(t *testing.T, opts Options) (*Emulator, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	e, err := newEmulator(opts, clk.now)
	if err != nil {
		t.Fatalf("newEmulator: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e, clk
}

// do sends an API request through the same path HTTP requests take.
func do(t *testing.T, e *Emulator, op string, in any) (map[string]any, *apiError) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("marshal %s input: %v", op, err)
	}
	out, err := e.call(op, "AWS4-HMAC-SHA256 Credential=AKID/test", body)
	if err != nil {
		var aerr *apiError
		if !errors.As(err, &aerr) {
			t.Fatalf("%s: unexpected error %v", op, err)
		}
		return nil, aerr
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("marshal %s output: %v", op, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal %s output: %v", op, err)
	}
	return m, nil
}

func mustDo(t *testing.T, e *Emulator, op string, in any) map[string]any {
	t.Helper()
	out, aerr := do(t, e, op, in)
	if aerr != nil {
		t.Fatalf("%s: %v", op, aerr)
	}
	return out
}

func mustService(t *testing.T, e *Emulator, cluster, name string) ServiceView {
	t.Helper()
	v, ok := e.Service(cluster, name)
	if !ok {
		t.Fatalf("service %s/%s not found", cluster, name)
	}
	return v
}

func countEvents(v ServiceView, substr string) int {
	n := 0
	for _, ev := range v.Events {
		if strings.Contains(ev.Message, substr) {
			n++
		}
	}
	return n
}

func TestRollingDeploymentKeepsMinimumHealthy(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 100 * time.Millisecond, TaskStopDelay: 50 * time.Millisecond})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	old := mustService(t, e, "default", "web").Deployments[0].ID
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})

	v := mustService(t, e, "default", "web")
	if len(v.Deployments) != 2 {
		t.Fatalf("deployments = %+v, want a new PRIMARY and the old one ACTIVE", v.Deployments)
	}
	primary, prev := v.Deployments[0], v.Deployments[1]
	if primary.Status != "PRIMARY" || primary.RolloutState != "IN_PROGRESS" || primary.PendingCount != 2 || primary.ID == old {
		t.Errorf("new deployment = %+v, want PRIMARY IN_PROGRESS with 2 pending tasks", primary)
	}
	if want := "ECS deployment " + primary.ID + " in progress."; primary.RolloutStateReason != want {
		t.Errorf("rolloutStateReason = %q, want %q", primary.RolloutStateReason, want)
	}
	// With minimumHealthyPercent 100 the old tasks wait for the new ones.
	if prev.ID != old || prev.Status != "ACTIVE" || prev.RunningCount != 2 {
		t.Errorf("old deployment = %+v, want ACTIVE still running 2", prev)
	}

	clk.add(100 * time.Millisecond) // new tasks run; old ones are told to stop
	v = mustService(t, e, "default", "web")
	if v.RunningCount != 4 || v.PendingCount != 0 || len(v.Deployments) != 2 {
		t.Fatalf("after start delay: running %d pending %d deployments %d, want 4, 0, 2 (old tasks still stopping)",
			v.RunningCount, v.PendingCount, len(v.Deployments))
	}
	if !strings.HasPrefix(v.Events[0].Message, "(service web) has stopped 2 running tasks: ") {
		t.Errorf("newest event = %q, want the old tasks stopping", v.Events[0].Message)
	}

	clk.add(50 * time.Millisecond)
	v = mustService(t, e, "default", "web")
	if len(v.Deployments) != 1 || v.Deployments[0].ID != primary.ID || v.Deployments[0].RolloutState != "COMPLETED" {
		t.Fatalf("deployments = %+v, want only %s, COMPLETED", v.Deployments, primary.ID)
	}
	if want := "ECS deployment " + primary.ID + " completed."; v.Deployments[0].RolloutStateReason != want {
		t.Errorf("rolloutStateReason = %q, want %q", v.Deployments[0].RolloutStateReason, want)
	}
	if got, want := v.Events[0].Message, "(service web) has reached a steady state."; got != want {
		t.Errorf("events[0] = %q, want %q", got, want)
	}
	if got, want := v.Events[1].Message, "(service web) (deployment "+primary.ID+") deployment completed."; got != want {
		t.Errorf("events[1] = %q, want %q", got, want)
	}
	if !v.Events[0].CreatedAt.Equal(clk.t) {
		t.Errorf("steady state at %v, want %v", v.Events[0].CreatedAt, clk.t)
	}
}

func TestLowerMinimumHealthyStopsOldTasksAtOnce(t *testing.T) {
	e, _ := newTestEmulator(t, Options{TaskStartDelay: time.Second, TaskStopDelay: time.Second})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 4, MinimumHealthyPercent: new(50)}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})
	v := mustService(t, e, "default", "web")
	old := v.Deployments[1]
	// 50% of 4 may go at once; maximumPercent 200 lets all 4 new ones start.
	if old.DesiredCount != 2 || v.Deployments[0].PendingCount != 4 {
		t.Errorf("old desired %d, new pending %d, want 2 and 4", old.DesiredCount, v.Deployments[0].PendingCount)
	}
}

func TestDeploymentConfigurationThatCannotProgress(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond})
	spec := ServiceSpec{DesiredCount: 2, MinimumHealthyPercent: new(100), MaximumPercent: new(100)}
	if err := e.CreateService("default", "web", spec); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})
	clk.add(time.Second)
	v := mustService(t, e, "default", "web")
	if v.Deployments[0].PendingCount+v.Deployments[0].RunningCount != 0 {
		t.Errorf("new deployment got tasks %+v; 100/100 leaves no room", v.Deployments[0])
	}
	if n := countEvents(v, "was unable to stop or start tasks during a deployment because of the service deployment configuration"); n != 1 {
		t.Errorf("deployment configuration events = %d, want 1", n)
	}
}

func TestBreakerThreshold(t *testing.T) {
	for _, tc := range []struct{ desired, want int }{
		{0, 3}, {1, 3}, {6, 3}, {7, 4}, {10, 5}, {25, 13}, {400, 200}, {1000, 200},
	} {
		if got := breakerThreshold(tc.desired); got != tc.want {
			t.Errorf("breakerThreshold(%d) = %d, want %d", tc.desired, got, tc.want)
		}
	}
}

func TestPercentRounding(t *testing.T) {
	for _, tc := range []struct{ n, pct, ceil, floor int }{
		{2, 100, 2, 2}, {3, 50, 2, 1}, {1, 150, 2, 1}, {4, 200, 8, 8}, {0, 100, 0, 0},
	} {
		if got := ceilPercent(tc.n, tc.pct); got != tc.ceil {
			t.Errorf("ceilPercent(%d, %d) = %d, want %d", tc.n, tc.pct, got, tc.ceil)
		}
		if got := floorPercent(tc.n, tc.pct); got != tc.floor {
			t.Errorf("floorPercent(%d, %d) = %d, want %d", tc.n, tc.pct, got, tc.floor)
		}
	}
}

func TestPlacementFailureIsNotRepeatedUntilIntervalOrResolution(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond, EventRepeatInterval: time.Minute})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 2); err != nil {
		t.Fatal(err)
	}
	const placement = "was unable to place a task because no container instance met all of its requirements"
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 3})
	if n := countEvents(mustService(t, e, "default", "web"), placement); n != 1 {
		t.Fatalf("placement events right after scale-out = %d, want 1 (reported at once)", n)
	}
	clk.add(59 * time.Second)
	v := mustService(t, e, "default", "web")
	if n := countEvents(v, placement); n != 1 {
		t.Fatalf("placement events within the interval = %d, want 1", n)
	}
	if v.RunningCount != 2 || v.PendingCount != 0 {
		t.Errorf("running %d pending %d, want 2 and 0 (stuck at capacity)", v.RunningCount, v.PendingCount)
	}
	clk.add(time.Second)
	if n := countEvents(mustService(t, e, "default", "web"), placement); n != 2 {
		t.Fatalf("placement events after the interval = %d, want 2", n)
	}

	// Resolving the cause resets the notice: the next failure is reported at once.
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 2})
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 3})
	if n := countEvents(mustService(t, e, "default", "web"), placement); n != 3 {
		t.Fatalf("placement events after the cause went and came back = %d, want 3", n)
	}
}

func TestFargatePlacementFailureWording(t *testing.T) {
	e, _ := newTestEmulator(t, Options{})
	if err := e.CreateService("default", "api", ServiceSpec{DesiredCount: 0, LaunchType: "FARGATE"}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 0); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "api", "desiredCount": 1})
	want := "(service api) was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently."
	if v := mustService(t, e, "default", "api"); !v.HasEvent(want) {
		t.Errorf("events %+v lack %q", v.Events, want)
	}
}

func TestCapacityIsSharedAcrossServices(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond, TaskStopDelay: 10 * time.Millisecond})
	for _, name := range []string{"a", "b"} {
		if err := e.CreateService("default", name, ServiceSpec{DesiredCount: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.SetCapacity("default", 4); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "b", "desiredCount": 3})
	clk.add(time.Second)
	if v := mustService(t, e, "default", "b"); v.RunningCount != 2 {
		t.Fatalf("b running %d, want 2 while a holds the rest", v.RunningCount)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "a", "desiredCount": 1})
	clk.add(10 * time.Millisecond) // a's task stops, freeing a place
	clk.add(10 * time.Millisecond) // b's third task starts in it
	if v := mustService(t, e, "default", "b"); v.RunningCount != 3 {
		t.Errorf("b running %d, want 3 once a scaled in", v.RunningCount)
	}
}

func TestFailingTasksWithoutBreakerKeepRetrying(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1, FailRollouts: true}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})
	clk.add(time.Second)
	v := mustService(t, e, "default", "web")
	p := v.Deployments[0]
	if p.RolloutState != "IN_PROGRESS" || p.FailedTasks < 50 || p.PendingCount != 1 {
		t.Errorf("primary = %+v, want IN_PROGRESS, still launching, with many failed tasks", p)
	}
	if n := countEvents(v, "(service web) is unable to consistently start tasks successfully."); n != 1 {
		t.Errorf("start-impaired events = %d, want 1", n)
	}
	if v.HasEvent("deployment failed") {
		t.Error("deployment failed without a circuit breaker")
	}
}

func TestScaleOutFailuresAfterCompletionDoNotFailTheDeployment(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond})
	spec := ServiceSpec{DesiredCount: 1, CircuitBreaker: CircuitBreaker{Enable: true}, FailRollouts: true}
	if err := e.CreateService("default", "web", spec); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 2})
	clk.add(time.Second)
	p := mustService(t, e, "default", "web").Deployments[0]
	// The breaker watches rollouts only; this deployment completed long ago.
	if p.RolloutState != "COMPLETED" || p.FailedTasks == 0 {
		t.Errorf("primary = %+v, want COMPLETED with failed tasks", p)
	}
}

func TestEventsKeepLatestHundredNewestFirst(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: -1, TaskStopDelay: -1})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		clk.add(time.Second)
		mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 1 + (i+1)%2})
	}
	v := mustService(t, e, "default", "web")
	if len(v.Events) != maxEvents {
		t.Fatalf("events = %d, want %d", len(v.Events), maxEvents)
	}
	for i := 1; i < len(v.Events); i++ {
		if v.Events[i].CreatedAt.After(v.Events[i-1].CreatedAt) {
			t.Fatalf("events[%d] at %v is newer than events[%d] at %v", i, v.Events[i].CreatedAt, i-1, v.Events[i-1].CreatedAt)
		}
	}
	if !v.Events[0].CreatedAt.Equal(clk.t) {
		t.Errorf("newest event at %v, want %v", v.Events[0].CreatedAt, clk.t)
	}
}

func TestDeleteServiceDrains(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStopDelay: 100 * time.Millisecond})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	if _, aerr := do(t, e, "DeleteService", map[string]any{"service": "web"}); aerr == nil || aerr.Type != "InvalidParameterException" {
		t.Fatalf("delete of a scaled-up service without force = %v, want InvalidParameterException", aerr)
	}
	out := mustDo(t, e, "DeleteService", map[string]any{"service": "web", "force": true})
	if got := out["service"].(map[string]any)["status"]; got != "DRAINING" {
		t.Errorf("status after delete = %v, want DRAINING", got)
	}
	clk.add(100 * time.Millisecond)
	if v := mustService(t, e, "default", "web"); v.Status != "INACTIVE" || v.RunningCount != 0 {
		t.Errorf("after stop delay: status %s running %d, want INACTIVE and 0", v.Status, v.RunningCount)
	}
	list := mustDo(t, e, "ListServices", map[string]any{})
	if arns := list["serviceArns"].([]any); len(arns) != 0 {
		t.Errorf("ListServices = %v, want no INACTIVE services", arns)
	}
	// The name is free again.
	mustDo(t, e, "CreateService", map[string]any{"serviceName": "web", "desiredCount": 1})
}

func TestSetTaskStartDelayAppliesToPendingTasks(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 100 * time.Millisecond})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 2})
	if err := e.SetTaskStartDelay("default", "web", time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute)
	if v := mustService(t, e, "default", "web"); v.RunningCount != 1 || v.PendingCount != 1 {
		t.Fatalf("running %d pending %d, want 1 and 1", v.RunningCount, v.PendingCount)
	}
	if err := e.SetTaskStartDelay("default", "web", 0); err != nil {
		t.Fatal(err)
	}
	if v := mustService(t, e, "default", "web"); v.RunningCount != 2 {
		t.Errorf("running %d after dropping the delay, want 2", v.RunningCount)
	}
	if err := e.SetTaskStartDelay("default", "nope", 0); !errors.Is(err, ErrServiceNotFound) {
		t.Errorf("SetTaskStartDelay on a missing service = %v, want ErrServiceNotFound", err)
	}
}

func TestSeedValidation(t *testing.T) {
	e, _ := newTestEmulator(t, Options{})
	for name, tc := range map[string]struct {
		name string
		spec ServiceSpec
		want error
	}{
		"negative desired":  {"a", ServiceSpec{DesiredCount: -1}, ErrInvalidSpec},
		"bad launch type":   {"b", ServiceSpec{LaunchType: "LAMBDA"}, ErrInvalidSpec},
		"bad controller":    {"c", ServiceSpec{DeploymentController: "ARGO"}, ErrInvalidSpec},
		"bad percent":       {"d", ServiceSpec{MinimumHealthyPercent: new(101)}, ErrInvalidSpec},
		"bad name":          {"no spaces", ServiceSpec{}, ErrInvalidSpec},
		"existing (seeded)": {"web", ServiceSpec{}, ErrServiceExists},
		"negative running":  {"e", ServiceSpec{RunningCount: new(-1)}, ErrInvalidSpec},
		"max below 100":     {"f", ServiceSpec{MaximumPercent: new(99)}, ErrInvalidSpec},
	} {
		if name == "existing (seeded)" {
			if err := e.CreateService("default", "web", ServiceSpec{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.CreateService("default", tc.name, tc.spec); !errors.Is(err, tc.want) {
			t.Errorf("%s: CreateService = %v, want %v", name, err, tc.want)
		}
	}
}

func TestClockNeverGoesBack(t *testing.T) {
	e, clk := newTestEmulator(t, Options{})
	e.mu.Lock()
	first := e.now()
	clk.add(-time.Hour)
	second := e.now()
	e.mu.Unlock()
	if second.Before(first) {
		t.Errorf("now went from %v back to %v", first, second)
	}
}
