package simulate

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// seg is a run of n one-minute buckets at a request rate (NaN: missing).
type seg struct {
	n   int
	rps float64
}

// minuteTrace builds a trace of one-minute buckets from segments of constant rate.
func minuteTrace(segs ...seg) Trace {
	var values []float64
	for _, s := range segs {
		for range s.n {
			values = append(values, s.rps*60)
		}
	}
	return FromValues("test", t0, time.Minute, values)
}

// stepUp is the canonical test load: 10 minutes needing 2 tasks of 10 rps, 40 needing 8,
// 20 needing 2 again.
func stepUp() Trace { return minuteTrace(seg{10, 20}, seg{40, 80}, seg{20, 20}) }

// testSetup serves 10 rps a task, starts tasks in a minute, from 2 tasks in [1, 12].
func testSetup() Setup {
	return Setup{TaskCapacity: 10, StartupDelay: time.Minute, InitialTasks: 2, Min: 1, Max: 12}
}

// testStepscaler has a scale-out alarm above 10 rps per task (a task's capacity) and a
// scale-in alarm below 5 for 3 minutes, each moving one task with a 60 s cooldown.
func testStepscaler(t testing.TB) *Stepscaler {
	t.Helper()
	out := scaling.Policy{AlarmName: "high", Direction: scaling.Out, Adjustment: 1, CooldownSeconds: 60,
		PollIntervalSeconds: 15, StabilizationTimeoutSeconds: 600}
	in := out
	in.AlarmName, in.Direction = "low", scaling.In
	st, err := NewStepscaler([]scaling.Policy{out, in}, map[string]AlarmSpec{
		"high": {Threshold: 10, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1},
		"low":  {Threshold: 5, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// variedTrace is a deterministic, awkward load: a daily-like wave with noise and bursts,
// a gap, a run of zeros, peaks above any Max and troughs below any Min.
func variedTrace(n int) Trace {
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, n)
	for i := range values {
		wave := 60 + 55*math.Sin(2*math.Pi*float64(i)/240)
		burst := 0.0
		if rng.IntN(50) == 0 {
			burst = 80 * rng.Float64()
		}
		values[i] = math.Max(0, wave+burst+10*rng.NormFloat64()) * 60
	}
	for i := n / 3; i < n/3+15 && i < n; i++ {
		values[i] = math.NaN()
	}
	for i := n / 2; i < n/2+20 && i < n; i++ {
		values[i] = 0
	}
	return FromValues("varied", t0, time.Minute, values)
}

// sampleAt returns the sample at minute m of a run sampled once a minute.
func sampleAt(t *testing.T, r Result, m int) Sample {
	t.Helper()
	s := r.Samples[m]
	if want := t0.Add(time.Duration(m) * time.Minute); !s.At.Equal(want) {
		t.Fatalf("sample %d is at %s, want %s", m, s.At, want)
	}
	return s
}

func mustRun(t *testing.T, tr Trace, setup Setup, a Autoscaler) Result {
	t.Helper()
	r, err := Run(tr, setup, a)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// script is a controller that sets the desired count at given ticks and records what
// each tick looked like after its step.
type script struct {
	at   map[int]int
	seen []tickView
}

type tickView struct{ desired, running, pending int }

func (sc *script) Name() string                   { return "script" }
func (sc *script) Start(*Sim) (Controller, error) { return sc, nil }
func (sc *script) Step(s *Sim) {
	k := int(s.Now().Sub(s.Start()) / s.TickLength())
	if n, ok := sc.at[k]; ok {
		s.SetDesired(n)
	}
	sc.seen = append(sc.seen, tickView{s.Desired(), s.Running(), s.Pending()})
}

func nan() float64 { return math.NaN() }
