package metrics

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// TestOf: what a recorded execution publishes follows from its activity and state.
func TestOf(t *testing.T) {
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	at := time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC)
	changed := time.Date(2026, 11, 27, 10, 2, 30, 0, time.UTC) // web-high went into ALARM
	updated := time.Date(2026, 11, 27, 10, 3, 0, 0, time.UTC)  // UpdateService returned
	notified := workflow.Input{Service: web, Trigger: workflow.Trigger{Source: workflow.SourceNotification,
		Minute: changed.Truncate(time.Minute), Alarm: "web-high", StateChangeTime: &changed}}
	scheduled := workflow.Input{Service: web, Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: updated.Truncate(time.Minute)}}
	out := &scaling.Decision{AlarmName: "web-high", Scale: true, Direction: scaling.Out, From: 2, To: 4}
	watch := func(status stability.Status, checks, lastDesired int) *stability.Watch {
		return &stability.Watch{DesiredCount: 4, Since: updated, Verdict: stability.Verdict{Status: status},
			Last: stability.Counts{Desired: lastDesired}, Checks: checks}
	}
	act := func(code string, reasons ...string) activity.Activity {
		a := activity.Activity{ActivityID: "exec", StatusCode: code}
		for _, r := range reasons {
			a.NotScaledReasons = append(a.NotScaledReasons, scaling.NotScaledReason{Code: r})
		}
		return a
	}
	d := func(s float64) *time.Duration { v := time.Duration(s * float64(time.Second)); return &v }
	n := func(v int) *int { return &v }

	tests := []struct {
		name  string
		act   activity.Activity
		state workflow.State
		want  Outcome
	}{
		{
			// From the notification's StateChangeTime: 10:02:30 → 10:03:00 is 30 s to the
			// update, → 10:05:00 (the record) 150 s to stable.
			name:  "notified scale-out, stable",
			act:   act(activity.StatusSuccessful),
			state: workflow.State{Input: notified, Plan: out, Watch: watch(stability.Stable, 3, 4)},
			want: Outcome{Service: web, ActivityID: "exec", Status: "Successful", Direction: "out",
				DesiredCount: n(4), ToUpdate: d(30), ToStable: d(150), At: at},
		},
		{
			// The reading's StateTransitionedTimestamp (10:02:00) wins over the
			// notification's: 60 s to the update, 180 s to stable.
			name: "what CloudWatch said comes first",
			act:  act(activity.StatusSuccessful),
			state: workflow.State{Input: notified, Plan: out, Watch: watch(stability.Stable, 1, 4),
				Alarms: &workflow.Alarms{Transitioned: map[string]time.Time{"web-high": changed.Add(-30 * time.Second)}}},
			want: Outcome{Service: web, ActivityID: "exec", Status: "Successful", Direction: "out",
				DesiredCount: n(4), ToUpdate: d(60), ToStable: d(180), At: at},
		},
		{
			// The per-minute evaluation started it and nothing read the transition: no
			// timing. Another actor set the desired count to 7 since the update.
			name:  "scheduled, overridden",
			act:   act(activity.StatusOverridden),
			state: workflow.State{Input: scheduled, Plan: out, Watch: watch(stability.Overridden, 2, 7)},
			want: Outcome{Service: web, ActivityID: "exec", Status: "Overridden", Direction: "out",
				DesiredCount: n(7), At: at},
		},
		{
			// Updated, then a step failed before any check: the desired count is what the
			// update set; there is a time to the update, none to stable.
			name: "failed after the update",
			act:  act(activity.StatusFailed),
			state: workflow.State{Input: notified, Plan: out, Watch: watch(stability.InProgress, 0, 2),
				Error: &workflow.StepError{Error: "States.Timeout"}},
			want: Outcome{Service: web, ActivityID: "exec", Status: "Failed", Direction: "out",
				DesiredCount: n(4), ToUpdate: d(30), At: at},
		},
		{
			// The notification names another alarm than the one that decided: its time is
			// not this alarm's transition.
			name: "decided by another alarm",
			act:  act(activity.StatusSuccessful),
			state: workflow.State{Input: notified, Watch: watch(stability.Stable, 1, 4),
				Plan: &scaling.Decision{AlarmName: "web-latency", Scale: true, Direction: scaling.Out, From: 2, To: 4}},
			want: Outcome{Service: web, ActivityID: "exec", Status: "Successful", Direction: "out", DesiredCount: n(4), At: at},
		},
		{
			// Two alarms held back for the same reason count once for it.
			name: "not scaled",
			act:  act(activity.StatusNotScaled, scaling.AlreadyAtMaxCapacity, scaling.CooldownActive, scaling.AlreadyAtMaxCapacity),
			state: workflow.State{Input: scheduled, Before: &service.Snapshot{DesiredCount: 20},
				Plan: &scaling.Decision{AlarmName: "web-high", Direction: scaling.Out, From: 20, To: 20}},
			want: Outcome{Service: web, ActivityID: "exec", Status: "NotScaled", Direction: "out",
				Reasons: []string{scaling.AlreadyAtMaxCapacity, scaling.CooldownActive}, DesiredCount: n(20), At: at},
		},
		{
			name:  "no alarm in ALARM: no direction",
			act:   act(activity.StatusNotScaled, scaling.NoAlarmInAlarm),
			state: workflow.State{Input: scheduled, Before: &service.Snapshot{DesiredCount: 3}, Plan: &scaling.Decision{From: 3, To: 3}},
			want: Outcome{Service: web, ActivityID: "exec", Status: "NotScaled", Direction: NoDirection,
				Reasons: []string{scaling.NoAlarmInAlarm}, DesiredCount: n(3), At: at},
		},
		{
			name:  "lease held: the service was never read",
			act:   act(activity.StatusNotScaled, scaling.ScalingInProgress),
			state: workflow.State{Input: scheduled, Lease: &activity.Lease{Acquired: false, Owner: "other"}},
			want: Outcome{Service: web, ActivityID: "exec", Status: "NotScaled", Direction: NoDirection,
				Reasons: []string{scaling.ScalingInProgress}, At: at},
		},
		{
			// Reasons belong to not-scaled outcomes only.
			name:  "dry run",
			act:   act(activity.StatusDryRun),
			state: workflow.State{Input: scheduled, Before: &service.Snapshot{DesiredCount: 1}, Plan: &scaling.Decision{AlarmName: "web-high", Scale: true, DryRun: true, Direction: scaling.Out, From: 1, To: 3}},
			want:  Outcome{Service: web, ActivityID: "exec", Status: "DryRun", Direction: "out", DesiredCount: n(1), At: at},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.act, tt.state, at); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Of =\n %s\nwant\n %s", show(got), show(tt.want))
			}
		})
	}
}

func show(o Outcome) string {
	secs := func(d *time.Duration) any {
		if d == nil {
			return nil
		}
		return d.Seconds()
	}
	var desired any
	if o.DesiredCount != nil {
		desired = *o.DesiredCount
	}
	return fmt.Sprintf("%s %s %s reasons %v desired %v toUpdate %v toStable %v at %s",
		o.ActivityID, o.Status, o.Direction, o.Reasons, desired, secs(o.ToUpdate), secs(o.ToStable), o.At)
}
