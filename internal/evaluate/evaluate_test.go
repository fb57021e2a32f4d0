package evaluate

import (
	"context"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

const twoServices = `{"services": [
  {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 9,
   "alarms": [{"alarmName": "web-high", "direction": "out"}, {"alarmName": "web-low", "direction": "in"}]},
  {"cluster": "prod", "service": "api", "minCapacity": 1, "maxCapacity": 9,
   "alarms": [{"alarmName": "api-high", "direction": "out"}]}
]}`

func TestServicesInAlarm(t *testing.T) {
	cfg, err := config.Parse("two.json", []byte(twoServices))
	if err != nil {
		t.Fatal(err)
	}
	web, api := scaling.ServiceRef{Cluster: "prod", Service: "web"}, scaling.ServiceRef{Cluster: "prod", Service: "api"}
	tests := []struct {
		inAlarm []string
		want    []scaling.ServiceRef
	}{
		{nil, nil},
		{[]string{"web-low"}, []scaling.ServiceRef{web}},
		{[]string{"web-high", "web-low"}, []scaling.ServiceRef{web}}, // once, however many alarms
		{[]string{"api-high", "web-low"}, []scaling.ServiceRef{web, api}},
		{[]string{"not-configured"}, nil},
	}
	for _, tt := range tests {
		got := ServicesInAlarm(cfg, tt.inAlarm)
		if len(got) != len(tt.want) {
			t.Errorf("ServicesInAlarm(%v) = %v, want %v", tt.inAlarm, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("ServicesInAlarm(%v) = %v, want %v", tt.inAlarm, got, tt.want)
			}
		}
	}
}

// TestRotate: each minute the list starts one service further on, so a run that cannot
// start them all leaves out a different one each time.
func TestRotate(t *testing.T) {
	a, b, c := scaling.ServiceRef{Service: "a"}, scaling.ServiceRef{Service: "b"}, scaling.ServiceRef{Service: "c"}
	minute := time.Unix(60*300, 0) // minute 300, which is 0 modulo 3
	for k, want := range [][]scaling.ServiceRef{{a, b, c}, {b, c, a}, {c, a, b}, {a, b, c}} {
		got := rotate([]scaling.ServiceRef{a, b, c}, minute.Add(time.Duration(k)*time.Minute))
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("minute +%d: %v, want %v", k, got, want)
		}
	}
}

func TestMinute(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 4, 37, 0, time.UTC)
	e := &Evaluator{now: func() time.Time { return now }}
	sched := time.Date(2026, 11, 28, 10, 3, 59, 999, time.UTC)
	tests := []struct {
		ev   Event
		want time.Time
	}{
		{Event{ScheduledTime: sched}, time.Date(2026, 11, 28, 10, 3, 0, 0, time.UTC)},
		{Event{Time: sched}, time.Date(2026, 11, 28, 10, 3, 0, 0, time.UTC)}, // an EventBridge rule's event
		{Event{}, time.Date(2026, 11, 28, 10, 4, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := e.minute(tt.ev); !got.Equal(tt.want) {
			t.Errorf("minute(%+v) = %s, want %s", tt.ev, got, tt.want)
		}
	}
}

func TestTimeForStopsBeforeTheDeadline(t *testing.T) {
	e := &Evaluator{pause: 200 * time.Millisecond}
	if !e.timeFor(context.Background()) {
		t.Error("no deadline: want time")
	}
	soon, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if e.timeFor(soon) {
		t.Error("0.5 s left, a 0.2 s pause and a second to spare: want no time")
	}
	later, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if !e.timeFor(later) {
		t.Error("5 s left: want time")
	}
}

// A scheduled action's service is started in the minute the action fires and in the
// four after it (ScheduleCatchUp), and not otherwise; a service without actions never is.
func TestServicesScheduled(t *testing.T) {
	cfg, err := config.Parse("scheduled.json", []byte(`{"services": [
  {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 9,
   "alarms": [{"alarmName": "web-high", "direction": "out"}],
   "scheduledActions": [{"scheduledActionName": "mornings", "schedule": "cron(0 8 * * ? *)", "timezone": "UTC",
     "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 9}}]},
  {"cluster": "prod", "service": "api", "minCapacity": 1, "maxCapacity": 9,
   "alarms": [{"alarmName": "api-high", "direction": "out"}]}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		minute string
		want   bool
	}{
		{"07:59", false},
		{"08:00", true}, // fires
		{"08:04", true}, // the last minute of the catch-up
		{"08:05", false},
		{"20:00", false},
	} {
		at, err := time.Parse("15:04", tt.minute)
		if err != nil {
			t.Fatal(err)
		}
		minute := day.Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
		got := ServicesScheduled(cfg, minute)
		if tt.want && (len(got) != 1 || got[0] != web) || !tt.want && len(got) != 0 {
			t.Errorf("ServicesScheduled(%s) = %v, want web: %v", tt.minute, got, tt.want)
		}
	}
}

// TestServicesScheduledOverTwoDays counts, minute by minute over two days, the minutes in
// which a service with a daily cron, an at() and a rate() every 7 minutes from 09:03 to
// 10:00 is started. By hand: the cron's two firings give 5 minutes each, the at() 5; the
// rate fires at 09:03, 09:10, ..., 09:59 (9 firings, 7 minutes apart) and each covers 5
// minutes without overlap up to 10:03, 45. 10 + 5 + 45 = 60.
func TestServicesScheduledOverTwoDays(t *testing.T) {
	cfg, err := config.Parse("scheduled.json", []byte(`{"services": [
  {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 9,
   "alarms": [{"alarmName": "web-high", "direction": "out"}],
   "scheduledActions": [
     {"scheduledActionName": "mornings", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 4, "maxCapacity": 9}},
     {"scheduledActionName": "once", "schedule": "at(2026-11-30T13:30:00)", "scalableTargetAction": {"minCapacity": 2, "maxCapacity": 9}},
     {"scheduledActionName": "often", "schedule": "rate(7 minutes)", "startTime": "2026-11-30T09:03:00Z", "endTime": "2026-11-30T10:00:00Z",
      "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 9}}]}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	due := 0
	for m := day.Add(-24 * time.Hour); m.Before(day.Add(24 * time.Hour)); m = m.Add(time.Minute) {
		if len(ServicesScheduled(cfg, m)) > 0 {
			due++
		}
	}
	if due != 60 {
		t.Errorf("%d minutes due over the two days, want 60", due)
	}
}

func TestUnion(t *testing.T) {
	a, b, c := scaling.ServiceRef{Service: "a"}, scaling.ServiceRef{Service: "b"}, scaling.ServiceRef{Service: "c"}
	got := union([]scaling.ServiceRef{a, b}, []scaling.ServiceRef{b, c})
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Errorf("union = %v, want [a b c]", got)
	}
}
