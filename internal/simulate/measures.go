package simulate

import (
	"encoding/json"
	"slices"
	"time"
)

// maxSamples bounds a result's samples, for charts; the measures use every tick.
const maxSamples = 20_000

// Sample is the service at one instant, for charts. Demand is requests per second; it is
// 0 and Missing is set where the trace has no data.
type Sample struct {
	At      time.Time `json:"at"`
	Demand  float64   `json:"demand"`
	Needed  int       `json:"needed"`
	Running int       `json:"running"`
	Desired int       `json:"desired"`
	Missing bool      `json:"missing,omitempty"`
}

// Measures summarize one run, computed at every tick. Ticks with unknown demand are left
// out of every measure but SkippedMinutes, TaskMinutes and ScalingActions.
//
// needed is ceil(demand / TaskCapacity), the tasks at 100% utilization; the bounds clamp
// it to clamped = min(max(needed, Min), Max), the most any autoscaler could match. Since
// every autoscaler keeps Min ≤ running ≤ Max:
//
//	UnderTaskMinutes = ControllableUnderTaskMinutes + BoundUnderTaskMinutes
//	OverTaskMinutes  = ControllableOverTaskMinutes + BoundOverTaskMinutes
//
// and the bound parts are the same for every autoscaler on the same trace and setup.
type Measures struct {
	// UnderTaskMinutes is Σ max(0, needed − running): capacity missing, in task-minutes.
	UnderTaskMinutes float64 `json:"underTaskMinutes"`
	// OverTaskMinutes is Σ max(0, running − needed): capacity idle, in task-minutes.
	OverTaskMinutes float64 `json:"overTaskMinutes"`
	// ControllableUnderTaskMinutes is Σ max(0, clamped − running): what the autoscaler
	// lost beyond the shortfall no autoscaler can avoid at Max.
	ControllableUnderTaskMinutes float64 `json:"controllableUnderTaskMinutes"`
	// ControllableOverTaskMinutes is Σ max(0, running − clamped): idle capacity beyond
	// the Min that every autoscaler must keep.
	ControllableOverTaskMinutes float64 `json:"controllableOverTaskMinutes"`
	// BoundUnderTaskMinutes is Σ max(0, needed − Max), BoundOverTaskMinutes
	// Σ max(0, Min − needed): what the bounds cost, whatever the autoscaler.
	BoundUnderTaskMinutes float64 `json:"boundUnderTaskMinutes"`
	BoundOverTaskMinutes  float64 `json:"boundOverTaskMinutes"`
	// TargetValue is the per-task metric the autoscaler aims at (requests per second per
	// task); 0 when it has none. OverTargetTaskMinutes is Σ max(0, running − atTarget),
	// with atTarget = ceil(demand / TargetValue) clamped to [Min, Max]: the capacity idle
	// beyond what the autoscaler's own target asks for. Headroom the target buys is not
	// counted, so it tells an autoscaler's waste from its target's.
	TargetValue           float64 `json:"targetValue,omitempty"`
	OverTargetTaskMinutes float64 `json:"overTargetTaskMinutes"`
	// ViolationMinutes is the time during which needed > running.
	ViolationMinutes float64 `json:"violationMinutes"`
	// ScalingActions counts changes of desiredCount.
	ScalingActions int `json:"scalingActions"`
	// TimeToCapacity measures how long serving capacity took to follow each rise of the
	// clamped need.
	TimeToCapacity TimeToCapacity `json:"timeToCapacity"`
	// SkippedMinutes is the time with unknown demand (gaps in the trace).
	SkippedMinutes float64 `json:"skippedMinutes"`
	// TaskMinutes is Σ running over the whole run: what the serving tasks are billed.
	TaskMinutes float64 `json:"taskMinutes"`
}

// TimeToCapacity is measured over the same rises for every autoscaler: a rise is a tick
// at which the clamped need is higher than at the previous tick with known demand, and it
// asks for that clamped need. A rise is met at the first tick at which that many tasks
// serve (at once, 0, when they already do). It is never met when the need falls back to
// what serves before that, so the capacity came too late for it, or when the run ends
// first. Mean, P95 and Max are over the rises met; NeverMet counts the others. Late
// counts the rises not met at once (met later, or never), and LateMean is the mean
// time of those met later: what the rises that found the service short waited.
type TimeToCapacity struct {
	Rises          int
	Met            int
	NeverMet       int
	Late           int
	Mean, P95, Max time.Duration
	LateMean       time.Duration
}

type timeToCapacityJSON struct {
	Rises           int     `json:"rises"`
	Met             int     `json:"met"`
	NeverMet        int     `json:"neverMet"`
	Late            int     `json:"late"`
	MeanSeconds     float64 `json:"meanSeconds"`
	P95Seconds      float64 `json:"p95Seconds"`
	MaxSeconds      float64 `json:"maxSeconds"`
	LateMeanSeconds float64 `json:"lateMeanSeconds"`
}

// MarshalJSON writes the durations as seconds, which every chart tool reads.
func (t TimeToCapacity) MarshalJSON() ([]byte, error) {
	return json.Marshal(timeToCapacityJSON{t.Rises, t.Met, t.NeverMet, t.Late, t.Mean.Seconds(), t.P95.Seconds(), t.Max.Seconds(), t.LateMean.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *TimeToCapacity) UnmarshalJSON(b []byte) error {
	var j timeToCapacityJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	*t = TimeToCapacity{Rises: j.Rises, Met: j.Met, NeverMet: j.NeverMet, Late: j.Late, Mean: sec(j.MeanSeconds),
		P95: sec(j.P95Seconds), Max: sec(j.MaxSeconds), LateMean: sec(j.LateMeanSeconds)}
	return nil
}

// Result is one autoscaler's run over a trace. Notes counts what the autoscaler reported
// along the way, such as Stepscaler's not-scaled reasons and, for the workflow, its
// executions and state transitions.
type Result struct {
	Autoscaler string         `json:"autoscaler"`
	Samples    []Sample       `json:"samples"`
	Measures   Measures       `json:"measures"`
	Notes      map[string]int `json:"notes,omitempty"`
}

// Targeted is an autoscaler that aims at a per-task metric value, for
// Measures.OverTargetTaskMinutes.
type Targeted interface {
	// Target is the value, in requests per second per task, under the setup.
	Target(Setup) float64
}

// rise is a need that began at tick start and is met once target tasks serve.
type rise struct{ target, start int }

// accumulator sums the measures in whole ticks, so they are exact and the same on every
// platform, and converts them to minutes once at the end.
type accumulator struct {
	w                  *world
	target             float64
	under, over        int64
	cUnder, cOver      int64
	bUnder, bOver      int64
	overTarget         int64
	violation, skipped int64
	taskTicks          int64
	prev               int // clamped need at the previous known tick; -1 before the first
	rises, neverMet    int
	open               []rise
	met                []int
	sampleEvery        int
	samples            []Sample
}

func newAccumulator(w *world, target float64) *accumulator {
	perMinute := max(int(time.Minute/w.setup.Tick), 1)
	every := perMinute
	if n := (w.ticks + every - 1) / every; n > maxSamples {
		every = perMinute * ((w.ticks + maxSamples*perMinute - 1) / (maxSamples * perMinute))
	}
	return &accumulator{w: w, target: target, prev: -1, sampleEvery: every, samples: make([]Sample, 0, w.ticks/every+1)}
}

func (a *accumulator) tick(k int, s *Sim) {
	w, r := a.w, s.running
	a.taskTicks += int64(r)
	if w.known[k] {
		a.measure(k, r)
	} else {
		a.skipped++
	}
	if k%a.sampleEvery == 0 {
		a.samples = append(a.samples, Sample{At: s.now, Demand: w.demand[k], Needed: int(w.needed[k]),
			Running: r, Desired: s.Desired(), Missing: !w.known[k]})
	}
}

// measure adds tick k, with known demand, served by r tasks.
func (a *accumulator) measure(k, r int) {
	setup := a.w.setup
	n := int(a.w.needed[k])
	c := min(max(n, setup.Min), setup.Max)
	a.under += int64(max(0, n-r))
	a.over += int64(max(0, r-n))
	a.cUnder += int64(max(0, c-r))
	a.cOver += int64(max(0, r-c))
	a.bUnder += int64(max(0, n-setup.Max))
	a.bOver += int64(max(0, setup.Min-n))
	if n > r {
		a.violation++
	}
	if a.target > 0 {
		t := min(max(tasksFor(a.w.demand[k], a.target), setup.Min), setup.Max)
		a.overTarget += int64(max(0, r-t))
	}
	a.followRises(k, r, c)
}

// followRises closes the open rises that r tasks meet, or that the clamped need c has
// fallen back from, and opens the rise of this tick if the clamped need went up.
func (a *accumulator) followRises(k, r, c int) {
	a.open = slices.DeleteFunc(a.open, func(x rise) bool {
		switch {
		case r >= x.target:
			a.met = append(a.met, k-x.start)
			return true
		case c <= r:
			a.neverMet++
			return true
		}
		return false
	})
	if a.prev >= 0 && c > a.prev {
		a.rises++
		if r >= c {
			a.met = append(a.met, 0)
		} else {
			a.open = append(a.open, rise{target: c, start: k})
		}
	}
	a.prev = c
}

func (a *accumulator) measures(actions int) Measures {
	tick := a.w.setup.Tick
	minutes := func(ticks int64) float64 { return float64(ticks) * tick.Minutes() }
	m := Measures{
		UnderTaskMinutes:             minutes(a.under),
		OverTaskMinutes:              minutes(a.over),
		ControllableUnderTaskMinutes: minutes(a.cUnder),
		ControllableOverTaskMinutes:  minutes(a.cOver),
		BoundUnderTaskMinutes:        minutes(a.bUnder),
		BoundOverTaskMinutes:         minutes(a.bOver),
		TargetValue:                  a.target,
		OverTargetTaskMinutes:        minutes(a.overTarget),
		ViolationMinutes:             minutes(a.violation),
		ScalingActions:               actions,
		SkippedMinutes:               minutes(a.skipped),
		TaskMinutes:                  minutes(a.taskTicks),
	}
	m.TimeToCapacity = summarize(a.met, tick)
	m.TimeToCapacity.Rises = a.rises
	m.TimeToCapacity.NeverMet = a.neverMet + len(a.open)
	m.TimeToCapacity.Late = m.TimeToCapacity.NeverMet
	late, lateTicks := 0, 0
	for _, d := range a.met {
		if d > 0 {
			late, lateTicks = late+1, lateTicks+d
		}
	}
	m.TimeToCapacity.Late += late
	if late > 0 {
		m.TimeToCapacity.LateMean = time.Duration(float64(lateTicks) / float64(late) * float64(tick))
	}
	return m
}

// summarize gives the mean, 95th percentile and maximum of the met rises' durations.
func summarize(met []int, tick time.Duration) TimeToCapacity {
	t := TimeToCapacity{Met: len(met)}
	if len(met) == 0 {
		return t
	}
	d := slices.Clone(met)
	slices.Sort(d)
	total := int64(0)
	for _, x := range d {
		total += int64(x)
	}
	// The 95th percentile by nearest rank: the smallest duration at least 95% of the
	// rises met, so it is one that happened.
	rank := (95*len(d) + 99) / 100
	t.Mean = time.Duration(float64(total) / float64(len(d)) * float64(tick))
	t.P95 = time.Duration(d[rank-1]) * tick
	t.Max = time.Duration(d[len(d)-1]) * tick
	return t
}
