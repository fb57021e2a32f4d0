package update_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/update"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// The step runs with the real ECS client against the local ECS emulator.

// web may run 1 to 5 tasks; its scale-out waits up to 120 s for stability, polling every 5 s.
const ecsConfig = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [
      {"alarmName": "web-high", "direction": "out", "stabilizationTimeoutSeconds": 120, "pollIntervalSeconds": 5},
      {"alarmName": "web-low", "direction": "in"}]},
    {"cluster": "prod", "service": "ghost", "minCapacity": 1, "maxCapacity": 5,
     "alarms": [{"alarmName": "ghost-high", "direction": "out"}]},
    {"cluster": "nowhere", "service": "web", "minCapacity": 1, "maxCapacity": 5,
     "alarms": [{"alarmName": "nowhere-high", "direction": "out"}]},
    {"cluster": "prod", "service": "batch", "minCapacity": 0, "maxCapacity": 4, "alarms": [
      {"alarmName": "batch-high", "direction": "out", "stabilizationTimeoutSeconds": 60, "pollIntervalSeconds": 10},
      {"alarmName": "batch-low", "direction": "in", "stabilizationTimeoutSeconds": 30, "pollIntervalSeconds": 3}],
     "scheduledActions": [{"scheduledActionName": "mornings", "schedule": "cron(0 9 * * ? *)", "timezone": "UTC",
       "scalableTargetAction": {"minCapacity": 3, "maxCapacity": 8}}]}
  ]
}`

var web = scaling.ServiceRef{Cluster: "prod", Service: "web"}

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type env struct {
	emu     *ecsemu.Emulator
	client  *ecs.Client
	handler *update.Handler
}

func start(t *testing.T) *env {
	t.Helper()
	emu := awstest.StartECS(t, ecsemu.Options{SchedulerDelay: time.Millisecond})
	if err := emu.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	if err := emu.CreateService("prod", "batch", ecsemu.ServiceSpec{DesiredCount: 0}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	client := awstest.ECS(emu.URL())
	cfg, err := config.Parse("ecs.json", []byte(ecsConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &env{emu: emu, client: client, handler: update.New(client, cfg, func() time.Time { return now }, log)}
}

// before is the snapshot Describe would have returned: web at 2 of 2.
func before() service.Snapshot {
	return service.Snapshot{Name: "web", Status: service.StatusActive, DesiredCount: 2, RunningCount: 2}
}

func scaleOut(to int) scaling.Decision {
	return scaling.Decision{AlarmName: "web-high", Scale: true, Direction: scaling.Out, From: 2, To: to, Base: 2}
}

func (e *env) desired(t *testing.T) int {
	t.Helper()
	v, ok := e.emu.Service("prod", "web")
	if !ok {
		t.Fatal("service prod/web not in the emulator")
	}
	return v.DesiredCount
}

// Update never sets desiredCount outside the deployed [min, max] = [1, 5], nor acts on a
// plan that does not ask for a change, whatever the state it is handed says: it refuses
// without calling UpdateService.
func TestUpdateRefuses(t *testing.T) {
	t.Parallel()
	e := start(t)
	scaleIn := func(to int) scaling.Decision {
		return scaling.Decision{AlarmName: "web-low", Scale: true, Direction: scaling.In, From: 2, To: to, Base: 2}
	}
	dryRun := scaleOut(3)
	dryRun.DryRun = true
	notScaled := scaling.Decision{AlarmName: "web-high", From: 2, To: 2, Base: 2,
		NotScaledReasons: []scaling.NotScaledReason{{Code: scaling.CooldownActive, Alarm: "web-high", Message: "cooldown"}}}
	unknownAlarm := scaleOut(3)
	unknownAlarm.AlarmName = "api-high"
	for _, tt := range []struct {
		name string
		plan scaling.Decision
	}{
		{"above max", scaleOut(6)},
		{"far above max", scaleOut(5000)},
		{"below min", scaleIn(0)},
		{"negative", scaleIn(-1)},
		{"no change asked", notScaled},
		{"not scaling though within bounds", scaling.Decision{AlarmName: "web-high", From: 2, To: 3, Base: 2}},
		{"dry run", dryRun},
		{"another service's alarm", unknownAlarm},
	} {
		calls := e.emu.Calls("UpdateService")
		_, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: web, Plan: tt.plan, Before: before()})
		var invalid *steps.InvalidInputError
		if !errors.As(err, &invalid) {
			t.Errorf("%s: error %T %v, want InvalidInputError", tt.name, err, err)
		}
		if n := e.emu.Calls("UpdateService") - calls; n != 0 {
			t.Errorf("%s: %d UpdateService requests, want none", tt.name, n)
		}
	}
	if d := e.desired(t); d != 2 {
		t.Errorf("desiredCount = %d after refused updates, want 2", d)
	}
}

// The bounds themselves are allowed.
func TestUpdateAtTheBounds(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, plan := range []scaling.Decision{
		scaleOut(5),
		{AlarmName: "web-low", Scale: true, Direction: scaling.In, From: 5, To: 1, Base: 5},
	} {
		if _, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: web, Plan: plan, Before: before()}); err != nil {
			t.Fatalf("Update to %d: %v", plan.To, err)
		}
		if d := e.desired(t); d != plan.To {
			t.Errorf("desiredCount = %d, want %d", d, plan.To)
		}
	}
}

// Update sets the planned count with one UpdateService and starts the watch from the
// clock and the policy's stabilization timeout (120 s) and poll interval (5 s).
func TestUpdate(t *testing.T) {
	t.Parallel()
	e := start(t)
	calls := e.emu.Calls("UpdateService")
	w, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: web, Plan: scaleOut(4), Before: before()})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if n := e.emu.Calls("UpdateService") - calls; n != 1 {
		t.Errorf("UpdateService requests = %d, want 1", n)
	}
	if d := e.desired(t); d != 4 {
		t.Errorf("desiredCount = %d, want 4", d)
	}
	want := stability.Counts{Desired: 2, Running: 2, Pending: 0}
	if w.DesiredCount != 4 || !w.Since.Equal(now) || !w.Deadline.Equal(now.Add(120*time.Second)) || w.PollSeconds != 5 ||
		w.Status != stability.InProgress || w.AtUpdate != want || w.Last != want || w.Checks != 0 {
		t.Errorf("watch = %+v, want desired 4 since %s, deadline 120 s later, polls of 5 s, InProgress, counts %+v", w, now, want)
	}
}

func TestUpdateNotFound(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, ref := range []scaling.ServiceRef{{Cluster: "prod", Service: "ghost"}, {Cluster: "nowhere", Service: "web"}} {
		plan := scaleOut(3)
		plan.AlarmName = map[string]string{"prod": "ghost-high", "nowhere": "nowhere-high"}[ref.Cluster]
		_, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: ref, Plan: plan, Before: before()})
		var notFound *steps.ServiceNotFoundError
		if !errors.As(err, &notFound) || notFound.Service != ref.String() {
			t.Errorf("Update %s: error %T %v, want ServiceNotFoundError for %s", ref, err, err, ref)
		}
	}
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.emu.InjectFault(ecsemu.Fault{Operation: "UpdateService", Error: ecsemu.Throttling})
	_, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: web, Plan: scaleOut(3), Before: before()})
	var transient *steps.TransientError
	if !errors.As(err, &transient) {
		t.Errorf("throttled: %T %v, want TransientError", err, err)
	}
	e.emu.InjectFault(ecsemu.Fault{Operation: "UpdateService", Error: ecsemu.AccessDenied})
	_, err = e.handler.Update(t.Context(), workflow.UpdateRequest{Service: web, Plan: scaleOut(3), Before: before()})
	var callErr *steps.AWSCallError
	if !errors.As(err, &callErr) {
		t.Errorf("access denied: %T %v, want AWSCallError", err, err)
	}
	if d := e.desired(t); d != 2 {
		t.Errorf("desiredCount = %d after failed updates, want 2", d)
	}
	_, err = e.handler.Update(t.Context(), workflow.UpdateRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "api"}, Plan: scaleOut(3)})
	var notConfigured *steps.ServiceNotConfiguredError
	if !errors.As(err, &notConfigured) {
		t.Errorf("unconfigured service: %T %v, want ServiceNotConfiguredError", err, err)
	}
}

// batch's scheduled action fired at 09:00, an hour before the clock: its bounds are
// [3, 8] rather than the configured [0, 4]. A move the bounds made (no alarm) is checked
// against them and watched as long as the longest of batch's policies (60 s), polled as
// often as the most frequent (3 s); an alarm's step may now go past the configured max.
func TestUpdateWithinScheduledBounds(t *testing.T) {
	t.Parallel()
	e := start(t)
	batch := scaling.ServiceRef{Cluster: "prod", Service: "batch"}
	idle := service.Snapshot{Name: "batch", Status: service.StatusActive}
	w, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: batch, Before: idle,
		Plan: scaling.Decision{Scale: true, Direction: scaling.Out, From: 0, To: 3, Base: 0}})
	if err != nil {
		t.Fatalf("Update into the scheduled bounds: %v", err)
	}
	if w.DesiredCount != 3 || !w.Deadline.Equal(now.Add(60*time.Second)) || w.PollSeconds != 3 {
		t.Errorf("watch = %+v, want desired 3, deadline 60 s on, polls of 3 s", w)
	}
	if _, err := e.handler.Update(t.Context(), workflow.UpdateRequest{Service: batch, Before: idle,
		Plan: scaling.Decision{AlarmName: "batch-high", Scale: true, Direction: scaling.Out, From: 3, To: 6, Base: 3}}); err != nil {
		t.Fatalf("Update past the configured max, within the scheduled one: %v", err)
	}
	_, err = e.handler.Update(t.Context(), workflow.UpdateRequest{Service: batch, Before: idle,
		Plan: scaling.Decision{AlarmName: "batch-high", Scale: true, Direction: scaling.Out, From: 6, To: 9, Base: 6}})
	var invalid *steps.InvalidInputError
	if !errors.As(err, &invalid) {
		t.Errorf("Update to 9, past the scheduled max of 8: %v, want InvalidInputError", err)
	}
	if v, _ := e.emu.Service("prod", "batch"); v.DesiredCount != 6 {
		t.Errorf("batch desiredCount = %d, want 6", v.DesiredCount)
	}
}
