package status

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
	"github.com/stepscaler/stepscaler/internal/service"
)

var t0 = time.Date(2026, 11, 28, 10, 5, 0, 0, time.UTC)

func at(hms string) *time.Time {
	t, err := time.Parse(time.DateTime, "2026-11-28 "+hms)
	if err != nil {
		panic(err)
	}
	return &t
}

// The cooldown ends are worked from the rule the policy engine documents (scaling.Plan):
// a scale-out waits cooldownSeconds after the last scale-out; a scale-in waits
// cooldownSeconds after the last scaling in either direction.
func TestCooldownEndFollowsThePolicyEngine(t *testing.T) {
	out := scaling.Policy{AlarmName: "high", Direction: scaling.Out, CooldownSeconds: 300}
	in := scaling.Policy{AlarmName: "low", Direction: scaling.In, CooldownSeconds: 300}
	for _, c := range []struct {
		name   string
		p      scaling.Policy
		h      scaling.History
		now    time.Time
		in     bool
		endsAt *time.Time
	}{
		{"never scaled", out, scaling.History{}, t0, false, nil},
		{"scale-out 100 s ago: 200 s left", out, scaling.History{LastScaleOutAt: at("10:03:20")}, t0, true, at("10:08:20")},
		{"scale-out exactly 300 s ago: over", out, scaling.History{LastScaleOutAt: at("10:00:00")}, t0, false, nil},
		{"scale-out 299 s ago: 1 s left", out, scaling.History{LastScaleOutAt: at("10:00:01")}, t0, true, at("10:05:01")},
		{"a scale-in does not hold a scale-out back", out, scaling.History{LastScaleInAt: at("10:04:00")}, t0, false, nil},
		{"scale-in 60 s ago: 240 s left", in, scaling.History{LastScaleInAt: at("10:04:00")}, t0, true, at("10:09:00")},
		// The engine's own rule, stricter than AAS's: a scale-in waits after a scale-out.
		{"scale-out 3 min ago holds a scale-in back", in,
			scaling.History{LastScaleInAt: at("09:50:00"), LastScaleOutAt: at("10:02:00")}, t0, true, at("10:07:00")},
		{"the later of the two counts", in,
			scaling.History{LastScaleInAt: at("10:03:00"), LastScaleOutAt: at("10:01:00")}, t0, true, at("10:08:00")},
		{"both over", in, scaling.History{LastScaleInAt: at("09:00:00"), LastScaleOutAt: at("09:30:00")}, t0, false, nil},
		{"no cooldown configured", scaling.Policy{AlarmName: "x", Direction: scaling.Out}, scaling.History{LastScaleOutAt: at("10:04:59")}, t0, false, nil},
		// Suspensions and the carried base are not the cooldown: they do not change it.
		{"suspended and carried", out, scaling.History{LastScaleOutAt: at("10:03:20"), LastScaleOutFrom: ptr(2), SuspendedOut: true}, t0, true, at("10:08:20")},
	} {
		t.Run(c.name, func(t *testing.T) {
			end, in := cooldownEnd(c.p, c.h, c.now)
			if in != c.in {
				t.Fatalf("in effect = %v, want %v", in, c.in)
			}
			if c.endsAt == nil {
				if !end.IsZero() {
					t.Errorf("ends at %s, want no end", end)
				}
				return
			}
			if !end.Equal(*c.endsAt) {
				t.Errorf("ends at %s, want %s", end, c.endsAt)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestBuild(t *testing.T) {
	web := config.ServiceTarget{
		Service: scaling.ServiceRef{Cluster: "prod", Service: "web"},
		Bounds:  schedule.Bounds{Min: 1, Max: 10},
		Policies: []scaling.Policy{
			{AlarmName: "web-high", Direction: scaling.Out, MinCapacity: 1, MaxCapacity: 10, Adjustment: 2, CooldownSeconds: 300},
			{AlarmName: "web-high-2", Direction: scaling.Out, MinCapacity: 1, MaxCapacity: 10, Adjustment: 1, CooldownSeconds: 60},
			{AlarmName: "web-low", Direction: scaling.In, MinCapacity: 1, MaxCapacity: 10, Adjustment: 1, CooldownSeconds: 600},
		},
	}
	snap := &service.Snapshot{Status: service.StatusActive, DesiredCount: 4, RunningCount: 2, PendingCount: 2,
		Deployments: []service.Deployment{{Status: service.DeploymentPrimary, RolloutState: service.RolloutCompleted, RolloutStateReason: "done"}}}
	st := activity.State{
		LeaseOwner: "exec-1", LeaseExpiresAt: t0.Unix(), // expires this very second: still held
		LastScaleOutAt: at("10:03:20"), SuspendedIn: true,
	}
	changed := t0.Add(-2 * time.Minute)
	s := Build(web, Inputs{Snapshot: snap, State: st, Alarms: map[string]AlarmState{
		"web-high": {State: scaling.StateAlarm, Transitioned: changed},
		"web-low":  {State: scaling.StateOK, Transitioned: changed},
	}}, t0)

	if s.ResourceId != "service/prod/web" || s.MinCapacity != 1 || s.MaxCapacity != 10 || s.ConfiguredMinCapacity != 1 ||
		s.ConfiguredMaxCapacity != 10 || s.ScheduledActions == nil || len(s.ScheduledActions) != 0 {
		t.Errorf("service = %s [%d, %d], configured [%d, %d], scheduled %#v", s.ResourceId, s.MinCapacity, s.MaxCapacity,
			s.ConfiguredMinCapacity, s.ConfiguredMaxCapacity, s.ScheduledActions)
	}
	if e := s.ECS; e.Status != "ACTIVE" || e.DesiredCount != 4 || e.RunningCount != 2 || e.PendingCount != 2 ||
		e.RolloutState != "COMPLETED" || e.Deployments != 1 || e.DeploymentInProgress {
		t.Errorf("ECS = %+v", e)
	}
	if a := s.Alarms; len(a) != 3 || a[0].StateValue != "ALARM" || !a[0].StateTransitionedTimestamp.Equal(changed) ||
		a[1].StateValue != Missing || a[1].StateTransitionedTimestamp != nil || a[2].StateValue != "OK" || a[0].Policy != "+2 tasks" {
		t.Errorf("alarms = %+v", a)
	}
	if s.Lease == nil || s.Lease.Owner != "exec-1" || s.Lease.Expired || !s.Lease.ExpiresAt.Equal(t0) {
		t.Errorf("lease = %+v, want exec-1's, held until %s", s.Lease, t0)
	}
	// Out: web-high's 300 s from 10:03:20 ends at 10:08:20 (200 s); web-high-2's 60 s
	// ended at 10:04:20. In: 600 s from the scale-out, 10:13:20 (500 s).
	want := []Cooldown{
		{Direction: scaling.Out, InEffect: true, EndsAt: at("10:08:20"), AlarmName: "web-high", RemainingSeconds: 200},
		{Direction: scaling.In, InEffect: true, EndsAt: at("10:13:20"), AlarmName: "web-low", RemainingSeconds: 500},
	}
	if len(s.Cooldowns) != 2 {
		t.Fatalf("cooldowns = %+v, want %+v", s.Cooldowns, want)
	}
	for i, c := range s.Cooldowns {
		w := want[i]
		if c.Direction != w.Direction || c.InEffect != w.InEffect || !c.EndsAt.Equal(*w.EndsAt) || c.AlarmName != w.AlarmName || c.RemainingSeconds != w.RemainingSeconds {
			t.Errorf("cooldown %d = %+v, want %+v", i, c, w)
		}
	}
	if !s.SuspendedState.DynamicScalingInSuspended || s.SuspendedState.DynamicScalingOutSuspended {
		t.Errorf("suspended = %+v, want in only", s.SuspendedState)
	}
	if s.ScalingActivities == nil || len(s.ScalingActivities) != 0 {
		t.Errorf("activities = %#v, want an empty list (JSON []), not null", s.ScalingActivities)
	}

	// One second later the lease has expired; a service ECS does not know shows why.
	later := Build(web, Inputs{Missing: "MISSING", State: st}, t0.Add(time.Second))
	if !later.Lease.Expired || later.ECS.Status != Missing || later.ECS.StatusReason != "MISSING" {
		t.Errorf("a second later: lease %+v, ECS %+v", later.Lease, later.ECS)
	}
	// A cooldown 0.4 s from its end shows 1 s left, never 0.
	if c := Build(web, Inputs{State: st}, at("10:08:19").Add(600*time.Millisecond)).Cooldowns[0]; c.RemainingSeconds != 1 {
		t.Errorf("0.4 s left shows %d s", c.RemainingSeconds)
	}
}

// Scheduled actions, worked by hand at 10:05 UTC on Saturday 28 November 2026 (London is
// on UTC in November):
//   - business-hours, 08:00 London on weekdays, [4, 20]: last fired Friday 27th 08:00,
//     next Monday 30th 08:00;
//   - evening, 20:00 every day, max 12: last fired Friday 27th 20:00, next today 20:00;
//   - launch, at 09:00 on 1 December, min 6: not fired, fires then;
//   - trial, every 6 hours from 25 to 27 November 23:00: fired 25th 00:00, 06:00, ...
//     27th 18:00 last; no more.
//
// The bounds in force: [1, 10], set to [4, 20] by business-hours (Fri 08:00), min 2 by
// trial (Fri 18:00), max 12 by evening (Fri 20:00): [2, 12].
func TestBuildScheduledActions(t *testing.T) {
	cfg, err := config.Parse("schedule.json", []byte(`{"services": [{"cluster": "prod", "service": "web",
		"minCapacity": 1, "maxCapacity": 10, "alarms": [],
		"scheduledActions": [
		  {"scheduledActionName": "business-hours", "schedule": "cron(0 8 ? * MON-FRI *)", "timezone": "Europe/London",
		   "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 20}},
		  {"scheduledActionName": "evening", "schedule": "cron(0 20 * * ? *)", "scalableTargetAction": {"maxCapacity": 12}},
		  {"scheduledActionName": "launch", "schedule": "at(2026-12-01T09:00:00)", "scalableTargetAction": {"minCapacity": 6}},
		  {"scheduledActionName": "trial", "schedule": "rate(6 hours)", "startTime": "2026-11-25T00:00:00Z",
		   "endTime": "2026-11-27T23:00:00Z", "scalableTargetAction": {"minCapacity": 2}}
		]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := Build(cfg.ServiceTargets()[0], Inputs{}, t0)
	if s.MinCapacity != 2 || s.MaxCapacity != 12 || s.ConfiguredMinCapacity != 1 || s.ConfiguredMaxCapacity != 10 {
		t.Errorf("bounds [%d, %d], configured [%d, %d]; want [2, 12], configured [1, 10]",
			s.MinCapacity, s.MaxCapacity, s.ConfiguredMinCapacity, s.ConfiguredMaxCapacity)
	}
	day := func(d int, hm string) *time.Time {
		v, err := time.Parse(time.DateTime, fmt.Sprintf("2026-11-%02d %s:00", d, hm))
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	dec1 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	want := []struct {
		name, schedule, zone string
		last, next           *time.Time
		applied              bool
	}{
		{"business-hours", "cron(0 8 ? * MON-FRI *)", "Europe/London", day(27, "08:00"), day(30, "08:00"), true},
		{"evening", "cron(0 20 * * ? *)", "", day(27, "20:00"), day(28, "20:00"), true},
		{"launch", "at(2026-12-01T09:00:00)", "", nil, &dec1, false},
		{"trial", "rate(6 hours)", "", day(27, "18:00"), nil, true},
	}
	if len(s.ScheduledActions) != len(want) {
		t.Fatalf("scheduled actions = %+v", s.ScheduledActions)
	}
	same := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
	for i, w := range want {
		a := s.ScheduledActions[i]
		if a.ScheduledActionName != w.name || a.Schedule != w.schedule || a.Timezone != w.zone || !same(a.LastFiredAt, w.last) ||
			!same(a.NextFireAt, w.next) || a.Applied != w.applied {
			t.Errorf("action %d = %+v (last %v, next %v), want %+v (last %v, next %v)", i, a, a.LastFiredAt, a.NextFireAt, w, w.last, w.next)
		}
	}
	if a := s.ScheduledActions[0].ScalableTargetAction; *a.MinCapacity != 4 || *a.MaxCapacity != 20 {
		t.Errorf("business-hours sets %+v", a)
	}
	if a := s.ScheduledActions[3]; !a.StartTime.Equal(*day(25, "00:00")) || !a.EndTime.Equal(*day(27, "23:00")) {
		t.Errorf("trial's window %v to %v", a.StartTime, a.EndTime)
	}
}

// The next firing is found to the minute, however far within the horizon, and not
// beyond it.
func TestNextFiring(t *testing.T) {
	expr, err := schedule.Parse("cron(30 6 1 1 ? *)") // 06:30 on 1 January
	if err != nil {
		t.Fatal(err)
	}
	a := schedule.Action{Name: "new-year", Schedule: expr}
	if next, ok := nextFiring(a, t0, NextFireHorizon); !ok || !next.Equal(time.Date(2027, 1, 1, 6, 30, 0, 0, time.UTC)) {
		t.Errorf("next = %s, %v; want 2027-01-01 06:30", next, ok)
	}
	if _, ok := nextFiring(a, t0, 30*24*time.Hour); ok {
		t.Error("found beyond a 30-day horizon")
	}
	// In the very minute it fires, the next firing is a year on.
	if next, ok := nextFiring(a, time.Date(2027, 1, 1, 6, 30, 20, 0, time.UTC), NextFireHorizon); !ok || next.Year() != 2028 {
		t.Errorf("from within the firing minute: %s, %v", next, ok)
	}
}
