package simulate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

func TestSweep(t *testing.T) {
	st := testStepscaler(t)
	before := reflect.ValueOf(st.Policies).Index(0).Interface()
	tests := []struct {
		param  string
		values []float64
		check  func(t *testing.T, pts []SweepPoint)
	}{
		{"adjustment", []float64{1, 4}, func(t *testing.T, pts []SweepPoint) {
			if pts[1].Measures.UnderTaskMinutes >= pts[0].Measures.UnderTaskMinutes {
				t.Errorf("a step of 4 is not faster than 1: %+v", pts)
			}
		}},
		{"threshold", []float64{10, 30}, func(t *testing.T, pts []SweepPoint) {
			if pts[1].Measures.UnderTaskMinutes <= pts[0].Measures.UnderTaskMinutes {
				t.Errorf("a higher threshold does not leave the service shorter: %+v", pts)
			}
		}},
		{"cooldownSeconds", []float64{0, 60, 600}, func(t *testing.T, pts []SweepPoint) {
			if pts[2].Measures.UnderTaskMinutes <= pts[0].Measures.UnderTaskMinutes {
				t.Errorf("a long cooldown does not slow the climb: %+v", pts)
			}
		}},
		{"pollIntervalSeconds", []float64{5, 120}, func(t *testing.T, pts []SweepPoint) {
			if pts[1].Measures.TimeToCapacity.Mean <= pts[0].Measures.TimeToCapacity.Mean {
				t.Errorf("slower polling does not slow the climb: %+v", pts)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.param, func(t *testing.T) {
			pts, err := Sweep(stepUp(), testSetup(), st, tt.param, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != len(tt.values) {
				t.Fatalf("%d points for %d values", len(pts), len(tt.values))
			}
			for i, p := range pts {
				if p.Value != tt.values[i] {
					t.Errorf("point %d is for %v, want %v", i, p.Value, tt.values[i])
				}
			}
			tt.check(t, pts)
		})
	}
	if after := st.Policies[0]; !reflect.DeepEqual(before, after) {
		t.Errorf("Sweep changed its base: %+v, was %+v", after, before)
	}
}

func TestSweepTargetValue(t *testing.T) {
	st := testStepscaler(t)
	p := &st.Policies[0].Policy
	p.AdjustmentType, p.Adjustment, p.TargetValue, p.Tolerance = scaling.TargetRatio, 0, 7, 0.1
	pts, err := Sweep(stepUp(), testSetup(), st, "targetValue", []float64{5, 9})
	if err != nil {
		t.Fatal(err)
	}
	if pts[0].Measures.TaskMinutes <= pts[1].Measures.TaskMinutes {
		t.Errorf("a lower target does not run more tasks: %+v", pts)
	}
}

func TestSweepErrors(t *testing.T) {
	st := testStepscaler(t)
	onlyIn := &Stepscaler{Policies: st.Policies[1:]}
	tests := []struct {
		name   string
		base   *Stepscaler
		param  string
		values []float64
		want   string
	}{
		{"unknown parameter", st, "cooldown", []float64{1}, `unknown parameter "cooldown"; known: adjustment, cooldownSeconds, threshold, targetValue, pollIntervalSeconds`},
		{"fractional poll interval", st, "pollIntervalSeconds", []float64{2.5}, "pollIntervalSeconds = 2.5: want a whole number of at least 1"},
		{"zero poll interval", st, "pollIntervalSeconds", []float64{0}, "want a whole number of at least 1"},
		{"negative cooldown", st, "cooldownSeconds", []float64{-1}, "at least 0"},
		{"target on a step policy", st, "targetValue", []float64{5}, "targetValue applies to TargetRatio"},
		{"infinite threshold", st, "threshold", []float64{nan()}, "not a finite number"},
		{"no scale-out policy", onlyIn, "threshold", []float64{1}, "no scale-out policy"},
	}
	for _, tt := range tests {
		_, err := Sweep(stepUp(), testSetup(), tt.base, tt.param, tt.values)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Sweep(stepUp(), Setup{}, st, "threshold", []float64{1}); err == nil || !strings.Contains(err.Error(), "setup") {
		t.Errorf("bad setup: %v", err)
	}
}

// BenchmarkCompare replays a 10,000-point trace (a week of minutes) through every
// autoscaler at the default 5 s tick: 120,000 ticks each.
func BenchmarkCompare(b *testing.B) {
	tr := variedTrace(10_000)
	setup := Setup{TaskCapacity: 10, StartupDelay: time.Minute, Min: 1, Max: 30}
	as := lineUp(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(tr, setup, as); err != nil {
			b.Fatal(err)
		}
	}
}
