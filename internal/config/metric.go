package config

import (
	"fmt"
	"regexp"
	"slices"
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

	PeriodSeconds      int     `json:"periodSeconds"`
	Threshold          float64 `json:"threshold"`
	ComparisonOperator string  `json:"comparisonOperator"`
	EvaluationPeriods  int     `json:"evaluationPeriods"`
	DatapointsToAlarm  int     `json:"datapointsToAlarm,omitempty"`
	TreatMissingData   string  `json:"treatMissingData,omitempty"`
}

// MetricQuery is one metric a math expression refers to by ID.
type MetricQuery struct {
	ID         string            `json:"id"`
	Namespace  string            `json:"namespace"`
	MetricName string            `json:"metricName"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Statistic  string            `json:"statistic"`
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

func (v *validator) metric(at string, m Metric) {
	single := m.MetricName != "" || m.Namespace != ""
	math := m.Expression != "" || len(m.Metrics) > 0
	switch {
	case single && math:
		v.addf(at, "give either namespace/metricName/statistic or expression/metrics, not both")
	case single:
		v.metricID(at, m.Namespace, m.MetricName, m.Statistic)
	case math:
		if m.Expression == "" {
			v.addf(at+".expression", "required with metrics")
		}
		if len(m.Metrics) == 0 {
			v.addf(at+".metrics", "required with expression")
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
			v.metricID(qat, q.Namespace, q.MetricName, q.Statistic)
		}
	default:
		v.addf(at, "give namespace/metricName/statistic for one metric, or expression/metrics for metric math")
	}
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
	if m.DatapointsToAlarm < 0 || m.DatapointsToAlarm > m.EvaluationPeriods {
		v.addf(at+".datapointsToAlarm", "must be between 1 and evaluationPeriods (%d), got %d", m.EvaluationPeriods, m.DatapointsToAlarm)
	}
	if m.TreatMissingData != "" && !slices.Contains(treatMissing, m.TreatMissingData) {
		v.addf(at+".treatMissingData", "must be one of %v, got %q", treatMissing, m.TreatMissingData)
	}
}

func (v *validator) metricID(at, namespace, name, stat string) {
	if namespace == "" || len(namespace) > 255 {
		v.addf(at+".namespace", "required (1-255 characters)")
	}
	if name == "" || len(name) > 255 {
		v.addf(at+".metricName", "required (1-255 characters)")
	}
	if !slices.Contains(statistics, stat) && !percentile.MatchString(stat) {
		v.addf(at+".statistic", "must be one of %v or a percentile like p90, got %q", statistics, stat)
	}
}
