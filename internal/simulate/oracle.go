package simulate

// Oracle is the bound no autoscaler can beat: it reads the trace ahead and knows the
// startup delay, so it raises desiredCount exactly one startup delay before the tasks are
// needed and lowers it the moment they no longer are. Each tick it sets the highest need
// of the coming startup delay (ignoring unknown demand), clamped to [Min, Max]. Its
// shortfall and idle capacity are what the bounds cost, and with a startup delay, the idle
// tasks kept through dips shorter than the delay.
type Oracle struct {
	Label string // the result's name; "oracle" when empty
}

// Name labels the results.
func (o *Oracle) Name() string { return orLabel(o.Label, "oracle") }

// Target is a task's capacity: the oracle runs every task at 100%.
func (o *Oracle) Target(setup Setup) float64 { return setup.TaskCapacity }

// Start needs no alarm.
func (o *Oracle) Start(*Sim) (Controller, error) { return oracleRun{}, nil }

type oracleRun struct{}

func (oracleRun) Step(s *Sim) {
	setup, tick := s.Setup(), s.TickLength()
	// A task started now serves at the first tick after the delay, as the engine rounds it.
	ahead := (setup.StartupDelay + tick - 1) / tick
	want := -1
	for i := range ahead + 1 {
		if n, ok := s.Needed(s.Now().Add(i * tick)); ok {
			want = max(want, n)
		}
	}
	if want < 0 {
		return
	}
	s.SetDesired(min(max(want, setup.Min), setup.Max))
}
