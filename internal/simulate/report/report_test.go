package report

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/simulate"
)

var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// waves is three hours a minute: a slow wave between 20 and 120 requests a second.
func waves() simulate.Trace {
	var values []float64
	for i := range 180 {
		values = append(values, 60*(70+50*math.Sin(2*math.Pi*float64(i)/90)))
	}
	return simulate.FromValues("waves", t0, time.Minute, values)
}

func testOptions(t *testing.T, dir string) Options {
	t.Helper()
	out := scaling.Policy{AlarmName: "high", Direction: scaling.Out, Adjustment: 2, CooldownSeconds: 60}
	in := scaling.Policy{AlarmName: "low", Direction: scaling.In, Adjustment: 1, CooldownSeconds: 120}
	st, err := simulate.NewStepscaler([]scaling.Policy{out, in}, map[string]simulate.AlarmSpec{
		"high": {Threshold: 7, ComparisonOperator: simulate.GreaterThanThreshold, EvaluationPeriods: 2},
		"low":  {Threshold: 4, ComparisonOperator: simulate.LessThanThreshold, EvaluationPeriods: 5},
	})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := simulate.LookupKnob("metric-delay")
	k.Values = []string{"0s", "auto"}
	return Options{
		Trace: waves(), Name: "Waves", Stepscaler: st, Presets: presets.All,
		Setup:  simulate.Setup{TaskCapacity: 10, StartupDelay: time.Minute, Min: 1, Max: 10, MetricDelay: simulate.MetricDelayOneEvaluation},
		Models: simulate.DefaultModels(), AnchorTarget: 0.7, Scales: []float64{1, 2},
		Frontier: true, Grid: simulate.Grid{PresetTargets: []float64{0.5, 0.7, 0.9}, AnchorTargets: []float64{0.5, 0.7, 0.9}, Thresholds: []float64{5, 7}},
		Sensitivity: true, Knobs: []simulate.Knob{k}, PeakWindow: time.Hour, Dir: dir,
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, filepath.Join(dir, "waves"))
	if err := Write(o); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"table.txt", "results.json", "scales.txt", "cost.txt", "capacity-peak.png", "capacity-peak.svg",
		"frontier.txt", "frontier.json", "goal.json", "frontier-x1.png", "frontier-x1.svg", "frontier-x2.svg", "sensitivity.txt"} {
		if fi, err := os.Stat(filepath.Join(o.Dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	// The goal's defaults are the line-up's runs at the same scale.
	var goals []Goal
	readJSON(t, filepath.Join(o.Dir, "goal.json"), &goals)
	var results []struct {
		Autoscaler string
		Measures   simulate.Measures
	}
	readJSON(t, filepath.Join(o.Dir, "results.json"), &results)
	if len(goals) != 2 || goals[0].Scale != 1 || goals[1].Scale != 2 || goals[0].Anchors != 3+3+2 {
		t.Fatalf("goals %+v", goals)
	}
	for _, r := range results {
		p, ok := goals[0].Defaults[r.Autoscaler]
		if !ok && !strings.HasPrefix(r.Autoscaler, "stepscaler") {
			t.Errorf("%s has no default in the goal", r.Autoscaler)
			continue
		}
		if ok && (p.Under != r.Measures.ControllableUnderTaskMinutes || p.Over != r.Measures.ControllableOverTaskMinutes) {
			t.Errorf("%s: goal %v, line-up %v / %v", r.Autoscaler, p, r.Measures.ControllableUnderTaskMinutes, r.Measures.ControllableOverTaskMinutes)
		}
	}

	frontier := read(t, filepath.Join(o.Dir, "frontier.txt"))
	for _, want := range []string{"Waves, demand ×1", "Waves, demand ×2", "stepscaler balanced", "aas-target-tracking", "hpa", "oracle", "Goal:"} {
		if !strings.Contains(frontier, want) {
			t.Errorf("frontier.txt lacks %q", want)
		}
	}
	sens := read(t, filepath.Join(o.Dir, "sensitivity.txt"))
	if !strings.Contains(sens, "--metric-delay (default auto)") || !strings.Contains(sens, "auto *") || !strings.Contains(sens, "0s ") {
		t.Errorf("sensitivity.txt:\n%s", sens)
	}

	if err := Summarize(dir); err != nil {
		t.Fatal(err)
	}
	summary := read(t, filepath.Join(dir, "summary.md"))
	for _, want := range []string{"## Waves", "| stepscaler balanced |", "| hpa |", "×2"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
}

// TestWriteText: without a directory, the text goes to the writer, and nothing else.
func TestWriteText(t *testing.T) {
	o := testOptions(t, "")
	o.Frontier, o.Sensitivity, o.Scales = false, false, []float64{1}
	var b strings.Builder
	o.Text = &b
	if err := Write(o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### table.txt", "### scales.txt", "### cost.txt", "ctrl under"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(b.String(), "results.json") {
		t.Error("the JSON was written to the text")
	}
	o.Text = nil
	if err := Write(o); err == nil || !strings.Contains(err.Error(), "no output directory nor writer") {
		t.Errorf("neither a directory nor a writer: %v", err)
	}
}

func TestSummarizeWithoutGoals(t *testing.T) {
	if err := Summarize(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no */goal.json") {
		t.Errorf("error %v", err)
	}
}

func curve(family string, ours, preset bool, pts ...[3]float64) simulate.Curve {
	c := simulate.Curve{Family: family, Knob: "target", Unit: "%", Ours: ours, Preset: preset}
	for _, p := range pts {
		c.Points = append(c.Points, simulate.CurvePoint{Value: p[0], Default: p[0] == 0.7,
			Measures: simulate.Measures{ControllableUnderTaskMinutes: p[1], ControllableOverTaskMinutes: p[2]}})
	}
	return c
}

// TestBalancedVerdict works the verdict out by hand.
func TestBalancedVerdict(t *testing.T) {
	defaults := func(curves []simulate.Curve) map[string]Pair {
		d := map[string]Pair{}
		for _, c := range curves {
			if p, ok := c.DefaultPoint(); ok {
				d[c.Family] = pairOf(p.Measures)
			}
		}
		return d
	}
	// Balanced 10 / 100 against step scaling's 12 / 150 and target tracking's 20 / 120.
	curves := []simulate.Curve{
		curve(balancedPreset, true, true, [3]float64{0.7, 10, 100}),
		curve("aas-step", false, false, [3]float64{0.7, 12, 150}),
		curve("aas-target-tracking", false, false, [3]float64{0.7, 20, 120}),
	}
	if v := balancedVerdict(curves, defaults(curves)); !v.Holds || v.Box != nil {
		t.Errorf("%+v, want it to hold", v)
	}
	// Step scaling at 5 / 200: balanced is worse on under. Beating both needs at most 5
	// under and 120 over; balanced's 0.5 point, 4 / 110, gets there.
	curves[1].Points[0].Measures.ControllableUnderTaskMinutes = 5
	curves[1].Points[0].Measures.ControllableOverTaskMinutes = 200
	curves[0].Points = append(curves[0].Points, simulate.CurvePoint{Value: 0.5,
		Measures: simulate.Measures{ControllableUnderTaskMinutes: 4, ControllableOverTaskMinutes: 110}})
	v := balancedVerdict(curves, defaults(curves))
	if v.Holds || v.BeatsStep || !v.BeatsTT || v.Box == nil || *v.Box != (Pair{5, 120}) || !reflect.DeepEqual(v.InBox, []string{balancedPreset + " at target 50%"}) {
		t.Errorf("%+v", v)
	}
	// Without that point no curve gets there: balanced's default is (10 − 5) / 5 = 100%
	// beyond on under, step scaling (200 − 120) / 120 = 67% on over, target tracking 300%.
	curves[0].Points = curves[0].Points[:1]
	v = balancedVerdict(curves, defaults(curves))
	if len(v.InBox) != 0 || v.ClosestAny != "aas-step" || math.Abs(v.Closest["aas-step"].Excess-80.0/120) > 1e-12 ||
		math.Abs(v.Closest[balancedPreset].Excess-1) > 1e-12 || math.Abs(v.Closest["aas-target-tracking"].Excess-3) > 1e-12 {
		t.Errorf("%+v", v)
	}
}

func TestRanks(t *testing.T) {
	rs := []simulate.Result{
		{Autoscaler: "a", Measures: simulate.Measures{ControllableUnderTaskMinutes: 3}},
		{Autoscaler: "b", Measures: simulate.Measures{ControllableUnderTaskMinutes: 1}},
		{Autoscaler: "c", Measures: simulate.Measures{ControllableUnderTaskMinutes: 3}},
		{Autoscaler: "oracle", Measures: simulate.Measures{}},
		{Autoscaler: "d", Measures: simulate.Measures{ControllableUnderTaskMinutes: 7}},
	}
	got := ranks(rs, func(m simulate.Measures) float64 { return m.ControllableUnderTaskMinutes })
	// Ties share the better rank; the oracle takes none (its 0 would rank first).
	if want := []int{2, 1, 2, 1, 4}; !reflect.DeepEqual(got[:3], want[:3]) || got[4] != want[4] {
		t.Errorf("ranks %v, want %v (the oracle's ignored)", got, want)
	}
}

func TestPeakWindow(t *testing.T) {
	var samples []simulate.Sample
	for i := range 600 {
		samples = append(samples, simulate.Sample{At: t0.Add(time.Duration(i) * time.Minute), Needed: 1})
	}
	samples[310].Needed = 9 // 5:10
	from, to := peakWindow(samples, 6*time.Hour)
	// Centred on 5:10 it would start at 2:10; it starts on the half hour before.
	if !from.Equal(t0.Add(2*time.Hour)) || !to.Equal(t0.Add(8*time.Hour)) {
		t.Errorf("window %s–%s, want 02:00–08:00", from.Format("15:04"), to.Format("15:04"))
	}
	samples[310].Needed, samples[20].Needed = 1, 9 // 0:20: the window starts with the samples
	if from, _ := peakWindow(samples, 6*time.Hour); !from.Equal(t0) {
		t.Errorf("early peak: window from %s, want 00:00", from.Format("15:04"))
	}
	samples[20].Needed, samples[590].Needed = 1, 9 // 9:50: it ends with them
	if from, to := peakWindow(samples, 6*time.Hour); !to.After(samples[599].At) || to.After(samples[599].At.Add(time.Second)) || !from.Equal(to.Add(-6*time.Hour)) {
		t.Errorf("late peak: window %s–%s", from.Format("15:04"), to.Format("15:04"))
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(read(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFrontierChart: a curve identical to one drawn already joins its legend entry, and
// the oracle is given in the title rather than drawn.
func TestFrontierChart(t *testing.T) {
	step := curve("aas-step", false, false, [3]float64{0.5, 4, 300}, [3]float64{0.7, 2, 500})
	same := step
	same.Family, same.Ours = "stepscaler web", true
	g := Goal{Scale: 1, curves: []simulate.Curve{
		curve(balancedPreset, true, true, [3]float64{0.5, 3, 200}, [3]float64{0.7, 1, 400}),
		same, step,
		curve("oracle", false, false, [3]float64{0.7, 1, 20}),
	}}
	var b strings.Builder
	if err := frontierChart(&b, "svg", Options{Name: "T"}, g); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	for _, want := range []string{"aas-step (target; = stepscaler web)", "stepscaler balanced (target)", "the oracle: 1 / 20"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if strings.Contains(svg, ">oracle<") || strings.Contains(svg, ">stepscaler web (target)<") {
		t.Error("the oracle or the coinciding curve has its own legend entry")
	}
}

// TestConfiguredCostByPeriod: the configured policy is priced by its own alarms. Two
// 60 s alarms (one left to the setup's default period) cost $0.10 each and need no
// custom metric; a 10 s alarm beside a 60 s one costs $0.30 + $0.10, and its metric,
// published every 10 s by 2 tasks, 30 × 8,640 × 2 = 518,400 requests, $5.184 + $0.30.
func TestConfiguredCostByPeriod(t *testing.T) {
	policies := func(outPeriod time.Duration) *simulate.Stepscaler {
		return &simulate.Stepscaler{Policies: []simulate.PolicyAlarm{
			{Alarm: simulate.AlarmSpec{Name: "high", Period: outPeriod}},
			{Alarm: simulate.AlarmSpec{Name: "low", Period: time.Minute}},
		}}
	}
	tests := []struct {
		name           string
		out            time.Duration
		alarms, metric float64
	}{
		{"standard alarms, one at the setup's period", 0, 0.20, 0},
		{"one high-resolution alarm", 10 * time.Second, 0.40, 5.184 + 0.30},
	}
	for _, tt := range tests {
		alarms, metric := configuredCost(policies(tt.out), time.Minute, 2)
		if math.Abs(alarms-tt.alarms) > 1e-9 || math.Abs(metric-tt.metric) > 1e-9 {
			t.Errorf("%s: alarms $%v, metric $%v; want $%v and $%v", tt.name, alarms, metric, tt.alarms, tt.metric)
		}
	}
}
