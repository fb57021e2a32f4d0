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
		"--alarm", filepath.Join(demo, "alarm-sns-event.json"),
		"--service", filepath.Join(demo, "describe-services.json"),
	}
	var d scaling.Decision
	got := runPlan(t, append(base, "--time", "2026-11-27T10:03:30Z")...)
	if err := json.Unmarshal(got["decision"], &d); err != nil {
		t.Fatal(err)
	}
	if !d.Scale || d.From != 1 || d.To != 2 {
		t.Errorf("decision = %+v, want scale 1 → 2", d)
	}

	// The state item records a scale-out from 0 at 10:02:40. 50 s later its 5 s cooldown
	// is over; 2 s later it is not, and the step counts from 0: 0 + 1 is no more than the
	// current 1, so nothing is added (Application Auto Scaling's cooldown rule).
	got = runPlan(t, append(base, "--time", "2026-11-27T10:03:30Z", "--state", filepath.Join(demo, "state-item.json"))...)
	_ = json.Unmarshal(got["decision"], &d)
	if !d.Scale || d.To != 2 {
		t.Errorf("after the cooldown: %+v, want scale to 2", d)
	}
	got = runPlan(t, append(base, "--time", "2026-11-27T10:02:42Z", "--state", filepath.Join(demo, "state-item.json"))...)
	d = scaling.Decision{}
	_ = json.Unmarshal(got["decision"], &d)
	if d.Scale || len(d.NotScaledReasons) == 0 {
		t.Errorf("within the cooldown: %+v, want not scaled with a reason", d)
	}
}

func TestPlanCommandRejectsWhatItCannotRead(t *testing.T) {
	demo := filepath.Join("..", "..", "local", "demo")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"services": [{"serviceName": "other"}]}`), 0o644)
	for name, args := range map[string][]string{
		"missing flags": {"--config", filepath.Join(demo, "stepscaler.json")},
		"wrong service": {"--config", filepath.Join(demo, "stepscaler.json"), "--alarm", filepath.Join(demo, "alarm-sns-event.json"), "--service", bad},
		"not an alarm":  {"--config", filepath.Join(demo, "stepscaler.json"), "--alarm", bad, "--service", filepath.Join(demo, "describe-services.json")},
		"bad time":      {"--config", filepath.Join(demo, "stepscaler.json"), "--alarm", filepath.Join(demo, "alarm-sns-event.json"), "--service", filepath.Join(demo, "describe-services.json"), "--time", "soon"},
	} {
		if err := plan(args); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
