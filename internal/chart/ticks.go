package chart

import (
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
)

// linearTicks places about target labelled ticks at round values (1, 2
// or 5 times a power of ten) with unlabelled minor ticks between.
type linearTicks struct{ target int }

// niceStep returns a round step that splits span into about target parts,
// and how many minor intervals to split one step into.
func niceStep(span float64, target int) (step float64, minor int) {
	raw := span / float64(max(target, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []struct {
		mant  float64
		minor int
	}{{1, 5}, {2, 4}, {5, 5}, {10, 5}} {
		if m.mant*mag >= raw*(1-1e-9) {
			return m.mant * mag, m.minor
		}
	}
	return 10 * mag, 5
}

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	step, nminor := niceStep(hi-lo, t.target)
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	eps := step * 1e-9
	var ticks []plot.Tick
	minorStep := step / float64(nminor)
	first := math.Ceil((lo-eps)/minorStep) * minorStep
	for i := 0; ; i++ {
		v := first + float64(i)*minorStep
		if v > hi+eps {
			break
		}
		k := math.Round(v / minorStep)
		if math.Mod(k, float64(nminor)) == 0 {
			v = k * minorStep // avoid -0 and rounding noise in labels
			ticks = append(ticks, plot.Tick{Value: v, Label: formatNumber(v, decimals)})
		} else {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// formatNumber formats v with the given decimals, grouping the thousands of
// numbers of five or more digits (12,500 rather than 12500).
func formatNumber(v float64, decimals int) string {
	if v == 0 {
		v = 0 // not -0
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) > 4 {
		var b strings.Builder
		for i, r := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		intPart = b.String()
	}
	s = intPart
	if hasFrac {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}

// setZeroBasedAxis makes a axis run from 0 (or from below the data, if some
// is negative) to the first labelled tick at or above the data, so that the
// axis ends on a labelled value.
func setZeroBasedAxis(a *plot.Axis, dataMin, dataMax float64) {
	lo, hi := min(0, dataMin), max(0, dataMax)
	if hi == lo {
		hi = lo + 1
	}
	const target = 6
	step, _ := niceStep(hi-lo, target)
	a.Min = math.Floor(lo/step+1e-9) * step
	a.Max = math.Ceil(hi/step-1e-9) * step
	// Leave a little room above the data, so a line at the maximum does
	// not run along the top edge.
	if a.Max-hi < (a.Max-a.Min)*0.02 {
		a.Max += step
	}
	a.Tick.Marker = linearTicks{target: target}
}

// timeTicks marks a time axis whose values are Unix seconds, in UTC, at a
// round step chosen from the span: seconds, minutes, hours, days, weeks,
// months or years, so that about target labelled ticks show.
type timeTicks struct{ target int }

type timeStep struct {
	d      time.Duration // fixed step; 0 for a step in months
	months int           // step in months, when d is 0
	minor  time.Duration // between minor ticks; 0 for none
}

var timeSteps = []timeStep{
	{d: time.Second, minor: 0},
	{d: 2 * time.Second, minor: time.Second},
	{d: 5 * time.Second, minor: time.Second},
	{d: 10 * time.Second, minor: 2 * time.Second},
	{d: 15 * time.Second, minor: 5 * time.Second},
	{d: 30 * time.Second, minor: 5 * time.Second},
	{d: time.Minute, minor: 15 * time.Second},
	{d: 2 * time.Minute, minor: 30 * time.Second},
	{d: 5 * time.Minute, minor: time.Minute},
	{d: 10 * time.Minute, minor: 2 * time.Minute},
	{d: 15 * time.Minute, minor: 5 * time.Minute},
	{d: 30 * time.Minute, minor: 5 * time.Minute},
	{d: time.Hour, minor: 15 * time.Minute},
	{d: 2 * time.Hour, minor: 30 * time.Minute},
	{d: 3 * time.Hour, minor: time.Hour},
	{d: 6 * time.Hour, minor: time.Hour},
	{d: 12 * time.Hour, minor: 3 * time.Hour},
	{d: 24 * time.Hour, minor: 6 * time.Hour},
	{d: 48 * time.Hour, minor: 12 * time.Hour},
	{d: 7 * 24 * time.Hour, minor: 24 * time.Hour},
	{d: 14 * 24 * time.Hour, minor: 24 * time.Hour},
	{months: 1},
	{months: 2},
	{months: 3},
	{months: 6},
	{months: 12},
}

// pickTimeStep returns the smallest step that gives at most target ticks
// over span seconds.
func pickTimeStep(span float64, target int) timeStep {
	for _, s := range timeSteps {
		if span/s.seconds() <= float64(target) {
			return s
		}
	}
	years := math.Ceil(span / (365.25 * 86400) / float64(target))
	return timeStep{months: 12 * int(years)}
}

// seconds is the (average, for months) length of the step.
func (s timeStep) seconds() float64 {
	if s.d != 0 {
		return s.d.Seconds()
	}
	return float64(s.months) * 30.44 * 86400
}

// monday is the offset from the Unix epoch (a Thursday) to the first
// Monday, so that weekly ticks fall on Mondays.
const monday = 4 * 86400

// Ticks implements plot.Ticker.
func (t timeTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	s := pickTimeStep(hi-lo, t.target)
	var majors []float64
	if s.d != 0 {
		majors = fixedTicks(lo, hi, s.d.Seconds(), s.d >= 7*24*time.Hour)
	} else {
		majors = monthTicks(lo, hi, s.months)
	}
	ticks := make([]plot.Tick, 0, len(majors))
	prev := time.Time{}
	for _, v := range majors {
		tm := unixToTime(v)
		ticks = append(ticks, plot.Tick{Value: v, Label: timeLabel(tm, prev, s)})
		prev = tm
	}
	if s.minor > 0 {
		step := s.minor.Seconds()
		for _, v := range fixedTicks(lo, hi, step, s.d >= 7*24*time.Hour) {
			if math.Mod(v-fixedOffset(s.d >= 7*24*time.Hour), s.d.Seconds()) != 0 {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

func fixedOffset(weekly bool) float64 {
	if weekly {
		return monday
	}
	return 0
}

// fixedTicks returns the multiples of step seconds in [lo, hi], counted
// from the epoch, or from the first Monday if weekly.
func fixedTicks(lo, hi, step float64, weekly bool) []float64 {
	off := fixedOffset(weekly)
	var out []float64
	for v := math.Ceil((lo-off)/step)*step + off; v <= hi; v += step {
		out = append(out, v)
	}
	return out
}

// monthTicks returns the starts of months in [lo, hi] whose month number
// (from January, 0) is a multiple of every.
func monthTicks(lo, hi float64, every int) []float64 {
	t := unixToTime(lo)
	m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	if m.Before(t) {
		m = m.AddDate(0, 1, 0)
	}
	for (int(m.Month())-1)%every != 0 {
		m = m.AddDate(0, 1, 0)
	}
	var out []float64
	for ; float64(m.Unix()) <= hi; m = m.AddDate(0, every, 0) {
		out = append(out, float64(m.Unix()))
	}
	return out
}

// timeLabel formats the tick at t; prev is the tick before it (zero for
// the first). Finer labels give the date, or year, on a second line at the
// first tick and wherever it changes.
func timeLabel(t, prev time.Time, s timeStep) string {
	switch {
	case s.d != 0 && s.d < time.Minute:
		return withDate(t.Format("15:04:05"), t, prev)
	case s.d != 0 && s.d < 24*time.Hour:
		return withDate(t.Format("15:04"), t, prev)
	case s.d != 0 && s.d < 7*24*time.Hour:
		return withYear(t.Format("Mon Jan 2"), t, prev)
	case s.d != 0:
		return withYear(t.Format("Jan 2"), t, prev)
	case s.months < 12:
		return withYear(t.Format("Jan"), t, prev)
	default:
		return t.Format("2006")
	}
}

func withDate(label string, t, prev time.Time) string {
	if prev.IsZero() || t.YearDay() != prev.YearDay() || t.Year() != prev.Year() {
		return label + "\n" + t.Format("Mon Jan 2")
	}
	return label
}

func withYear(label string, t, prev time.Time) string {
	if prev.IsZero() || t.Year() != prev.Year() {
		return label + "\n" + t.Format("2006")
	}
	return label
}

// timeToUnix and unixToTime convert between times and axis values.
func timeToUnix(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

func unixToTime(v float64) time.Time {
	sec := math.Floor(v)
	return time.Unix(int64(sec), int64(math.Round((v-sec)*1e9))).UTC()
}
