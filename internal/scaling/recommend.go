package scaling

import (
	"math"
	"slices"
	"time"
)

// Recommendation is one TargetRatio recommendation: the capacity a policy's proportional
// rule asked for at one moment, before the bounds, the scale limit and stabilization. It
// is what the Kubernetes HPA remembers for its stabilization windows (the "prenormalized"
// desired replicas of pkg/controller/podautoscaler/horizontal.go), and what the workflow
// keeps in the service's state item for the same purpose (History.Recommendations).
type Recommendation struct {
	At    time.Time `json:"at" dynamodbav:"at"`
	Tasks int       `json:"tasks" dynamodbav:"tasks"`
}

// MaxRecommendations bounds how many recommendations a state item keeps, whatever the
// window: one execution a minute over the longest window the configuration should allow
// (an hour) is 60, and the bound keeps the item far below DynamoDB's 400 KB.
const MaxRecommendations = 120

// KeepRecommendations is what the record step writes back to the state item after a
// decision that made a recommendation: the kept ones still inside window of r.At, then r,
// oldest first, at most MaxRecommendations. It returns a new slice.
func KeepRecommendations(kept []Recommendation, r Recommendation, window time.Duration) []Recommendation {
	cutoff := r.At.Add(-window)
	out := make([]Recommendation, 0, len(kept)+1)
	for _, k := range kept {
		if k.At.After(cutoff) && !k.At.After(r.At) {
			out = append(out, k)
		}
	}
	out = append(out, r)
	slices.SortStableFunc(out, func(a, b Recommendation) int { return a.At.Compare(b.At) })
	if n := len(out) - MaxRecommendations; n > 0 {
		out = out[n:]
	}
	return out
}

// highestSince is the highest of floor and the recommendations made after cutoff. The
// HPA's scale-down stabilization ("the highest recommendation within the window",
// stabilizeRecommendationWithBehaviors in horizontal.go) keeps those whose timestamp is
// After(cutoff), so one exactly a window old no longer counts.
func highestSince(recs []Recommendation, cutoff time.Time, floor int) (int, bool) {
	high, raised := floor, false
	for _, r := range recs {
		if r.At.After(cutoff) && r.Tasks > high {
			high, raised = r.Tasks, true
		}
	}
	return high, raised
}

// TimedValue is one datapoint of a metric: the value of the period that ends at At.
type TimedValue struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}

// Slope is the metric's rate of change, in its units per second, fitted by least squares
// through the points (ordinary least squares: Σ(t−t̄)(v−v̄) / Σ(t−t̄)²). The read step
// computes it from the alarm's datapoints over its evaluation periods, and a policy with
// ScaleOutLeadSeconds uses it to size for the metric it expects once new tasks serve.
// ok is false with fewer than two distinct times or a value that is not finite.
func Slope(points []TimedValue) (perSecond float64, ok bool) {
	if len(points) < 2 {
		return 0, false
	}
	origin := points[0].At
	var st, sv float64
	for _, p := range points {
		if !finite(p.Value) {
			return 0, false
		}
		st += p.At.Sub(origin).Seconds()
		sv += p.Value
	}
	n := float64(len(points))
	tMean, vMean := st/n, sv/n
	var num, den float64
	for _, p := range points {
		dt := p.At.Sub(origin).Seconds() - tMean
		num += dt * (p.Value - vMean)
		den += dt * dt
	}
	if den == 0 {
		return 0, false
	}
	s := num / den
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, false
	}
	return s, true
}
