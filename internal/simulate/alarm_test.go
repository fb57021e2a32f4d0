package simulate

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The evaluation rule's tables (the CloudWatch User Guide's missing-data examples, M out
// of N, the comparison operators) are tested where the rule lives, in package alarmeval.
// These tests cover what the simulator adds: the schedule, the notifications and the
// breach a policy reads.

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

// TestAlarmBreachAveragesEvaluationPeriods drives a 3-period alarm with a demand that
// steps 4, 8, 12 per minute on one task: after the third minute the breach a step policy
// reads is the mean of the three newest periods, (4 + 8 + 12) / 3 = 8, and the newest
// datapoint is 12.
func TestAlarmBreachAveragesEvaluationPeriods(t *testing.T) {
	probe := &breachProbe{spec: AlarmSpec{Name: "high", Threshold: 1, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 3}}
	mustRun(t, minuteTrace(seg{1, 4}, seg{1, 8}, seg{2, 12}), Setup{TaskCapacity: 100, Min: 1, Max: 1, InitialTasks: 1}, probe)
	if !probe.seen || probe.breach != 8 || probe.newest != 12 {
		t.Errorf("at 3m: breach %v, newest %v (seen %v); want 8 and 12", probe.breach, probe.newest, probe.seen)
	}
}

// breachProbe is a controller that never scales and records its alarm's breach at 3m.
type breachProbe struct {
	spec           AlarmSpec
	alarm          *Alarm
	seen           bool
	breach, newest float64
}

func (p *breachProbe) Name() string { return "probe" }
func (p *breachProbe) Start(s *Sim) (Controller, error) {
	var err error
	p.alarm, err = s.AddAlarm(p.spec)
	return p, err
}
func (p *breachProbe) Step(s *Sim) {
	if s.Now().Sub(s.Start()) != 3*time.Minute || !p.alarm.Evaluated() {
		return
	}
	b, okB := p.alarm.Breach("")
	n, okN := p.alarm.Newest()
	p.seen, p.breach, p.newest = okB && okN, b, n
}
