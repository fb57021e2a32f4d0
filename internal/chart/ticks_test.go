package chart

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func majorLabels(ticks []plot.Tick) []string {
	var out []string
	for _, t := range ticks {
		if !t.IsMinor() {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestTimeTicks(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{
			name: "six hours in hours",
			from: day.Add(10 * time.Hour), to: day.Add(16 * time.Hour),
			want: []string{"10:00\nMon Mar 2", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"},
		},
		{
			name: "across midnight the date shows again",
			from: day.Add(18 * time.Hour), to: day.Add(30 * time.Hour),
			want: []string{"18:00\nMon Mar 2", "20:00", "22:00", "00:00\nTue Mar 3", "02:00", "04:00", "06:00"},
		},
		{
			name: "a week in days",
			from: day, to: day.AddDate(0, 0, 6),
			want: []string{"Mon Mar 2\n2026", "Tue Mar 3", "Wed Mar 4", "Thu Mar 5", "Fri Mar 6", "Sat Mar 7", "Sun Mar 8"},
		},
		{
			name: "seven weeks in weeks, on Mondays",
			from: day.Add(time.Hour), to: day.AddDate(0, 0, 45),
			want: []string{"Mar 9\n2026", "Mar 16", "Mar 23", "Mar 30", "Apr 6", "Apr 13"},
		},
		{
			name: "two months in fortnights",
			from: day.Add(time.Hour), to: day.AddDate(0, 0, 50),
			want: []string{"Mar 16\n2026", "Mar 30", "Apr 13"},
		},
		{
			name: "a year in months",
			from: day, to: day.AddDate(1, 0, 0),
			want: []string{"May\n2026", "Jul", "Sep", "Nov", "Jan\n2027", "Mar"},
		},
		{
			name: "seconds",
			from: day.Add(time.Hour), to: day.Add(time.Hour + 30*time.Second),
			want: []string{"01:00:00\nMon Mar 2", "01:00:05", "01:00:10", "01:00:15", "01:00:20", "01:00:25", "01:00:30"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := majorLabels(timeTicks{target: 7}.Ticks(timeToUnix(tc.from), timeToUnix(tc.to)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLinearTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{0, 20, []string{"0", "5", "10", "15", "20"}},
		{0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 40000, []string{"0", "10,000", "20,000", "30,000", "40,000"}},
		{-10, 10, []string{"-10", "-5", "0", "5", "10"}},
	} {
		got := majorLabels(linearTicks{target: 5}.Ticks(tc.lo, tc.hi))
		if !slices.Equal(got, tc.want) {
			t.Errorf("[%g, %g]: labels %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestSetZeroBasedAxis(t *testing.T) {
	for _, tc := range []struct{ min, max, wantMin, wantMax float64 }{
		{3, 13, 0, 15},
		{5, 20, 0, 25}, // room above a line at the top
		{0, 0, 0, 1.2},
		{-3, 2, -3, 3},
		{100, 33500, 0, 40000},
	} {
		var a plot.Axis
		setZeroBasedAxis(&a, tc.min, tc.max)
		if a.Min != tc.wantMin || a.Max != tc.wantMax {
			t.Errorf("data [%g, %g]: axis [%g, %g], want [%g, %g]", tc.min, tc.max, a.Min, a.Max, tc.wantMin, tc.wantMax)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		dec  int
		want string
	}{
		{0, 0, "0"}, {math.Copysign(0, -1), 1, "0.0"}, {1234, 0, "1234"}, {12345, 0, "12,345"},
		{-1234567.5, 1, "-1,234,567.5"}, {0.25, 2, "0.25"},
	} {
		if got := formatNumber(tc.v, tc.dec); got != tc.want {
			t.Errorf("formatNumber(%g, %d) = %q, want %q", tc.v, tc.dec, got, tc.want)
		}
	}
}

// TestThin checks that thinning keeps each column's first, last, lowest
// and highest points, in order, and nothing else.
func TestThin(t *testing.T) {
	var pts []vg.Point
	for i := range 1000 {
		pts = append(pts, vg.Point{X: vg.Length(i) / 10, Y: vg.Length(math.Sin(float64(i)) * 100)})
	}
	orig := slices.Clone(pts)
	got := thin(pts, 1)
	if len(got) > 4*100 || len(got) < 2*100 {
		t.Fatalf("%d points after thinning 1000 into 100 columns", len(got))
	}
	col := func(p vg.Point) int { return int(math.Floor(float64(p.X))) }
	for c := range 100 {
		var in, out []vg.Point
		for _, p := range orig {
			if col(p) == c {
				in = append(in, p)
			}
		}
		for _, p := range got {
			if col(p) == c {
				out = append(out, p)
			}
		}
		byY := func(a, b vg.Point) int { return cmp.Compare(a.Y, b.Y) }
		lo, hi := slices.MinFunc(in, byY), slices.MaxFunc(in, byY)
		for _, want := range []vg.Point{in[0], in[len(in)-1], lo, hi} {
			if !slices.Contains(out, want) {
				t.Errorf("column %d: %v dropped", c, want)
			}
		}
		if out[0] != in[0] || out[len(out)-1] != in[len(in)-1] {
			t.Errorf("column %d: first or last out of order", c)
		}
	}
	short := []vg.Point{{X: 0, Y: 1}, {X: 0.1, Y: 2}}
	if got := thin(short, 1); len(got) != 2 {
		t.Errorf("short input thinned to %d points", len(got))
	}
}
