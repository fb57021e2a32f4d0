package stability

import (
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

func TestJudge(t *testing.T) {
	since := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	want := Expectation{DesiredCount: 2, Since: since, Deadline: since.Add(10 * time.Minute)}
	before, after := since.Add(-time.Minute), since.Add(30*time.Second)
	primary := func(rollout string, running, pending int) service.Deployment {
		return service.Deployment{ID: "ecs-svc/1", Status: service.DeploymentPrimary, RolloutState: rollout,
			DesiredCount: 2, RunningCount: running, PendingCount: pending}
	}
	snap := func(running, pending int, deps ...service.Deployment) service.Snapshot {
		return service.Snapshot{Status: service.StatusActive, DesiredCount: 2, RunningCount: running, PendingCount: pending, Deployments: deps}
	}
	withEvent := func(s service.Snapshot, at time.Time, msg string) service.Snapshot {
		s.Events = []service.Event{{ID: "e1", CreatedAt: at, Message: msg}}
		return s
	}
	placement := "(service web) was unable to place a task because no container instance met all of its requirements."

	tests := []struct {
		name   string
		snap   service.Snapshot
		now    time.Time
		status Status
		reason string // substring
	}{
		{"stable", snap(2, 0, primary("COMPLETED", 2, 0)), after, Stable, "2 of 2"},
		{"tasks still pending", snap(1, 1, primary("COMPLETED", 1, 1)), after, InProgress, "1 of 2 tasks running, 1 pending"},
		{"running matches but rollout in progress", snap(2, 0, primary("IN_PROGRESS", 2, 0)), after, InProgress, "rollout IN_PROGRESS"},
		{"two deployments", snap(2, 0, primary("COMPLETED", 2, 0), service.Deployment{ID: "ecs-svc/0", Status: "ACTIVE"}), after, InProgress, "2 deployments"},
		{"no primary", snap(2, 0, service.Deployment{ID: "x", Status: "ACTIVE"}), after, InProgress, "no PRIMARY"},
		{"rollout state absent (EXTERNAL controller)", snap(2, 0, primary("", 2, 0)), after, Stable, ""},
		{"CODE_DEPLOY reports no deployments", snap(2, 0), after, Stable, ""},
		{"rollout failed ends at once", snap(1, 0, service.Deployment{ID: "ecs-svc/1", Status: "PRIMARY", RolloutState: "FAILED", RolloutStateReason: "ECS deployment circuit breaker: tasks failed to start."}), after, Failed, "circuit breaker"},
		{"placement failure after the update ends at once", withEvent(snap(1, 0, primary("COMPLETED", 1, 0)), after, placement), after, Failed, "unable to place a task"},
		{"placement failure before the update is old news", withEvent(snap(1, 1, primary("COMPLETED", 1, 1)), before, placement), after, InProgress, ""},
		{"deadline passed", snap(1, 1, primary("COMPLETED", 1, 1)), want.Deadline, TimedOut, "1 of 2 tasks running"},
		{"stable at the deadline is stable", snap(2, 0, primary("COMPLETED", 2, 0)), want.Deadline.Add(time.Second), Stable, ""},
		{"someone else changed desiredCount", service.Snapshot{Status: "ACTIVE", DesiredCount: 5, RunningCount: 2}, after, Overridden, "desiredCount is now 5"},
		{"service draining", service.Snapshot{Status: "DRAINING", DesiredCount: 2}, after, Failed, "DRAINING"},
		{"service missing", service.Snapshot{}, after, Failed, "unknown"},
		{"zero desired and zero running is only stable if asked for", service.Snapshot{Status: "ACTIVE"}, after, Overridden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.snap, want, tt.now)
			if v.Status != tt.status {
				t.Fatalf("Judge() = %s (%s), want %s", v.Status, v.Reason, tt.status)
			}
			if !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", v.Reason, tt.reason)
			}
			if v.Reason == "" {
				t.Errorf("empty reason")
			}
		})
	}
}
