// Package alarmeval is CloudWatch's rule for the state of a metric alarm, written once for
// everything in Stepscaler that needs it: the backtest simulator, the local CloudWatch
// emulator and the workflow. It is pure: the datapoints of the evaluation range go in, the
// state (and the evidence for it) comes out. Fetching and aggregating the datapoints is
// the caller's business.
//
// The rule follows "Configuring how CloudWatch alarms treat missing data" and "Alarm
// evaluation" in the Amazon CloudWatch User Guide, whose example tables the tests
// reproduce row by row.
package alarmeval

import (
	"math"
	"slices"
)

// State is an alarm state as CloudWatch spells it.
type State string

const (
	OK               State = "OK"
	Alarm            State = "ALARM"
	InsufficientData State = "INSUFFICIENT_DATA"
)

// CloudWatch's comparison operators for static thresholds.
const (
	GreaterThanOrEqualToThreshold = "GreaterThanOrEqualToThreshold"
	GreaterThanThreshold          = "GreaterThanThreshold"
	LessThanThreshold             = "LessThanThreshold"
	LessThanOrEqualToThreshold    = "LessThanOrEqualToThreshold"
)

// TreatMissingData values, as PutMetricAlarm spells them. An empty value means Missing,
// PutMetricAlarm's default.
const (
	Missing      = "missing"
	NotBreaching = "notBreaching"
	Breaching    = "breaching"
	Ignore       = "ignore"
)

// Spec is the part of a metric alarm's configuration that decides its state.
type Spec struct {
	Threshold          float64
	ComparisonOperator string
	// EvaluationPeriods is N and DatapointsToAlarm M of "M out of N"; a DatapointsToAlarm
	// of 0 means N, as when PutMetricAlarm is called without it.
	EvaluationPeriods int
	DatapointsToAlarm int
	TreatMissingData  string
}

// Datapoint is one period's value in the evaluation range, or its absence.
type Datapoint struct {
	Value   float64
	Missing bool
}

// Breaches reports whether v crosses the threshold. An unknown operator never breaches.
func (s Spec) Breaches(v float64) bool {
	switch s.ComparisonOperator {
	case GreaterThanOrEqualToThreshold:
		return v >= s.Threshold
	case GreaterThanThreshold:
		return v > s.Threshold
	case LessThanThreshold:
		return v < s.Threshold
	case LessThanOrEqualToThreshold:
		return v <= s.Threshold
	}
	return false
}

func (s Spec) m() int {
	if s.DatapointsToAlarm == 0 {
		return s.EvaluationPeriods
	}
	return s.DatapointsToAlarm
}

// Evaluate is CloudWatch's alarm evaluation over the evaluation range dps, oldest first;
// current is the alarm's state before it. See Explain.
func Evaluate(s Spec, dps []Datapoint, current State) State {
	return Explain(s, dps, current).State
}

// Outcome is an evaluation and the evidence behind it, which is what the alarm's reason
// quotes.
type Outcome struct {
	State State
	// Evaluated are the indexes into the evaluation range of the periods the decision
	// rests on, newest first: real datapoints, and missing ones when they counted (filled
	// by TreatMissingData, or all unknown).
	Evaluated []int
	// Filled is how many of Evaluated are missing datapoints that TreatMissingData
	// counted as breaching or not breaching.
	Filled int
}

// Explain evaluates the alarm over dps (oldest first) as "How alarm state is evaluated
// when data is missing" (Amazon CloudWatch User Guide) describes:
//   - With at least EvaluationPeriods (N) real datapoints in the range, the most recent N
//     of them decide: ALARM when at least DatapointsToAlarm (M) breach. TreatMissingData
//     is not consulted.
//   - With fewer, breaching and notBreaching fill only the shortfall ("CloudWatch uses
//     missing data points only as few times as possible"), every real datapoint counting.
//   - With none at all, missing gives INSUFFICIENT_DATA and ignore keeps the state.
//   - Otherwise (missing, ignore) the real ones decide, except for the guide's "premature
//     alarm state": when the oldest real datapoint breaches, lies within the last N
//     periods and is at least M periods old, and every newer one breaches, the alarm goes
//     to ALARM (missing) or keeps its state (ignore).
func Explain(s Spec, dps []Datapoint, current State) Outcome {
	n, m := s.EvaluationPeriods, s.m()
	real := newestFirst(dps, func(d Datapoint) bool { return !d.Missing })
	if len(real) >= n {
		evaluated := real[:n]
		return Outcome{State: alarmIf(s.breaching(dps, evaluated) >= m), Evaluated: evaluated}
	}
	switch s.TreatMissingData {
	case Breaching, NotBreaching:
		fill := n - len(real)
		missing := newestFirst(dps, func(d Datapoint) bool { return d.Missing })
		evaluated := append(slices.Clone(real), missing[:min(fill, len(missing))]...)
		slices.SortFunc(evaluated, func(a, b int) int { return b - a })
		breaching := s.breaching(dps, real)
		if s.TreatMissingData == Breaching {
			breaching += fill
		}
		return Outcome{State: alarmIf(breaching >= m), Evaluated: evaluated, Filled: fill}
	}
	if len(real) == 0 {
		out := Outcome{State: InsufficientData, Evaluated: newestFirst(dps, func(Datapoint) bool { return true })[:min(n, len(dps))]}
		if s.TreatMissingData == Ignore {
			out.State = current
		}
		return out
	}
	out := Outcome{State: OK, Evaluated: real}
	switch {
	case s.breaching(dps, real) >= m:
		out.State = Alarm
	case premature(s, dps) && s.TreatMissingData == Ignore:
		out.State = current
	case premature(s, dps):
		out.State = Alarm
	}
	return out
}

// premature is the guide's condition for going to ALARM on fewer real datapoints than
// DatapointsToAlarm (see Explain).
func premature(s Spec, dps []Datapoint) bool {
	oldest := slices.IndexFunc(dps, func(d Datapoint) bool { return !d.Missing })
	age := len(dps) - oldest // 1 for the newest period
	if oldest < 0 || age > s.EvaluationPeriods || age < s.m() {
		return false
	}
	for _, d := range dps[oldest:] {
		if !d.Missing && !s.Breaches(d.Value) {
			return false
		}
	}
	return true
}

func (s Spec) breaching(dps []Datapoint, indexes []int) int {
	n := 0
	for _, i := range indexes {
		if s.Breaches(dps[i].Value) {
			n++
		}
	}
	return n
}

// newestFirst returns the indexes of the datapoints that keep holds for, newest first.
func newestFirst(dps []Datapoint, keep func(Datapoint) bool) []int {
	var out []int
	for i := len(dps) - 1; i >= 0; i-- {
		if keep(dps[i]) {
			out = append(out, i)
		}
	}
	return out
}

func alarmIf(alarm bool) State {
	if alarm {
		return Alarm
	}
	return OK
}

// Application Auto Scaling's MetricAggregationType values.
const (
	AggregateAverage = "Average"
	AggregateMinimum = "Minimum"
	AggregateMaximum = "Maximum"
)

// Aggregate is the breach size a scaling policy reads: the real datapoints among the
// newest n periods of dps (oldest first), combined as Application Auto Scaling's
// MetricAggregationType says: Average (also for ""; the default), Minimum or Maximum.
// ok is false when there are none, or for any other aggregation.
func Aggregate(dps []Datapoint, n int, aggregation string) (value float64, ok bool) {
	n = max(0, min(n, len(dps)))
	var values []float64
	for _, d := range dps[len(dps)-n:] {
		if !d.Missing {
			values = append(values, d.Value)
		}
	}
	if len(values) == 0 {
		return 0, false
	}
	switch aggregation {
	case "", AggregateAverage:
		return mean(values), true
	case AggregateMinimum:
		return slices.Min(values), true
	case AggregateMaximum:
		return slices.Max(values), true
	}
	return 0, false
}

// mean is the values' average, finite whenever they are: a sum that overflows (two
// values near the largest float64) is taken again over each value's share instead.
func mean(values []float64) float64 {
	n := float64(len(values))
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	if !math.IsInf(sum, 0) {
		return sum / n
	}
	sum = 0
	for _, v := range values {
		sum += v / n
	}
	return sum
}
