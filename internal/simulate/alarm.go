package simulate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
)

// AlarmState is a CloudWatch metric alarm's state.
type AlarmState string

const (
	StateOK               AlarmState = "OK"
	StateAlarm            AlarmState = "ALARM"
	StateInsufficientData AlarmState = "INSUFFICIENT_DATA"
)

// CloudWatch's comparison operators for static thresholds.
const (
	GreaterThanOrEqualToThreshold = "GreaterThanOrEqualToThreshold"
	GreaterThanThreshold          = "GreaterThanThreshold"
	LessThanThreshold             = "LessThanThreshold"
	LessThanOrEqualToThreshold    = "LessThanOrEqualToThreshold"
)

// TreatMissingData values, as PutMetricAlarm spells them.
const (
	MissingAsMissing      = "missing"
	MissingAsNotBreaching = "notBreaching"
	MissingAsBreaching    = "breaching"
	MissingIgnored        = "ignore"
)

// AlarmSpec is the part of a CloudWatch metric alarm that decides its state. Its metric is
// always the simulated one: requests per second per serving task, averaged over Period
// (see the package documentation), so Threshold is in those units.
type AlarmSpec struct {
	Name               string        `json:"name"`
	Threshold          float64       `json:"threshold"`
	ComparisonOperator string        `json:"comparisonOperator"`
	EvaluationPeriods  int           `json:"evaluationPeriods"`
	DatapointsToAlarm  int           `json:"datapointsToAlarm,omitempty"` // 0: EvaluationPeriods
	Period             time.Duration `json:"period,omitempty"`            // 0: Setup.AlarmPeriod
	TreatMissingData   string        `json:"treatMissingData,omitempty"`  // "": Setup.TreatMissingData
}

// AlarmSpecFromMetric reads the alarm definition of a configuration entry's metric block.
// The threshold is taken as it is: it must be in the simulated metric's units.
func AlarmSpecFromMetric(name string, m config.Metric) AlarmSpec {
	return AlarmSpec{
		Name:               name,
		Threshold:          m.Threshold,
		ComparisonOperator: m.ComparisonOperator,
		EvaluationPeriods:  m.EvaluationPeriods,
		DatapointsToAlarm:  m.DatapointsToAlarm,
		Period:             time.Duration(m.PeriodSeconds) * time.Second,
		TreatMissingData:   m.TreatMissingData,
	}
}

// withDefaults fills the fields left to the setup and checks the rest the way
// PutMetricAlarm would.
func (s AlarmSpec) withDefaults(setup Setup) (AlarmSpec, error) {
	if s.Period == 0 {
		s.Period = setup.AlarmPeriod
	}
	if s.TreatMissingData == "" {
		s.TreatMissingData = setup.TreatMissingData
	}
	if s.DatapointsToAlarm == 0 {
		s.DatapointsToAlarm = s.EvaluationPeriods
	}
	bad := func(format string, args ...any) (AlarmSpec, error) {
		return s, fmt.Errorf("alarm %s: %s", s.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !slices.Contains([]string{GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold}, s.ComparisonOperator):
		return bad("comparison operator %q is not a static-threshold operator", s.ComparisonOperator)
	case math.IsNaN(s.Threshold) || math.IsInf(s.Threshold, 0):
		return bad("threshold must be finite")
	case s.EvaluationPeriods < 1:
		return bad("evaluation periods must be at least 1, got %d", s.EvaluationPeriods)
	case s.DatapointsToAlarm < 1 || s.DatapointsToAlarm > s.EvaluationPeriods:
		return bad("datapoints to alarm must be between 1 and %d, got %d", s.EvaluationPeriods, s.DatapointsToAlarm)
	case !validPeriod(s.Period):
		return bad("period must be 10s, 20s, 30s or a multiple of 60s, got %s", s.Period)
	case !validTreatMissingData(s.TreatMissingData):
		return bad("treat missing data %q is not one of missing, notBreaching, breaching, ignore", s.TreatMissingData)
	}
	return s, nil
}

func validPeriod(p time.Duration) bool {
	return p == 10*time.Second || p == 20*time.Second || p == 30*time.Second || (p >= time.Minute && p%time.Minute == 0)
}

func validTreatMissingData(s string) bool {
	return slices.Contains([]string{MissingAsMissing, MissingAsNotBreaching, MissingAsBreaching, MissingIgnored}, s)
}

// evaluationInterval is how often CloudWatch evaluates the alarm: every minute for
// periods of a minute or more (over windows sliding by a minute), every 10 seconds for
// high-resolution periods ("Alarm evaluation", Amazon CloudWatch User Guide).
func (s AlarmSpec) evaluationInterval() time.Duration {
	if s.Period < time.Minute {
		return 10 * time.Second
	}
	return time.Minute
}

// evaluationRange is how many periods CloudWatch fetches to evaluate the alarm. The guide
// says only that it is more than EvaluationPeriods and depends on the period; its examples
// fetch 5 for 3. N + 2 reproduces them.
func (s AlarmSpec) evaluationRange() int { return s.EvaluationPeriods + 2 }

func (s AlarmSpec) breaches(v float64) bool {
	switch s.ComparisonOperator {
	case GreaterThanOrEqualToThreshold:
		return v >= s.Threshold
	case GreaterThanThreshold:
		return v > s.Threshold
	case LessThanThreshold:
		return v < s.Threshold
	default:
		return v <= s.Threshold
	}
}

// datapoint is one period's aggregate, or its absence.
type datapoint struct {
	value   float64
	missing bool
}

// evaluate is CloudWatch's alarm evaluation over the evaluation range dps (oldest first),
// following "How alarm state is evaluated when data is missing" (Amazon CloudWatch User
// Guide), whose two example tables the tests reproduce row by row:
//   - With at least EvaluationPeriods real datapoints in the range, the most recent
//     EvaluationPeriods of them decide, and TreatMissingData is not consulted.
//   - With none, the alarm goes to INSUFFICIENT_DATA (missing), keeps its state (ignore),
//     or treats them all as breaching or not.
//   - Otherwise every real datapoint counts, and breaching / notBreaching fill only the
//     shortfall ("CloudWatch uses missing data points only as few times as possible").
//     With missing and ignore the real ones decide, except for the guide's "premature
//     alarm state": when the oldest real datapoint breaches, lies within the last
//     EvaluationPeriods and is at least DatapointsToAlarm periods old, and every newer one
//     breaches, the alarm goes to ALARM (missing) or keeps its state (ignore).
func evaluate(s AlarmSpec, dps []datapoint, current AlarmState) AlarmState {
	n, m := s.EvaluationPeriods, s.DatapointsToAlarm
	state := func(alarm bool) AlarmState {
		if alarm {
			return StateAlarm
		}
		return StateOK
	}
	real, breaching := 0, 0
	for _, d := range dps {
		if !d.missing {
			real++
			if s.breaches(d.value) {
				breaching++
			}
		}
	}
	if real >= n {
		seen, recent := 0, 0
		for i := len(dps) - 1; i >= 0 && seen < n; i-- {
			if !dps[i].missing {
				seen++
				if s.breaches(dps[i].value) {
					recent++
				}
			}
		}
		return state(recent >= m)
	}
	switch s.TreatMissingData {
	case MissingAsBreaching:
		return state(breaching+n-real >= m)
	case MissingAsNotBreaching:
		return state(breaching >= m)
	}
	if real == 0 {
		if s.TreatMissingData == MissingIgnored {
			return current
		}
		return StateInsufficientData
	}
	if breaching >= m {
		return StateAlarm
	}
	if premature(s, dps) {
		if s.TreatMissingData == MissingIgnored {
			return current
		}
		return StateAlarm
	}
	return StateOK
}

// premature is the guide's condition for going to ALARM on fewer real datapoints than
// DatapointsToAlarm (see evaluate).
func premature(s AlarmSpec, dps []datapoint) bool {
	oldest := slices.IndexFunc(dps, func(d datapoint) bool { return !d.missing })
	age := len(dps) - oldest // 1 for the newest period
	if oldest < 0 || age > s.EvaluationPeriods || age < s.DatapointsToAlarm {
		return false
	}
	for _, d := range dps[oldest:] {
		if !d.missing && !s.breaches(d.value) {
			return false
		}
	}
	return true
}

// Alarm is one simulated CloudWatch alarm. The engine evaluates it on CloudWatch's
// schedule before the autoscalers step; a controller reads its state and notifications.
type Alarm struct {
	spec        AlarmSpec
	periodTicks int
	everyTicks  int
	state       AlarmState
	evaluated   bool
	changed     bool
	newest      float64
	hasNewest   bool
	dps         []datapoint
}

// Spec is the alarm's definition, with the setup's defaults filled in.
func (a *Alarm) Spec() AlarmSpec { return a.spec }

// State is the alarm's state after the latest evaluation; INSUFFICIENT_DATA before the first.
func (a *Alarm) State() AlarmState { return a.state }

// Evaluated reports whether CloudWatch evaluated the alarm at this tick.
func (a *Alarm) Evaluated() bool { return a.evaluated }

// Notified reports whether the alarm changed state at this tick: the only moments an
// alarm action (an SNS notification) fires.
func (a *Alarm) Notified() bool { return a.changed }

// EnteredAlarm reports a notification of a transition into ALARM at this tick, the one a
// scaler driven by SNS acts on.
func (a *Alarm) EnteredAlarm() bool { return a.changed && a.state == StateAlarm }

// Newest is the newest real datapoint of the latest evaluation: what the notification
// quotes and DescribeAlarms' StateReasonData reports. ok is false when the evaluation
// range held none.
func (a *Alarm) Newest() (value float64, ok bool) { return a.newest, a.hasNewest }

// Breach is the value a step policy sizes its step from: the average of the real
// datapoints in the alarm's evaluation periods (Application Auto Scaling's
// MetricAggregationType, Average by default). ok is false when they hold none.
func (a *Alarm) Breach() (value float64, ok bool) {
	n := min(a.spec.EvaluationPeriods, len(a.dps))
	sum, count := 0.0, 0
	for _, dp := range a.dps[len(a.dps)-n:] {
		if !dp.missing {
			sum, count = sum+dp.value, count+1
		}
	}
	if count == 0 {
		return 0, false
	}
	return sum / float64(count), true
}

// evaluateAt evaluates the alarm over the periods that end at tick k.
func (a *Alarm) evaluateAt(k int, m *series) {
	r := a.spec.evaluationRange()
	a.dps = a.dps[:0]
	for j := r - 1; j >= 0; j-- {
		end := k - j*a.periodTicks
		v, ok := m.average(end-a.periodTicks, end)
		a.dps = append(a.dps, datapoint{value: v, missing: !ok})
	}
	a.hasNewest = false
	for i := len(a.dps) - 1; i >= 0; i-- {
		if !a.dps[i].missing {
			a.newest, a.hasNewest = a.dps[i].value, true
			break
		}
	}
	next := evaluate(a.spec, a.dps, a.state)
	a.evaluated, a.changed = true, next != a.state
	a.state = next
}
