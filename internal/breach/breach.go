// Package breach says what value a step or proportional policy sizes its step from: the
// alarm's own metric, read now over the alarm's evaluation periods, combined as the
// policy's MetricAggregationType says. An alarm's StateReason describes the breach that
// changed its state; CloudWatch does not promise to rewrite it while the state holds
// (StateUpdatedTimestamp moves only with StateValue or EvaluationState, API Reference),
// so later steps read the metric itself.
package breach

import (
	"math"
	"time"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Window is the span of complete periods to read: [Start, End), Periods periods of Period.
type Window struct {
	Start, End time.Time
	Period     time.Duration
	Periods    int
}

// WindowAt is the alarm's evaluation periods that have ended by now: the newest
// evaluationPeriods periods, aligned to the period as CloudWatch aligns datapoints, and
// complete, so a Sum or SampleCount is not read from a period still filling up.
func WindowAt(now time.Time, period time.Duration, evaluationPeriods int) (Window, bool) {
	if period <= 0 || evaluationPeriods < 1 {
		return Window{}, false
	}
	end := now.UTC().Truncate(period)
	return Window{Start: end.Add(-time.Duration(evaluationPeriods) * period), End: end, Period: period, Periods: evaluationPeriods}, true
}

// Datapoints lays the values CloudWatch returned (by their period's start) over the
// window's periods, oldest first; a period without a finite value is missing, as in
// CloudWatch, where a period with no data has no datapoint.
func (w Window) Datapoints(values map[time.Time]float64) []alarmeval.Datapoint {
	dps := make([]alarmeval.Datapoint, w.Periods)
	for i := range dps {
		v, ok := values[w.Start.Add(time.Duration(i)*w.Period).UTC()]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			dps[i].Missing = true
			continue
		}
		dps[i].Value = v
	}
	return dps
}

// Value is the value to size from: the window's real datapoints combined by aggregation
// (Average, Minimum or Maximum). ok is false when the window has none.
func (w Window) Value(values map[time.Time]float64, aggregation string) (float64, bool) {
	return alarmeval.Aggregate(w.Datapoints(values), w.Periods, aggregation)
}

// Trend is the slope of the window's real datapoints, in the metric's units per second
// (scaling.Slope over the periods' starts: a constant shift of the times leaves a slope
// unchanged); ok is false with fewer than two.
func (w Window) Trend(values map[time.Time]float64) (perSecond float64, ok bool) {
	var pts []scaling.TimedValue
	for i, d := range w.Datapoints(values) {
		if !d.Missing {
			pts = append(pts, scaling.TimedValue{At: w.Start.Add(time.Duration(i) * w.Period), Value: d.Value})
		}
	}
	return scaling.Slope(pts)
}
