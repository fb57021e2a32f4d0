package cwemu

import (
	"math"
	"slices"
	"strings"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// metricConfig is a metric alarm's configuration: a single metric (ref set) or metric
// math (queries set).
type metricConfig struct {
	ref               metricRef
	statistic         string // Statistic, as given
	extendedStatistic string // ExtendedStatistic, as given
	stat              statistic
	unit              string

	queries []query
	watched string // the id of the query the alarm watches

	period             int // seconds; for metric math, that of the watched query's metrics
	threshold          *float64
	thresholdMetricID  string
	comparisonOperator string
	evaluationPeriods  int
	datapointsToAlarm  *int32
	treatMissingData   *string
	lowSampleCount     *string
}

func (m *metricConfig) math() bool { return m.queries != nil }

// anomaly reports an alarm on an anomaly detection band, which the emulator stores and
// reports but does not evaluate.
func (m *metricConfig) anomaly() bool { return m.thresholdMetricID != "" }

// rule is the configuration as the shared evaluation rule takes it.
func (m *metricConfig) rule() alarmeval.Spec {
	s := alarmeval.Spec{
		ComparisonOperator: m.comparisonOperator,
		EvaluationPeriods:  m.evaluationPeriods,
		TreatMissingData:   m.treatMissing(),
	}
	if m.threshold != nil {
		s.Threshold = *m.threshold
	}
	if m.datapointsToAlarm != nil {
		s.DatapointsToAlarm = int(*m.datapointsToAlarm)
	}
	return s
}

// treatMissing is TreatMissingData, or its default: "If TreatMissingData is omitted, the
// default behavior of missing is used." (PutMetricAlarm).
func (m *metricConfig) treatMissing() string {
	if m.treatMissingData == nil {
		return alarmeval.Missing
	}
	return *m.treatMissingData
}

func (m *metricConfig) m() int {
	if m.datapointsToAlarm == nil {
		return m.evaluationPeriods
	}
	return int(*m.datapointsToAlarm)
}

var (
	staticOperators  = []string{alarmeval.GreaterThanOrEqualToThreshold, alarmeval.GreaterThanThreshold, alarmeval.LessThanThreshold, alarmeval.LessThanOrEqualToThreshold}
	anomalyOperators = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	treatMissingSet  = []string{alarmeval.Breaching, alarmeval.NotBreaching, alarmeval.Ignore, alarmeval.Missing}
)

// putMetricAlarm creates or updates a metric alarm, as the PutMetricAlarm API Reference
// says: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
// "When this operation creates an alarm, the alarm state is immediately set to
// INSUFFICIENT_DATA. ... When you update an existing alarm, its state is left unchanged,
// but the update completely overwrites the previous configuration of the alarm." The
// new alarm is evaluated at the next EvaluateAlarms.
func (e *Emulator) putMetricAlarm(c *call, in *putMetricAlarmInput) (noBody, error) {
	name, err := checkAlarmName(in.AlarmName, "AlarmName")
	if err != nil {
		return noBody{}, err
	}
	cfg, err := metricAlarmConfig(in, e.opts.AccountID)
	if err != nil {
		return noBody{}, err
	}
	a, err := e.putAlarm(c, name, false, alarmSettings{in.AlarmDescription, in.ActionsEnabled,
		in.OKActions, in.AlarmActions, in.InsufficientDataActions})
	if err != nil {
		return noBody{}, err
	}
	a.metric = cfg
	return noBody{}, nil
}

// metricAlarmConfig validates the metric, threshold and evaluation members.
func metricAlarmConfig(in *putMetricAlarmInput, accountID string) (*metricConfig, error) {
	if err := refuseUnmodelled(in); err != nil {
		return nil, err
	}
	cfg := &metricConfig{}
	var err error
	switch single, math := in.MetricName != nil, len(in.Metrics) > 0; {
	case single && math:
		return nil, invalidCombination("If you use the Metrics parameter, you cannot include the Namespace, MetricName, Dimensions, Period, Unit, Statistic, or ExtendedStatistic parameters.")
	case single:
		err = cfg.singleMetric(in)
	case math:
		err = cfg.metricMath(in, accountID)
	default:
		return nil, validationError("For each PutMetricAlarm operation, you must specify either MetricName or a Metrics array.")
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.evaluation(in); err != nil {
		return nil, err
	}
	if err := cfg.comparison(in); err != nil {
		return nil, err
	}
	return cfg, nil
}

// refuseUnmodelled refuses the members of alarm features the emulator does not emulate
// (PromQL criteria, evaluation windows, warm-up, action configuration).
func refuseUnmodelled(in *putMetricAlarmInput) error {
	members := []struct {
		name    string
		present bool
	}{
		{"EvaluationCriteria", len(in.EvaluationCriteria) > 0},
		{"EvaluationInterval", in.EvaluationInterval != nil},
		{"EvaluationWindow", len(in.EvaluationWindow) > 0},
		{"WarmUpConfiguration", len(in.WarmUpConfiguration) > 0},
		{"ActionConfiguration", len(in.ActionConfiguration) > 0},
	}
	for _, m := range members {
		if m.present {
			return unsupported("the PutMetricAlarm parameter %s", m.name)
		}
	}
	return nil
}

func (cfg *metricConfig) singleMetric(in *putMetricAlarmInput) error {
	switch {
	case in.Namespace == nil:
		return missingParameter("Namespace")
	case *in.Namespace == "":
		return lengthAtLeast("", "namespace", 1)
	case len(*in.Namespace) > 255:
		return lengthAtMost(*in.Namespace, "namespace", 255)
	case *in.MetricName == "":
		return lengthAtLeast("", "metricName", 1)
	case len(*in.MetricName) > 255:
		return lengthAtMost(*in.MetricName, "metricName", 255)
	}
	if err := validDimensions(in.Dimensions, "Dimensions"); err != nil {
		return err
	}
	if err := cfg.statistics(in.Statistic, in.ExtendedStatistic); err != nil {
		return err
	}
	if in.Period == nil {
		return missingParameter("Period")
	}
	if !validAlarmPeriod(int(*in.Period)) {
		return validationError("Period must be 10, 20, 30 or a multiple of 60")
	}
	if in.Unit != "" && !slices.Contains(standardUnits, in.Unit) {
		return enumValue(in.Unit, "unit", standardUnits)
	}
	cfg.ref = metricRef{namespace: *in.Namespace, name: *in.MetricName, dims: in.Dimensions}
	cfg.period = int(*in.Period)
	cfg.unit = in.Unit
	return nil
}

// statistics applies "When you call PutMetricAlarm and specify a MetricName, you must
// specify either Statistic or ExtendedStatistic but not both." (PutMetricAlarm).
func (cfg *metricConfig) statistics(stat string, extended *string) error {
	switch {
	case stat != "" && extended != nil:
		return invalidCombination("The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.")
	case stat == "" && extended == nil:
		return errorf("MissingParameter", "One of the parameters Statistic or ExtendedStatistic must be specified.")
	case stat != "":
		if !slices.Contains(basicStatistics, stat) {
			return enumValue(stat, "statistic", basicStatistics)
		}
		cfg.statistic, cfg.stat = stat, statistic{name: stat}
		return nil
	}
	st, ok, supported := parseStatistic(*extended)
	switch {
	case !ok || slices.Contains(basicStatistics, *extended):
		return validationError("The value %s for parameter ExtendedStatistic is not a valid extended statistic.", *extended)
	case !supported:
		return unsupported("the extended statistic %s (percentiles are supported)", *extended)
	}
	cfg.extendedStatistic, cfg.stat = *extended, st
	return nil
}

// validAlarmPeriod: "Valid values are 10, 20, 30, and any multiple of 60."
// (PutMetricAlarm, Period).
func validAlarmPeriod(p int) bool {
	return p == 10 || p == 20 || p == 30 || (p >= 60 && p%60 == 0)
}

// metricMath validates a Metrics array. "One item in the Metrics array is the expression
// that the alarm watches. You designate this expression by setting ReturnData to true
// for this object in the array." (PutMetricAlarm); an anomaly detection alarm also
// returns its band, named by ThresholdMetricId.
func (cfg *metricConfig) metricMath(in *putMetricAlarmInput, accountID string) error {
	if in.Namespace != nil || len(in.Dimensions) > 0 || in.Period != nil || in.Unit != "" || in.Statistic != "" || in.ExtendedStatistic != nil {
		return invalidCombination("If you use the Metrics parameter, you cannot include the Namespace, MetricName, Dimensions, Period, Unit, Statistic, or ExtendedStatistic parameters.")
	}
	band := ""
	if in.ThresholdMetricID != nil {
		band = *in.ThresholdMetricID
	}
	qs, err := parseQueries(in.Metrics, queryOptions{member: "Metrics", accountID: accountID, bandID: band})
	if err != nil {
		return err
	}
	var watched []string
	for _, q := range qs {
		if q.returnData && q.id != band {
			watched = append(watched, q.id)
		}
	}
	if len(watched) != 1 {
		return validationError("Metrics list must contain exactly one metric matching the ReturnData parameter")
	}
	byID := map[string]query{}
	for _, q := range qs {
		byID[q.id] = q
		if q.stat != nil && !validAlarmPeriod(q.stat.period) {
			return validationError("The value %d for parameter Metrics.MetricStat.Period is invalid: an alarm's period must be 10, 20, 30 or a multiple of 60.", q.stat.period)
		}
	}
	p, ok, err := period(byID[watched[0]], byID)
	switch {
	case err != nil:
		return err
	case !ok:
		return unsupported("an alarm on an expression that uses no metric (query %s)", watched[0])
	}
	for _, q := range qs {
		if q.stat != nil && q.stat.period != p {
			return unsupported("an alarm whose metrics have different periods (%ds and %ds)", p, q.stat.period)
		}
	}
	cfg.queries, cfg.watched, cfg.period = qs, watched[0], p
	return nil
}

// evaluation validates EvaluationPeriods, DatapointsToAlarm and TreatMissingData, and
// the documented bound on the evaluation range: "Period multiplied by EvaluationPeriods
// can't be more than 604,800 seconds. For alarms with a period of less than one hour
// (3,600 seconds), the total evaluation period can't be longer than one day (86,400
// seconds)." (PutMetricAlarm, Period).
func (cfg *metricConfig) evaluation(in *putMetricAlarmInput) error {
	if in.EvaluationPeriods == nil {
		return missingParameter("EvaluationPeriods")
	}
	n := *in.EvaluationPeriods
	if n < 1 {
		return valueAtLeast(n, "evaluationPeriods", 1)
	}
	if m := in.DatapointsToAlarm; m != nil {
		if *m < 1 {
			return valueAtLeast(*m, "datapointsToAlarm", 1)
		}
		if *m > n {
			return validationError("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
		}
		cfg.datapointsToAlarm = ptr(*m)
	}
	total := int64(cfg.period) * int64(n)
	switch {
	case cfg.period < 3600 && total > 86400:
		return invalidCombination("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).")
	case total > 604800:
		return invalidCombination("Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800).")
	}
	if t := in.TreatMissingData; t != nil {
		if !slices.Contains(treatMissingSet, *t) {
			return validationError("The value %s for parameter TreatMissingData is invalid: valid values are breaching, notBreaching, ignore and missing.", *t)
		}
		cfg.treatMissingData = ptr(*t)
	}
	if l := in.EvaluateLowSampleCountPercentile; l != nil && *l != "" {
		if *l != "evaluate" && *l != "ignore" {
			return validationError("The value %s for parameter EvaluateLowSampleCountPercentile is invalid: valid values are evaluate and ignore.", *l)
		}
		cfg.lowSampleCount = ptr(*l)
	}
	cfg.evaluationPeriods = int(n)
	return nil
}

// comparison validates the operator against the threshold kind: a static threshold for
// the four static operators, an anomaly detection band (ThresholdMetricId) for the
// three band operators, "used only for alarms based on anomaly detection models"
// (PutMetricAlarm, ComparisonOperator).
func (cfg *metricConfig) comparison(in *putMetricAlarmInput) error {
	op := in.ComparisonOperator
	switch {
	case op == "":
		return missingParameter("ComparisonOperator")
	case !slices.Contains(staticOperators, op) && !slices.Contains(anomalyOperators, op):
		return enumValue(op, "comparisonOperator", append(slices.Clone(staticOperators), anomalyOperators...))
	case in.Threshold != nil && in.ThresholdMetricID != nil:
		return invalidCombination("The parameters Threshold and ThresholdMetricId are mutually exclusive and you have specified both.")
	case in.Threshold == nil && in.ThresholdMetricID == nil:
		return errorf("MissingParameter", "One of the parameters Threshold or ThresholdMetricId must be specified.")
	}
	cfg.comparisonOperator = op
	if in.Threshold != nil {
		if math.IsNaN(*in.Threshold) || math.IsInf(*in.Threshold, 0) {
			return invalidValue("The value %v for parameter Threshold is invalid.", *in.Threshold)
		}
		if !slices.Contains(staticOperators, op) {
			return invalidCombination("The comparison operator %s is for alarms on anomaly detection bands, which compare with ThresholdMetricId, not Threshold.", op)
		}
		cfg.threshold = ptr(*in.Threshold)
		return nil
	}
	if !slices.Contains(anomalyOperators, op) {
		return invalidCombination("The comparison operator %s needs a Threshold; ThresholdMetricId is for the anomaly detection operators.", op)
	}
	band := *in.ThresholdMetricID
	i := slices.IndexFunc(cfg.queries, func(q query) bool { return q.id == band })
	if i < 0 {
		return validationError("ThresholdMetricId %s does not match the Id of a query in the Metrics array.", band)
	}
	if !strings.HasPrefix(strings.TrimSpace(cfg.queries[i].wire.Expression), "ANOMALY_DETECTION_BAND(") {
		return validationError("ThresholdMetricId %s must be the Id of an ANOMALY_DETECTION_BAND expression.", band)
	}
	cfg.thresholdMetricID = band
	return nil
}

func ptr[T any](v T) *T { return &v }
