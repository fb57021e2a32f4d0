package stabilize_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/describe"
	"github.com/stepscaler/stepscaler/internal/steps/stabilize"
	"github.com/stepscaler/stepscaler/internal/steps/update"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// Describe, update and check stability in turn, as the state machine does, with the real
// ECS client against the local ECS emulator, whose scheduler starts tasks some time after
// UpdateService returns.

const ecsConfig = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [
      {"alarmName": "web-high", "direction": "out", "stabilizationTimeoutSeconds": 120, "pollIntervalSeconds": 5}]},
    {"cluster": "prod", "service": "ghost", "minCapacity": 1, "maxCapacity": 5,
     "alarms": [{"alarmName": "ghost-high", "direction": "out"}]}
  ]
}`

var web = scaling.ServiceRef{Cluster: "prod", Service: "web"}

// taskStart is how long the emulator keeps a new task pending.
const taskStart = 150 * time.Millisecond

// clock is the handlers' clock: the real time unless set, since the emulator stamps its
// events with the real time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type env struct {
	emu       *ecsemu.Emulator
	client    *ecs.Client
	clock     *clock
	describe  *describe.Handler
	update    *update.Handler
	stabilize *stabilize.Handler
}

func start(t *testing.T) *env {
	t.Helper()
	emu := awstest.StartECS(t, ecsemu.Options{SchedulerDelay: 5 * time.Millisecond, TaskStartDelay: taskStart})
	if err := emu.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	client := awstest.ECS(emu.URL())
	cfg, err := config.Parse("ecs.json", []byte(ecsConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &clock{}
	return &env{
		emu: emu, client: client, clock: c,
		describe:  describe.New(client, cfg, c.Now),
		update:    update.New(client, cfg, c.Now, log),
		stabilize: stabilize.New(client, cfg, c.Now, log),
	}
}

// scaleTo describes web and updates it to desired, returning the watch.
func (e *env) scaleTo(t *testing.T, desired int) stability.Watch {
	t.Helper()
	before, err := e.describe.Describe(t.Context(), workflow.DescribeRequest{Service: web})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	plan := scaling.Decision{AlarmName: "web-high", Scale: true, Direction: scaling.Out, From: before.DesiredCount, To: desired, Base: before.DesiredCount}
	w, err := e.update.Update(t.Context(), workflow.UpdateRequest{Service: web, Plan: plan, Before: before})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return w
}

func (e *env) check(t *testing.T, w stability.Watch) stability.Watch {
	t.Helper()
	next, err := e.stabilize.Check(t.Context(), workflow.StabilityRequest{Service: web, Watch: w})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return next
}

// poll checks until the verdict is no longer InProgress, as the state machine's loop
// does (with a short poll), and returns the last watch.
func (e *env) poll(t *testing.T, w stability.Watch) stability.Watch {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for w.Status == stability.InProgress {
		if time.Now().After(deadline) {
			t.Fatalf("still InProgress after 5s: %+v", w)
		}
		time.Sleep(10 * time.Millisecond)
		w = e.check(t, w)
	}
	return w
}

// waitFor waits until the emulator's view of web satisfies ok.
func (e *env) waitFor(t *testing.T, ok func(ecsemu.ServiceView) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v, _ := e.emu.Service("prod", "web"); ok(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the emulator's service did not reach the expected state in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A scale-out ECS can place: the service is not stable while the new task is pending,
// and is stable once it runs.
func TestScaleOutBecomesStable(t *testing.T) {
	t.Parallel()
	e := start(t)
	updated := time.Now()
	w := e.scaleTo(t, 3)

	first := e.check(t, w)
	if first.Status != stability.InProgress || first.Checks != 1 {
		t.Fatalf("first check right after the update = %+v, want InProgress (the new task starts after %s)", first, taskStart)
	}
	last := e.poll(t, first)
	stableAt := time.Now()
	if last.Status != stability.Stable || last.Cause != stability.CauseSteadyState {
		t.Fatalf("final verdict = %+v, want Stable", last)
	}
	if want := (stability.Counts{Desired: 3, Running: 3, Pending: 0}); last.Last != want {
		t.Errorf("last counts = %+v, want %+v", last.Last, want)
	}
	if elapsed := stableAt.Sub(updated); elapsed < taskStart {
		t.Errorf("stable %s after the update, before the task could start (%s)", elapsed, taskStart)
	}
	if !last.ProgressAt.After(last.Since) {
		t.Errorf("ProgressAt %s is not after the update at %s: no check saw the task arrive", last.ProgressAt, last.Since)
	}
	v, _ := e.emu.Service("prod", "web")
	if v.RunningCount != 3 || !v.HasEvent("has started 1 tasks") {
		t.Errorf("emulator: running %d, events %+v; want 3 running after starting 1 task", v.RunningCount, v.Events)
	}
}

// A task that does not start in time ends the wait at the deadline, not before.
func TestScaleOutTimesOut(t *testing.T) {
	t.Parallel()
	e := start(t)
	if err := e.emu.SetTaskStartDelay("prod", "web", time.Hour); err != nil {
		t.Fatalf("SetTaskStartDelay: %v", err)
	}
	since := time.Now().UTC().Truncate(time.Millisecond)
	e.clock.Set(since)
	w := e.scaleTo(t, 3)
	if !w.Deadline.Equal(since.Add(120 * time.Second)) {
		t.Fatalf("deadline = %s, want 120 s after %s", w.Deadline, since)
	}

	// Let the scheduler place the task, which then stays pending for an hour.
	e.waitFor(t, func(v ecsemu.ServiceView) bool { return v.PendingCount == 1 })

	e.clock.Set(since.Add(119 * time.Second))
	if got := e.check(t, w); got.Status != stability.InProgress {
		t.Errorf("a second before the deadline: %+v, want InProgress", got)
	}
	e.clock.Set(since.Add(120 * time.Second))
	got := e.check(t, w)
	if got.Status != stability.TimedOut || got.Cause != stability.CauseTimeout {
		t.Errorf("at the deadline: %+v, want TimedOut", got)
	}
	if want := (stability.Counts{Desired: 3, Running: 2, Pending: 1}); got.Last != want {
		t.Errorf("counts at the deadline = %+v, want %+v", got.Last, want)
	}
}

// Another actor changing desiredCount during the wait overrides this scaling.
func TestScaleOutOverridden(t *testing.T) {
	t.Parallel()
	e := start(t)
	w := e.scaleTo(t, 3)
	if _, err := e.client.UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(5),
	}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	got := e.check(t, w)
	if got.Status != stability.Overridden || got.Cause != stability.CauseDesiredCountChanged || got.Last.Desired != 5 {
		t.Errorf("after another update to 5: %+v, want Overridden", got)
	}
}

// A scale-out the cluster has no room for fails as soon as ECS says it cannot place the
// task, long before the deadline.
func TestScaleOutCannotBePlaced(t *testing.T) {
	t.Parallel()
	e := start(t)
	if err := e.emu.SetCapacity("prod", 2); err != nil {
		t.Fatalf("SetCapacity: %v", err)
	}
	w := e.scaleTo(t, 3)
	got := e.poll(t, w)
	if got.Status != stability.Failed || got.Cause != stability.CausePlacementFailed || !strings.Contains(got.Reason, "unable to place a task") {
		t.Errorf("verdict = %+v, want Failed quoting ECS's placement failure", got)
	}
	if !time.Now().Before(got.Deadline) {
		t.Errorf("failed only at the deadline %s", got.Deadline)
	}
}

func TestCheckNotFound(t *testing.T) {
	t.Parallel()
	e := start(t)
	w := e.scaleTo(t, 3)
	ghost := scaling.ServiceRef{Cluster: "prod", Service: "ghost"}
	_, err := e.stabilize.Check(t.Context(), workflow.StabilityRequest{Service: ghost, Watch: w})
	var notFound *steps.ServiceNotFoundError
	if !errors.As(err, &notFound) || notFound.Service != "prod/ghost" {
		t.Errorf("Check prod/ghost: %T %v, want ServiceNotFoundError", err, err)
	}
	e.emu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: ecsemu.Throttling})
	_, err = e.stabilize.Check(t.Context(), workflow.StabilityRequest{Service: web, Watch: w})
	var transient *steps.TransientError
	if !errors.As(err, &transient) {
		t.Errorf("Check while throttled: %T %v, want TransientError", err, err)
	}
}
