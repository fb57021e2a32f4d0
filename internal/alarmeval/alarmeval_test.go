package alarmeval

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// points reads the guide's notation, oldest first: X breaching, 0 not breaching, - missing
// (against a threshold of 50 and GreaterThanThreshold).
func points(s string) []Datapoint {
	var dps []Datapoint
	for _, f := range strings.Fields(s) {
		switch f {
		case "X":
			dps = append(dps, Datapoint{Value: 60})
		case "0":
			dps = append(dps, Datapoint{Value: 40})
		default:
			dps = append(dps, Datapoint{Missing: true})
		}
	}
	return dps
}

func spec(n, m int, missing string) Spec {
	return Spec{Threshold: 50, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: n, DatapointsToAlarm: m, TreatMissingData: missing}
}

// TestEvaluateGuideTables reproduces, row by row, the two tables of "How alarm state is
// evaluated when data is missing" (Amazon CloudWatch User Guide): 3 of 3 and 2 of 3, an
// evaluation range of 5, each TreatMissingData. "retain" is the current state.
func TestEvaluateGuideTables(t *testing.T) {
	const retain = State("retain")
	tests := []struct {
		m      int
		points string
		want   [4]State // missing, ignore, breaching, notBreaching
	}{
		{3, "0 - X - X", [4]State{OK, OK, OK, OK}},
		{3, "0 - - - -", [4]State{OK, OK, OK, OK}},
		{3, "- - - - -", [4]State{InsufficientData, retain, Alarm, OK}},
		{3, "0 X X - X", [4]State{Alarm, Alarm, Alarm, Alarm}},
		{3, "- - X - -", [4]State{Alarm, retain, Alarm, OK}},
		{2, "0 - X - X", [4]State{Alarm, Alarm, Alarm, Alarm}},
		{2, "0 0 X 0 X", [4]State{Alarm, Alarm, Alarm, Alarm}},
		{2, "0 - X - -", [4]State{OK, OK, Alarm, OK}},
		{2, "- - - - 0", [4]State{OK, OK, Alarm, OK}},
		{2, "- - - X -", [4]State{Alarm, retain, Alarm, OK}},
		// The guide's prose: "- - - - X" and "- - - X -" do not alarm a 3 of 3 alarm yet,
		// lest the next datapoint be fine.
		{3, "- - - - X", [4]State{OK, OK, Alarm, OK}},
		{3, "- - - X -", [4]State{OK, OK, Alarm, OK}},
	}
	modes := [4]string{Missing, Ignore, Breaching, NotBreaching}
	for _, tt := range tests {
		for i, mode := range modes {
			for _, current := range []State{OK, Alarm, InsufficientData} {
				name := fmt.Sprintf("%d of 3 %s %s from %s", tt.m, tt.points, mode, current)
				t.Run(name, func(t *testing.T) {
					want := tt.want[i]
					if want == retain {
						want = current
					}
					if got := Evaluate(spec(3, tt.m, mode), points(tt.points), current); got != want {
						t.Errorf("Evaluate = %s, want %s", got, want)
					}
				})
			}
		}
	}
}

func TestEvaluateMofN(t *testing.T) {
	tests := []struct {
		n, m   int
		points string
		want   State
	}{
		{1, 1, "0 0 X", Alarm},
		{1, 1, "X X 0", OK},
		{3, 2, "0 0 X 0 X", Alarm},
		{3, 2, "X X 0 0 X", OK},
		{5, 3, "X 0 X 0 X 0 0", OK},    // the 5 most recent hold 2
		{5, 3, "0 0 X 0 X 0 X", Alarm}, // and here 3
		{3, 3, "X X X - 0", OK},        // the 3 most recent real ones: X X 0
		{3, 3, "0 X X - X", Alarm},     // X X X, across the gap
		{15, 15, strings.Repeat("X ", 16) + "0", OK},
		{15, 15, strings.Repeat("X ", 17), Alarm},
		{3, 0, "X X X X X", Alarm}, // DatapointsToAlarm 0 means N
		{3, 0, "X X X X 0", OK},
	}
	for _, tt := range tests {
		if got := Evaluate(spec(tt.n, tt.m, Missing), points(tt.points), OK); got != tt.want {
			t.Errorf("%d of %d over %q = %s, want %s", tt.m, tt.n, tt.points, got, tt.want)
		}
	}
}

func TestEmptyTreatMissingDataIsMissing(t *testing.T) {
	if got := Evaluate(spec(3, 3, ""), points("- - - - -"), OK); got != InsufficientData {
		t.Errorf("no data, TreatMissingData unset: %s, want INSUFFICIENT_DATA", got)
	}
}

func TestComparisonOperators(t *testing.T) {
	tests := []struct {
		op    string
		value float64
		want  bool
	}{
		{GreaterThanOrEqualToThreshold, 50, true},
		{GreaterThanOrEqualToThreshold, 49.9, false},
		{GreaterThanThreshold, 50, false},
		{GreaterThanThreshold, 50.1, true},
		{LessThanThreshold, 50, false},
		{LessThanThreshold, 49.9, true},
		{LessThanOrEqualToThreshold, 50, true},
		{LessThanOrEqualToThreshold, 50.1, false},
		{"GreaterThanUpperThreshold", 1e9, false}, // anomaly bands are not static thresholds
	}
	for _, tt := range tests {
		if got := (Spec{Threshold: 50, ComparisonOperator: tt.op}).Breaches(tt.value); got != tt.want {
			t.Errorf("%s: %v breaches = %v, want %v", tt.op, tt.value, got, tt.want)
		}
	}
}

// TestExplainEvidence checks which periods an evaluation rests on, worked out from the
// rule: the N newest real ones when there are enough, else the real ones plus the missing
// ones TreatMissingData fills (the newest first), or all N unknown ones.
func TestExplainEvidence(t *testing.T) {
	tests := []struct {
		name      string
		spec      Spec
		points    string
		state     State
		evaluated []int
		filled    int
	}{
		{"enough real, gap skipped", spec(3, 3, Missing), "0 X X - X", Alarm, []int{4, 2, 1}, 0},
		{"breaching fills the newest gaps", spec(3, 2, Breaching), "0 - - X -", Alarm, []int{4, 3, 0}, 1},
		{"notBreaching fills", spec(2, 2, NotBreaching), "- - - X -", OK, []int{4, 3}, 1},
		{"all unknown", spec(3, 3, Missing), "- - - - -", InsufficientData, []int{4, 3, 2}, 0},
		{"no data, breaching", spec(2, 2, Breaching), "- - - - -", Alarm, []int{4, 3}, 2},
		{"premature alarm", spec(3, 3, Missing), "- - X - -", Alarm, []int{2}, 0},
		{"few real, OK", spec(3, 3, Missing), "0 - - - -", OK, []int{0}, 0},
	}
	for _, tt := range tests {
		got := Explain(tt.spec, points(tt.points), OK)
		if got.State != tt.state || !slices.Equal(got.Evaluated, tt.evaluated) || got.Filled != tt.filled {
			t.Errorf("%s: %+v, want state %s evaluated %v filled %d", tt.name, got, tt.state, tt.evaluated, tt.filled)
		}
	}
}

func TestAggregate(t *testing.T) {
	dps := []Datapoint{{Value: 100}, {Value: 10}, {Missing: true}, {Value: 30}, {Value: 20}}
	tests := []struct {
		n           int
		aggregation string
		want        float64
		ok          bool
	}{
		{3, "", 25, true}, // 30 and 20; the missing period does not count
		{3, AggregateAverage, 25, true},
		{3, AggregateMinimum, 20, true},
		{3, AggregateMaximum, 30, true},
		{4, AggregateAverage, 20, true}, // 10, 30, 20
		{5, AggregateMaximum, 100, true},
		{9, AggregateMinimum, 10, true}, // n beyond the range takes all of it
		{1, AggregateAverage, 20, true},
		{0, AggregateAverage, 0, false},
		{3, "Median", 0, false},
	}
	for _, tt := range tests {
		got, ok := Aggregate(dps, tt.n, tt.aggregation)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Aggregate(n=%d, %q) = %v, %v; want %v, %v", tt.n, tt.aggregation, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := Aggregate([]Datapoint{{Value: 1}, {Missing: true}}, 1, ""); ok {
		t.Error("only a missing period among the newest: want ok false")
	}
	// Two values near the largest float64 sum to +Inf; their average is that value.
	huge := []Datapoint{{Value: 1.7e308}, {Value: 1.7e308}}
	if got, ok := Aggregate(huge, 2, AggregateAverage); !ok || got != 1.7e308 {
		t.Errorf("average of 1.7e308 twice = %v, %v; want 1.7e308", got, ok)
	}
	if got, _ := Aggregate([]Datapoint{{Value: 1.7e308}, {Value: -1.7e308}, {Value: 1.7e308}}, 3, ""); math.IsInf(got, 0) {
		t.Errorf("average of ±1.7e308 = %v, want a finite value", got)
	}
}
