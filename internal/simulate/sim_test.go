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
		{"controllable under: the need is within the bounds", m.ControllableUnderTaskMinutes, 2},
		{"controllable over", m.ControllableOverTaskMinutes, 5},
		{"the bounds cost nothing", m.BoundUnderTaskMinutes + m.BoundOverTaskMinutes, 0},
		{"violation", m.ViolationMinutes, 1},
		{"actions", float64(m.ScalingActions), 1},
		{"skipped: the missing minute", m.SkippedMinutes, 1},
		{"task-minutes: 2×6 + 5×6", m.TaskMinutes, 42},
		{"no target", m.TargetValue + m.OverTargetTaskMinutes, 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// One rise, 2 to 4 at minute 5, met when the new tasks serve at minute 6. The gap
	// does not make the same need after it a rise.
	if ttc := m.TimeToCapacity; ttc.Rises != 1 || ttc.Met != 1 || ttc.NeverMet != 0 || ttc.Mean != time.Minute || ttc.P95 != time.Minute || ttc.Max != time.Minute {
		t.Errorf("time to capacity = %+v, want one rise met in a minute", ttc)
	}
	if len(r.Samples) != 12 || !r.Samples[10].Missing || r.Samples[5].Needed != 4 || r.Samples[5].Running != 2 || r.Samples[5].Desired != 5 {
		t.Errorf("samples: %d, %+v %+v", len(r.Samples), r.Samples[5], r.Samples[10])
	}

	// A need of 20 beyond the Max of 10 for three minutes: the 30 task-minutes above Max
	// are the bounds'; the 8 short at minute 2, before the new tasks serve, are the
	// autoscaler's. The rise asks for the 10 the bounds allow and is met a minute later.
	r = mustRun(t, minuteTrace(seg{2, 20}, seg{3, 200}), setup, &script{at: map[int]int{24: 10}})
	m = r.Measures
	if m.UnderTaskMinutes != 38 || m.ControllableUnderTaskMinutes != 8 || m.BoundUnderTaskMinutes != 30 {
		t.Errorf("beyond Max: under %v = controllable %v + bounds %v, want 38 = 8 + 30", m.UnderTaskMinutes, m.ControllableUnderTaskMinutes, m.BoundUnderTaskMinutes)
	}
	if ttc := m.TimeToCapacity; ttc.Rises != 1 || ttc.Met != 1 || ttc.Max != time.Minute {
		t.Errorf("rise beyond Max: %+v, want met in a minute at Max", ttc)
	}
}

// targetedScript is a script with a target, for the waste against it.
type targetedScript struct {
	script
	target float64
}

func (ts *targetedScript) Start(*Sim) (Controller, error) { return ts, nil }
func (ts *targetedScript) Target(Setup) float64           { return ts.target }

// TestMeasuresOverEveryRise works a scripted run through by hand, minute by minute (one
// tick a minute, tasks serving at once), with bounds [1, 6] and a target of 8 requests
// per second per task on tasks that serve 10:
//
//	minute            0  1  2  3  4  5  6  7  8  9
//	needed            2  4  4  3  5  2  8  8  2  3
//	clamped to [1,6]  2  4  4  3  5  2  6  6  2  3
//	running           2  2  4  4  4  4  4  6  4  4
//	at the target     3  5  5  4  6  3  6  6  3  4   ceil(10 × needed / 8), clamped
//
// Rises: minute 1 (to 4) met at minute 2; minute 4 (to 5) never met, the need falling to
// 2 at minute 5; minute 6 (to 6) met at minute 7; minute 9 (to 3) met at once.
func TestMeasuresOverEveryRise(t *testing.T) {
	needed := []float64{2, 4, 4, 3, 5, 2, 8, 8, 2, 3}
	var segs []seg
	for _, n := range needed {
		segs = append(segs, seg{1, n * 10})
	}
	setup := Setup{TaskCapacity: 10, InitialTasks: 2, Min: 1, Max: 6, Tick: time.Minute}
	ts := &targetedScript{script: script{at: map[int]int{2: 4, 7: 6, 8: 4}}, target: 8}
	m := mustRun(t, minuteTrace(segs...), setup, ts).Measures
	checks := []struct {
		name      string
		got, want float64
	}{
		// min(needed, 6) − running where positive: minutes 1, 4, 6.
		{"controllable under: 2 + 1 + 2", m.ControllableUnderTaskMinutes, 5},
		// needed − running: minutes 1, 4, 6, 7.
		{"under: 2 + 1 + 4 + 2", m.UnderTaskMinutes, 9},
		{"the bounds' under: 2 + 2 above Max", m.BoundUnderTaskMinutes, 4},
		{"controllable over: minutes 3, 5, 8, 9", m.ControllableOverTaskMinutes, 1 + 2 + 2 + 1},
		{"over", m.OverTaskMinutes, 6},
		{"over the target: minutes 5 and 8", m.OverTargetTaskMinutes, 2},
		{"target", m.TargetValue, 8},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Late: the two met after a minute and the one never met; the late ones met waited a
	// minute each.
	want := TimeToCapacity{Rises: 4, Met: 3, NeverMet: 1, Late: 3, Mean: 40 * time.Second, P95: time.Minute, Max: time.Minute, LateMean: time.Minute}
	if m.TimeToCapacity != want {
		t.Errorf("time to capacity = %+v, want %+v", m.TimeToCapacity, want)
	}
}

func TestTimeToCapacityPercentile(t *testing.T) {
	// Twenty rises met after 1..20 ticks: the mean is 10.5 ticks, the p95 the 19th.
	var met []int
	for i := 1; i <= 20; i++ {
		met = append(met, 21-i)
	}
	ttc := summarize(met, 5*time.Second)
	if ttc.Met != 20 || ttc.Mean != 52500*time.Millisecond || ttc.P95 != 95*time.Second || ttc.Max != 100*time.Second {
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
	for _, field := range []string{`"autoscaler":"seed"`, `"underTaskMinutes":`, `"timeToCapacity":{"rises":1,"met":0,"neverMet":1,"late":1,"meanSeconds":0`, `"controllableUnderTaskMinutes":`, `"samples":[{"at":"2026-11-27T10:00:00Z"`} {
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
	if len(lines) != 9 || !strings.HasPrefix(lines[0], "The bounds alone cost every autoscaler 0.0 task-minutes short") ||
		!strings.Contains(lines[2], "ctrl under") || !strings.Contains(lines[8], "oracle") {
		t.Fatalf("table:\n%s", b.String())
	}
	lines = lines[2:]
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
