package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
)

// TestServiceSchedule reads testdata/valid/scheduled-actions.json and asks what its
// scheduled actions make of each service's bounds, at instants worked out by hand:
//   - prod/web [2, 20]: weekday-morning sets [6, 40] at 08:00 and weekday-evening the
//     minimum 2 at 19:00, Monday to Friday in Europe/London (GMT in November, so 08:00 and
//     19:00 UTC); sale-day sets [12, 60] at 06:00 on 2026-11-27 in America/New_York (EST,
//     UTC-5: 11:00 UTC); every 5 hours from 2027-01-01T00:00Z the maximum is set to 30.
//   - batch/nightly [0, 10], no alarm: start sets [4, 10] at 01:00 and stop [0, 0] at 05:00
//     in Etc/GMT+9 (UTC-9: 10:00 and 14:00 UTC); start begins at
//     2026-12-01T00:00:00+09:00, 2026-11-30T15:00Z, and performs the action then.
func TestServiceSchedule(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "valid", "scheduled-actions.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("scheduled-actions.json", data)
	if err != nil {
		t.Fatal(err)
	}
	web, ok := c.Service(scaling.ServiceRef{Cluster: "prod", Service: "web"})
	if !ok || len(web.Schedule) != 4 || web.Bounds != (schedule.Bounds{Min: 2, Max: 20}) || web.DryRun || len(web.Policies) != 1 {
		t.Fatalf("Service(prod/web) = %+v", web)
	}
	nightly, ok := c.Service(scaling.ServiceRef{Cluster: "batch", Service: "nightly"})
	if !ok || len(nightly.Schedule) != 2 || len(nightly.Policies) != 0 {
		t.Fatalf("Service(batch/nightly) = %+v, want two actions and no policy", nightly)
	}
	utc := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		target  ServiceTarget
		at      time.Time
		want    schedule.Bounds
		applied []string
	}{
		{"Friday noon: Thursday evening, this morning, then the sale", web, utc(2026, 11, 27, 12, 0), schedule.Bounds{Min: 12, Max: 60},
			[]string{"weekday-evening", "weekday-morning", "sale-day"}},
		{"Friday evening lowers the minimum only", web, utc(2026, 11, 27, 20, 0), schedule.Bounds{Min: 2, Max: 60},
			[]string{"weekday-morning", "sale-day", "weekday-evening"}},
		{"the rate's first firing sets the maximum", web, utc(2027, 1, 1, 0, 30), schedule.Bounds{Min: 2, Max: 30},
			[]string{"sale-day", "weekday-morning", "weekday-evening", "every 5 hours in January"}},
		{"stopped, before start's first run", nightly, utc(2026, 11, 30, 14, 30), schedule.Bounds{Min: 0, Max: 0}, []string{"stop"}},
		{"start performs the action at its start time", nightly, utc(2026, 11, 30, 16, 0), schedule.Bounds{Min: 4, Max: 10}, []string{"stop", "start"}},
		{"then daily at 01:00 Etc/GMT+9", nightly, utc(2026, 12, 1, 10, 0), schedule.Bounds{Min: 4, Max: 10}, []string{"stop", "start"}},
	}
	for _, tt := range tests {
		e := tt.target.BoundsAt(tt.at)
		var applied []string
		for _, f := range e.Applied {
			applied = append(applied, f.Action)
		}
		if e.Bounds != tt.want || len(e.Refused) != 0 || len(applied) != len(tt.applied) {
			t.Errorf("%s: BoundsAt = %v applied %v refused %v; want %v applied %v", tt.name, e.Bounds, applied, e.Refused, tt.want, tt.applied)
			continue
		}
		for i := range applied {
			if applied[i] != tt.applied[i] {
				t.Errorf("%s: applied %v, want %v", tt.name, applied, tt.applied)
				break
			}
		}
	}
	if due := web.Schedule.Due(time.Date(2026, 11, 27, 8, 0, 30, 0, time.UTC)); len(due) != 1 || due[0].Action != "weekday-morning" {
		t.Errorf("Due at 08:00:30 = %+v, want weekday-morning", due)
	}

	// The target is the caller's own.
	*web.Schedule[0].MinCapacity = 99
	again, _ := c.Service(scaling.ServiceRef{Cluster: "prod", Service: "web"})
	if *again.Schedule[0].MinCapacity != 6 {
		t.Error("Service hands out pointers into the configuration's schedule")
	}
}

// TestScheduledActionValidation covers the rules the corpus does not: combinations that
// are valid, and where each problem is reported.
func TestScheduledActionValidation(t *testing.T) {
	service := func(actions string) string {
		return `{"services": [{"cluster": "a", "service": "web", "minCapacity": 2, "maxCapacity": 20, "alarms": [], "scheduledActions": [` + actions + `]}]}`
	}
	valid := []string{
		// A cron schedule may have a window; an action may raise the maximum alone.
		`{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z", "scalableTargetAction": {"maxCapacity": 30}}`,
		// A minimum-only action within every maximum: 20 (the service), 25.
		`{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 20}},
		 {"scheduledActionName": "b", "schedule": "cron(0 9 * * ? *)", "scalableTargetAction": {"minCapacity": 3, "maxCapacity": 25}}`,
		// A maximum-only action above every minimum: 2 (the service), 5.
		`{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"maxCapacity": 5}},
		 {"scheduledActionName": "b", "schedule": "cron(0 9 * * ? *)", "scalableTargetAction": {"minCapacity": 5, "maxCapacity": 25}}`,
		// Scale to zero, as AAS's example MinCapacity=0,MaxCapacity=0.
		`{"scheduledActionName": "scale-in", "schedule": "at(2021-03-31T22:30:00)", "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}}`,
		// An at() time the clock shows twice (Europe/London, 2026-10-25 01:30) exists.
		`{"scheduledActionName": "a", "schedule": "at(2026-10-25T01:30:00)", "timezone": "Europe/London", "scalableTargetAction": {"minCapacity": 3}}`,
		// The same name in two services is fine: names are unique per scalable target.
	}
	for _, v := range valid {
		if _, err := Parse("valid.json", []byte(service(v))); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	twoServices := `{"services": [
		{"cluster": "a", "service": "web", "minCapacity": 2, "maxCapacity": 20, "alarms": [], "scheduledActions": [{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 3}}]},
		{"cluster": "a", "service": "api", "minCapacity": 2, "maxCapacity": 20, "alarms": [], "scheduledActions": [{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 3}}]}]}`
	if _, err := Parse("two.json", []byte(twoServices)); err != nil {
		t.Errorf("one name in two services: %v", err)
	}

	const at = "services[0].scheduledActions"
	tests := []struct{ name, actions, field, problem string }{
		{"an inversion between two actions: the lowest maximum is named",
			`{"scheduledActionName": "low", "schedule": "cron(0 1 * * ? *)", "scalableTargetAction": {"minCapacity": 2, "maxCapacity": 8}},
			 {"scheduledActionName": "peak", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 10}}`,
			at + "[1].scalableTargetAction", "the maximum 8 that services[0].scheduledActions[0] (low) sets"},
		{"a timezone with an at() in it is read there",
			`{"scheduledActionName": "a", "schedule": "at(2026-03-08T02:30:00)", "timezone": "America/New_York", "scalableTargetAction": {"minCapacity": 3}}`,
			at + "[0].schedule", "does not exist in America/New_York"},
		{"endTime alone with at()",
			`{"scheduledActionName": "a", "schedule": "at(2026-03-08T02:30:00)", "endTime": "2026-04-01T00:00:00Z", "scalableTargetAction": {"minCapacity": 3}}`,
			at + "[0].endTime", "an at() schedule runs once"},
		{"endTime equal to startTime",
			`{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "startTime": "2026-04-01T00:00:00Z", "endTime": "2026-04-01T01:00:00+01:00", "scalableTargetAction": {"minCapacity": 3}}`,
			at + "[0].endTime", "must be after startTime"},
		{"Local is no IANA name",
			`{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "timezone": "Local", "scalableTargetAction": {"minCapacity": 3}}`,
			at + "[0].timezone", "must be an IANA time zone name"},
		{"an empty name",
			`{"scheduledActionName": "", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 3}}`,
			at + "[0].scheduledActionName", "must be 1-256 characters"},
		{"a negative minimum",
			`{"scheduledActionName": "a", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": -1}}`,
			at + "[0].scalableTargetAction.minCapacity", "between 0 and 5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectProblem(t, service(tt.actions), tt.field, tt.problem) })
	}
	// A service needs an alarm or a scheduled action.
	expectProblem(t, `{"services": [{"cluster": "a", "service": "web", "minCapacity": 2, "maxCapacity": 20, "alarms": []}]}`,
		"services[0].alarms", "must list at least one alarm, unless the service has a preset or scheduledActions")
}

// TestWithin: the policies a step decides with, in the bounds the schedule has in force;
// the target's own are left as configured.
func TestWithin(t *testing.T) {
	c, err := Parse("within.json", []byte(`{"services": [{"cluster": "a", "service": "web", "minCapacity": 2, "maxCapacity": 20,
		"alarms": [{"alarmName": "hi", "direction": "out", "stepAdjustments": [{"metricIntervalLowerBound": 0, "scalingAdjustment": 2}]},
		           {"alarmName": "lo", "direction": "in"}],
		"scheduledActions": [{"scheduledActionName": "day", "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 6, "maxCapacity": 40}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	target, _ := c.Service(scaling.ServiceRef{Cluster: "a", Service: "web"})
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	policies := target.Within(target.BoundsAt(at).Bounds)
	if len(policies) != 2 || policies[0].MinCapacity != 6 || policies[0].MaxCapacity != 40 || policies[1].MinCapacity != 6 || policies[1].MaxCapacity != 40 {
		t.Errorf("Within = %+v, want both policies in [6, 40]", policies)
	}
	*policies[0].StepAdjustments[0].MetricIntervalLowerBound = 5
	if target.Policies[0].MinCapacity != 2 || target.Policies[0].MaxCapacity != 20 || *target.Policies[0].StepAdjustments[0].MetricIntervalLowerBound != 0 {
		t.Errorf("Within changed the target's own policies: %+v", target.Policies[0])
	}
}
