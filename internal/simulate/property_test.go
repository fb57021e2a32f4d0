package simulate

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// TestOracleWithoutDelayCostsOnlyTheBounds: with tasks that serve at once, the oracle
// follows the need exactly, so any shortfall is the need above Max and any idle capacity
// the Min above the need.
func TestOracleWithoutDelayCostsOnlyTheBounds(t *testing.T) {
	tr := variedTrace(2000)
	for _, bounds := range [][2]int{{0, 1000}, {3, 9}, {6, 6}} {
		setup := Setup{TaskCapacity: 10, Min: bounds[0], Max: bounds[1]}
		r := mustRun(t, tr, setup, &Oracle{})
		var under, over, violation float64
		for _, p := range tr.Points {
			if p.Missing {
				continue
			}
			n := tasksFor(p.Value/60, setup.TaskCapacity)
			under += float64(max(0, n-setup.Max))
			over += float64(max(0, setup.Min-n))
			if n > setup.Max {
				violation++
			}
		}
		m := r.Measures
		if !near(m.UnderTaskMinutes, under) || !near(m.OverTaskMinutes, over) || !near(m.ViolationMinutes, violation) {
			t.Errorf("bounds %v: under %v over %v violation %v; want %v %v %v", bounds, m.UnderTaskMinutes, m.OverTaskMinutes, m.ViolationMinutes, under, over, violation)
		}
		// Everything it misses is the bounds': nothing is controllable.
		if m.ControllableUnderTaskMinutes != 0 || m.ControllableOverTaskMinutes != 0 ||
			!near(m.BoundUnderTaskMinutes, under) || !near(m.BoundOverTaskMinutes, over) {
			t.Errorf("bounds %v: controllable %v/%v, bounds' %v/%v; want 0/0 and %v/%v", bounds, m.ControllableUnderTaskMinutes,
				m.ControllableOverTaskMinutes, m.BoundUnderTaskMinutes, m.BoundOverTaskMinutes, under, over)
		}
		if ttc := m.TimeToCapacity; ttc.NeverMet != 0 || ttc.Max != 0 {
			t.Errorf("bounds %v: the oracle without a delay meets every rise at once, got %+v", bounds, ttc)
		}
		if m.SkippedMinutes != 15 {
			t.Errorf("skipped %v minutes, want the 15-minute gap", m.SkippedMinutes)
		}
	}
}

// lineUp is every autoscaler, with Stepscaler in three policy shapes.
func lineUp(t testing.TB) []Autoscaler {
	st := testStepscaler(t)
	as := All(st, 0)
	pct := testStepscaler(t)
	pct.Label = "stepscaler percent"
	for i := range pct.Policies {
		p := &pct.Policies[i].Policy
		p.AdjustmentType, p.Adjustment, p.MinAdjustmentMagnitude = scaling.PercentChangeInCapacity, 50, 1
	}
	ratio := testStepscaler(t)
	ratio.Label = "stepscaler ratio"
	for i := range ratio.Policies {
		p := &ratio.Policies[i].Policy
		p.AdjustmentType, p.Adjustment, p.TargetValue, p.Tolerance = scaling.TargetRatio, 0, 7, 0.1
		p.ScaleLimit = &scaling.ScaleLimit{MaxTasks: 4, MaxPercent: 100}
	}
	steps := testStepscaler(t)
	steps.Label = "stepscaler steps"
	zero, ten := 0.0, 10.0
	steps.Policies[0].Policy.Adjustment = 0
	steps.Policies[0].Policy.StepAdjustments = []scaling.StepAdjustment{
		{MetricIntervalLowerBound: &zero, MetricIntervalUpperBound: &ten, ScalingAdjustment: 1},
		{MetricIntervalLowerBound: &ten, ScalingAdjustment: 3},
	}
	return append(as, pct, ratio, steps)
}

// TestEveryAutoscalerStaysInBounds runs every autoscaler over an awkward trace (noise,
// bursts, a gap, a run of zeros, needs beyond both bounds) under every missing-data
// treatment. The engine fails a run that sets desiredCount outside [Min, Max]; the
// samples are checked too.
func TestEveryAutoscalerStaysInBounds(t *testing.T) {
	tr := variedTrace(1500)
	for _, tmd := range []string{MissingAsMissing, MissingAsNotBreaching, MissingAsBreaching, MissingIgnored} {
		for _, delay := range []time.Duration{0, 45 * time.Second, 3 * time.Minute} {
			setup := Setup{TaskCapacity: 10, StartupDelay: delay, InitialTasks: 4, Min: 2, Max: 9, TreatMissingData: tmd}
			rs, err := Compare(tr, setup, lineUp(t))
			if err != nil {
				t.Fatalf("%s, delay %s: %v", tmd, delay, err)
			}
			for _, r := range rs {
				for _, s := range r.Samples {
					if s.Desired < setup.Min || s.Desired > setup.Max || s.Running > s.Desired {
						t.Fatalf("%s %s: sample %+v outside [%d, %d]", tmd, r.Autoscaler, s, setup.Min, setup.Max)
					}
				}
			}
		}
	}
}

// TestGapsAndZerosNeverCrash runs every autoscaler over traces that are mostly gaps or
// zeros, including a service allowed to go to zero tasks.
func TestGapsAndZerosNeverCrash(t *testing.T) {
	traces := []Trace{
		minuteTrace(seg{30, 0}, seg{20, nan()}, seg{30, 50}, seg{10, 0}),
		minuteTrace(seg{1, 30}, seg{60, nan()}, seg{1, 30}),
		minuteTrace(seg{40, 0}, seg{1, 100}, seg{40, 0}),
		FromValues("5-minute gaps", t0, 5*time.Minute, []float64{0, nan(), 3000, nan(), nan(), 0, 6000, 0}),
	}
	for _, tr := range traces {
		for _, minC := range []int{0, 1} {
			setup := Setup{TaskCapacity: 10, StartupDelay: time.Minute, Min: minC, Max: 5}
			rs, err := Compare(tr, setup, lineUp(t))
			if err != nil {
				t.Fatalf("%s, min %d: %v", tr.Name, minC, err)
			}
			if len(rs) != len(lineUp(t)) {
				t.Fatalf("%d results", len(rs))
			}
		}
	}
}

func TestRunsAreDeterministic(t *testing.T) {
	tr := variedTrace(1000)
	setup := Setup{TaskCapacity: 10, StartupDelay: 40 * time.Second, Min: 1, Max: 15}
	a, err := Compare(tr, setup, lineUp(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compare(tr, setup, lineUp(t))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("two runs over the same input differ")
	}
	// The same Autoscaler value runs again from scratch.
	st := testStepscaler(t)
	r1, r2 := mustRun(t, tr, setup, st), mustRun(t, tr, setup, st)
	if !reflect.DeepEqual(r1, r2) {
		t.Error("an autoscaler carries state from one run to the next")
	}
	for _, r := range a {
		t.Log(fmt.Sprintf("%-20s", r.Autoscaler), r.Measures.UnderTaskMinutes, r.Measures.OverTaskMinutes, r.Measures.ScalingActions)
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }
