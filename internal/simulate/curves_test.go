package simulate

import (
	"reflect"
	"strings"
	"testing"
)

func pm(under, over float64) Measures {
	return Measures{ControllableUnderTaskMinutes: under, ControllableOverTaskMinutes: over}
}

func TestDominates(t *testing.T) {
	tests := []struct {
		a, b             Measures
		dominates, noWor bool
	}{
		{pm(1, 1), pm(2, 2), true, true},
		{pm(1, 2), pm(2, 2), true, true},
		{pm(2, 2), pm(2, 2), false, true},
		{pm(1, 3), pm(2, 2), false, false},
		{pm(3, 1), pm(2, 2), false, false},
	}
	for _, tt := range tests {
		if got := Dominates(tt.a, tt.b); got != tt.dominates {
			t.Errorf("Dominates(%v, %v) = %v", tt.a, tt.b, got)
		}
		if got := NoWorse(tt.a, tt.b); got != tt.noWor {
			t.Errorf("NoWorse(%v, %v) = %v", tt.a, tt.b, got)
		}
	}
}

// handCurves are curves worked by hand (controllable under / over):
//
//	preset  p: A 10/100, B 5/200, C 2/400
//	config  c: D 20/300, E 7/140 (Stepscaler's, but not a preset)
//	anchor  hpa: H1 8/150, H2 3/500, H3 1/1000
//	oracle: 0/0
func handCurves() []Curve {
	pt := func(v, u, o float64) CurvePoint { return CurvePoint{Value: v, Measures: pm(u, o)} }
	return []Curve{
		{Family: "p", Knob: "target", Unit: "%", Ours: true, Preset: true, Points: []CurvePoint{pt(0.5, 10, 100), pt(0.6, 5, 200), pt(0.7, 2, 400)}},
		{Family: "c", Knob: "threshold", Ours: true, Points: []CurvePoint{pt(70, 20, 300), pt(80, 7, 140)}},
		{Family: "hpa", Knob: "target", Unit: "%", Points: []CurvePoint{pt(0.5, 8, 150), pt(0.6, 3, 500), pt(0.7, 1, 1000)}},
		{Family: "oracle", Knob: "target", Unit: "%", Points: []CurvePoint{pt(1, 0, 0)}},
	}
}

func TestFlagDominated(t *testing.T) {
	curves := handCurves()
	FlagDominated(curves)
	// D (20/300) is beaten by H1 (8/150) on both; no other point of ours is beaten by an
	// anchor's, and the oracle, which beats everything, does not count.
	want := map[string]string{"p 0.5": "", "p 0.6": "", "p 0.7": "", "c 70": "hpa at target 50%", "c 80": ""}
	for _, c := range curves[:2] {
		for _, p := range c.Points {
			key := c.Family + " " + strings.TrimSuffix(FormatKnob(p.Value, ""), "")
			if got := p.DominatedBy; got != want[key] {
				t.Errorf("%s: dominated by %q, want %q", key, got, want[key])
			}
		}
	}
	for _, p := range curves[2].Points {
		if p.DominatedBy != "" {
			t.Errorf("an anchor's point is flagged: %+v", p)
		}
	}
}

func TestCover(t *testing.T) {
	got := Cover(handCurves())
	// H1 8/150: no preset point is no worse on both (A's under 10 > 8, B's over 200 > 150);
	// the nearest is A, 25% worse on under ((10 − 8) / 8), where B is 33% worse on over.
	// E (7/140) would cover it, but it is the configured policy's, not a preset's.
	// H2 3/500: C (2/400) covers it. H3 1/1000: none; C is nearest, (2 − 1) / 1 = 100% worse.
	want := []Coverage{
		{Anchor: "hpa", Point: "hpa at target 50%", Under: 8, Over: 150, By: "p at target 50%", ByUnder: 10, ByOver: 100},
		{Anchor: "hpa", Point: "hpa at target 60%", Under: 3, Over: 500, Covered: true, By: "p at target 70%", ByUnder: 2, ByOver: 400},
		{Anchor: "hpa", Point: "hpa at target 70%", Under: 1, Over: 1000, By: "p at target 70%", ByUnder: 2, ByOver: 400},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Cover =\n%+v\nwant\n%+v", got, want)
	}
}

// TestCurves runs a family over three values and checks every point is the run of the
// autoscaler built for its value, the default marked, whatever the number of workers.
func TestCurves(t *testing.T) {
	tr, setup := stepUp(), testSetup()
	fam := Family{Name: "hpa", Knob: "target", Unit: "%", Values: []float64{0.7, 0.5, 0.7}, Default: 0.6,
		Build: func(v float64) (Autoscaler, error) { return NewHPA(v * setup.TaskCapacity), nil }}
	one, err := Curves(tr, setup, []Family{fam}, 1)
	if err != nil {
		t.Fatal(err)
	}
	many, err := Curves(tr, setup, []Family{fam}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, many) {
		t.Error("the curves depend on the number of workers")
	}
	pts := one[0].Points
	if len(pts) != 3 || pts[0].Value != 0.5 || pts[1].Value != 0.6 || pts[2].Value != 0.7 || !pts[1].Default || pts[0].Default {
		t.Fatalf("points %+v, want 0.5, 0.6 (default), 0.7", pts)
	}
	for _, p := range pts {
		r := mustRun(t, tr, setup, NewHPA(p.Value*setup.TaskCapacity))
		if p.Measures != r.Measures {
			t.Errorf("target %v: %+v, want the run's %+v", p.Value, p.Measures, r.Measures)
		}
	}
	if d, ok := one[0].DefaultPoint(); !ok || d.Value != 0.6 {
		t.Errorf("default point %+v", d)
	}

	bad := fam
	bad.Build = func(float64) (Autoscaler, error) { return &script{at: map[int]int{0: 99}}, nil }
	if _, err := Curves(tr, setup, []Family{bad}, 2); err == nil || !strings.Contains(err.Error(), "hpa at target 50%") {
		t.Errorf("error %v, want it to name the point", err)
	}
}

func TestFormatKnob(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		unit string
		want string
	}{{0.57, "%", "57%"}, {0.7, "%", "70%"}, {70, "", "70"}, {0.125, "%", "12.5%"}} {
		if got := FormatKnob(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatKnob(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
