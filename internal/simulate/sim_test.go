package simulate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

func TestSetupValidation(t *testing.T) {
	tests := []struct {
		name  string
		setup Setup
		want  string
	}{
		{"capacity", Setup{Max: 1}, "TaskCapacity must be a positive number"},
		{"bounds", Setup{TaskCapacity: 1, Min: 3, Max: 2}, "want 0 <= Min <= Max"},
		{"no tasks allowed", Setup{TaskCapacity: 1}, "Max >= 1"},
		{"initial outside", Setup{TaskCapacity: 1, Max: 2, InitialTasks: 3}, "InitialTasks 3 is outside [Min 0, Max 2]"},
		{"delay", Setup{TaskCapacity: 1, Max: 1, StartupDelay: -time.Second}, "StartupDelay must not be negative"},
		{"tick", Setup{TaskCapacity: 1, Max: 1, Tick: 1500 * time.Millisecond}, "Tick must be a whole number of seconds"},
		{"period", Setup{TaskCapacity: 1, Max: 1, AlarmPeriod: 45 * time.Second}, "AlarmPeriod must be"},
		{"missing data", Setup{TaskCapacity: 1, Max: 1, TreatMissingData: "zero"}, "TreatMissingData \"zero\""},
		{"every problem at once", Setup{Min: 2, Max: 1}, "TaskCapacity must be a positive number of requests per second, got 0\nwant 0 <= Min <= Max"},
	}
	for _, tt := range tests {
		_, err := Run(stepUp(), tt.setup, &Oracle{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	s, err := (Setup{TaskCapacity: 1, Min: 2, Max: 3}).withDefaults()
	if err != nil || s.Tick != 5*time.Second || s.AlarmPeriod != time.Minute || s.TreatMissingData != MissingAsMissing || s.InitialTasks != 2 {
		t.Errorf("defaults: %+v, %v", s, err)
	}
}

// TestTasks checks the task model: tasks started serve after the startup delay (rounded
// up to a tick), and lowering desiredCount stops starting tasks first, newest first.
func TestTasks(t *testing.T) {
	setup := Setup{TaskCapacity: 10, StartupDelay: 12 * time.Second, InitialTasks: 2, Min: 0, Max: 10}
	sc := &script{at: map[int]int{1: 5, 2: 6, 3: 4, 6: 1, 7: 0}}
	mustRun(t, minuteTrace(seg{2, 10}), setup, sc)
	want := []tickView{
		{2, 2, 0},
		{5, 2, 3}, // 12 s is rounded up to 3 ticks of 5 s: they serve at tick 4
		{6, 2, 4},
		{4, 2, 2}, // tick 2's task and one of tick 1's stop
		{4, 4, 0}, // tick 1's remaining two serve
		{4, 4, 0},
		{1, 1, 0}, // no task is starting: serving ones stop
		{0, 0, 0},
	}
	for i, w := range want {
		if sc.seen[i] != w {
			t.Errorf("tick %d: %+v, want %+v", i, sc.seen[i], w)
		}
	}

	setup.StartupDelay = 0
	sc = &script{at: map[int]int{0: 4}}
	mustRun(t, minuteTrace(seg{2, 10}), setup, sc)
	if sc.seen[0] != (tickView{4, 4, 0}) {
		t.Errorf("without a startup delay, tasks serve at once: %+v", sc.seen[0])
	}
}

// TestMeasures runs a scripted scale-out against a need of 2 then 4 tasks and checks
// every measure by hand.
func TestMeasures(t *testing.T) {
	tr := minuteTrace(seg{5, 20}, seg{5, 40}, seg{1, nan()}, seg{1, 40})
	setup := Setup{TaskCapacity: 10, StartupDelay: time.Minute, InitialTasks: 2, Min: 1, Max: 10}
	// Scale to 5 when the need rises (minute 5, tick 60); they serve a minute later.
	r := mustRun(t, tr, setup, &script{at: map[int]int{60: 5}})
	m := r.Measures
	checks := []struct {
		name      string
		got, want float64
	}{
		{"under: 2 tasks short for a minute", m.UnderTaskMinutes, 2},
		{"over: 1 task idle for 4 minutes, and the last", m.OverTaskMinutes, 5},
		{"violation", m.ViolationMinutes, 1},
		{"actions", float64(m.ScalingActions), 1},
		{"rises", float64(m.Rises), 1},
		{"skipped: the missing minute", m.SkippedMinutes, 1},
		{"task-minutes: 2×6 + 5×6", m.TaskMinutes, 42},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if ttc := m.TimeToCapacity; ttc.Mean != time.Minute || ttc.P95 != time.Minute || ttc.Max != time.Minute || ttc.Unreached != 0 {
		t.Errorf("time to capacity = %+v, want a minute", ttc)
	}
	if len(r.Samples) != 12 || !r.Samples[10].Missing || r.Samples[5].Needed != 4 || r.Samples[5].Running != 2 || r.Samples[5].Desired != 5 {
		t.Errorf("samples: %d, %+v %+v", len(r.Samples), r.Samples[5], r.Samples[10])
	}

	// A need beyond Max is a rise never met.
	r = mustRun(t, minuteTrace(seg{2, 20}, seg{3, 200}), setup, &script{at: map[int]int{24: 10}})
	if ttc := r.Measures.TimeToCapacity; ttc.Unreached != 1 || ttc.Mean != 0 || r.Measures.Rises != 1 {
		t.Errorf("unreachable rise: %+v, rises %d", ttc, r.Measures.Rises)
	}
}

func TestTimeToCapacityPercentile(t *testing.T) {
	// Twenty rises met after 1..20 ticks: the mean is 10.5 ticks, the p95 the 19th.
	w := &world{setup: Setup{Tick: 5 * time.Second}}
	a := &accumulator{w: w}
	for i := 1; i <= 20; i++ {
		a.closed = append(a.closed, 21-i)
	}
	ttc := a.measures(0).TimeToCapacity
	if ttc.Mean != 52500*time.Millisecond || ttc.P95 != 95*time.Second || ttc.Max != 100*time.Second {
		t.Errorf("time to capacity = %+v", ttc)
	}
}

func TestOutOfBoundsIsAnError(t *testing.T) {
	_, err := Run(stepUp(), testSetup(), &script{at: map[int]int{3: 13}})
	if err == nil || !strings.Contains(err.Error(), "script: at 2026-11-27T10:00:15Z the autoscaler set desired count 13, outside [1, 12]") {
		t.Errorf("error = %v", err)
	}
}

func TestSamplesAreThinned(t *testing.T) {
	long := minuteTrace(seg{30000, 10})
	r := mustRun(t, long, Setup{TaskCapacity: 10, Min: 1, Max: 2}, &Oracle{})
	if len(r.Samples) > maxSamples || len(r.Samples) != 15000 || r.Samples[1].At.Sub(r.Samples[0].At) != 2*time.Minute {
		t.Errorf("%d samples, %s apart; want 15000, 2 minutes apart", len(r.Samples), r.Samples[1].At.Sub(r.Samples[0].At))
	}
	if r.Measures.TaskMinutes != 30000 {
		t.Errorf("measures must use every tick: task-minutes %v, want 30000", r.Measures.TaskMinutes)
	}
}

func TestDemandAcrossBuckets(t *testing.T) {
	// 10 s buckets of 10 and 30 requests (1 and 3 rps) under 20 s ticks: one tick of 2 rps.
	tr := FromValues("fine", t0, 10*time.Second, []float64{10, 30, 10, nan(), nan(), nan()})
	w, err := newWorld(tr, Setup{TaskCapacity: 1, Max: 1, Tick: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if w.ticks != 3 || w.demand[0] != 2 || w.needed[0] != 2 || w.demand[1] != 1 || !w.known[1] || w.known[2] {
		t.Errorf("ticks %d, demand %v, known %v, needed %v", w.ticks, w.demand, w.known, w.needed)
	}
	// 5-minute buckets under 5 s ticks: each tick has the bucket's rate.
	tr = FromValues("coarse", t0, 5*time.Minute, []float64{300, 600})
	if w, err = newWorld(tr, Setup{TaskCapacity: 1, Max: 1}); err != nil || w.ticks != 120 || w.demand[59] != 1 || w.demand[60] != 2 {
		t.Errorf("coarse: %v, %d ticks", err, w.ticks)
	}
}

func TestTasksFor(t *testing.T) {
	tests := []struct {
		demand, capacity float64
		want             int
	}{
		{0, 10, 0}, {0.001, 10, 1}, {10, 10, 1}, {10.0000001, 10, 2}, {80, 10, 8}, {0.3 * 3, 0.3, 3},
	}
	for _, tt := range tests {
		if got := tasksFor(tt.demand, tt.capacity); got != tt.want {
			t.Errorf("tasksFor(%v, %v) = %d, want %d", tt.demand, tt.capacity, got, tt.want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	r := mustRun(t, stepUp(), testSetup(), &Seed{Policies: testStepscaler(t).Policies})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"autoscaler":"seed"`, `"underTaskMinutes":`, `"timeToCapacity":{"meanSeconds":`, `"p95Seconds":`, `"samples":[{"at":"2026-11-27T10:00:00Z"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Measures != r.Measures {
		t.Errorf("measures do not round-trip: %+v, want %+v", back.Measures, r.Measures)
	}
}

func TestFormatTable(t *testing.T) {
	rs, err := Compare(stepUp(), testSetup(), All(testStepscaler(t), 7))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := FormatTable(&b, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], "under task-min") || !strings.Contains(lines[6], "oracle") {
		t.Fatalf("table:\n%s", b.String())
	}
	for _, l := range lines {
		if len(l) != len(lines[0]) {
			t.Errorf("rows are not aligned:\n%s", b.String())
			break
		}
	}
	t.Logf("\n%s", b.String())
}

// probe reads the Sim's views at one tick.
type probe struct {
	at                       int
	metric, demand           float64
	metricOK, demandOK       bool
	neededNow, neededAfter   int
	nowOK, afterOK, beforeOK bool
	lateAlarm                error
}

func (p *probe) Name() string                   { return "probe" }
func (p *probe) Start(*Sim) (Controller, error) { return p, nil }
func (p *probe) Step(s *Sim) {
	if int(s.Now().Sub(s.Start())/s.TickLength()) != p.at {
		return
	}
	p.metric, p.metricOK = s.Metric(time.Minute)
	p.demand, p.demandOK = s.Demand(time.Minute)
	p.neededNow, p.nowOK = s.Needed(s.Now())
	p.neededAfter, p.afterOK = s.Needed(s.Now().Add(time.Hour))
	_, p.beforeOK = s.Needed(s.Start().Add(-time.Second))
	_, p.lateAlarm = s.AddAlarm(AlarmSpec{Name: "late", ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1})
}

func TestSimViews(t *testing.T) {
	// Minute 0 at 20 rps, minute 1 at 40: at 1:30, the last minute averaged 30 rps over
	// the 2 serving tasks half the time and 40 rps over them the other half.
	p := &probe{at: 18}
	mustRun(t, minuteTrace(seg{1, 20}, seg{1, 40}, seg{1, nan()}), Setup{TaskCapacity: 10, InitialTasks: 2, Min: 1, Max: 4}, p)
	if !p.metricOK || p.metric != 15 || !p.demandOK || p.demand != 30 {
		t.Errorf("metric %v (%v), demand %v (%v); want 15 per task, 30 in all", p.metric, p.metricOK, p.demand, p.demandOK)
	}
	if !p.nowOK || p.neededNow != 4 || p.afterOK || p.beforeOK {
		t.Errorf("needed now %d (%v), beyond the trace %v, before it %v", p.neededNow, p.nowOK, p.afterOK, p.beforeOK)
	}
	if p.lateAlarm == nil {
		t.Error("AddAlarm after Start succeeded")
	}

	_, err := Run(stepUp(), Setup{TaskCapacity: 10, Max: 2, Tick: 7 * time.Second},
		&recorder{spec: AlarmSpec{Name: "a", ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}})
	if err == nil || !strings.Contains(err.Error(), "must be whole ticks of 7s") {
		t.Errorf("an alarm period off the tick: %v", err)
	}
}

func TestNewStepscalerErrors(t *testing.T) {
	out := scaling.Policy{AlarmName: "high", Direction: scaling.Out, Adjustment: 1}
	spec := AlarmSpec{Threshold: 1, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}
	tests := []struct {
		name     string
		policies []scaling.Policy
		specs    map[string]AlarmSpec
		want     string
	}{
		{"none", nil, nil, "no policies"},
		{"no alarm definition", []scaling.Policy{out}, nil, "alarm high: no alarm definition"},
		{"direction", []scaling.Policy{{AlarmName: "high", Direction: "up"}}, map[string]AlarmSpec{"high": spec}, `direction must be out or in, got "up"`},
		{"one alarm, two policies", []scaling.Policy{out, out}, map[string]AlarmSpec{"high": spec}, "alarm high: drives more than one policy"},
	}
	for _, tt := range tests {
		if _, err := NewStepscaler(tt.policies, tt.specs); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	st, err := NewStepscaler([]scaling.Policy{out}, map[string]AlarmSpec{"high": {Threshold: 1, ComparisonOperator: "Above", EvaluationPeriods: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(stepUp(), testSetup(), st); err == nil || !strings.Contains(err.Error(), `stepscaler: alarm high: comparison operator "Above"`) {
		t.Errorf("bad alarm: %v", err)
	}
}
