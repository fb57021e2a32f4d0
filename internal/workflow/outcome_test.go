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
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	end := start.Add(90 * time.Second)
	base := State{
		Input: Input{
			Alarm:   Alarm{Name: "web-high", NewState: "ALARM", Reason: "Threshold Crossed"},
			Service: scaling.ServiceRef{Cluster: "prod", Service: "web"},
			Policy:  scaling.Policy{Direction: scaling.Out, Adjustment: 1},
		},
		Lease:  &activity.Lease{Acquired: true, Owner: "exec"},
		Before: &service.Snapshot{DesiredCount: 1},
	}
	scaled := base
	scaled.Plan = &scaling.Decision{Scale: true, From: 1, To: 2}
	scaled.Update = &UpdateResult{DesiredCount: 2, UpdatedAt: start.Add(time.Second)}
	with := func(s State, status stability.Status) State {
		s.Stability = &StabilityResult{Verdict: stability.Verdict{Status: status, Reason: "why"}, DesiredCount: 2, RunningCount: 1}
		return s
	}
	notScaled := base
	notScaled.Plan = &scaling.Decision{From: 1, To: 1, Description: "Not scaled: at max.",
		NotScaledReasons: []scaling.NotScaledReason{{Code: scaling.AlreadyAtMaxCapacity, Message: "at max"}}}
	busy := base
	busy.Lease = &activity.Lease{Acquired: false, Owner: "other-exec"}
	busy.Before = nil
	failedStep := base
	failedStep.Error = &StepError{Error: "ServiceNotFoundError", Cause: `{"errorMessage":"ECS service prod/web not found","errorType":"ServiceNotFoundError"}`}
	failedAfterUpdate := scaled
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
		{"stable", with(scaled, stability.Stable), activity.StatusSuccessful, false, "", "Successfully set desired count to 2", ""},
		{"timed out", with(scaled, stability.TimedOut), activity.StatusUnfulfilled, true, ErrScalingUnfulfilled, "did not become stable in time", ""},
		{"rollout failed", with(scaled, stability.Failed), activity.StatusFailed, true, ErrScalingFailed, "cannot reach it", ""},
		{"overridden", with(scaled, stability.Overridden), activity.StatusOverridden, false, "", "changed by another actor", ""},
		{"not scaled", notScaled, StatusNotScaled, false, "", "at max", scaling.AlreadyAtMaxCapacity},
		{"lease held", busy, StatusNotScaled, false, "", "other-exec", scaling.ScalingInProgress},
		{"step failed, Lambda cause unwrapped", failedStep, activity.StatusFailed, true, "ServiceNotFoundError", "ServiceNotFoundError: ECS service prod/web not found", ""},
		{"failed after the update says so", failedAfterUpdate, activity.StatusFailed, true, "States.Timeout", "desired count had been set to 2", ""},
		{"ended early", scaled, activity.StatusFailed, true, ErrScalingFailed, "ended before", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := RecordRequest{Execution: Execution{Name: "exec", ID: "arn:exec", StartTime: start}, State: tt.state}
			a := BuildActivity(req, end)
			o := outcomeOf(a, tt.state)
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
				!a.StartTime.Equal(start) || !a.EndTime.Equal(end) || !strings.Contains(a.Cause, "web-high") || !strings.Contains(a.Cause, "Threshold Crossed") {
				t.Errorf("identity fields wrong: %+v", a)
			}
		})
	}
}

func TestNextStep(t *testing.T) {
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	now := start.Add(2 * time.Minute)
	policy := scaling.Policy{Direction: scaling.Out, MinCapacity: 1, MaxCapacity: 10, PollIntervalSeconds: 15,
		CooldownSeconds: 60, MaxSteps: 5, MaxDurationSeconds: 3600}
	ok := activity.Activity{StatusCode: activity.StatusSuccessful, FromCount: 2, ToCount: 3}
	state := func(mod func(*State)) State {
		s := State{Input: Input{Policy: policy, Step: 1, ScaledSteps: 1}, Lease: &activity.Lease{Acquired: true},
			Plan:   &scaling.Decision{Scale: true, From: 2, To: 3},
			Update: &UpdateResult{DesiredCount: 3, UpdatedAt: now.Add(-20 * time.Second)}}
		if mod != nil {
			mod(&s)
		}
		return s
	}
	held := func(code string) func(*State) {
		return func(s *State) {
			s.Update = nil
			s.Plan = &scaling.Decision{From: 3, To: 3, NotScaledReasons: []scaling.NotScaledReason{{Code: code}}}
		}
	}
	notScaled := activity.Activity{StatusCode: StatusNotScaled, FromCount: 3, ToCount: 3}
	tests := []struct {
		name   string
		act    activity.Activity
		st     State
		cont   bool
		wait   int
		scaled int
		record bool
	}{
		{"after a successful step, wait out the cooldown", ok, state(nil), true, 40, 2, true},
		{"at least one poll interval", ok, state(func(s *State) { s.Policy.CooldownSeconds = 0 }), true, 15, 2, true},
		{"not after a failure", activity.Activity{StatusCode: activity.StatusFailed, ToCount: 3}, state(nil), false, 0, 1, true},
		{"not at max", activity.Activity{StatusCode: activity.StatusSuccessful, ToCount: 10}, state(nil), false, 0, 2, true},
		{"not at min when scaling in", activity.Activity{StatusCode: activity.StatusSuccessful, ToCount: 1},
			state(func(s *State) { s.Policy.Direction = scaling.In }), false, 0, 2, true},
		{"not past maxSteps (scaled steps only)", ok, state(func(s *State) { s.Step, s.ScaledSteps = 9, 4 }), false, 0, 5, true},
		{"polls do not use up maxSteps", ok, state(func(s *State) { s.Step, s.ScaledSteps = 9, 1 }), true, 40, 2, true},
		{"not past maxDurationSeconds", ok, state(func(s *State) { s.Policy.MaxDurationSeconds = 150 }), false, 0, 2, true},
		{"keeps watching through a cooldown, unrecorded on re-evaluation", notScaled, state(held(scaling.CooldownActive)), true, 60, 1, false},
		{"a breach below every step may pass", notScaled, state(held(scaling.AlreadyAtDesiredCapacity)), true, 60, 1, false},
		{"the notification's own decision is recorded even when watching on", notScaled,
			state(func(s *State) { held(scaling.CooldownActive)(s); s.Step = 0 }), true, 60, 1, true},
		{"a bound ends it", notScaled, state(held(scaling.AlreadyAtMaxCapacity)), false, 0, 1, true},
		{"a suspension ends it", notScaled, state(held(scaling.ScalingSuspended)), false, 0, 1, true},
		{"watching ends with maxDurationSeconds", notScaled,
			state(func(s *State) { held(scaling.CooldownActive)(s); s.Policy.MaxDurationSeconds = 150 }), false, 0, 1, true},
		{"lease taken by another while watching: end quietly", notScaled,
			state(func(s *State) { held(scaling.CooldownActive)(s); s.Lease = &activity.Lease{} }), false, 0, 1, false},
		{"lease held by another at the notification: recorded", notScaled,
			state(func(s *State) { held(scaling.CooldownActive)(s); s.Lease = &activity.Lease{}; s.Step = 0 }), false, 0, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := nextStep(tt.act, tt.st, start, now)
			if n.cont != tt.cont || n.wait != tt.wait || n.scaledSteps != tt.scaled || n.record != tt.record {
				t.Errorf("nextStep = %+v; want cont %v, wait %ds, scaled %d, record %v", n, tt.cont, tt.wait, tt.scaled, tt.record)
			}
			// The lease goes back after every step it was held for; one not held is
			// never released.
			if wantRelease := tt.st.Lease.Acquired; n.release != wantRelease {
				t.Errorf("release = %v, want %v", n.release, wantRelease)
			}
		})
	}
}
