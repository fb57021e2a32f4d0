package cwemu

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// The notification CloudWatch publishes to an alarm's SNS actions: a JSON message with
// the alarm's identity, the transition, and either the metric alarm's Trigger (one
// metric, or Trigger.Metrics for metric math) or the composite alarm's AlarmRule and
// TriggeringChildren. The members and their order are those of the captured
// notifications in internal/alarm/testdata, which package alarm parses.

type notification struct {
	AlarmName                          string               `json:"AlarmName"`
	AlarmDescription                   *string              `json:"AlarmDescription"`
	AWSAccountID                       string               `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp string               `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      string               `json:"NewStateValue"`
	NewStateReason                     string               `json:"NewStateReason"`
	StateChangeTime                    string               `json:"StateChangeTime"`
	Region                             string               `json:"Region"`
	AlarmArn                           string               `json:"AlarmArn"`
	OldStateValue                      string               `json:"OldStateValue"`
	OKActions                          []string             `json:"OKActions"`
	AlarmActions                       []string             `json:"AlarmActions"`
	InsufficientDataActions            []string             `json:"InsufficientDataActions"`
	Trigger                            any                  `json:"Trigger,omitempty"`
	AlarmRule                          string               `json:"AlarmRule,omitempty"`
	TriggeringChildren                 *[]notificationChild `json:"TriggeringChildren,omitempty"`
}

type metricTrigger struct {
	MetricName                       string                  `json:"MetricName"`
	Namespace                        string                  `json:"Namespace"`
	StatisticType                    string                  `json:"StatisticType"`
	Statistic                        string                  `json:"Statistic,omitempty"`
	ExtendedStatistic                string                  `json:"ExtendedStatistic,omitempty"`
	Unit                             *string                 `json:"Unit"`
	Dimensions                       []notificationDimension `json:"Dimensions"`
	Period                           int                     `json:"Period"`
	EvaluationPeriods                int                     `json:"EvaluationPeriods"`
	DatapointsToAlarm                int                     `json:"DatapointsToAlarm"`
	ComparisonOperator               string                  `json:"ComparisonOperator"`
	Threshold                        javaNumber              `json:"Threshold"`
	TreatMissingData                 string                  `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string                  `json:"EvaluateLowSampleCountPercentile"`
}

type mathTrigger struct {
	Period                           int                 `json:"Period"`
	EvaluationPeriods                int                 `json:"EvaluationPeriods"`
	DatapointsToAlarm                int                 `json:"DatapointsToAlarm"`
	ComparisonOperator               string              `json:"ComparisonOperator"`
	Threshold                        *javaNumber         `json:"Threshold,omitempty"`
	ThresholdMetricID                string              `json:"ThresholdMetricId,omitempty"`
	TreatMissingData                 string              `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string              `json:"EvaluateLowSampleCountPercentile"`
	Metrics                          []notificationQuery `json:"Metrics"`
}

// notificationDimension is written value first, as CloudWatch does.
type notificationDimension struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

// notificationQuery and the types below keep CloudWatch's alphabetical member order.
type notificationQuery struct {
	Expression string                  `json:"Expression,omitempty"`
	ID         string                  `json:"Id"`
	Label      string                  `json:"Label,omitempty"`
	MetricStat *notificationMetricStat `json:"MetricStat,omitempty"`
	Period     *int32                  `json:"Period,omitempty"`
	ReturnData bool                    `json:"ReturnData"`
}

type notificationMetricStat struct {
	Metric notificationMetric `json:"Metric"`
	Period int32              `json:"Period"`
	Stat   string             `json:"Stat"`
	Unit   string             `json:"Unit,omitempty"`
}

type notificationMetric struct {
	Dimensions []notificationDimension `json:"Dimensions"`
	MetricName string                  `json:"MetricName"`
	Namespace  string                  `json:"Namespace"`
}

type notificationChild struct {
	Arn   string                 `json:"Arn"`
	State notificationChildState `json:"State"`
}

type notificationChildState struct {
	Value     string `json:"Value"`
	Timestamp string `json:"Timestamp"`
}

// notifications are the deliveries a's entry into its current state (from old) owes:
// one per SNS topic in the matching action list. Other actions (Auto Scaling, Lambda,
// EC2, Systems Manager) are not emulated and are skipped.
func (e *Emulator) notifications(a *alarm, old alarmeval.State) []delivery {
	var topics []string
	for _, arn := range a.actions.forState(a.state) {
		if isSNSTopic(arn) {
			topics = append(topics, arn)
		}
	}
	if len(topics) == 0 {
		return nil
	}
	message := e.message(a, old)
	subject := subject(a.state, a.name, regionName(e.opts.Region))
	out := make([]delivery, 0, len(topics))
	for _, topic := range topics {
		out = append(out, delivery{alarm: a.name, topic: topic, subject: subject, message: message})
	}
	return out
}

func isSNSTopic(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "sns"
}

// subject is the notification's subject, as CloudWatch writes it:
// ALARM: "web-api-cpu-high" in US East (N. Virginia). SNS caps subjects at 100
// characters; the emulator cuts longer ones there.
func subject(state alarmeval.State, name, region string) string {
	s := string(state) + `: "` + name + `" in ` + region
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100])
	}
	return s
}

// message is the notification's JSON for a's transition from old.
func (e *Emulator) message(a *alarm, old alarmeval.State) string {
	n := notification{
		AlarmName:                          a.name,
		AlarmDescription:                   a.description,
		AWSAccountID:                       e.opts.AccountID,
		AlarmConfigurationUpdatedTimestamp: jsonTime(a.configUpdated),
		NewStateValue:                      string(a.state),
		NewStateReason:                     a.reason,
		StateChangeTime:                    jsonTime(a.stateUpdated),
		Region:                             regionName(e.opts.Region),
		AlarmArn:                           a.arn,
		OldStateValue:                      string(old),
		OKActions:                          clone(a.actions.ok),
		AlarmActions:                       clone(a.actions.alarm),
		InsufficientDataActions:            clone(a.actions.insufficientData),
	}
	switch {
	case a.metric != nil && a.metric.math():
		n.Trigger = mathTriggerOf(a.metric)
	case a.metric != nil:
		n.Trigger = metricTriggerOf(a.metric)
	default:
		n.AlarmRule = a.composite.ruleText
		children := e.notificationChildren(a)
		n.TriggeringChildren = &children
	}
	return marshalJSON(n)
}

func metricTriggerOf(m *metricConfig) metricTrigger {
	t := metricTrigger{
		MetricName:                       m.ref.name,
		Namespace:                        m.ref.namespace,
		StatisticType:                    "Statistic",
		Statistic:                        upperSnake(m.statistic),
		Dimensions:                       notificationDimensions(m.ref.dims),
		Period:                           m.period,
		EvaluationPeriods:                m.evaluationPeriods,
		DatapointsToAlarm:                m.m(),
		ComparisonOperator:               m.comparisonOperator,
		Threshold:                        javaNumber(*m.threshold), // single-metric alarms always have one
		TreatMissingData:                 m.treatMissing(),
		EvaluateLowSampleCountPercentile: deref(m.lowSampleCount),
	}
	if m.extendedStatistic != "" {
		t.StatisticType, t.Statistic, t.ExtendedStatistic = "ExtendedStatistic", "", m.extendedStatistic
	}
	if m.unit != "" {
		t.Unit = ptr(m.unit)
	}
	return t
}

func mathTriggerOf(m *metricConfig) mathTrigger {
	t := mathTrigger{
		Period:                           m.period,
		EvaluationPeriods:                m.evaluationPeriods,
		DatapointsToAlarm:                m.m(),
		ComparisonOperator:               m.comparisonOperator,
		ThresholdMetricID:                m.thresholdMetricID,
		TreatMissingData:                 m.treatMissing(),
		EvaluateLowSampleCountPercentile: deref(m.lowSampleCount),
	}
	if m.threshold != nil {
		t.Threshold = ptr(javaNumber(*m.threshold))
	}
	for _, q := range m.queries {
		nq := notificationQuery{Expression: q.wire.Expression, ID: q.id, Label: q.wire.Label, Period: q.wire.Period, ReturnData: q.returnData}
		if s := q.stat; s != nil {
			nq.MetricStat = &notificationMetricStat{
				Metric: notificationMetric{Dimensions: notificationDimensions(s.metric.dims), MetricName: s.metric.name, Namespace: s.metric.namespace},
				Period: int32(s.period),
				Stat:   s.stat.name,
				Unit:   s.unit,
			}
		}
		t.Metrics = append(t.Metrics, nq)
	}
	return t
}

func notificationDimensions(dims []wireDimension) []notificationDimension {
	out := []notificationDimension{}
	for _, d := range dims {
		out = append(out, notificationDimension{Value: d.Value, Name: d.Name})
	}
	return out
}

// notificationChildren are the composite's triggering children, as recorded in its
// StateReasonData when it entered its state.
func (e *Emulator) notificationChildren(a *alarm) []notificationChild {
	var doc struct {
		TriggeringAlarms []struct {
			Arn   string `json:"arn"`
			State struct {
				Value     string `json:"value"`
				Timestamp string `json:"timestamp"`
			} `json:"state"`
		} `json:"triggeringAlarms"`
	}
	out := []notificationChild{}
	if json.Unmarshal([]byte(a.reasonData), &doc) != nil { // set by SetAlarmState to other JSON
		return out
	}
	for _, t := range doc.TriggeringAlarms {
		out = append(out, notificationChild{Arn: t.Arn, State: notificationChildState{Value: t.State.Value, Timestamp: t.State.Timestamp}})
	}
	return out
}

// upperSnake writes a statistic as notifications do: "SampleCount" → "SAMPLE_COUNT".
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// marshalJSON encodes v without escaping <, > and &, as CloudWatch's JSON does not.
func marshalJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the emulator's own types: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}
