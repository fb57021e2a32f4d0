package workflow

import (
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

func TestBuildActivity(t *testing.T) {
	start := time.Date(2026, 11, 27, 10, 3, 20, 0, time.UTC)
	end := start.Add(90 * time.Second)
	changed := time.Date(2026, 11, 27, 10, 3, 12, 0, time.UTC)
	policies := []scaling.Policy{{AlarmName: "web-high", Direction: scaling.Out, Adjustment: 1}}
	base := State{
		Input: Input{
			Service: scaling.ServiceRef{Cluster: "prod", Service: "web"},
			Trigger: Trigger{Source: SourceNotification, Minute: changed.Truncate(time.Minute), Alarm: "web-high", StateChangeTime: &changed},
		},
		Lease:  &activity.Lease{Acquired: true, Owner: "exec"},
		Alarms: &Alarms{Alarms: []scaling.AlarmReading{{Name: "web-high", State: scaling.StateAlarm}}},
		Before: &service.Snapshot{DesiredCount: 1},
	}
	scaled := base
	scaled.Plan = &scaling.Decision{AlarmName: "web-high", Scale: true, Direction: scaling.Out, From: 1, To: 2, Reason: "simple scale-out step: +1 task"}
	watched := func(status stability.Status) State {
		s := scaled
		w := stability.NewWatch(service.Snapshot{DesiredCount: 1, RunningCount: 1}, 2, start, end, 15)
		w.Verdict = stability.Verdict{Status: status, Reason: "why"}
		s.Watch = &w
		return s
	}
	notScaled := base
	notScaled.Plan = &scaling.Decision{AlarmName: "web-high", From: 1, To: 1, Description: "Not scaled: at max.",
		NotScaledReasons: []scaling.NotScaledReason{{Code: scaling.AlreadyAtMaxCapacity, Alarm: "web-high", Message: "at max"}}}
	busy := base
	busy.Lease = &activity.Lease{Acquired: false, Owner: "other-exec"}
	busy.Alarms, busy.Before = nil, nil
	dry := base
	dry.Plan = &scaling.Decision{AlarmName: "web-high", Scale: true, DryRun: true, From: 1, To: 3, Reason: "simple step"}
	failedStep := base
	failedStep.Error = &StepError{Error: "ServiceNotFoundError", Cause: `{"errorMessage":"ECS service prod/web not found","errorType":"ServiceNotFoundError"}`}
	failedAfterUpdate := watched(stability.InProgress)
	failedAfterUpdate.Error = &StepError{Error: "States.Timeout", Cause: "timed out"}

	tests := []struct {
		name   string
		state  State
		code   string
		failed bool
		errStr string
		msg    string
		reason string
	}{
		{"stable", watched(stability.Stable), activity.StatusSuccessful, false, "", "Successfully set desired count to 2", ""},
		{"timed out", watched(stability.TimedOut), activity.StatusUnfulfilled, true, ErrScalingUnfulfilled, "did not become stable in time", ""},
		{"tasks cannot start", watched(stability.Failed), activity.StatusFailed, true, ErrScalingFailed, "cannot reach it: why", ""},
		{"overridden", watched(stability.Overridden), activity.StatusOverridden, false, "", "changed by another actor", ""},
		{"not scaled", notScaled, activity.StatusNotScaled, false, "", "at max", scaling.AlreadyAtMaxCapacity},
		{"lease held", busy, activity.StatusNotScaled, false, "", "other-exec", scaling.ScalingInProgress},
		{"dry run", dry, activity.StatusDryRun, false, "", "would set desired count from 1 to 3", ""},
		{"step failed, Lambda cause unwrapped", failedStep, activity.StatusFailed, true, "ServiceNotFoundError", "ServiceNotFoundError: ECS service prod/web not found", ""},
		{"failed after the update says so", failedAfterUpdate, activity.StatusFailed, true, "States.Timeout", "desired count had been set to 2", ""},
		{"ended early", scaled, activity.StatusFailed, true, ErrScalingFailed, "ended before", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := RecordRequest{Execution: Execution{Name: "exec", ID: "arn:exec", StartTime: start}, State: tt.state}
			a := BuildActivity(req, policies, end)
			o := OutcomeOf(a, tt.state)
			if a.StatusCode != tt.code || o.Failed != tt.failed || o.Error != tt.errStr {
				t.Fatalf("got %s failed=%v error=%q (%s), want %s failed=%v error=%q", a.StatusCode, o.Failed, o.Error, a.StatusMessage, tt.code, tt.failed, tt.errStr)
			}
			if !strings.Contains(a.StatusMessage, tt.msg) {
				t.Errorf("StatusMessage %q lacks %q", a.StatusMessage, tt.msg)
			}
			if tt.reason != "" && (len(a.NotScaledReasons) != 1 || a.NotScaledReasons[0].Code != tt.reason) {
				t.Errorf("NotScaledReasons = %+v, want %s", a.NotScaledReasons, tt.reason)
			}
			if a.ActivityID != "exec" || a.ResourceID != "service/prod/web" || a.ScalableDimension != "ecs:service:DesiredCount" ||
				a.Trigger != SourceNotification || a.AlarmName != "web-high" || !a.StartTime.Equal(start) || !a.EndTime.Equal(end) {
				t.Errorf("identity fields wrong: %+v", a)
			}
			for _, part := range []string{"notification: alarm web-high entered ALARM at 2026-11-27T10:03:12Z", "CloudWatch reports web-high in ALARM"} {
				if tt.state.Alarms == nil && strings.HasPrefix(part, "CloudWatch") {
					continue
				}
				if !strings.Contains(a.Cause, part) {
					t.Errorf("Cause %q lacks %q", a.Cause, part)
				}
			}
		})
	}
	a := BuildActivity(RecordRequest{Execution: Execution{Name: "exec"}, State: scaled}, policies, end)
	if want := "monitor alarm web-high triggered scale-out policy (+1 task): simple scale-out step: +1 task"; !strings.Contains(a.Cause, want) {
		t.Errorf("Cause %q lacks %q", a.Cause, want)
	}
	sched := base
	sched.Trigger = Trigger{Source: SourceSchedule, Minute: changed.Truncate(time.Minute)}
	sched.Alarms = &Alarms{Alarms: []scaling.AlarmReading{{Name: "web-high", State: scaling.StateOK}}}
	if c := BuildActivity(RecordRequest{State: sched}, policies, end).Cause; c != "per-minute evaluation at 10:03Z; CloudWatch reports no alarm of the service in ALARM" {
		t.Errorf("schedule cause = %q", c)
	}
}

// TestRepeatKey: the same alarms held back for the same reasons at the same count repeat;
// anything else is new.
func TestRepeatKey(t *testing.T) {
	ns := func(from int, reasons ...scaling.NotScaledReason) activity.Activity {
		return activity.Activity{StatusCode: activity.StatusNotScaled, FromCount: from, NotScaledReasons: reasons}
	}
	atMax := scaling.NotScaledReason{Alarm: "cpu-high", Code: scaling.AlreadyAtMaxCapacity, Message: "desired count 20 is at the maximum 20"}
	blocked := scaling.NotScaledReason{Alarm: "cpu-low", Code: scaling.ScaleInBlockedByScaleOutAlarm, Message: "x"}
	base := RepeatKey(ns(20, atMax, blocked))
	if base != "cpu-high:AlreadyAtMaxCapacity,cpu-low:ScaleInBlockedByScaleOutAlarm@20" {
		t.Errorf("RepeatKey = %q", base)
	}
	reworded := atMax
	reworded.Message = "another wording"
	if k := RepeatKey(ns(20, blocked, reworded)); k != base {
		t.Errorf("order or wording changed the key: %q vs %q", k, base)
	}
	for _, other := range []activity.Activity{ns(19, atMax, blocked), ns(20, atMax), {StatusCode: activity.StatusSuccessful}} {
		if k := RepeatKey(other); k == base {
			t.Errorf("%+v repeats %q", other, base)
		}
	}
	if k := RepeatKey(activity.Activity{StatusCode: activity.StatusFailed}); k != "" {
		t.Errorf("a failure has a repeat key %q", k)
	}
}
