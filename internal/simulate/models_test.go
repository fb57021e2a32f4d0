package simulate

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// TestMetricDelay: one task serves, so the metric is the demand, 1 request per second
// for two minutes, then 10. A 1 of 1 alarm above 5 sees the first breaching period,
// [2m, 3m), when it is evaluated at 3m without a delay, and a minute later with CloudWatch's
// delay of one evaluation interval (a minute, for a 60 s period). A 10 s alarm sees
// [2m, 2m10s) at 2m10s, or 10 s later with its delay of one evaluation interval.
func TestMetricDelay(t *testing.T) {
	tr := minuteTrace(seg{2, 1}, seg{3, 10})
	tests := []struct {
		period time.Duration
		delay  time.Duration
		want   string
	}{
		{time.Minute, 0, "3m0s ALARM 10"},
		{time.Minute, time.Minute, "4m0s ALARM 10"},
		{time.Minute, MetricDelayOneEvaluation, "4m0s ALARM 10"},
		// Evaluated each minute, at 4m it sees [1.5m, 2.5m): half at 1, half at 10.
		{time.Minute, 90 * time.Second, "4m0s ALARM 5.5"},
		{10 * time.Second, 0, "2m10s ALARM 10"},
		{10 * time.Second, MetricDelayOneEvaluation, "2m20s ALARM 10"},
	}
	for _, tt := range tests {
		rec := &recorder{spec: AlarmSpec{Name: "high", Threshold: 5, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Period: tt.period}}
		setup := Setup{TaskCapacity: 100, Min: 1, Max: 1, InitialTasks: 1, MetricDelay: tt.delay}
		mustRun(t, tr, setup, rec)
		var alarms []string
		for _, n := range rec.notifications {
			if strings.Contains(n, "ALARM") {
				alarms = append(alarms, n)
			}
		}
		if len(alarms) == 0 || alarms[0] != tt.want {
			t.Errorf("period %s, delay %s: notifications %q, want the first ALARM %q", tt.period, tt.delay, rec.notifications, tt.want)
		}
	}
	if _, err := Run(tr, Setup{TaskCapacity: 1, Max: 1, MetricDelay: -time.Second}, &Oracle{}); err == nil || !strings.Contains(err.Error(), "MetricDelay must not be negative") {
		t.Errorf("negative delay: %v", err)
	}
}

// trendProbe records its alarm's trend and the time it entered its state at 3m.
type trendProbe struct {
	alarm *Alarm
	slope float64
	ok    bool
	since time.Duration
}

func (p *trendProbe) Name() string { return "probe" }
func (p *trendProbe) Start(s *Sim) (Controller, error) {
	var err error
	p.alarm, err = s.AddAlarm(AlarmSpec{Name: "a", Threshold: 2, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 3})
	return p, err
}
func (p *trendProbe) Step(s *Sim) {
	if s.Now().Sub(s.Start()) == 3*time.Minute {
		p.slope, p.ok = p.alarm.Trend()
		p.since = p.alarm.Since().Sub(s.Start())
	}
}

// TestAlarmTrend: one task at 3, 6 and 9 requests per second in the first three minutes
// gives datapoints 3, 6, 9 a minute apart: a slope of 3 per 60 s, 0.05 a second. The
// alarm (above 2, 3 of 3) enters ALARM at 3m, the first evaluation with three real
// datapoints.
func TestAlarmTrend(t *testing.T) {
	p := &trendProbe{}
	mustRun(t, minuteTrace(seg{1, 3}, seg{1, 6}, seg{2, 9}), Setup{TaskCapacity: 100, Min: 1, Max: 1, InitialTasks: 1}, p)
	if !p.ok || math.Abs(p.slope-0.05) > 1e-12 || p.since != 3*time.Minute {
		t.Errorf("trend %v (%v), in its state since %s; want 0.05 a second and 3m", p.slope, p.ok, p.since)
	}
}

// TestExecutionPathsMatchTheStateMachine walks statemachine/scale.asl.json along each
// path and counts the states entered (each a billed state transition) and the Task
// states among them (each a Lambda invocation), against the simulator's figures.
func TestExecutionPathsMatchTheStateMachine(t *testing.T) {
	b, err := os.ReadFile("../../statemachine/scale.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	var asl struct {
		StartAt string
		States  map[string]struct {
			Type    string
			Next    string
			Default string
			Choices []struct{ Next string }
		}
	}
	if err := json.Unmarshal(b, &asl); err != nil {
		t.Fatal(err)
	}
	// path follows the state machine, taking a Choice state's first choice where choose
	// says so on that visit, its default otherwise.
	path := func(choose map[string]func(visit int) bool) (int, int) {
		visits := map[string]int{}
		transitions, tasks := 0, 0
		for name := asl.StartAt; ; {
			st := asl.States[name]
			transitions++
			visits[name]++
			switch st.Type {
			case "Succeed", "Fail":
				return transitions, tasks
			case "Choice":
				if c := choose[name]; c != nil && c(visits[name]) {
					name = st.Choices[0].Next
				} else {
					name = st.Default
				}
			case "Task":
				tasks++
				name = st.Next
			default:
				name = st.Next
			}
			if transitions > 1000 {
				t.Fatal("the walk does not end")
			}
		}
	}
	always := func(int) bool { return true }
	tr, inv := path(map[string]func(int) bool{})
	if tr != leaseHeldTransitions || inv != leaseHeldInvocations {
		t.Errorf("lease held: %d transitions, %d invocations; the simulator bills %d and %d", tr, inv, leaseHeldTransitions, leaseHeldInvocations)
	}
	tr, inv = path(map[string]func(int) bool{"Lease acquired?": always})
	if tr != notScaledTransitions || inv != notScaledInvocations {
		t.Errorf("not scaled: %d transitions, %d invocations; the simulator bills %d and %d", tr, inv, notScaledTransitions, notScaledInvocations)
	}
	for checks := 1; checks <= 3; checks++ {
		tr, inv = path(map[string]func(int) bool{"Lease acquired?": always, "Scaling needed?": always,
			"Service stable?": func(visit int) bool { return visit < checks }})
		wantTr, wantInv := scalingTransitions+checks*transitionsPerCheck, scalingInvocations+checks*invocationsPerCheck
		if tr != wantTr || inv != wantInv {
			t.Errorf("scaled after %d checks: %d transitions, %d invocations; the simulator bills %d and %d", checks, tr, inv, wantTr, wantInv)
		}
	}
}

// TestPresetHoldsScaleIn runs the balanced preset at a 50% target on tasks of 10
// requests per second (a target of 5, a scale-in alarm below 4.5): 8 tasks at 40 rps (5
// a task), then 10 rps (1.25 a task) from 10:10. The scale-in alarm (both of two 30 s
// periods, seen 10 s late) enters ALARM at 10:10:50, when its periods are [10:09:40,
// 10:10:10), which averages (20 s × 5 + 10 s × 1.25) / 30 s = 3.75, and [10:10:10,
// 10:10:40) at 1.25; the notification's execution recommends ceil(8 × 3.75 / 5) = 6 and
// holds, the alarm being in ALARM for less than the 5-minute window. So do those of
// minutes 11 (4: the periods' highest is 2.5) to 15 (2). At 10:16:00 the alarm has been
// in ALARM for 5 minutes and 10 s, and the highest recommendation after 10:11:00 is 2.
func TestPresetHoldsScaleIn(t *testing.T) {
	setup := Setup{TaskCapacity: 10, StartupDelay: time.Minute, InitialTasks: 8, Min: 1, Max: 12, MetricDelay: MetricDelayOneEvaluation}
	st, err := FromPreset(presets.Balanced, setup, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, minuteTrace(seg{10, 40}, seg{20, 10}), setup, st)
	for m, want := range map[int]int{10: 8, 15: 8, 16: 2} {
		if got := sampleAt(t, r, m).Desired; got != want {
			t.Errorf("minute %d: desired %d, want %d; by minute %v", m, got, want, desiredByMinute(r))
		}
	}
	if n := r.Notes["not scaled: "+scaling.ScaleInStabilized]; n != 6 {
		t.Errorf("%d executions held by the window, want 6 (10:10:50 and minutes 11 to 15); notes %v", n, r.Notes)
	}
	if st.Name() != "stepscaler balanced @50%" {
		t.Errorf("name %q", st.Name())
	}
}

func TestLineup(t *testing.T) {
	setup := testSetup()
	line, err := Lineup(testStepscaler(t), presets.All, setup, DefaultModels(), 0.7)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range line {
		names = append(names, a.Name())
	}
	want := []string{"stepscaler", "stepscaler latency-first", "stepscaler balanced", "stepscaler cost-first", "seed", "aas-step", "aas-target-tracking", "hpa", "oracle"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("line-up %q, want %q", names, want)
	}
	if h := line[7].(*HPA); h.TargetValue != 7 || h.MetricDelay != DefaultHPAMetricDelay || h.MetricWindow != DefaultHPAMetricWindow {
		t.Errorf("hpa %+v, want a target of 70%% of 10 and the default pipeline", h)
	}
}

// TestSensitivityVariesOneKnob: changing the HPA's metric delay changes the HPA's results
// and no one else's, and the row at the default value is the line-up's run.
func TestSensitivityVariesOneKnob(t *testing.T) {
	k, ok := LookupKnob("hpa-metric-delay")
	if !ok {
		t.Fatal("no knob hpa-metric-delay")
	}
	k.Values = []string{"0s", "15s"}
	tr, setup := variedTrace(300), testSetup()
	rows, err := Sensitivity(tr, setup, DefaultModels(), testStepscaler(t), presets.All, 0.7, []Knob{k})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Default || !rows[1].Default {
		t.Fatalf("rows %+v", rows)
	}
	for i := range rows[0].Results {
		a, b := rows[0].Results[i], rows[1].Results[i]
		if same := reflect.DeepEqual(a.Measures, b.Measures); same == (a.Autoscaler == "hpa") {
			t.Errorf("%s: measures the same at both delays: %v", a.Autoscaler, same)
		}
	}
	line, err := Lineup(testStepscaler(t), presets.All, setup, DefaultModels(), 0.7)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Compare(tr, setup, line)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if rs[i].Measures != rows[1].Results[i].Measures {
			t.Errorf("%s: the default row differs from the line-up's run", rs[i].Autoscaler)
		}
	}
}

func TestKnobs(t *testing.T) {
	for _, k := range Knobs() {
		s, m := Setup{}, DefaultModels()
		if err := k.Apply(&s, &m, k.Default); err != nil {
			t.Errorf("%s: its default %q: %v", k.Name, k.Default, err)
		}
		for _, v := range k.Values {
			if err := k.Apply(&s, &m, v); err != nil {
				t.Errorf("%s=%s: %v", k.Name, v, err)
			}
		}
		if err := k.Apply(&s, &m, "nonsense"); err == nil || !strings.HasPrefix(err.Error(), k.Name+"=nonsense") {
			t.Errorf("%s: a bad value gives %v", k.Name, err)
		}
		if k.Source == "" {
			t.Errorf("%s: no source", k.Name)
		}
	}
	// The defaults applied are the model's defaults.
	s, m := Setup{}, Models{}
	for _, k := range Knobs() {
		if err := k.Apply(&s, &m, k.Default); err != nil {
			t.Fatal(err)
		}
	}
	if s.MetricDelay != MetricDelayOneEvaluation || m != DefaultModels() {
		t.Errorf("defaults: delay %s, models %+v; want one evaluation and %+v", s.MetricDelay, m, DefaultModels())
	}
}
