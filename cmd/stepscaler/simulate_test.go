package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/simulate"
	backtest "github.com/stepscaler/stepscaler/internal/simulate/report"
)

func TestParseRange(t *testing.T) {
	got, err := parseRange("--x", "40:95:1", 100)
	if err != nil || len(got) != 56 || got[0] != 0.4 || got[17] != 0.57 || got[55] != 0.95 {
		t.Errorf("40:95:1 = %v (%v), want 56 values from 0.4, 0.57 exactly at 57", got, err)
	}
	if got, err := parseRange("--x", "40, 45", 100); err != nil || !reflect.DeepEqual(got, []float64{0.4, 0.45}) {
		t.Errorf("a list: %v, %v", got, err)
	}
	if got, err := parseRange("--x", "50,60,70", 1); err != nil || !reflect.DeepEqual(got, []float64{50, 60, 70}) {
		t.Errorf("thresholds: %v, %v", got, err)
	}
	for _, bad := range []string{"1:2", "5:1:1", "1:5:0", "a:b:c", "1,x", "0:100000:1"} {
		if _, err := parseRange("--x", bad, 100); err == nil || !strings.HasPrefix(err.Error(), "--x") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestPresetList(t *testing.T) {
	if ps, err := presetList("none"); err != nil || ps != nil {
		t.Errorf("none: %v, %v", ps, err)
	}
	if ps, err := presetList("balanced, cost-first"); err != nil || len(ps) != 2 || ps[1].Name != "cost-first" {
		t.Errorf("two: %v, %v", ps, err)
	}
	if _, err := presetList("fastest"); err == nil || !strings.Contains(err.Error(), "have latency-first, balanced, cost-first") {
		t.Errorf("unknown: %v", err)
	}
}

// writeTrace writes two hours a minute: 200 requests a second, then 900 for an hour.
func writeTrace(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,requests\n")
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := range 120 {
		rps := 200
		if i >= 30 && i < 90 {
			rps = 900
		}
		fmt.Fprintf(&b, "%s,%d\n", start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), rps*60)
	}
	path := filepath.Join(t.TempDir(), "step.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSimulateCommand(t *testing.T) {
	trace := writeTrace(t)
	dir := t.TempDir()
	args := []string{"--config", "../../config/stepscaler.json", "--service", "prod/web", "--task-capacity", "100",
		"--trace", trace, "--name", "Step", "--demand-scales", "1,2", "--sweep", "threshold=60,70",
		"--sweep-targets", "60:70:10", "--preset-targets", "60:80:10", "--metric-delay", "0s", "--out", filepath.Join(dir, "step")}
	if err := simulateCmd(args); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "step", "goal.json"))
	if err != nil {
		t.Fatal(err)
	}
	var goals []struct {
		Trace    string
		Scale    float64
		Defaults map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &goals); err != nil {
		t.Fatal(err)
	}
	if len(goals) != 2 || goals[0].Trace != "Step" || goals[1].Scale != 2 {
		t.Fatalf("goals %+v", goals)
	}
	for _, name := range []string{"stepscaler prod/web", "stepscaler balanced", "aas-step", "aas-target-tracking", "hpa", "oracle"} {
		if _, ok := goals[0].Defaults[name]; !ok {
			t.Errorf("no default for %s", name)
		}
	}
	table, err := os.ReadFile(filepath.Join(dir, "step", "table.txt"))
	if err != nil || !strings.Contains(string(table), "CloudWatch metric delay 0s") {
		t.Errorf("table.txt: %v\n%s", err, table)
	}
	if err := simulateCmd([]string{"--summary", dir}); err != nil {
		t.Fatal(err)
	}
	if s, err := os.ReadFile(filepath.Join(dir, "summary.md")); err != nil || !strings.Contains(string(s), "## Step") {
		t.Errorf("summary.md: %v\n%s", err, s)
	}

	out := captureStdout(t, func() error {
		return simulateCmd([]string{"--config", "../../config/stepscaler.json", "--task-capacity", "100", "--trace", trace, "--presets", "balanced", "--output", "json"})
	})
	var printed []struct {
		Scale   float64
		Results []struct{ Autoscaler string }
	}
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("--output json printed no JSON: %v\n%s", err, out)
	}
	if len(printed) != 1 || len(printed[0].Results) != 7 || printed[0].Results[1].Autoscaler != "stepscaler balanced" {
		t.Errorf("printed %+v", printed)
	}
}

// TestSimulateScheduledService: a --config service's scheduled actions reach its
// Stepscaler, and only it: the presets in the line-up have none.
func TestSimulateScheduledService(t *testing.T) {
	b, err := os.ReadFile("../../config/stepscaler.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	web := cfg["services"].([]any)[0].(map[string]any)
	web["scheduledActions"] = []any{map[string]any{"scheduledActionName": "lunch", "schedule": "cron(0 12 * * ? *)",
		"scalableTargetAction": map[string]any{"minCapacity": 6, "maxCapacity": 20}}}
	delete(cfg, "$schema")
	b, err = json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scheduled.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	trace := writeTrace(t)
	opts := func(config string) backtest.Options {
		t.Helper()
		fs := newFlags("simulate")
		o := simulateFlags(fs)
		if err := fs.Parse([]string{"--config", config, "--service", "prod/web", "--task-capacity", "100", "--trace", trace, "--presets", "balanced"}); err != nil {
			t.Fatal(err)
		}
		opts, err := o.options(fs)
		if err != nil {
			t.Fatal(err)
		}
		return opts
	}
	o := opts(path)
	if len(o.Stepscaler.Schedule) != 1 || o.Stepscaler.Schedule[0].Name != "lunch" {
		t.Fatalf("schedule %+v", o.Stepscaler.Schedule)
	}
	if note := scheduleNote(o); !strings.Contains(note, "stepscaler prod/web applies the service's 1 scheduled actions (lunch) over the bounds [2, 20]") ||
		!strings.Contains(note, "the presets and the other autoscalers keep [2, 20]") {
		t.Errorf("note %q", note)
	}
	line, err := simulate.Lineup(o.Stepscaler, o.Presets, o.Setup, o.Models, o.AnchorTarget)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range line {
		if st, ok := a.(*simulate.Stepscaler); ok && (i == 0) != (len(st.Schedule) == 1) {
			t.Errorf("%s: %d scheduled actions", st.Name(), len(st.Schedule))
		}
	}
	if note := scheduleNote(opts("../../config/stepscaler.json")); note != "" {
		t.Errorf("the shipped config has no scheduled actions, note %q", note)
	}
}

func TestSimulateCommandErrors(t *testing.T) {
	trace := writeTrace(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trace", trace}, "--trace and a positive --task-capacity are required"},
		{[]string{"--trace", trace, "--task-capacity", "100", "--demand-scale", "0"}, "--demand-scale must be positive"},
		{[]string{"--trace", trace, "--task-capacity", "100", "--metric-delay", "soon"}, "--metric-delay=soon"},
		{[]string{"--trace", trace, "--task-capacity", "100", "--tt-cooldown-base", "later"}, "--tt-cooldown-base=later"},
		{[]string{"--trace", trace, "--task-capacity", "100", "--sweep", "threshold"}, "--sweep wants PARAM=V1,V2"},
		{[]string{"--trace", trace, "--task-capacity", "100", "--presets", "fastest"}, "no preset"},
	} {
		err := simulateCmd(append([]string{"--config", "../../config/stepscaler.json"}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
