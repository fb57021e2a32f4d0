package simulate

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// points reads the guide's notation, oldest first: X breaching, 0 not breaching, - missing
// (against a threshold of 50 and GreaterThanThreshold).
func points(s string) []datapoint {
	var dps []datapoint
	for _, f := range strings.Fields(s) {
		switch f {
		case "X":
			dps = append(dps, datapoint{value: 60})
		case "0":
			dps = append(dps, datapoint{value: 40})
		default:
			dps = append(dps, datapoint{missing: true})
		}
	}
	return dps
}

// TestEvaluateGuideTables reproduces, row by row, the two tables of "How alarm state is
// evaluated when data is missing" (Amazon CloudWatch User Guide): 3 of 3 and 2 of 3, an
// evaluation range of 5, each TreatMissingData. "retain" is the current state.
func TestEvaluateGuideTables(t *testing.T) {
	const retain = AlarmState("retain")
	tests := []struct {
		m      int
		points string
		want   [4]AlarmState // missing, ignore, breaching, notBreaching
	}{
		{3, "0 - X - X", [4]AlarmState{StateOK, StateOK, StateOK, StateOK}},
		{3, "0 - - - -", [4]AlarmState{StateOK, StateOK, StateOK, StateOK}},
		{3, "- - - - -", [4]AlarmState{StateInsufficientData, retain, StateAlarm, StateOK}},
		{3, "0 X X - X", [4]AlarmState{StateAlarm, StateAlarm, StateAlarm, StateAlarm}},
		{3, "- - X - -", [4]AlarmState{StateAlarm, retain, StateAlarm, StateOK}},
		{2, "0 - X - X", [4]AlarmState{StateAlarm, StateAlarm, StateAlarm, StateAlarm}},
		{2, "0 0 X 0 X", [4]AlarmState{StateAlarm, StateAlarm, StateAlarm, StateAlarm}},
		{2, "0 - X - -", [4]AlarmState{StateOK, StateOK, StateAlarm, StateOK}},
		{2, "- - - - 0", [4]AlarmState{StateOK, StateOK, StateAlarm, StateOK}},
		{2, "- - - X -", [4]AlarmState{StateAlarm, retain, StateAlarm, StateOK}},
		// The guide's prose: "- - - - X" and "- - - X -" do not alarm a 3 of 3 alarm yet,
		// lest the next datapoint be fine.
		{3, "- - - - X", [4]AlarmState{StateOK, StateOK, StateAlarm, StateOK}},
		{3, "- - - X -", [4]AlarmState{StateOK, StateOK, StateAlarm, StateOK}},
	}
	modes := [4]string{MissingAsMissing, MissingIgnored, MissingAsBreaching, MissingAsNotBreaching}
	for _, tt := range tests {
		for i, mode := range modes {
			for _, current := range []AlarmState{StateOK, StateAlarm, StateInsufficientData} {
				name := fmt.Sprintf("%d of 3 %s %s from %s", tt.m, tt.points, mode, current)
				t.Run(name, func(t *testing.T) {
					spec := AlarmSpec{Threshold: 50, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 3,
						DatapointsToAlarm: tt.m, TreatMissingData: mode}
					want := tt.want[i]
					if want == retain {
						want = current
					}
					if got := evaluate(spec, points(tt.points), current); got != want {
						t.Errorf("evaluate = %s, want %s", got, want)
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
		want   AlarmState
	}{
		{1, 1, "0 0 X", StateAlarm},
		{1, 1, "X X 0", StateOK},
		{3, 2, "0 0 X 0 X", StateAlarm},
		{3, 2, "X X 0 0 X", StateOK},
		{5, 3, "X 0 X 0 X 0 0", StateOK},    // the 5 most recent hold 2
		{5, 3, "0 0 X 0 X 0 X", StateAlarm}, // and here 3
		{3, 3, "X X X - 0", StateOK},        // the 3 most recent real ones: X X 0
		{3, 3, "0 X X - X", StateAlarm},     // X X X, across the gap
		{15, 15, strings.Repeat("X ", 16) + "0", StateOK},
		{15, 15, strings.Repeat("X ", 17), StateAlarm},
	}
	for _, tt := range tests {
		spec := AlarmSpec{Threshold: 50, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: tt.n,
			DatapointsToAlarm: tt.m, TreatMissingData: MissingAsMissing}
		if got := evaluate(spec, points(tt.points), StateOK); got != tt.want {
			t.Errorf("%d of %d over %q = %s, want %s", tt.m, tt.n, tt.points, got, tt.want)
		}
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
	}
	for _, tt := range tests {
		if got := (AlarmSpec{Threshold: 50, ComparisonOperator: tt.op}).breaches(tt.value); got != tt.want {
			t.Errorf("%s: %v breaches = %v, want %v", tt.op, tt.value, got, tt.want)
		}
	}
}

// recorder is a controller that never scales and records its alarm's evaluations.
type recorder struct {
	spec          AlarmSpec
	alarm         *Alarm
	evaluations   []time.Duration
	notifications []string
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Start(s *Sim) (Controller, error) {
	var err error
	r.alarm, err = s.AddAlarm(r.spec)
	return r, err
}
func (r *recorder) Step(s *Sim) {
	if r.alarm.Evaluated() {
		r.evaluations = append(r.evaluations, s.Now().Sub(s.Start()))
	}
	if r.alarm.Notified() {
		v, _ := r.alarm.Newest()
		r.notifications = append(r.notifications, fmt.Sprintf("%s %s %g", s.Now().Sub(s.Start()), r.alarm.State(), v))
	}
}

// TestAlarmNotifiesOnlyOnChange drives an alarm through the engine: one task serves, so
// the metric is the demand, and a 1 of 1 alarm follows it minute by minute.
func TestAlarmNotifiesOnlyOnChange(t *testing.T) {
	tr := minuteTrace(seg{1, 1}, seg{3, 10}, seg{2, 1}, seg{2, 10}, seg{1, nan()}, seg{1, 10})
	setup := Setup{TaskCapacity: 100, Min: 1, Max: 1, InitialTasks: 1}
	rec := &recorder{spec: AlarmSpec{Name: "high", Threshold: 5, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}}
	mustRun(t, tr, setup, rec)
	want := []string{"1m0s OK 1", "2m0s ALARM 10", "5m0s OK 1", "7m0s ALARM 10"}
	if strings.Join(rec.notifications, "; ") != strings.Join(want, "; ") {
		t.Errorf("notifications %q, want %q", rec.notifications, want)
	}
	if len(rec.evaluations) != 9 || rec.evaluations[0] != time.Minute || rec.evaluations[8] != 9*time.Minute {
		t.Errorf("evaluated at %v, want every minute from 1m to 9m", rec.evaluations)
	}
}

func TestAlarmEvaluationSchedule(t *testing.T) {
	tests := []struct {
		period time.Duration
		every  time.Duration
	}{
		{10 * time.Second, 10 * time.Second},
		{30 * time.Second, 10 * time.Second},
		{time.Minute, time.Minute},
		{5 * time.Minute, time.Minute}, // sliding windows, evaluated each minute
	}
	for _, tt := range tests {
		rec := &recorder{spec: AlarmSpec{Name: "a", Threshold: 5, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1, Period: tt.period}}
		mustRun(t, minuteTrace(seg{10, 1}), Setup{TaskCapacity: 100, Min: 1, Max: 1}, rec)
		if got := rec.evaluations[1] - rec.evaluations[0]; got != tt.every || rec.evaluations[0] != tt.every {
			t.Errorf("period %s: evaluated at %v..., want every %s", tt.period, rec.evaluations[:2], tt.every)
		}
	}
}

func TestAlarmSpecValidation(t *testing.T) {
	setup, err := (Setup{TaskCapacity: 1, Max: 1}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ok := AlarmSpec{Name: "a", Threshold: 1, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 3}
	tests := []struct {
		name string
		edit func(*AlarmSpec)
		want string
	}{
		{"defaults", func(*AlarmSpec) {}, ""},
		{"operator", func(s *AlarmSpec) { s.ComparisonOperator = "GreaterThanUpperThreshold" }, "not a static-threshold operator"},
		{"periods", func(s *AlarmSpec) { s.EvaluationPeriods = 0 }, "evaluation periods must be at least 1"},
		{"M above N", func(s *AlarmSpec) { s.DatapointsToAlarm = 4 }, "datapoints to alarm must be between 1 and 3"},
		{"period", func(s *AlarmSpec) { s.Period = 90 * time.Second }, "period must be"},
		{"missing data", func(s *AlarmSpec) { s.TreatMissingData = "drop" }, "treat missing data"},
		{"threshold", func(s *AlarmSpec) { s.Threshold = nan() }, "threshold must be finite"},
	}
	for _, tt := range tests {
		spec := ok
		tt.edit(&spec)
		got, err := spec.withDefaults(setup)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
		if tt.want == "" && (got.Period != time.Minute || got.DatapointsToAlarm != 3 || got.TreatMissingData != MissingAsMissing) {
			t.Errorf("defaults: %+v", got)
		}
	}
}
