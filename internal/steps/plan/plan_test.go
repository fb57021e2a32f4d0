package plan_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/plan"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// The step calls no AWS API: it plans from the deployed configuration, what the earlier
// steps read, and its clock.

// web: 1 to 5 tasks; web-high adds 2 (cooldown 300 s), web-low removes 1. batch is a dry run.
const planConfig = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [
      {"alarmName": "web-high", "direction": "out", "adjustment": 2, "cooldownSeconds": 300},
      {"alarmName": "web-low", "direction": "in", "adjustment": 1}]},
    {"cluster": "prod", "service": "batch", "minCapacity": 1, "maxCapacity": 5, "dryRun": true, "alarms": [
      {"alarmName": "batch-high", "direction": "out", "adjustment": 1}]}
  ]
}`

var (
	web   = scaling.ServiceRef{Cluster: "prod", Service: "web"}
	batch = scaling.ServiceRef{Cluster: "prod", Service: "batch"}
	now   = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
)

func handler(t *testing.T) *plan.Handler {
	t.Helper()
	cfg, err := config.Parse("plan.json", []byte(planConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	return plan.New(cfg, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func request(svc scaling.ServiceRef, desired int, st activity.State, inAlarm ...string) workflow.PlanRequest {
	var readings []scaling.AlarmReading
	for _, name := range inAlarm {
		readings = append(readings, scaling.AlarmReading{Name: name, State: scaling.StateAlarm})
	}
	return workflow.PlanRequest{
		Service:   svc,
		Before:    service.Snapshot{Name: svc.Service, Status: service.StatusActive, DesiredCount: desired, RunningCount: desired},
		Lease:     activity.Lease{Acquired: true, Owner: "exec-a", State: st},
		Alarms:    workflow.Alarms{ReadAt: now, Alarms: readings},
		Execution: workflow.Execution{Name: "exec-a"},
	}
}

func ago(d time.Duration) *time.Time {
	t := now.Add(-d)
	return &t
}

func TestPlan(t *testing.T) {
	t.Parallel()
	h := handler(t)
	two := 2
	for _, tt := range []struct {
		name      string
		req       workflow.PlanRequest
		scale     bool
		to        int
		direction scaling.Direction
		code      string // the first not-scaled reason's code when not scaling
	}{
		{"scale out by 2", request(web, 2, activity.State{}, "web-high"), true, 4, scaling.Out, ""},
		{"clamped to the maximum", request(web, 4, activity.State{}, "web-high"), true, 5, scaling.Out, ""},
		{"at the maximum", request(web, 5, activity.State{}, "web-high"), false, 5, scaling.Out, scaling.AlreadyAtMaxCapacity},
		{"scale in by 1", request(web, 3, activity.State{}, "web-low"), true, 2, scaling.In, ""},
		{"at the minimum", request(web, 1, activity.State{}, "web-low"), false, 1, scaling.In, scaling.AlreadyAtMinCapacity},
		// A scale-out alarm in ALARM holds a scale-in back (Application Auto Scaling).
		{"scale-out wins", request(web, 3, activity.State{}, "web-high", "web-low"), true, 5, scaling.Out, ""},
		{"no alarm in ALARM", request(web, 3, activity.State{}), false, 3, "", scaling.NoAlarmInAlarm},
		// 60 s into the 300 s cooldown of a scale-out from 2 to 4: the step of 2 counts
		// from 2 and is already there.
		{"within the cooldown", request(web, 4, activity.State{LastScaleOutAt: ago(time.Minute), LastScaleOutFrom: &two}, "web-high"),
			false, 4, scaling.Out, scaling.CooldownActive},
		// 301 s after it, the step counts from the desired count again: 4 + 2, clamped to 5.
		{"after the cooldown", request(web, 4, activity.State{LastScaleOutAt: ago(301 * time.Second), LastScaleOutFrom: &two}, "web-high"),
			true, 5, scaling.Out, ""},
		{"suspended", request(web, 2, activity.State{SuspendedOut: true}, "web-high"), false, 2, scaling.Out, scaling.ScalingSuspended},
	} {
		d, err := h.Plan(t.Context(), tt.req)
		if err != nil {
			t.Errorf("%s: Plan: %v", tt.name, err)
			continue
		}
		if d.Scale != tt.scale || d.To != tt.to || d.From != tt.req.Before.DesiredCount || d.DryRun {
			t.Errorf("%s: decision %+v, want scale %t to %d", tt.name, d, tt.scale, tt.to)
		}
		if tt.direction != "" && d.Direction != tt.direction {
			t.Errorf("%s: direction %q, want %q", tt.name, d.Direction, tt.direction)
		}
		switch {
		case tt.code == "" && len(d.NotScaledReasons) != 0:
			t.Errorf("%s: not-scaled reasons %+v, want none", tt.name, d.NotScaledReasons)
		case tt.code != "" && (len(d.NotScaledReasons) == 0 || d.NotScaledReasons[0].Code != tt.code):
			t.Errorf("%s: not-scaled reasons %+v, want %s", tt.name, d.NotScaledReasons, tt.code)
		}
	}
}

// A dry-run service decides as any other and says it is a dry run.
func TestPlanDryRun(t *testing.T) {
	t.Parallel()
	d, err := handler(t).Plan(t.Context(), request(batch, 2, activity.State{}, "batch-high"))
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if !d.Scale || !d.DryRun || d.To != 3 || d.AlarmName != "batch-high" {
		t.Errorf("decision %+v, want a dry run of 2 to 3 by batch-high", d)
	}
}

// Planning without the service's lease, or for a service the configuration does not
// list, is refused.
func TestPlanRefuses(t *testing.T) {
	t.Parallel()
	h := handler(t)
	req := request(web, 2, activity.State{}, "web-high")
	req.Lease = activity.Lease{Acquired: false, Owner: "exec-b"}
	var invalid *steps.InvalidInputError
	if _, err := h.Plan(t.Context(), req); !errors.As(err, &invalid) {
		t.Errorf("without the lease: %T %v, want InvalidInputError", err, err)
	}
	var notConfigured *steps.ServiceNotConfiguredError
	if _, err := h.Plan(t.Context(), request(scaling.ServiceRef{Cluster: "prod", Service: "api"}, 2, activity.State{}, "api-high")); !errors.As(err, &notConfigured) {
		t.Errorf("unconfigured service: %T %v, want ServiceNotConfiguredError", err, err)
	}
}
