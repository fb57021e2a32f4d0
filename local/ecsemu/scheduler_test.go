package ecsemu

import (
	"encoding/json"
	"errors"
	"regexp"
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
	const delay = 20 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay, TaskStartDelay: 100 * time.Millisecond, TaskStopDelay: 50 * time.Millisecond})
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
	// The call records the deployment; the scheduler has launched nothing yet.
	if primary.Status != "PRIMARY" || primary.RolloutState != "IN_PROGRESS" || primary.PendingCount != 0 || primary.ID == old {
		t.Errorf("new deployment = %+v, want PRIMARY IN_PROGRESS with no tasks yet", primary)
	}
	if want := "ECS deployment " + primary.ID + " in progress."; primary.RolloutStateReason != want {
		t.Errorf("rolloutStateReason = %q, want %q", primary.RolloutStateReason, want)
	}
	if prev.ID != old || prev.Status != "ACTIVE" || prev.RunningCount != 2 {
		t.Errorf("old deployment = %+v, want ACTIVE still running 2", prev)
	}

	clk.add(delay) // the scheduler launches the new tasks
	if p := mustService(t, e, "default", "web").Deployments[0]; p.PendingCount != 2 {
		t.Fatalf("after the scheduler delay: new deployment %+v, want 2 pending", p)
	}

	clk.add(100 * time.Millisecond) // new tasks run; old ones are told to stop
	v = mustService(t, e, "default", "web")
	if v.RunningCount != 4 || v.PendingCount != 0 || len(v.Deployments) != 2 {
		t.Fatalf("after start delay: running %d pending %d deployments %d, want 4, 0, 2 (old tasks still stopping)",
			v.RunningCount, v.PendingCount, len(v.Deployments))
	}
	// With minimumHealthyPercent 100 the old tasks waited for the new ones.
	if !strings.HasPrefix(v.Events[0].Message, "(service web) has stopped 2 running tasks: ") || !v.Events[0].CreatedAt.Equal(clk.t) {
		t.Errorf("newest event = %+v, want the old tasks stopping at %v", v.Events[0], clk.t)
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
	e, clk := newTestEmulator(t, Options{TaskStartDelay: time.Second, TaskStopDelay: time.Second})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 4, MinimumHealthyPercent: new(50)}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})
	clk.add(time.Second) // the default scheduler delay
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
	clk.add(time.Minute)
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

// eventsWith returns the events whose message contains substr, newest first.
func eventsWith(v ServiceView, substr string) []EventView {
	var out []EventView
	for _, ev := range v.Events {
		if strings.Contains(ev.Message, substr) {
			out = append(out, ev)
		}
	}
	return out
}

const (
	ec2NoInstances = "(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	placementPart  = "was unable to place a task"
	impairedPart   = "is unable to consistently start tasks successfully."
)

func TestSchedulerWritesEventsAfterTheCall(t *testing.T) {
	const delay = 250 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay, TaskStartDelay: time.Second})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 2); err != nil {
		t.Fatal(err)
	}
	called := clk.t
	out := mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 3})

	// The response already carries the new desired count, on the service and
	// its deployment, but nothing the scheduler does.
	svc := out["service"].(map[string]any)
	dep := svc["deployments"].([]any)[0].(map[string]any)
	if svc["desiredCount"] != 3.0 || svc["pendingCount"] != 0.0 || svc["runningCount"] != 1.0 || dep["desiredCount"] != 3.0 || dep["pendingCount"] != 0.0 {
		t.Errorf("UpdateService response: service %v/%v/%v deployment %v/%v, want desired 3 running 1 pending 0 on both",
			svc["desiredCount"], svc["runningCount"], svc["pendingCount"], dep["desiredCount"], dep["pendingCount"])
	}
	if events := svc["events"].([]any); len(events) != 1 {
		t.Errorf("UpdateService response events = %v, want only the seed's steady state", events)
	}

	clk.add(delay - time.Millisecond)
	if v := mustService(t, e, "default", "web"); v.PendingCount != 0 || len(v.Events) != 1 {
		t.Fatalf("before the scheduler delay: pending %d, events %+v; the scheduler must not have acted", v.PendingCount, v.Events)
	}
	clk.add(time.Millisecond)
	v := mustService(t, e, "default", "web")
	// Capacity 2 holds the running task and one more; the third is not placed
	// and does not count as pending.
	if v.DesiredCount != 3 || v.RunningCount != 1 || v.PendingCount != 1 {
		t.Errorf("after the scheduler delay: desired %d running %d pending %d, want 3, 1, 1", v.DesiredCount, v.RunningCount, v.PendingCount)
	}
	if len(v.Events) != 3 {
		t.Fatalf("events = %+v, want the placement failure, the started task and the seed's steady state", v.Events)
	}
	if v.Events[0].Message != ec2NoInstances {
		t.Errorf("newest event = %q, want %q", v.Events[0].Message, ec2NoInstances)
	}
	if !strings.HasPrefix(v.Events[1].Message, "(service web) has started 1 tasks: (task ") {
		t.Errorf("events[1] = %q, want one task started", v.Events[1].Message)
	}
	for _, ev := range v.Events[:2] {
		if want := called.Add(delay); !ev.CreatedAt.Equal(want) || !ev.CreatedAt.After(called) {
			t.Errorf("event %q created at %v, want %v, after the call at %v", ev.Message, ev.CreatedAt, want, called)
		}
	}
}

func TestSecondPlacementFailureOnFullClusterIsSuppressed(t *testing.T) {
	const delay = 100 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 1); err != nil { // full
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 2})
	clk.add(delay)
	first := eventsWith(mustService(t, e, "default", "web"), placementPart)
	if len(first) != 1 || first[0].Message != ec2NoInstances {
		t.Fatalf("placement events = %+v, want one %q", first, ec2NoInstances)
	}

	// The scheduler keeps retrying; the cluster stays full.
	clk.add(time.Hour)
	v := mustService(t, e, "default", "web")
	if n := len(eventsWith(v, placementPart)); n != 1 {
		t.Errorf("placement events after an hour of retries = %d, want 1", n)
	}
	// Lack of resources also trips the throttle logic (Developer Guide,
	// "Service throttle logic").
	if n := len(eventsWith(v, impairedPart)); n != 1 {
		t.Errorf("start-impaired events = %d, want 1", n)
	}
	if v.RunningCount != 1 || v.PendingCount != 0 {
		t.Errorf("running %d pending %d, want 1 and 0", v.RunningCount, v.PendingCount)
	}

	// A second scale-out on the still-full cluster fails the same way: no
	// new event.
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 3})
	clk.add(time.Hour)
	if n := len(eventsWith(mustService(t, e, "default", "web"), placementPart)); n != 1 {
		t.Errorf("placement events after a second scale-out into a full cluster = %d, want 1", n)
	}

	// Six hours after the first, the next attempt reports it again. Attempts
	// are at most 15 minutes apart once throttled.
	clk.t = first[0].CreatedAt.Add(6*time.Hour + maxThrottle)
	again := eventsWith(mustService(t, e, "default", "web"), placementPart)
	if len(again) != 2 {
		t.Fatalf("placement events six hours on = %d, want 2", len(again))
	}
	if gap := again[0].CreatedAt.Sub(first[0].CreatedAt); gap < 6*time.Hour || gap > 6*time.Hour+maxThrottle {
		t.Errorf("repeat came %v after the first, want between 6h and 6h15m", gap)
	}
}

func TestResolvedPlacementFailureIsReportedAgain(t *testing.T) {
	const delay = 100 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay, TaskStartDelay: 10 * time.Millisecond})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 2); err != nil {
		t.Fatal(err)
	}
	scale := func(n int) {
		t.Helper()
		mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": n})
		clk.add(delay)
	}
	scale(3)
	if n := len(eventsWith(mustService(t, e, "default", "web"), placementPart)); n != 1 {
		t.Fatalf("placement events = %d, want 1", n)
	}

	// Resolved by asking for less: nothing is left to place.
	scale(2)
	scale(3)
	v := mustService(t, e, "default", "web")
	events := eventsWith(v, placementPart)
	if len(events) != 2 || !events[0].CreatedAt.Equal(clk.t) {
		t.Fatalf("placement events = %+v, want a second one now (%v) after the cause was resolved", events, clk.t)
	}

	// Resolved by capacity coming back: the next attempt, one scheduler
	// delay after the failure, places the task.
	if err := e.SetCapacity("default", 3); err != nil {
		t.Fatal(err)
	}
	clk.add(delay - time.Millisecond)
	if v := mustService(t, e, "default", "web"); v.RunningCount != 2 || v.PendingCount != 0 {
		t.Fatalf("before the next attempt: running %d pending %d, want 2 and 0", v.RunningCount, v.PendingCount)
	}
	clk.add(time.Millisecond)
	if v := mustService(t, e, "default", "web"); v.PendingCount != 1 {
		t.Fatalf("at the next attempt: pending %d, want 1", v.PendingCount)
	}
	clk.add(time.Second)
	scale(4)
	if n := len(eventsWith(mustService(t, e, "default", "web"), placementPart)); n != 3 {
		t.Errorf("placement events after capacity came back and ran out again = %d, want 3", n)
	}
}

func TestFargateCapacityUnavailable(t *testing.T) {
	const delay = 100 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay, TaskStartDelay: 500 * time.Millisecond})
	if err := e.CreateService("default", "api", ServiceSpec{DesiredCount: 1, LaunchType: "FARGATE"}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateService("default", "worker", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetFargateCapacity("default", false); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "api", "desiredCount": 3})
	mustDo(t, e, "UpdateService", map[string]any{"service": "worker", "desiredCount": 2})
	clk.add(delay)

	api := mustService(t, e, "default", "api")
	const want = "(service api) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	if api.Events[0].Message != want || api.PendingCount != 0 || api.RunningCount != 1 {
		t.Errorf("api: newest event %q pending %d running %d, want %q, 0, 1", api.Events[0].Message, api.PendingCount, api.RunningCount, want)
	}
	// EC2 services are not affected.
	if worker := mustService(t, e, "default", "worker"); worker.PendingCount != 1 || worker.HasEvent(placementPart) {
		t.Errorf("worker: pending %d events %+v, want its task placed", worker.PendingCount, worker.Events)
	}

	// Capacity comes back between two attempts; the next one places both.
	clk.add(delay / 2)
	if err := e.SetFargateCapacity("default", true); err != nil {
		t.Fatal(err)
	}
	clk.add(delay/2 - time.Millisecond)
	if v := mustService(t, e, "default", "api"); v.PendingCount != 0 {
		t.Fatalf("before the next attempt: pending %d, want 0", v.PendingCount)
	}
	clk.add(time.Millisecond)
	v := mustService(t, e, "default", "api")
	if v.PendingCount != 2 || !strings.HasPrefix(v.Events[0].Message, "(service api) has started 2 tasks: ") {
		t.Fatalf("at the next attempt: pending %d newest event %q, want 2 started", v.PendingCount, v.Events[0].Message)
	}
	clk.add(time.Second)
	if v := mustService(t, e, "default", "api"); v.RunningCount != 3 || len(eventsWith(v, placementPart)) != 1 {
		t.Errorf("running %d, placement events %d, want 3 and still 1", v.RunningCount, len(eventsWith(v, placementPart)))
	}
}

func TestFargateQuotaPlacementFailureWording(t *testing.T) {
	e, clk := newTestEmulator(t, Options{})
	if err := e.CreateService("default", "api", ServiceSpec{DesiredCount: 0, LaunchType: "FARGATE"}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 0); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "api", "desiredCount": 1})
	clk.add(time.Second)
	const want = "(service api) was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	if v := mustService(t, e, "default", "api"); v.Events[0].Message != want {
		t.Errorf("newest event %q, want %q", v.Events[0].Message, want)
	}
}

func TestEC2PlacementFailureNamesClosestInstance(t *testing.T) {
	e, clk := newTestEmulator(t, Options{})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetContainerInstances("default", 2); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 1); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 2})
	clk.add(time.Second)
	want := regexp.MustCompile(`^\(service web\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]{32}\) has insufficient CPU units available\. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide\.$`)
	if v := mustService(t, e, "default", "web"); !want.MatchString(v.Events[0].Message) {
		t.Errorf("newest event %q, want %s", v.Events[0].Message, want)
	}
	out := mustDo(t, e, "DescribeClusters", map[string]any{})
	if got := out["clusters"].([]any)[0].(map[string]any)["registeredContainerInstancesCount"]; got != 2.0 {
		t.Errorf("registeredContainerInstancesCount = %v, want 2", got)
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
	clk.add(time.Minute)
	if v := mustService(t, e, "default", "b"); v.RunningCount != 2 || !v.HasEvent(placementPart) {
		t.Fatalf("b running %d, placement reported %v; want 2 and a placement failure while a holds the rest", v.RunningCount, v.HasEvent(placementPart))
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "a", "desiredCount": 1})
	// a's task stops, freeing a place that b's next attempt (at most the
	// longest throttle wait away) takes.
	clk.add(maxThrottle + time.Second)
	if v := mustService(t, e, "default", "b"); v.RunningCount != 3 {
		t.Errorf("b running %d, want 3 once a scaled in", v.RunningCount)
	}
}

// A worked example of the throttle logic with a 100ms scheduler delay and
// tasks that fail 10ms after launch; the threshold for a desired count of 1
// is 3. Launches at +100, +110 and +120ms fail at +110, +120 and +130ms;
// the third failure trips the throttle, which waits 100ms, then 200ms, then
// 400ms, then 800ms between the next attempts: launches at +230, +440 and
// +850ms fail at +240, +450 and +860ms, and the next launch waits until
// +1660ms.
func TestTasksThatKeepFailingAreThrottled(t *testing.T) {
	const delay = 100 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay, TaskStartDelay: 10 * time.Millisecond})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1, FailRollouts: true}); err != nil {
		t.Fatal(err)
	}
	t0 := clk.t
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})
	for _, step := range []struct {
		at     time.Duration
		failed int
	}{
		{129 * time.Millisecond, 2}, {130 * time.Millisecond, 3},
		{239 * time.Millisecond, 3}, {240 * time.Millisecond, 4},
		{449 * time.Millisecond, 4}, {450 * time.Millisecond, 5},
		{859 * time.Millisecond, 5}, {860 * time.Millisecond, 6},
		{1669 * time.Millisecond, 6}, {1670 * time.Millisecond, 7},
	} {
		clk.t = t0.Add(step.at)
		if p := mustService(t, e, "default", "web").Deployments[0]; p.FailedTasks != step.failed || p.RolloutState != "IN_PROGRESS" {
			t.Fatalf("at +%v: primary %+v, want %d failed tasks, IN_PROGRESS", step.at, p, step.failed)
		}
	}
	v := mustService(t, e, "default", "web")
	impaired := eventsWith(v, impairedPart)
	if len(impaired) != 1 || !impaired[0].CreatedAt.Equal(t0.Add(130*time.Millisecond)) {
		t.Errorf("start-impaired events = %+v, want one at +130ms", impaired)
	}
	if v.HasEvent("deployment failed") {
		t.Error("deployment failed without a circuit breaker")
	}
	// The old deployment keeps serving.
	if v.RunningCount != 1 || len(v.Deployments) != 2 {
		t.Errorf("running %d deployments %d, want the old task running beside the failing rollout", v.RunningCount, len(v.Deployments))
	}
}

func TestScaleOutFailuresAfterCompletionAreNotFailedTasks(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond})
	spec := ServiceSpec{DesiredCount: 1, CircuitBreaker: CircuitBreaker{Enable: true, Rollback: true}, FailRollouts: true}
	if err := e.CreateService("default", "web", spec); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 2})
	clk.add(time.Minute)
	v := mustService(t, e, "default", "web")
	p := v.Deployments[0]
	// The deployment has a running task, so the breaker no longer counts
	// (API Reference, Deployment.failedTasks); the throttle logic still does.
	if p.RolloutState != "COMPLETED" || p.FailedTasks != 0 || len(v.Deployments) != 1 {
		t.Errorf("deployments %+v, want one COMPLETED with no failed tasks", v.Deployments)
	}
	if n := len(eventsWith(v, impairedPart)); n != 1 {
		t.Errorf("start-impaired events = %d, want 1", n)
	}
}

// Tasks that cannot be placed count as failed tasks while a rollout has no
// running task (the breaker's stage 1), and trip the breaker: a 100ms
// scheduler delay, 2 tasks unplaced per attempt at +100 and +200ms, 4
// failures against a threshold of 3, FAILED at the pass at +300ms.
func TestPlacementFailuresTripTheBreakerDuringARollout(t *testing.T) {
	const delay = 100 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 2, CircuitBreaker: CircuitBreaker{Enable: true}}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetCapacity("default", 2); err != nil {
		t.Fatal(err)
	}
	t0 := clk.t
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "forceNewDeployment": true})
	for _, step := range []struct {
		at      time.Duration
		failed  int
		rollout string
	}{
		{100 * time.Millisecond, 2, "IN_PROGRESS"},
		{200 * time.Millisecond, 4, "IN_PROGRESS"},
		{300 * time.Millisecond, 4, "FAILED"},
	} {
		clk.t = t0.Add(step.at)
		v := mustService(t, e, "default", "web")
		if p := v.Deployments[0]; p.FailedTasks != step.failed || p.RolloutState != step.rollout || p.PendingCount != 0 {
			t.Fatalf("at +%v: primary %+v, want %d failed, %s, nothing pending", step.at, p, step.failed, step.rollout)
		}
	}
	v := mustService(t, e, "default", "web")
	if !v.HasEvent("(deployment "+v.Deployments[0].ID+") deployment failed: tasks failed to start.") || v.RunningCount != 2 {
		t.Errorf("events %+v running %d, want the deployment failed and the old tasks still running", v.Events, v.RunningCount)
	}
}

// A worked example of a rollback: tasks fail 10ms after launch, two at a
// time, so the new deployment has 4 failed tasks (threshold 3) at +120ms.
func TestCircuitBreakerRollsBackToLastCompletedDeployment(t *testing.T) {
	const delay = 100 * time.Millisecond
	e, clk := newTestEmulator(t, Options{SchedulerDelay: delay, TaskStartDelay: 10 * time.Millisecond, TaskStopDelay: 50 * time.Millisecond})
	spec := ServiceSpec{DesiredCount: 2, TaskDefinition: "web:1", CircuitBreaker: CircuitBreaker{Enable: true, Rollback: true}}
	if err := e.CreateService("default", "web", spec); err != nil {
		t.Fatal(err)
	}
	stable := mustService(t, e, "default", "web").Deployments[0]
	if err := e.FailRollouts("default", "web", true); err != nil {
		t.Fatal(err)
	}
	t0 := clk.t
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "taskDefinition": "web:2"})
	failing := mustService(t, e, "default", "web").Deployments[0]

	clk.t = t0.Add(119 * time.Millisecond)
	if p := mustService(t, e, "default", "web").Deployments[0]; p.ID != failing.ID || p.FailedTasks != 2 || p.RolloutState != "IN_PROGRESS" {
		t.Fatalf("at +119ms: primary %+v, want %s in progress with 2 failed tasks", p, failing.ID)
	}

	clk.t = t0.Add(120 * time.Millisecond)
	v := mustService(t, e, "default", "web")
	if len(v.Deployments) != 2 {
		t.Fatalf("deployments %+v, want the rollback and the failed deployment", v.Deployments)
	}
	primary, failed := v.Deployments[0], v.Deployments[1]
	if primary.ID != stable.ID || primary.Status != "PRIMARY" || primary.RolloutState != "IN_PROGRESS" ||
		primary.RolloutStateReason != "ECS deployment circuit breaker: rolling back to deploymentId "+stable.ID+"." ||
		primary.TaskDefinition != stable.TaskDefinition || primary.DesiredCount != 2 || primary.RunningCount != 2 {
		t.Errorf("primary %+v, want %s back in progress on %s, running 2", primary, stable.ID, stable.TaskDefinition)
	}
	if failed.ID != failing.ID || failed.Status != "ACTIVE" || failed.RolloutState != "FAILED" ||
		failed.RolloutStateReason != "ECS deployment circuit breaker: tasks failed to start." || failed.FailedTasks != 4 ||
		!strings.HasSuffix(failed.TaskDefinition, "task-definition/web:2") {
		t.Errorf("failed deployment %+v, want %s ACTIVE FAILED with 4 failed tasks", failed, failing.ID)
	}
	if v.DesiredCount != 2 || v.TaskDefinition != stable.TaskDefinition {
		t.Errorf("service desired %d task definition %s, want 2 and %s", v.DesiredCount, v.TaskDefinition, stable.TaskDefinition)
	}
	wantNewest := []string{
		"(service web) rolling back to deployment " + stable.ID + ".",
		"(service web) (deployment " + failing.ID + ") deployment failed: tasks failed to start.",
	}
	for i, want := range wantNewest {
		if v.Events[i].Message != want || !v.Events[i].CreatedAt.Equal(clk.t) {
			t.Errorf("events[%d] = %+v, want %q at %v", i, v.Events[i], want, clk.t)
		}
	}

	// The scheduler's next pass finds the rollback settled.
	clk.t = t0.Add(220 * time.Millisecond)
	v = mustService(t, e, "default", "web")
	if len(v.Deployments) != 1 || v.Deployments[0].ID != stable.ID || v.Deployments[0].RolloutState != "COMPLETED" ||
		v.Deployments[0].RolloutStateReason != "ECS deployment "+stable.ID+" completed." {
		t.Fatalf("deployments %+v, want only %s COMPLETED", v.Deployments, stable.ID)
	}
	wantNewest = []string{
		"(service web) has reached a steady state.",
		"(service web) (deployment " + stable.ID + ") deployment completed.",
	}
	for i, want := range wantNewest {
		if v.Events[i].Message != want {
			t.Errorf("events[%d] = %q, want %q", i, v.Events[i].Message, want)
		}
	}
}

func TestBreakerWithoutCompletedDeploymentStalls(t *testing.T) {
	e, clk := newTestEmulator(t, Options{SchedulerDelay: 100 * time.Millisecond, TaskStartDelay: 10 * time.Millisecond})
	mustDo(t, e, "CreateService", map[string]any{"serviceName": "web", "desiredCount": 1,
		"deploymentConfiguration": map[string]any{"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true}}})
	if err := e.FailRollouts("default", "web", true); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute)
	v := mustService(t, e, "default", "web")
	if len(v.Deployments) != 1 || v.Deployments[0].RolloutState != "FAILED" || v.Deployments[0].FailedTasks != 3 || v.PendingCount != 0 {
		t.Errorf("deployments %+v, want the first deployment FAILED after 3 failures, launching nothing", v.Deployments)
	}
	if v.HasEvent("rolling back") {
		t.Error("rolled back with no COMPLETED deployment to go back to")
	}
}

func TestSteadyStateIsReportedAgainAfterRepeatInterval(t *testing.T) {
	e, clk := newTestEmulator(t, Options{})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	t0 := clk.t
	clk.add(6*time.Hour - time.Millisecond)
	if n := countEvents(mustService(t, e, "default", "web"), "has reached a steady state"); n != 1 {
		t.Fatalf("steady-state events before six hours = %d, want 1", n)
	}
	clk.add(time.Millisecond)
	v := mustService(t, e, "default", "web")
	if n := countEvents(v, "has reached a steady state"); n != 2 || !v.Events[0].CreatedAt.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("steady-state events = %d, newest at %v; want 2, the second at %v", n, v.Events[0].CreatedAt, t0.Add(6*time.Hour))
	}
}

func TestScaleInStopsPendingTasksFirst(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: time.Hour})
	if err := e.CreateService("default", "web", ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 3})
	clk.add(time.Second)
	mustDo(t, e, "UpdateService", map[string]any{"service": "web", "desiredCount": 1})
	clk.add(time.Second)
	v := mustService(t, e, "default", "web")
	// Pending tasks stop at once, and the service is steady again.
	if v.Events[1].Message != "(service web) stopped 2 pending tasks." || v.Events[0].Message != "(service web) has reached a steady state." ||
		v.PendingCount != 0 || v.RunningCount != 1 {
		t.Errorf("newest events %q, %q pending %d running %d, want the 2 pending tasks stopped and a steady state",
			v.Events[0].Message, v.Events[1].Message, v.PendingCount, v.RunningCount)
	}
}

func TestDaemonServiceFollowsContainerInstances(t *testing.T) {
	e, clk := newTestEmulator(t, Options{TaskStartDelay: 10 * time.Millisecond, TaskStopDelay: 10 * time.Millisecond})
	if err := e.SetContainerInstances("default", 3); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateService("default", "agent", ServiceSpec{SchedulingStrategy: SchedulingDaemon}); err != nil {
		t.Fatal(err)
	}
	v := mustService(t, e, "default", "agent")
	if v.SchedulingStrategy != "DAEMON" || v.DesiredCount != 3 || v.RunningCount != 3 {
		t.Fatalf("seeded daemon: strategy %s desired %d running %d, want DAEMON, 3, 3", v.SchedulingStrategy, v.DesiredCount, v.RunningCount)
	}
	if err := e.SetContainerInstances("default", 5); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	if v := mustService(t, e, "default", "agent"); v.DesiredCount != 5 || v.PendingCount != 2 {
		t.Errorf("after two more instances: desired %d pending %d, want 5 and 2", v.DesiredCount, v.PendingCount)
	}
	if err := e.SetContainerInstances("default", 1); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Second)
	if v := mustService(t, e, "default", "agent"); v.DesiredCount != 1 || v.RunningCount != 1 {
		t.Errorf("after going down to one instance: desired %d running %d, want 1 and 1", v.DesiredCount, v.RunningCount)
	}
	if err := e.SetContainerInstances("nope", 1); !errors.Is(err, ErrClusterNotFound) {
		t.Errorf("SetContainerInstances on a missing cluster = %v, want ErrClusterNotFound", err)
	}
	if err := e.SetContainerInstances("default", -1); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("SetContainerInstances(-1) = %v, want ErrInvalidSpec", err)
	}
}

func TestSchedulerDelayDefaults(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{
		{0, time.Second}, {-1, time.Millisecond}, {time.Microsecond, time.Millisecond}, {300 * time.Millisecond, 300 * time.Millisecond},
	} {
		o, err := Options{SchedulerDelay: tc.in}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if o.SchedulerDelay != tc.want {
			t.Errorf("SchedulerDelay %v → %v, want %v", tc.in, o.SchedulerDelay, tc.want)
		}
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
	clk.add(time.Second) // the scheduler stops the tasks
	if v := mustService(t, e, "default", "web"); v.Status != "DRAINING" || v.RunningCount != 2 {
		t.Errorf("while the tasks stop: status %s running %d, want DRAINING and 2", v.Status, v.RunningCount)
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
		"bad strategy":      {"g", ServiceSpec{SchedulingStrategy: "SPREAD"}, ErrInvalidSpec},
		"daemon on fargate": {"h", ServiceSpec{SchedulingStrategy: SchedulingDaemon, LaunchType: "FARGATE"}, ErrInvalidSpec},
		"daemon blue/green": {"i", ServiceSpec{SchedulingStrategy: SchedulingDaemon, DeploymentController: ControllerCodeDeploy}, ErrInvalidSpec},
		"daemon desired":    {"j", ServiceSpec{SchedulingStrategy: SchedulingDaemon, DesiredCount: 2}, ErrInvalidSpec},
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
