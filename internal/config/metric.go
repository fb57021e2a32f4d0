package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"unicode/utf8"
)

// Metric describes the CloudWatch alarm the CDK app creates for an Alarm entry: either a
// single metric (Namespace, MetricName, Dimensions, Statistic) or metric math (Expression
// over Metrics). The fields mirror CloudWatch's PutMetricAlarm.
type Metric struct {
	Namespace  string            `json:"namespace,omitempty"`
	MetricName string            `json:"metricName,omitempty"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	// Statistic is SampleCount, Average, Sum, Minimum, Maximum, or a percentile such as p90.
	Statistic string `json:"statistic,omitempty"`

	Expression string        `json:"expression,omitempty"`
	Label      string        `json:"label,omitempty"`
	Metrics    []MetricQuery `json:"metrics,omitempty"`

	PeriodSeconds      int     `json:"periodSeconds" config:"required"`
	Threshold          float64 `json:"threshold" config:"required"`
	ComparisonOperator string  `json:"comparisonOperator" config:"required"`
	EvaluationPeriods  int     `json:"evaluationPeriods" config:"required"`
	DatapointsToAlarm  int     `json:"datapointsToAlarm,omitempty"`
	TreatMissingData   string  `json:"treatMissingData,omitempty"`
}

// MetricQuery is one metric a math expression refers to by ID.
type MetricQuery struct {
	ID         string            `json:"id" config:"required"`
	Namespace  string            `json:"namespace" config:"required"`
	MetricName string            `json:"metricName" config:"required"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Statistic  string            `json:"statistic" config:"required"`
}

var (
	comparisonOperators = []string{
		"GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
		"LessThanThreshold", "LessThanOrEqualToThreshold",
	}
	treatMissing = []string{"breaching", "notBreaching", "ignore", "missing"}
	statistics   = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	percentile   = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)
	metricID     = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)
)

// metric checks the block the CDK app creates an alarm from, with PutMetricAlarm's
// rules (Amazon CloudWatch API Reference).
func (v *validator) metric(at string, m Metric) {
	v.metricIdentity(at, m)
	v.alarmShape(at, m)
}

// metricIdentity checks which metric a block names: one metric or metric math. A field of
// the other form (a statistic beside metric math, a label beside one metric) is refused:
// the app would ignore it.
func (v *validator) metricIdentity(at string, m Metric) {
	given := func(fields ...string) bool {
		return slices.ContainsFunc(fields, func(f string) bool { return v.given[at+"."+f] })
	}
	single := given("namespace", "metricName")
	math := given("expression", "metrics")
	switch {
	case single && math:
		v.addf(at, "give either namespace/metricName/statistic or expression/metrics, not both")
	case single:
		v.metricID(at, m.Namespace, m.MetricName, m.Statistic, m.Dimensions)
		if given("label") {
			v.addf(at+".label", "applies only to metric math (expression/metrics)")
		}
	case math:
		if m.Expression == "" {
			v.addf(at+".expression", "required with metrics")
		}
		if len(m.Metrics) == 0 {
			v.addf(at+".metrics", "required with expression")
		}
		for _, f := range []string{"statistic", "dimensions"} {
			if given(f) {
				v.addf(at+"."+f, "applies only to a single metric: with metric math, give it in each metrics[] entry")
			}
		}
		ids := map[string]bool{}
		for i, q := range m.Metrics {
			qat := fmt.Sprintf("%s.metrics[%d]", at, i)
			if !metricID.MatchString(q.ID) {
				v.addf(qat+".id", "must start with a lowercase letter and hold only letters, digits and underscores, got %q", q.ID)
			}
			if ids[q.ID] {
				v.addf(qat+".id", "duplicate id %q", q.ID)
			}
			ids[q.ID] = true
			v.metricID(qat, q.Namespace, q.MetricName, q.Statistic, q.Dimensions)
		}
	default:
		v.addf(at, "give namespace/metricName/statistic for one metric, or expression/metrics for metric math")
	}
}

// alarmShape checks how the alarm evaluates the metric.
func (v *validator) alarmShape(at string, m Metric) {
	given := func(field string) bool { return v.given[at+"."+field] }
	// CloudWatch accepts 10, 20, 30 (high resolution) or any multiple of 60.
	if p := m.PeriodSeconds; !(p == 10 || p == 20 || p == 30 || (p >= 60 && p%60 == 0 && p <= 86400)) {
		v.addf(at+".periodSeconds", "must be 10, 20, 30 or a multiple of 60 up to 86400, got %d", p)
	}
	if !finite(m.Threshold) {
		v.addf(at+".threshold", "must be a finite number")
	}
	if !slices.Contains(comparisonOperators, m.ComparisonOperator) {
		v.addf(at+".comparisonOperator", "must be one of %v, got %q", comparisonOperators, m.ComparisonOperator)
	}
	if m.EvaluationPeriods < 1 {
		v.addf(at+".evaluationPeriods", "must be at least 1, got %d", m.EvaluationPeriods)
	}
	// Left out, datapointsToAlarm is evaluationPeriods; given, 0 is as wrong as 99.
	if d := m.DatapointsToAlarm; given("datapointsToAlarm") && (d < 1 || d > m.EvaluationPeriods) {
		v.addf(at+".datapointsToAlarm", "must be between 1 and evaluationPeriods (%d), got %d", m.EvaluationPeriods, d)
	}
	if given("treatMissingData") && !slices.Contains(treatMissing, m.TreatMissingData) {
		v.addf(at+".treatMissingData", "must be one of %v, got %q", treatMissing, m.TreatMissingData)
	}
}

// Limits of CloudWatch's Metric and Dimension (Amazon CloudWatch API Reference): a
// namespace and a metric name are 1-255 characters; a metric has up to 30 dimensions,
// each a name of 1-255 characters and a value of 1-1024.
const (
	maxMetricNameLen     = 255
	maxDimensions        = 30
	maxDimensionNameLen  = 255
	maxDimensionValueLen = 1024
)

func (v *validator) metricID(at, namespace, name, stat string, dimensions map[string]string) {
	if n := utf8.RuneCountInString(namespace); n == 0 || n > maxMetricNameLen {
		v.addf(at+".namespace", "required (1-%d characters), got %d characters", maxMetricNameLen, n)
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > maxMetricNameLen {
		v.addf(at+".metricName", "required (1-%d characters), got %d characters", maxMetricNameLen, n)
	}
	if !slices.Contains(statistics, stat) && !percentile.MatchString(stat) {
		v.addf(at+".statistic", "must be one of %v or a percentile like p90, got %q", statistics, stat)
	}
	if len(dimensions) > maxDimensions {
		v.addf(at+".dimensions", "must have at most %d dimensions (CloudWatch's limit), got %d", maxDimensions, len(dimensions))
	}
	for _, k := range slices.Sorted(maps.Keys(dimensions)) {
		if n := utf8.RuneCountInString(k); n == 0 || n > maxDimensionNameLen {
			v.addf(member(at+".dimensions", k), "dimension names must be 1-%d characters, got %d", maxDimensionNameLen, n)
		}
		if n := utf8.RuneCountInString(dimensions[k]); n == 0 || n > maxDimensionValueLen {
			v.addf(member(at+".dimensions", k), "must be 1-%d characters, got %d", maxDimensionValueLen, n)
		}
	}
}
