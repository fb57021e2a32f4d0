package simulate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// AlarmState is a CloudWatch metric alarm's state.
type AlarmState string

const (
	StateOK               = AlarmState(alarmeval.OK)
	StateAlarm            = AlarmState(alarmeval.Alarm)
	StateInsufficientData = AlarmState(alarmeval.InsufficientData)
)

// CloudWatch's comparison operators for static thresholds.
const (
	GreaterThanOrEqualToThreshold = alarmeval.GreaterThanOrEqualToThreshold
	GreaterThanThreshold          = alarmeval.GreaterThanThreshold
	LessThanThreshold             = alarmeval.LessThanThreshold
	LessThanOrEqualToThreshold    = alarmeval.LessThanOrEqualToThreshold
)

// TreatMissingData values, as PutMetricAlarm spells them.
const (
	MissingAsMissing      = alarmeval.Missing
	MissingAsNotBreaching = alarmeval.NotBreaching
	MissingAsBreaching    = alarmeval.Breaching
	MissingIgnored        = alarmeval.Ignore
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

// rule is the spec as the shared evaluation rule takes it. The rule itself (M out of N,
// TreatMissingData, the guide's "premature alarm state") lives in package alarmeval, so
// that the backtest, the local CloudWatch emulator and the workflow apply one rule.
func (s AlarmSpec) rule() alarmeval.Spec {
	return alarmeval.Spec{
		Threshold:          s.Threshold,
		ComparisonOperator: s.ComparisonOperator,
		EvaluationPeriods:  s.EvaluationPeriods,
		DatapointsToAlarm:  s.DatapointsToAlarm,
		TreatMissingData:   s.TreatMissingData,
	}
}

// Alarm is one simulated CloudWatch alarm. The engine evaluates it on CloudWatch's
// schedule before the autoscalers step; a controller reads its state and notifications.
type Alarm struct {
	spec        AlarmSpec
	periodTicks int
	everyTicks  int
	delayTicks  int // CloudWatch's metric delay (Setup.MetricDelay)
	state       AlarmState
	evaluated   bool
	changed     bool
	newest      float64
	hasNewest   bool
	dps         []alarmeval.Datapoint
	ends        []int // the tick each datapoint's period ends at
	start       time.Time
	tick        time.Duration
	since       time.Time // when the state last changed: StateUpdatedTimestamp
}

// Spec is the alarm's definition, with the setup's defaults filled in.
func (a *Alarm) Spec() AlarmSpec { return a.spec }

// State is the alarm's state after the latest evaluation; INSUFFICIENT_DATA before the first.
func (a *Alarm) State() AlarmState { return a.state }

// Since is when the alarm entered its state, as DescribeAlarms' StateUpdatedTimestamp;
// the run's start for the initial INSUFFICIENT_DATA.
func (a *Alarm) Since() time.Time { return a.since }

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

// Breach is the value a step policy sizes its step from: the real datapoints in the
// alarm's evaluation periods, combined by aggregation (Application Auto Scaling's
// MetricAggregationType: Average, the default for "", Minimum or Maximum), as the
// workflow's "Read alarms and metrics" step reads the metric. ok is false when they hold
// none.
func (a *Alarm) Breach(aggregation string) (value float64, ok bool) {
	return alarmeval.Aggregate(a.dps, a.spec.EvaluationPeriods, aggregation)
}

// Trend is the slope of the real datapoints in the alarm's evaluation periods, in the
// metric's units per second (scaling.Slope), as the workflow's read step would fit it to
// the datapoints GetMetricData returns; ok is false with fewer than two.
func (a *Alarm) Trend() (perSecond float64, ok bool) {
	n := min(a.spec.EvaluationPeriods, len(a.dps))
	var pts []scaling.TimedValue
	for i := len(a.dps) - n; i < len(a.dps); i++ {
		if !a.dps[i].Missing {
			pts = append(pts, scaling.TimedValue{At: a.start.Add(time.Duration(a.ends[i]) * a.tick), Value: a.dps[i].Value})
		}
	}
	return scaling.Slope(pts)
}

// evaluateAt evaluates the alarm at tick k over the periods that end a metric delay
// earlier: CloudWatch evaluates what has arrived by then.
func (a *Alarm) evaluateAt(k int, m *series) {
	r := a.spec.evaluationRange()
	a.dps, a.ends = a.dps[:0], a.ends[:0]
	for j := r - 1; j >= 0; j-- {
		end := k - a.delayTicks - j*a.periodTicks
		v, ok := m.average(end-a.periodTicks, end)
		a.dps = append(a.dps, alarmeval.Datapoint{Value: v, Missing: !ok})
		a.ends = append(a.ends, end)
	}
	a.hasNewest = false
	for i := len(a.dps) - 1; i >= 0; i-- {
		if !a.dps[i].Missing {
			a.newest, a.hasNewest = a.dps[i].Value, true
			break
		}
	}
	next := AlarmState(alarmeval.Evaluate(a.spec.rule(), a.dps, alarmeval.State(a.state)))
	a.evaluated, a.changed = true, next != a.state
	if a.changed {
		a.since = a.start.Add(time.Duration(k) * a.tick)
	}
	a.state = next
}
