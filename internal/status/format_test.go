package status

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                 "0s",
		400 * time.Millisecond:            "0s",
		45 * time.Second:                  "45s",
		200 * time.Second:                 "3m20s",
		19 * time.Minute:                  "19m",
		time.Hour + 5*time.Minute + 30e9:  "1h5m",
		time.Hour + 5*time.Second:         "1h",
		51*time.Hour + 10*time.Minute:     "2d3h",
		-(2*time.Minute + 19*time.Second): "2m19s",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestClock(t *testing.T) {
	if got := clock(*at("10:02:41"), t0); got != "10:02:41Z" {
		t.Errorf("same day: %q", got)
	}
	if got := clock(t0.Add(-24*time.Hour), t0); got != "2026-11-27 10:05Z" {
		t.Errorf("the day before: %q", got)
	}
}

func TestServiceNameKeepsTheService(t *testing.T) {
	for _, c := range []struct {
		cluster, service string
		n                int
		want             string
	}{
		{"prod", "web", 30, "prod/web"},
		{"production-cluster", "payments-api", 20, "produc…/payments-api"},
		{"production-cluster", "a-very-long-service-name", 12, "p…/a-very-l…"}, // 2 + 1 + 9,
	} {
		if got := serviceName(c.cluster, c.service, c.n); got != c.want || utf8.RuneCountInString(got) > c.n {
			t.Errorf("serviceName(%s, %s, %d) = %q, want %q", c.cluster, c.service, c.n, got, c.want)
		}
	}
}

// longReport has names as long as ECS and CloudWatch allow (255 characters).
func longReport() Report {
	long := strings.Repeat("x", 255)
	end := t0.Add(time.Hour)
	return Report{Time: t0, Region: "ap-southeast-2", Table: long, Services: []Service{{
		Cluster: long, ServiceName: long, MinCapacity: 1, MaxCapacity: 5000,
		ECS: ECS{Status: "ACTIVE", DesiredCount: 5000, RunningCount: 4999, PendingCount: 4999, RolloutState: "IN_PROGRESS", Deployments: 2},
		Alarms: []Alarm{{AlarmName: long, Direction: scaling.Out, StateValue: "INSUFFICIENT_DATA", StateTransitionedTimestamp: &end,
			Policy: "steps [0, 10): +1 task; [10, 20): +2 tasks; [20, 30): +3 tasks; [30, +inf): +4 tasks"}},
		Lease: &Lease{Owner: long, ExpiresAt: end},
		ScheduledActions: []ScheduledAction{{ScheduledActionName: long, Schedule: "cron(0 8 ? * MON-FRI *)", Timezone: "America/Argentina/ComodRivadavia",
			StartTime: &end, EndTime: &end, ScalableTargetAction: ScalableTargetAction{MinCapacity: ptr(4000), MaxCapacity: ptr(5000)},
			LastFiredAt: &end, NextFireAt: &end, Applied: true}},
		Cooldowns:      []Cooldown{{Direction: scaling.Out, InEffect: true, EndsAt: &end, AlarmName: long, RemainingSeconds: 3600}},
		SuspendedState: SuspendedState{DynamicScalingOutSuspended: true, DynamicScalingInSuspended: true},
		ScalingActivities: []activity.Activity{{StartTime: t0, StatusCode: "Successful", FromCount: 4999, ToCount: 5000,
			StatusMessage: strings.Repeat("a long message ", 20)}},
	}}}
}

func TestTableFitsTheWidth(t *testing.T) {
	var out bytes.Buffer
	if err := WriteTable(&out, longReport()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) < 9 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > Width {
			t.Errorf("line %d has %d columns:\n%s", i+1, n, l)
		}
	}
	// The summary row keeps its last column (the suspensions) whatever the name's length.
	if !strings.HasSuffix(lines[3], "out,in") {
		t.Errorf("summary row lost its tail: %q", lines[3])
	}
}

func TestTextIsOneRecordALine(t *testing.T) {
	r := longReport()
	r.Services[0].Cluster, r.Services[0].ServiceName = "prod", "web"
	r.Services[0].ScalingActivities[0].StatusMessage = "two\tfields\nand lines"
	var out bytes.Buffer
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for line := range strings.Lines(out.String()) {
		fields := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		kinds = append(kinds, fields[0])
		if fields[1] != "prod/web" {
			t.Errorf("record %q names %q, want prod/web", fields[0], fields[1])
		}
		if fields[0] == "ACTIVITY" && (len(fields) != 9 || fields[8] != "two fields and lines") {
			t.Errorf("activity record = %q", fields)
		}
	}
	if got := strings.Join(kinds, " "); got != "SERVICE ALARM LEASE COOLDOWN SCHEDULED SUSPENDED ACTIVITY" {
		t.Errorf("records = %s", got)
	}
}

// The JSON names are the interface: a rename breaks scripts, so they are spelled out.
func TestJSONNames(t *testing.T) {
	var out bytes.Buffer
	if err := WriteJSON(&out, longReport()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) string {
		var ks []string
		for k := range v.(map[string]any) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return strings.Join(ks, ",")
	}
	svc := doc["Services"].([]any)[0].(map[string]any)
	for what, c := range map[string]struct {
		v    any
		want string
	}{
		"report": {doc, "Region,Services,Table,Time"},
		"service": {svc, "Alarms,Cluster,ConfiguredMaxCapacity,ConfiguredMinCapacity,Cooldowns,DryRun,ECS,Lease,MaxCapacity,MinCapacity," +
			"ResourceId,ScalingActivities,ScheduledActions,ServiceName,SuspendedState"},
		"scheduled": {svc["ScheduledActions"].([]any)[0], "Applied,EndTime,LastFiredAt,NextFireAt,ScalableTargetAction,Schedule,ScheduledActionName,StartTime,Timezone"},
		"ECS":       {svc["ECS"], "DeploymentInProgress,Deployments,DesiredCount,PendingCount,RolloutState,RunningCount,Status"},
		"alarm":     {svc["Alarms"].([]any)[0], "AlarmName,Composite,CooldownSeconds,Direction,Policy,StateTransitionedTimestamp,StateValue"},
		"lease":     {svc["Lease"], "Expired,ExpiresAt,Owner"},
		"cooldown":  {svc["Cooldowns"].([]any)[0], "AlarmName,Direction,EndsAt,InEffect,RemainingSeconds"},
		"suspend":   {svc["SuspendedState"], "DynamicScalingInSuspended,DynamicScalingOutSuspended"},
	} {
		if got := keys(c.v); got != c.want {
			t.Errorf("%s keys = %s, want %s", what, got, c.want)
		}
	}
}
