package workflow

import (
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

func TestTiming(t *testing.T) {
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	at := func(hhmmss string) time.Time {
		v, err := time.Parse(time.DateTime, "2026-11-27 "+hhmmss)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	changed := at("10:00:00")
	plan := &scaling.Decision{AlarmName: "web-high", Scale: true, Direction: scaling.Out, From: 2, To: 3}
	watch := func(status stability.Status) *stability.Watch {
		return &stability.Watch{DesiredCount: 3, Since: at("10:00:45"), Verdict: stability.Verdict{Status: status}}
	}
	notified := Input{Service: web, Trigger: Trigger{Source: SourceNotification, Alarm: "web-high", StateChangeTime: &changed}}
	scheduled := Input{Service: web, Trigger: Trigger{Source: SourceSchedule, Minute: at("10:01:00")}}
	read := func(alarm string, when time.Time) *Alarms {
		return &Alarms{Transitioned: map[string]time.Time{alarm: when}}
	}
	recorded := at("10:02:30")

	tests := []struct {
		name               string
		state              State
		toUpdate, toStable time.Duration // -1: unknown
	}{
		{"notified, stable: 45 s and 150 s", State{Input: notified, Plan: plan, Watch: watch(stability.Stable)}, 45 * time.Second, 150 * time.Second},
		{"scheduled, read at 09:59:15: 90 s and 195 s",
			State{Input: scheduled, Plan: plan, Watch: watch(stability.Stable), Alarms: read("web-high", at("09:59:15"))}, 90 * time.Second, 195 * time.Second},
		{"scheduled, nothing read", State{Input: scheduled, Plan: plan, Watch: watch(stability.Stable)}, -1, -1},
		{"the reading is about another alarm", State{Input: scheduled, Plan: plan, Watch: watch(stability.Stable), Alarms: read("web-low", at("09:59:15"))}, -1, -1},
		{"still in progress", State{Input: notified, Plan: plan, Watch: watch(stability.InProgress)}, 45 * time.Second, -1},
		{"stable, but a step failed", State{Input: notified, Plan: plan, Watch: watch(stability.Stable), Error: &StepError{Error: "X"}}, 45 * time.Second, -1},
		{"no update", State{Input: notified, Plan: &scaling.Decision{AlarmName: "web-high", From: 3, To: 3}}, -1, -1},
		// The alarm went into ALARM again after the update: the update, and the
		// stability that followed, answered an earlier transition.
		{"transition after the update",
			State{Input: scheduled, Plan: plan, Watch: watch(stability.Stable), Alarms: read("web-high", at("10:01:00"))}, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := TimingOf(tt.state, recorded)
			for what, c := range map[string]struct {
				f    func() (time.Duration, bool)
				want time.Duration
			}{"ToUpdate": {tm.ToUpdate, tt.toUpdate}, "ToStable": {tm.ToStable, tt.toStable}} {
				d, ok := c.f()
				if c.want < 0 && ok {
					t.Errorf("%s = %s, want unknown", what, d)
				}
				if c.want >= 0 && (!ok || d != c.want) {
					t.Errorf("%s = %s, %v; want %s", what, d, ok, c.want)
				}
			}
		})
	}
}

func TestLastDesiredCount(t *testing.T) {
	w := func(checks, last int) *stability.Watch {
		return &stability.Watch{DesiredCount: 5, Checks: checks, Last: stability.Counts{Desired: last}, AtUpdate: stability.Counts{Desired: 3}}
	}
	for name, tt := range map[string]struct {
		state State
		want  int
		ok    bool
	}{
		"checked: as last read":      {State{Before: &service.Snapshot{DesiredCount: 3}, Watch: w(2, 8)}, 8, true},
		"updated, never checked":     {State{Before: &service.Snapshot{DesiredCount: 3}, Watch: w(0, 3)}, 5, true},
		"not updated: as described":  {State{Before: &service.Snapshot{DesiredCount: 3}}, 3, true},
		"the service was never read": {State{}, 0, false},
	} {
		if got, ok := LastDesiredCount(tt.state); got != tt.want || ok != tt.ok {
			t.Errorf("%s: %d, %v; want %d, %v", name, got, ok, tt.want, tt.ok)
		}
	}
}
