package breach

import (
	"testing"
	"time"
)

// TestWindowAndValue works two alarms by hand: a 60 s alarm with 3 evaluation periods read
// at 10:03:40 covers 10:00, 10:01 and 10:02 (10:03 is still filling up); a 10 s
// high-resolution alarm with 2 periods read at 10:03:47 covers 10:03:20 and 10:03:30.
func TestWindowAndValue(t *testing.T) {
	at := func(h, m, s int) time.Time { return time.Date(2026, 11, 27, h, m, s, 0, time.UTC) }
	w, ok := WindowAt(at(10, 3, 40), time.Minute, 3)
	if !ok || !w.Start.Equal(at(10, 0, 0)) || !w.End.Equal(at(10, 3, 0)) {
		t.Fatalf("WindowAt(10:03:40, 1m, 3) = %+v, want [10:00, 10:03)", w)
	}
	values := map[time.Time]float64{at(10, 0, 0): 80, at(10, 2, 0): 95, at(10, 3, 0): 500 /* outside */}
	dps := w.Datapoints(values)
	if len(dps) != 3 || dps[0].Missing || dps[0].Value != 80 || !dps[1].Missing || dps[2].Value != 95 {
		t.Fatalf("Datapoints = %+v, want 80, missing, 95", dps)
	}
	// (80 + 95) / 2 = 87.5 over the real datapoints; Maximum 95; Minimum 80.
	for agg, want := range map[string]float64{"Average": 87.5, "Maximum": 95, "Minimum": 80} {
		if v, ok := w.Value(values, agg); !ok || v != want {
			t.Errorf("Value(%s) = %v, %v; want %v", agg, v, ok, want)
		}
	}
	if _, ok := w.Value(map[time.Time]float64{}, "Average"); ok {
		t.Error("a window without datapoints has a value")
	}

	hr, ok := WindowAt(at(10, 3, 47), 10*time.Second, 2)
	if !ok || !hr.Start.Equal(at(10, 3, 20)) || !hr.End.Equal(at(10, 3, 40)) {
		t.Fatalf("WindowAt(10:03:47, 10s, 2) = %+v, want [10:03:20, 10:03:40)", hr)
	}
	if _, ok := WindowAt(at(10, 3, 47), 0, 2); ok {
		t.Error("a window without a period")
	}
}

// TestTrend works the least-squares slope by hand: 80 at 10:00 and 95 at 10:02 (10:01
// missing) rise 15 in 120 s, 0.125 a second; one datapoint gives no trend.
func TestTrend(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 11, 27, 10, m, 0, 0, time.UTC) }
	w, _ := WindowAt(at(3).Add(40*time.Second), time.Minute, 3)
	slope, ok := w.Trend(map[time.Time]float64{at(0): 80, at(2): 95, at(3): 500 /* outside */})
	if !ok || slope != 0.125 {
		t.Errorf("Trend = %v, %v; want 0.125", slope, ok)
	}
	if _, ok := w.Trend(map[time.Time]float64{at(1): 80}); ok {
		t.Error("a trend from one datapoint")
	}
}
