package simulate

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"
)

// Defaults of a Setup's optional fields.
const (
	DefaultTick        = 5 * time.Second
	DefaultAlarmPeriod = time.Minute
)

// maxTicks bounds memory, about 40 bytes a tick: a year at the default 5 s tick fits.
const maxTicks = 10_000_000

// Setup is the simulated service and how finely it is simulated.
type Setup struct {
	// TaskCapacity is the request rate one task serves (requests per second), > 0.
	TaskCapacity float64
	// StartupDelay is the time from desiredCount raised to the new task serving, rounded
	// up to whole ticks.
	StartupDelay time.Duration
	// InitialTasks serve from the start; 0 means Min.
	InitialTasks int
	// Min and Max bound desiredCount for every autoscaler, as the service's minCapacity
	// and maxCapacity do.
	Min, Max int
	// TreatMissingData applies to alarms that do not set their own: missing (default),
	// notBreaching, breaching or ignore.
	TreatMissingData string
	// Tick is the simulation's resolution (default 5 s). Alarm periods and CloudWatch's
	// evaluation interval must be whole ticks; other event times are rounded up to one.
	Tick time.Duration
	// AlarmPeriod is the period of alarms that do not set their own (default 60 s).
	AlarmPeriod time.Duration
	// MetricDelay is how long after a period ends CloudWatch's alarms first evaluate its
	// datapoint, for every alarm-driven autoscaler (rounded up to whole ticks). 0 is none;
	// MetricDelayOneEvaluation is one evaluation interval of each alarm, the model's
	// default in the CLI (see the package documentation). The HPA has its own delay.
	MetricDelay time.Duration
}

// MetricDelayOneEvaluation, as Setup.MetricDelay, delays each alarm's data by one of its
// evaluation intervals: a datapoint completed at an evaluation is first seen by the next.
const MetricDelayOneEvaluation = time.Duration(-1)

func (s Setup) withDefaults() (Setup, error) {
	if s.Tick == 0 {
		s.Tick = DefaultTick
	}
	if s.AlarmPeriod == 0 {
		s.AlarmPeriod = DefaultAlarmPeriod
	}
	if s.TreatMissingData == "" {
		s.TreatMissingData = MissingAsMissing
	}
	if s.InitialTasks == 0 {
		s.InitialTasks = s.Min
	}
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if !(s.TaskCapacity > 0) || math.IsInf(s.TaskCapacity, 0) {
		bad("TaskCapacity must be a positive number of requests per second, got %v", s.TaskCapacity)
	}
	if s.StartupDelay < 0 {
		bad("StartupDelay must not be negative, got %s", s.StartupDelay)
	}
	if s.Min < 0 || s.Max < 1 || s.Max < s.Min {
		bad("want 0 <= Min <= Max and Max >= 1, got Min %d, Max %d", s.Min, s.Max)
	}
	if s.InitialTasks < s.Min || s.InitialTasks > s.Max {
		bad("InitialTasks %d is outside [Min %d, Max %d]", s.InitialTasks, s.Min, s.Max)
	}
	if s.Tick < time.Second || s.Tick%time.Second != 0 {
		bad("Tick must be a whole number of seconds, got %s", s.Tick)
	}
	if !validPeriod(s.AlarmPeriod) {
		bad("AlarmPeriod must be 10s, 20s, 30s or a multiple of 60s, got %s", s.AlarmPeriod)
	}
	if !validTreatMissingData(s.TreatMissingData) {
		bad("TreatMissingData %q is not one of missing, notBreaching, breaching, ignore", s.TreatMissingData)
	}
	if s.MetricDelay < 0 && s.MetricDelay != MetricDelayOneEvaluation {
		bad("MetricDelay must not be negative, got %s", s.MetricDelay)
	}
	if err := errors.Join(problems...); err != nil {
		return s, fmt.Errorf("setup: %w", err)
	}
	return s, nil
}

// world is what a trace and a setup determine, shared by every run over them: the demand
// of each tick and the tasks it needs.
type world struct {
	setup  Setup
	trace  Trace
	start  time.Time
	ticks  int
	demand []float64 // requests per second, per tick
	known  []bool
	needed []int32 // tasksFor caps it at MaxInt32
}

func newWorld(tr Trace, setup Setup) (*world, error) {
	if err := tr.Validate(); err != nil {
		return nil, err
	}
	setup, err := setup.withDefaults()
	if err != nil {
		return nil, err
	}
	if tr.Step > time.Duration(math.MaxInt64/2)/time.Duration(len(tr.Points)) {
		return nil, fmt.Errorf("trace %s: %d buckets of %s span too long a time", tr.Name, len(tr.Points), tr.Step)
	}
	horizon := time.Duration(len(tr.Points)) * tr.Step
	ticks := int((horizon + setup.Tick - 1) / setup.Tick)
	if ticks > maxTicks {
		return nil, fmt.Errorf("trace %s spans %s: %d ticks of %s, more than %d; use a longer Tick", tr.Name, horizon, ticks, setup.Tick, maxTicks)
	}
	w := &world{setup: setup, trace: tr, start: tr.Points[0].At, ticks: ticks,
		demand: make([]float64, ticks), known: make([]bool, ticks), needed: make([]int32, ticks)}
	for k := range ticks {
		d, ok := w.tickDemand(k)
		w.demand[k], w.known[k] = d, ok
		if ok {
			w.needed[k] = int32(tasksFor(d, setup.TaskCapacity))
		}
	}
	return w, nil
}

// tickDemand is the request rate during tick k: the bucket's count over its length, or,
// when a tick straddles buckets, their rates weighted by overlap. Missing buckets are left
// out; a tick with no known bucket has unknown demand.
func (w *world) tickDemand(k int) (float64, bool) {
	step, tick := w.trace.Step, w.setup.Tick
	from, to := time.Duration(k)*tick, time.Duration(k+1)*tick
	sum, weight := 0.0, time.Duration(0)
	for i := int(from / step); i < len(w.trace.Points) && time.Duration(i)*step < to; i++ {
		p := w.trace.Points[i]
		if p.Missing {
			continue
		}
		lo, hi := max(from, time.Duration(i)*step), min(to, time.Duration(i+1)*step)
		// The conversion rounds the product, so no platform fuses it with the sum and
		// every platform computes the same demand.
		sum += float64(p.Value / step.Seconds() * (hi - lo).Seconds())
		weight += hi - lo
	}
	if weight == 0 {
		return 0, false
	}
	return sum / weight.Seconds(), true
}

// tasksFor is ceil(demand / capacity), with a relative epsilon so that a demand equal to
// a whole number of tasks up to rounding error does not ask for one more.
func tasksFor(demand, capacity float64) int {
	if demand <= 0 {
		return 0
	}
	n := math.Ceil(demand/capacity - 1e-9)
	return int(min(n, math.MaxInt32))
}

// series is one value per tick, some unknown.
type series struct {
	values []float64
	known  []bool
}

func newSeries(ticks int) series {
	return series{values: make([]float64, 0, ticks), known: make([]bool, 0, ticks)}
}

func (s *series) add(v float64, ok bool) {
	s.values, s.known = append(s.values, v), append(s.known, ok)
}

// average is the mean of the known values of ticks [from, to), clamped to the ticks
// recorded; ok is false when none is known. It sums tick by tick rather than from prefix
// sums: a window of equal values then averages to exactly that value, so a metric that
// sits on a threshold compares as it should, however long the run.
func (s series) average(from, to int) (float64, bool) {
	from, to = max(from, 0), min(to, len(s.values))
	sum, n := 0.0, 0
	for i := from; i < to; i++ {
		if s.known[i] {
			sum += s.values[i]
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// Autoscaler is one scaling algorithm under test. It is a definition: Start makes the
// state of one run, so the same Autoscaler can run any number of times.
type Autoscaler interface {
	// Name labels the autoscaler's results.
	Name() string
	// Start is called once before the first tick. It may add alarms to s, and returns the
	// run's controller.
	Start(s *Sim) (Controller, error)
}

// Controller is one run of an autoscaler. The engine calls Step once per tick, after
// starting the tasks that are due and evaluating the alarms that are due.
type Controller interface {
	Step(s *Sim)
}

// Sim is the simulated service and its alarms, as a controller sees them at one tick.
type Sim struct {
	w          *world
	k          int
	now        time.Time
	running    int
	pending    []int // ready tick of each starting task, oldest first
	delayTicks int
	alarms     []*Alarm
	metric     series // what the alarms see, per tick
	started    bool
	actions    int
	notes      map[string]int
	err        error
}

// Now is the current tick's time.
func (s *Sim) Now() time.Time { return s.now }

// Start is the trace's first bucket.
func (s *Sim) Start() time.Time { return s.w.start }

// TickLength is the simulation's resolution.
func (s *Sim) TickLength() time.Duration { return s.w.setup.Tick }

// Setup is the run's setup, with defaults filled in.
func (s *Sim) Setup() Setup { return s.w.setup }

// Desired is the service's desiredCount.
func (s *Sim) Desired() int { return s.running + len(s.pending) }

// Running is the number of serving tasks.
func (s *Sim) Running() int { return s.running }

// Pending is the number of tasks started and not yet serving.
func (s *Sim) Pending() int { return len(s.pending) }

// SetDesired sets desiredCount, as UpdateService does: raising it starts tasks that serve
// after the startup delay, lowering it stops tasks at once, those still starting first
// (newest first), since they serve nobody yet. A count outside [Min, Max] is an error that
// ends the run: no autoscaler may set one.
func (s *Sim) SetDesired(n int) {
	if s.err != nil {
		return
	}
	setup := s.w.setup
	if n < setup.Min || n > setup.Max {
		s.err = fmt.Errorf("at %s the autoscaler set desired count %d, outside [%d, %d]", s.now.Format(time.RFC3339), n, setup.Min, setup.Max)
		return
	}
	cur := s.Desired()
	if n == cur {
		return
	}
	s.actions++
	for ; cur < n; cur++ {
		if s.delayTicks == 0 {
			s.running++
		} else {
			s.pending = append(s.pending, s.k+s.delayTicks)
		}
	}
	for ; cur > n; cur-- {
		if len(s.pending) > 0 {
			s.pending = s.pending[:len(s.pending)-1]
		} else {
			s.running--
		}
	}
}

// AddAlarm creates an alarm the engine evaluates for this run; only during Start. The
// spec's unset period and missing-data treatment come from the setup.
func (s *Sim) AddAlarm(spec AlarmSpec) (*Alarm, error) {
	if s.started {
		return nil, errors.New("alarms can only be added in Start")
	}
	spec, err := spec.withDefaults(s.w.setup)
	if err != nil {
		return nil, err
	}
	tick := s.w.setup.Tick
	if spec.Period%tick != 0 || spec.evaluationInterval()%tick != 0 {
		return nil, fmt.Errorf("alarm %s: period %s and evaluation interval %s must be whole ticks of %s", spec.Name, spec.Period, spec.evaluationInterval(), tick)
	}
	delay := s.w.setup.MetricDelay
	if delay == MetricDelayOneEvaluation {
		delay = spec.evaluationInterval()
	}
	a := &Alarm{spec: spec, periodTicks: int(spec.Period / tick), everyTicks: int(spec.evaluationInterval() / tick),
		delayTicks: int((delay + tick - 1) / tick), state: StateInsufficientData, start: s.w.start, tick: tick, since: s.w.start}
	s.alarms = append(s.alarms, a)
	return a, nil
}

// Metric is the metric the alarms see, averaged over the window that ends now: requests
// per second per serving task. ok is false when the demand of the whole window is unknown.
func (s *Sim) Metric(window time.Duration) (value float64, ok bool) {
	n := int((window + s.w.setup.Tick - 1) / s.w.setup.Tick)
	return s.metric.average(s.k-n, s.k)
}

// Demand is the request rate averaged over the window that ends now (requests per
// second); ok is false when the demand of the whole window is unknown.
func (s *Sim) Demand(window time.Duration) (value float64, ok bool) {
	return s.demandBefore(window, 0)
}

// demandBefore is Demand over the window that ended delay ago (both rounded up to ticks).
func (s *Sim) demandBefore(window, delay time.Duration) (float64, bool) {
	tick := s.w.setup.Tick
	n, d := int((window+tick-1)/tick), int((delay+tick-1)/tick)
	return series{s.w.demand, s.w.known}.average(s.k-d-n, s.k-d)
}

// Needed is the number of tasks the trace needs at t, past or future; ok is false when
// its demand is unknown or t is outside the trace. Only the oracle may look ahead.
func (s *Sim) Needed(t time.Time) (int, bool) {
	d := t.Sub(s.w.start)
	if d < 0 {
		return 0, false
	}
	k := int(d / s.w.setup.Tick)
	if k >= s.w.ticks || !s.w.known[k] {
		return 0, false
	}
	return int(s.w.needed[k]), true
}

// Note counts an event worth reporting with the result, e.g. a reason not to scale.
func (s *Sim) Note(event string) { s.NoteN(event, 1) }

// NoteN counts n of an event.
func (s *Sim) NoteN(event string, n int) {
	if s.notes == nil {
		s.notes = map[string]int{}
	}
	s.notes[event] += n
}

// Run replays the trace against one autoscaler.
func Run(tr Trace, setup Setup, a Autoscaler) (Result, error) {
	w, err := newWorld(tr, setup)
	if err != nil {
		return Result{}, err
	}
	return w.run(a)
}

// Compare replays the trace against each autoscaler, with the same setup, and returns
// their results in order. The runs share nothing but the trace's demand, so they run in
// parallel, one per CPU.
func Compare(tr Trace, setup Setup, as []Autoscaler) ([]Result, error) {
	w, err := newWorld(tr, setup)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(as))
	errs := make([]error, len(as))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(as)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = w.run(as[i])
			}
		}()
	}
	for i := range as {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

func (w *world) run(a Autoscaler) (Result, error) {
	setup := w.setup
	s := &Sim{w: w, now: w.start, running: setup.InitialTasks,
		delayTicks: int((setup.StartupDelay + setup.Tick - 1) / setup.Tick), metric: newSeries(w.ticks)}
	ctrl, err := a.Start(s)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", a.Name(), err)
	}
	s.started = true
	target := 0.0
	if t, ok := a.(Targeted); ok {
		target = t.Target(setup)
	}
	acc := newAccumulator(w, target)
	for k := range w.ticks {
		s.k, s.now = k, w.start.Add(time.Duration(k)*setup.Tick)
		ready := 0
		for ready < len(s.pending) && s.pending[ready] <= k {
			ready++
		}
		s.running += ready
		s.pending = s.pending[ready:]
		for _, al := range s.alarms {
			al.evaluated, al.changed = false, false
			if k > 0 && k%al.everyTicks == 0 {
				al.evaluateAt(k, &s.metric)
			}
		}
		ctrl.Step(s)
		if s.err != nil {
			return Result{}, fmt.Errorf("%s: %w", a.Name(), s.err)
		}
		acc.tick(k, s)
		s.metric.add(perTask(w.demand[k], s.running), w.known[k])
	}
	return Result{Autoscaler: a.Name(), Samples: acc.samples, Measures: acc.measures(s.actions), Notes: s.notes}, nil
}

// perTask is the metric the alarms see: requests per second per serving task, like an
// ALB's RequestCountPerTarget over the period. With no task serving, the requests still
// arrive (and fail); they count as if one task took them, so the alarm sees the overload.
func perTask(demand float64, running int) float64 {
	return demand / float64(max(running, 1))
}
