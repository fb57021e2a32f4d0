package alarm

import (
	"bytes"
	"encoding/json"
	"time"
)

// Marshal renders n in CloudWatch's current notification format, the inverse
// of Parse: Parse(Marshal(n)) gives back n for any n that Parse produced.
// That makes it the way to build realistic notifications for tests and local
// runs.
//
// The derived fields Kind, Region, Datapoints and Threshold are not written;
// Parse re-derives them from Trigger, AlarmARN, RegionName and Reason. Marshal
// does not validate n; Parse its output to check it.
func Marshal(n Notification) ([]byte, error) {
	w := wireMessage{
		AlarmName:       n.AlarmName,
		AWSAccountID:    n.AccountID,
		NewStateValue:   n.NewState,
		NewStateReason:  n.Reason,
		StateChangeTime: formatTime(n.StateChangeTime),
		Region:          n.RegionName,
		AlarmArn:        n.AlarmARN,
		OldStateValue:   n.OldState,
		// CloudWatch writes empty lists as [], not null.
		OKActions:               nonNil(n.OKActions),
		AlarmActions:            nonNil(n.AlarmActions),
		InsufficientDataActions: nonNil(n.InsufficientDataActions),
		AlarmRule:               n.AlarmRule,
	}
	if n.AlarmDescription != "" {
		w.AlarmDescription = &n.AlarmDescription
	}
	if !n.ConfigurationUpdated.IsZero() {
		w.AlarmConfigurationUpdatedTimestamp = formatTime(n.ConfigurationUpdated)
	}
	if t := n.Trigger; t != nil {
		w.Trigger = &wireTrigger{
			MetricName:                       t.MetricName,
			Namespace:                        t.Namespace,
			StatisticType:                    t.StatisticType,
			Statistic:                        t.Statistic,
			ExtendedStatistic:                t.ExtendedStatistic,
			Unit:                             nullable(t.Unit),
			Dimensions:                       wireDims(t.Dimensions),
			Period:                           t.Period,
			EvaluationPeriods:                t.EvaluationPeriods,
			DatapointsToAlarm:                t.DatapointsToAlarm,
			ComparisonOperator:               t.ComparisonOperator,
			Threshold:                        t.Threshold,
			ThresholdMetricID:                t.ThresholdMetricID,
			TreatMissingData:                 t.TreatMissingData,
			EvaluateLowSampleCountPercentile: t.EvaluateLowSampleCountPercentile,
		}
		for _, q := range t.Metrics {
			wq := wireQuery{
				ID:         q.ID,
				Expression: q.Expression,
				Label:      q.Label,
				ReturnData: q.ReturnData,
				Period:     q.Period,
				AccountID:  q.AccountID,
			}
			if ms := q.MetricStat; ms != nil {
				wq.MetricStat = &wireMetricStat{
					Metric: wireMetric{
						Dimensions: wireDims(ms.Metric.Dimensions),
						MetricName: ms.Metric.MetricName,
						Namespace:  ms.Metric.Namespace,
					},
					Period: ms.Period,
					Stat:   ms.Stat,
					Unit:   ms.Unit,
				}
			}
			w.Trigger.Metrics = append(w.Trigger.Metrics, wq)
		}
	}
	for _, c := range n.TriggeringChildren {
		wc := wireChild{Arn: c.ARN, State: wireChildState{Value: c.State}}
		if !c.Timestamp.IsZero() {
			wc.State.Timestamp = formatTime(c.Timestamp)
		}
		w.TriggeringChildren = append(w.TriggeringChildren, wc)
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// CloudWatch does not escape <, > and &; neither do we, so that
	// descriptions and reasons read the same as in a real message.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// formatTime writes CloudWatch's timestamp format, keeping sub-millisecond
// precision when there is any so that Parse(Marshal(n)) is exact.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05.000-0700")
	}
	return t.Format("2006-01-02T15:04:05.000000000-0700")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func wireDims(dims []Dimension) []wireDimension {
	out := make([]wireDimension, 0, len(dims))
	for _, d := range dims {
		out = append(out, wireDimension{Value: d.Value, Name: d.Name})
	}
	return out
}

// The wire types mirror CloudWatch's message layout and field order.
type wireMessage struct {
	AlarmName                          string       `json:"AlarmName"`
	AlarmDescription                   *string      `json:"AlarmDescription"`
	AWSAccountID                       string       `json:"AWSAccountId,omitempty"`
	AlarmConfigurationUpdatedTimestamp string       `json:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	NewStateValue                      State        `json:"NewStateValue"`
	NewStateReason                     string       `json:"NewStateReason"`
	StateChangeTime                    string       `json:"StateChangeTime"`
	Region                             string       `json:"Region,omitempty"`
	AlarmArn                           string       `json:"AlarmArn,omitempty"`
	OldStateValue                      State        `json:"OldStateValue,omitempty"`
	OKActions                          []string     `json:"OKActions"`
	AlarmActions                       []string     `json:"AlarmActions"`
	InsufficientDataActions            []string     `json:"InsufficientDataActions"`
	Trigger                            *wireTrigger `json:"Trigger,omitempty"`
	AlarmRule                          string       `json:"AlarmRule,omitempty"`
	TriggeringChildren                 []wireChild  `json:"TriggeringChildren,omitempty"`
}

type wireTrigger struct {
	MetricName                       string          `json:"MetricName,omitempty"`
	Namespace                        string          `json:"Namespace,omitempty"`
	StatisticType                    string          `json:"StatisticType,omitempty"`
	Statistic                        string          `json:"Statistic,omitempty"`
	ExtendedStatistic                string          `json:"ExtendedStatistic,omitempty"`
	Unit                             *string         `json:"Unit"`
	Dimensions                       []wireDimension `json:"Dimensions"`
	Period                           int64           `json:"Period"`
	EvaluationPeriods                int64           `json:"EvaluationPeriods"`
	DatapointsToAlarm                int64           `json:"DatapointsToAlarm,omitempty"`
	ComparisonOperator               string          `json:"ComparisonOperator"`
	Threshold                        *float64        `json:"Threshold,omitempty"`
	ThresholdMetricID                string          `json:"ThresholdMetricId,omitempty"`
	TreatMissingData                 string          `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string          `json:"EvaluateLowSampleCountPercentile"`
	Metrics                          []wireQuery     `json:"Metrics,omitempty"`
}

type wireDimension struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

type wireQuery struct {
	ID         string          `json:"Id"`
	Expression string          `json:"Expression,omitempty"`
	MetricStat *wireMetricStat `json:"MetricStat,omitempty"`
	Label      string          `json:"Label,omitempty"`
	ReturnData bool            `json:"ReturnData"`
	Period     int64           `json:"Period,omitempty"`
	AccountID  string          `json:"AccountId,omitempty"`
}

type wireMetricStat struct {
	Metric wireMetric `json:"Metric"`
	Period int64      `json:"Period"`
	Stat   string     `json:"Stat"`
	Unit   string     `json:"Unit,omitempty"`
}

type wireMetric struct {
	Dimensions []wireDimension `json:"Dimensions"`
	MetricName string          `json:"MetricName"`
	Namespace  string          `json:"Namespace"`
}

type wireChild struct {
	Arn   string         `json:"Arn"`
	State wireChildState `json:"State"`
}

type wireChildState struct {
	Value     State  `json:"Value"`
	Timestamp string `json:"Timestamp,omitempty"`
}
