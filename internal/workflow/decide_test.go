package workflow

import (
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
	"github.com/stepscaler/stepscaler/internal/service"
)

// web runs 1 to 10 tasks; on weekdays from 08:00 UTC a scheduled action raises the
// minimum to 4 and at 20:00 another lowers the maximum to 2 (and the minimum to 1).
const scheduledConfig = `{"services": [{
  "cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 10,
  "alarms": [{"alarmName": "web-high", "direction": "out", "adjustment": 1, "cooldownSeconds": 300}],
  "scheduledActions": [
    {"scheduledActionName": "day", "schedule": "cron(0 8 ? * MON-FRI *)", "timezone": "UTC",
     "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 10}},
    {"scheduledActionName": "night", "schedule": "cron(0 20 ? * MON-FRI *)", "timezone": "UTC",
     "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 2}}]
}]}`

// TestDecideMovesIntoScheduledBounds works through a Monday (2026-11-30): the count is
// moved into the bounds the latest firing set, whatever the alarms say, and left alone
// when it is within them.
func TestDecideMovesIntoScheduledBounds(t *testing.T) {
	cfg, err := config.Parse("scheduled.json", []byte(scheduledConfig))
	if err != nil {
		t.Fatal(err)
	}
	target, _ := cfg.Service(scaling.ServiceRef{Cluster: "prod", Service: "web"})
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	req := func(desired int, alarm string) PlanRequest {
		r := PlanRequest{Before: service.Snapshot{Name: "web", Status: service.StatusActive, DesiredCount: desired, RunningCount: desired}}
		r.Alarms.Alarms = []scaling.AlarmReading{{Name: "web-high", State: scaling.StateOK}}
		if alarm != "" {
			r.Alarms.Alarms[0].State = alarm
		}
		return r
	}
	tests := []struct {
		name     string
		at       time.Duration // after Monday 00:00
		desired  int
		alarm    string
		scale    bool
		to       int
		reasonIn string
	}{
		// Monday 07:00: the latest firings are Friday's; night's bounds [1, 2] hold.
		{"night, within", 7 * time.Hour, 2, "", false, 2, ""},
		{"night, above the max", 7 * time.Hour, 5, "", true, 2, "scheduled action night set the maximum to 2"},
		// 08:01: day raised the minimum to 4.
		{"day, below the min", 8*time.Hour + time.Minute, 2, "", true, 4, "scheduled action day set the minimum to 4"},
		{"day, within", 8*time.Hour + time.Minute, 6, "", false, 6, ""},
		// An alarm's step within the bounds decides as before: 6 + 1.
		{"day, alarm", 8*time.Hour + time.Minute, 6, scaling.StateAlarm, true, 7, ""},
		// An alarm's step that stays below the new minimum: the bound wins (2 → 4, not 3).
		{"day, alarm below the min", 8*time.Hour + time.Minute, 2, scaling.StateAlarm, true, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(target, req(tt.desired, tt.alarm), monday.Add(tt.at))
			if d.Scale != tt.scale || d.To != tt.to {
				t.Fatalf("Decide = scale %v to %d (%s; %s), want scale %v to %d", d.Scale, d.To, d.Description, d.Reason, tt.scale, tt.to)
			}
			if tt.reasonIn != "" && !strings.Contains(d.Reason, tt.reasonIn) {
				t.Errorf("reason %q, want it to say %q", d.Reason, tt.reasonIn)
			}
		})
	}
}

// A service that is not ACTIVE is not moved by its bounds either.
func TestDecideLeavesAnInactiveServiceAlone(t *testing.T) {
	cfg, err := config.Parse("scheduled.json", []byte(scheduledConfig))
	if err != nil {
		t.Fatal(err)
	}
	target, _ := cfg.Service(scaling.ServiceRef{Cluster: "prod", Service: "web"})
	r := PlanRequest{Before: service.Snapshot{Name: "web", Status: "DRAINING", DesiredCount: 1}}
	if d := Decide(target, r, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)); d.Scale {
		t.Errorf("Decide = %+v, want no change to a DRAINING service", d)
	}
}

// The recommendations the record step kept in the state item reach the planner: 10 tasks
// at 20 against a target of 50 recommend ceil(10 × 20 / 50) = 4, but a recommendation of
// 9 two minutes ago, inside the 300 s window, holds the scale-in at 9; one ten minutes
// ago, outside it, holds nothing.
func TestDecideReadsTheKeptRecommendations(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	in := scaling.Policy{AlarmName: "low", MinCapacity: 1, MaxCapacity: 20, Direction: scaling.In, AdjustmentType: scaling.TargetRatio,
		TargetValue: 50, Tolerance: 0.1, ScaleInStabilizationWindowSeconds: 300, CooldownSeconds: 60}
	target := config.ServiceTarget{Policies: []scaling.Policy{in}, Bounds: schedule.Bounds{Min: 1, Max: 20}}
	since := now.Add(-time.Hour)
	req := PlanRequest{Before: service.Snapshot{Status: service.StatusActive, DesiredCount: 10, RunningCount: 10,
		Deployments: []service.Deployment{{ID: "p", Status: service.DeploymentPrimary, RolloutState: service.RolloutCompleted, DesiredCount: 10, RunningCount: 10}}}}
	req.Lease.Acquired = true
	req.Alarms.Alarms = []scaling.AlarmReading{{Name: "low", State: scaling.StateAlarm, Metric: &scaling.MetricValue{Value: 20, Threshold: 45}, StateSince: &since}}
	for _, tt := range []struct {
		kept []scaling.Recommendation
		to   int
	}{
		{nil, 4},
		{[]scaling.Recommendation{{At: now.Add(-2 * time.Minute), Tasks: 9}}, 9},
		{[]scaling.Recommendation{{At: now.Add(-10 * time.Minute), Tasks: 15}}, 4},
	} {
		req.Lease.State.Recommendations = tt.kept
		if d := Decide(target, req, now); !d.Scale || d.To != tt.to {
			t.Errorf("kept %v: %+v, want a scale-in to %d", tt.kept, d, tt.to)
		}
	}
}
