package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// runPlan runs `stepscaler plan` with args and decodes what it prints.
func runPlan(t *testing.T, args ...string) map[string]json.RawMessage {
	t.Helper()
	out := captureStdout(t, func() error { return plan(args) })
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("plan printed no JSON: %v\n%s", err, out)
	}
	return got
}

func TestPlanCommandUsesTheWorkflowDecision(t *testing.T) {
	demo := filepath.Join("..", "..", "local", "demo")
	base := []string{
		"--config", filepath.Join(demo, "stepscaler.json"),
		"--service", filepath.Join(demo, "describe-services.json"),
	}
	decide := func(args ...string) scaling.Decision {
		t.Helper()
		var d scaling.Decision
		if err := json.Unmarshal(runPlan(t, append(base, args...)...)["decision"], &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// describe-alarms shows demo-web-cpu-high in ALARM: +1 from the 1 task described.
	if d := decide("--alarms", filepath.Join(demo, "describe-alarms.json"), "--time", "2026-11-27T10:03:30Z"); !d.Scale || d.From != 1 || d.To != 2 || d.AlarmName != "demo-web-cpu-high" {
		t.Errorf("decision = %+v, want demo-web-cpu-high scaling 1 → 2", d)
	}
	// The same from the notification alone.
	if d := decide("--alarm", filepath.Join(demo, "alarm-sns-event.json"), "--time", "2026-11-27T10:03:30Z"); !d.Scale || d.To != 2 {
		t.Errorf("decision from the notification = %+v, want scale to 2", d)
	}

	// The state item records a scale-out from 0 at 10:02:40. 50 s later its 5 s cooldown
	// is over; 2 s later it is not, and the step counts from 0: 0 + 1 is no more than the
	// current 1, so nothing is added (Application Auto Scaling's cooldown rule).
	state := filepath.Join(demo, "state-item.json")
	if d := decide("--alarms", filepath.Join(demo, "describe-alarms.json"), "--time", "2026-11-27T10:03:30Z", "--state", state); !d.Scale || d.To != 2 {
		t.Errorf("after the cooldown: %+v, want scale to 2", d)
	}
	d := decide("--alarms", filepath.Join(demo, "describe-alarms.json"), "--time", "2026-11-27T10:02:42Z", "--state", state)
	if d.Scale || len(d.NotScaledReasons) == 0 || d.NotScaledReasons[0].Code != scaling.CooldownActive {
		t.Errorf("within the cooldown: %+v, want not scaled: %s", d, scaling.CooldownActive)
	}

	// With no alarm in ALARM there is nothing to do, whatever else is given.
	quiet := filepath.Join(t.TempDir(), "quiet.json")
	if err := os.WriteFile(quiet, []byte(`{"MetricAlarms": [{"AlarmName": "demo-web-cpu-high", "StateValue": "OK", "Threshold": 70}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := decide("--alarms", quiet); d.Scale || d.NotScaledReasons[0].Code != scaling.NoAlarmInAlarm {
		t.Errorf("no alarm in ALARM: %+v, want %s", d, scaling.NoAlarmInAlarm)
	}
}

func TestPlanCommandRejectsWhatItCannotRead(t *testing.T) {
	demo := filepath.Join("..", "..", "local", "demo")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"services": [{"serviceName": "other"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(demo, "stepscaler.json")
	svc := filepath.Join(demo, "describe-services.json")
	notif := filepath.Join(demo, "alarm-sns-event.json")
	for name, args := range map[string][]string{
		"missing flags":   {"--config", cfg},
		"no alarms given": {"--config", cfg, "--service", svc},
		"wrong service":   {"--config", cfg, "--alarm", notif, "--service", bad},
		"not an alarm":    {"--config", cfg, "--alarm", bad, "--service", svc},
		"not alarms":      {"--config", cfg, "--alarms", svc, "--service", svc},
		"bad time":        {"--config", cfg, "--alarm", notif, "--service", svc, "--time", "soon"},
	} {
		if err := plan(args); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
