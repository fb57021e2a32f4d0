package simulate

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Family is one autoscaler with its main knob: sweeping the knob over Values draws the
// autoscaler's trade-off curve between controllable under- and over-provisioning.
type Family struct {
	// Name labels the curve ("hpa", "stepscaler balanced", ...).
	Name string
	// Knob names the swept parameter ("target", "threshold") and Unit how its values
	// read ("%" of a task's capacity, or "" for the metric's units).
	Knob, Unit string
	Values     []float64
	// Default is the knob's value in the autoscaler's default setup; it need not be in
	// Values (Curves adds it).
	Default float64
	// Ours marks Stepscaler's curves, whose points are checked against the others'.
	// Preset marks the presets' curves, whose union is Stepscaler's curve for the goal.
	Ours, Preset bool
	// Build makes the autoscaler for one value of the knob.
	Build func(v float64) (Autoscaler, error)
}

// CurvePoint is one run of a family.
type CurvePoint struct {
	Value    float64  `json:"value"`
	Default  bool     `json:"default,omitempty"`
	Measures Measures `json:"measures"`
	// DominatedBy names an other autoscaler's point that is better on both controllable
	// measures (no worse on one, strictly better on the other); set on Stepscaler's
	// points only, empty when none is.
	DominatedBy string `json:"dominatedBy,omitempty"`
}

// Curve is a family's points, in the order of its values.
type Curve struct {
	Family string       `json:"family"`
	Knob   string       `json:"knob"`
	Unit   string       `json:"unit,omitempty"`
	Ours   bool         `json:"ours,omitempty"`
	Preset bool         `json:"preset,omitempty"`
	Points []CurvePoint `json:"points"`
}

// DefaultPoint is the curve's point at its default value, if it has one.
func (c Curve) DefaultPoint() (CurvePoint, bool) {
	for _, p := range c.Points {
		if p.Default {
			return p, true
		}
	}
	return CurvePoint{}, false
}

// Label names a point of the curve, "hpa at target 70%".
func (c Curve) Label(p CurvePoint) string {
	return fmt.Sprintf("%s at %s %s", c.Family, c.Knob, FormatKnob(p.Value, c.Unit))
}

// FormatKnob writes a knob's value: 0.7 with unit "%" as "70%", 70 as "70", to six
// decimals at most.
func FormatKnob(v float64, unit string) string {
	if unit == "%" {
		return trimFloat(100*v) + "%"
	}
	return trimFloat(v) + unit
}

// trimFloat writes v with six decimals, less its trailing zeros: 57.000000000000007 is 57.
func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 6, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// Curves runs every family over the trace at every value of its knob, on up to workers
// goroutines (0: one per CPU), and flags Stepscaler's dominated points. The results do
// not depend on the number of workers.
func Curves(tr Trace, setup Setup, families []Family, workers int) ([]Curve, error) {
	w, err := newWorld(tr, setup)
	if err != nil {
		return nil, err
	}
	type job struct{ curve, point int }
	curves := make([]Curve, len(families))
	var jobs []job
	for i, f := range families {
		if f.Build == nil {
			return nil, fmt.Errorf("curves: family %s has no Build", f.Name)
		}
		curves[i] = Curve{Family: f.Name, Knob: f.Knob, Unit: f.Unit, Ours: f.Ours, Preset: f.Preset}
		for _, v := range sortedValues(append(slices.Clone(f.Values), f.Default)) {
			curves[i].Points = append(curves[i].Points, CurvePoint{Value: v, Default: v == f.Default})
			jobs = append(jobs, job{i, len(curves[i].Points) - 1})
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				c, p := &curves[jobs[j].curve], &curves[jobs[j].curve].Points[jobs[j].point]
				a, err := families[jobs[j].curve].Build(p.Value)
				if err == nil {
					var r Result
					r, err = w.run(a)
					p.Measures = r.Measures
				}
				if err != nil {
					errs[j] = fmt.Errorf("curves: %s: %w", c.Label(*p), err)
				}
			}
		}()
	}
	for j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	FlagDominated(curves)
	return curves, nil
}

// Dominates reports whether a is better than b on both controllable measures: no worse
// on either, strictly better on one.
func Dominates(a, b Measures) bool {
	au, ao := a.ControllableUnderTaskMinutes, a.ControllableOverTaskMinutes
	bu, bo := b.ControllableUnderTaskMinutes, b.ControllableOverTaskMinutes
	return au <= bu && ao <= bo && (au < bu || ao < bo)
}

// NoWorse reports whether a is no worse than b on both controllable measures.
func NoWorse(a, b Measures) bool {
	return a.ControllableUnderTaskMinutes <= b.ControllableUnderTaskMinutes &&
		a.ControllableOverTaskMinutes <= b.ControllableOverTaskMinutes
}

// FlagDominated sets DominatedBy on each of Stepscaler's points that a point of another
// autoscaler's curve (the oracle's excepted: nothing can match it) dominates, naming the
// one that beats it by the most.
func FlagDominated(curves []Curve) {
	for i := range curves {
		if !curves[i].Ours {
			continue
		}
		for j := range curves[i].Points {
			p := &curves[i].Points[j]
			p.DominatedBy = ""
			best := 0.0
			for _, c := range curves {
				if c.Ours || c.Family == "oracle" {
					continue
				}
				for _, q := range c.Points {
					if !Dominates(q.Measures, p.Measures) {
						continue
					}
					if gain := margin(p.Measures, q.Measures); p.DominatedBy == "" || gain > best {
						p.DominatedBy, best = c.Label(q), gain
					}
				}
			}
		}
	}
}

// margin is how much better b is than a, summed over both measures in task-minutes.
func margin(a, b Measures) float64 {
	return (a.ControllableUnderTaskMinutes - b.ControllableUnderTaskMinutes) +
		(a.ControllableOverTaskMinutes - b.ControllableOverTaskMinutes)
}

// Coverage is the goal's check of one anchor point: is some point of the presets'
// curves no worse on both controllable measures?
type Coverage struct {
	Anchor  string  `json:"anchor"`
	Point   string  `json:"point"`
	Under   float64 `json:"under"`
	Over    float64 `json:"over"`
	Covered bool    `json:"covered"`
	// By is the covering point (the one with the least idle capacity), or, when none
	// covers it, the nearest: the preset point whose worse measure exceeds the anchor's
	// by the least fraction.
	By      string  `json:"by"`
	ByUnder float64 `json:"byUnder"`
	ByOver  float64 `json:"byOver"`
}

// Cover checks every point of every anchor curve (not Stepscaler's, not the oracle's)
// against the union of the preset curves.
func Cover(curves []Curve) []Coverage {
	type pt struct {
		label string
		m     Measures
	}
	var ours []pt
	for _, c := range curves {
		if c.Preset {
			for _, p := range c.Points {
				ours = append(ours, pt{c.Label(p), p.Measures})
			}
		}
	}
	var out []Coverage
	for _, c := range curves {
		if c.Ours || c.Family == "oracle" {
			continue
		}
		for _, a := range c.Points {
			cov := Coverage{Anchor: c.Family, Point: c.Label(a),
				Under: a.Measures.ControllableUnderTaskMinutes, Over: a.Measures.ControllableOverTaskMinutes}
			bestExcess := 0.0
			for _, s := range ours {
				if NoWorse(s.m, a.Measures) {
					if !cov.Covered || s.m.ControllableOverTaskMinutes < cov.ByOver {
						cov.Covered, cov.By = true, s.label
						cov.ByUnder, cov.ByOver = s.m.ControllableUnderTaskMinutes, s.m.ControllableOverTaskMinutes
					}
					continue
				}
				if cov.Covered {
					continue
				}
				if e := excess(s.m, a.Measures); cov.By == "" || e < bestExcess {
					bestExcess, cov.By = e, s.label
					cov.ByUnder, cov.ByOver = s.m.ControllableUnderTaskMinutes, s.m.ControllableOverTaskMinutes
				}
			}
			out = append(out, cov)
		}
	}
	return out
}

// excess is by how large a fraction s is worse than a on its worse measure (each
// measured against at least a task-minute, so a zero does not make any excess infinite).
func excess(s, a Measures) float64 {
	u := (s.ControllableUnderTaskMinutes - a.ControllableUnderTaskMinutes) / max(a.ControllableUnderTaskMinutes, 1)
	o := (s.ControllableOverTaskMinutes - a.ControllableOverTaskMinutes) / max(a.ControllableOverTaskMinutes, 1)
	return max(u, o)
}

// sortedValues is vs ascending without repeats, in a new slice.
func sortedValues(vs []float64) []float64 {
	out := slices.Clone(vs)
	slices.Sort(out)
	return slices.Compact(out)
}
