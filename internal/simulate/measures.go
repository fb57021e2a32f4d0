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
type Measures struct {
	// UnderTaskMinutes is Σ max(0, needed − running): capacity missing, in task-minutes.
	UnderTaskMinutes float64 `json:"underTaskMinutes"`
	// OverTaskMinutes is Σ max(0, running − needed): capacity idle, in task-minutes.
	OverTaskMinutes float64 `json:"overTaskMinutes"`
	// ViolationMinutes is the time during which needed > running.
	ViolationMinutes float64 `json:"violationMinutes"`
	// ScalingActions counts changes of desiredCount.
	ScalingActions int `json:"scalingActions"`
	// Rises counts the times needed rose above running.
	Rises int `json:"rises"`
	// TimeToCapacity measures, for each rise, the time until running reached the count
	// needed at the rise.
	TimeToCapacity TimeToCapacity `json:"timeToCapacity"`
	// SkippedMinutes is the time with unknown demand (gaps in the trace).
	SkippedMinutes float64 `json:"skippedMinutes"`
	// TaskMinutes is Σ running over the whole run: what the serving tasks are billed.
	TaskMinutes float64 `json:"taskMinutes"`
}

// TimeToCapacity summarizes the rises that were met; Unreached counts those the run
// ended before meeting (or never could, needing more than Max).
type TimeToCapacity struct {
	Mean, P95, Max time.Duration
	Unreached      int
}

type timeToCapacityJSON struct {
	MeanSeconds float64 `json:"meanSeconds"`
	P95Seconds  float64 `json:"p95Seconds"`
	MaxSeconds  float64 `json:"maxSeconds"`
	Unreached   int     `json:"unreached"`
}

// MarshalJSON writes the durations as seconds, which every chart tool reads.
func (t TimeToCapacity) MarshalJSON() ([]byte, error) {
	return json.Marshal(timeToCapacityJSON{t.Mean.Seconds(), t.P95.Seconds(), t.Max.Seconds(), t.Unreached})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *TimeToCapacity) UnmarshalJSON(b []byte) error {
	var j timeToCapacityJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	*t = TimeToCapacity{Mean: sec(j.MeanSeconds), P95: sec(j.P95Seconds), Max: sec(j.MaxSeconds), Unreached: j.Unreached}
	return nil
}

// Result is one autoscaler's run over a trace. Notes counts what the autoscaler reported
// along the way, such as Stepscaler's not-scaled reasons.
type Result struct {
	Autoscaler string         `json:"autoscaler"`
	Samples    []Sample       `json:"samples"`
	Measures   Measures       `json:"measures"`
	Notes      map[string]int `json:"notes,omitempty"`
}

// rise is a shortfall that began at tick start and ends once target tasks serve.
type rise struct{ target, start int }

// accumulator sums the measures in whole ticks, so they are exact and the same on every
// platform, and converts them to minutes once at the end.
type accumulator struct {
	w                               *world
	under, over, violation, skipped int64
	taskTicks                       int64
	rises                           int
	open                            []rise
	closed                          []int
	short                           bool
	sampleEvery                     int
	samples                         []Sample
}

func newAccumulator(w *world) *accumulator {
	perMinute := max(int(time.Minute/w.setup.Tick), 1)
	every := perMinute
	if n := (w.ticks + every - 1) / every; n > maxSamples {
		every = perMinute * ((w.ticks + maxSamples*perMinute - 1) / (maxSamples * perMinute))
	}
	return &accumulator{w: w, sampleEvery: every, samples: make([]Sample, 0, w.ticks/every+1)}
}

func (a *accumulator) tick(k int, s *Sim) {
	w, r := a.w, s.running
	a.taskTicks += int64(r)
	a.open = slices.DeleteFunc(a.open, func(x rise) bool {
		if r >= x.target {
			a.closed = append(a.closed, k-x.start)
			return true
		}
		return false
	})
	if w.known[k] {
		n := int(w.needed[k])
		a.under += int64(max(0, n-r))
		a.over += int64(max(0, r-n))
		short := n > r
		if short {
			a.violation++
			if !a.short {
				a.rises++
				a.open = append(a.open, rise{target: n, start: k})
			}
		}
		a.short = short
	} else {
		a.skipped++
	}
	if k%a.sampleEvery == 0 {
		a.samples = append(a.samples, Sample{At: s.now, Demand: w.demand[k], Needed: int(w.needed[k]),
			Running: r, Desired: s.Desired(), Missing: !w.known[k]})
	}
}

func (a *accumulator) measures(actions int) Measures {
	tick := a.w.setup.Tick
	minutes := func(ticks int64) float64 { return float64(ticks) * tick.Minutes() }
	m := Measures{
		UnderTaskMinutes: minutes(a.under),
		OverTaskMinutes:  minutes(a.over),
		ViolationMinutes: minutes(a.violation),
		ScalingActions:   actions,
		Rises:            a.rises,
		SkippedMinutes:   minutes(a.skipped),
		TaskMinutes:      minutes(a.taskTicks),
	}
	m.TimeToCapacity.Unreached = len(a.open)
	if len(a.closed) > 0 {
		d := slices.Clone(a.closed)
		slices.Sort(d)
		total := int64(0)
		for _, t := range d {
			total += int64(t)
		}
		// The 95th percentile by nearest rank: the smallest duration at least 95% of the
		// rises met, so it is one that happened.
		rank := (95*len(d) + 99) / 100
		m.TimeToCapacity.Mean = time.Duration(float64(total) / float64(len(d)) * float64(tick))
		m.TimeToCapacity.P95 = time.Duration(d[rank-1]) * tick
		m.TimeToCapacity.Max = time.Duration(d[len(d)-1]) * tick
	}
	return m
}
