package cwemu

import (
	"math"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The CBOR shapes of the CloudWatch API that the emulator speaks. Member names follow
// the CloudWatch API Reference and the aws-sdk-go-v2 CloudWatch schemas; only the
// members the emulator models are present (the decoder ignores the others, as the SDK
// ignores members it does not know). Pointers tell an absent member from a zero one
// where the API does.

type wireDimension struct {
	Name  string `cbor:"Name"`
	Value string `cbor:"Value"`
}

type wireMetric struct {
	Namespace  string          `cbor:"Namespace,omitempty"`
	MetricName string          `cbor:"MetricName,omitempty"`
	Dimensions []wireDimension `cbor:"Dimensions,omitempty"`
}

type wireMetricStat struct {
	Metric *wireMetric `cbor:"Metric,omitempty"`
	Period *int32      `cbor:"Period,omitempty"`
	Stat   string      `cbor:"Stat,omitempty"`
	Unit   string      `cbor:"Unit,omitempty"`
}

type wireQuery struct {
	ID         string          `cbor:"Id"`
	AccountID  string          `cbor:"AccountId,omitempty"`
	Expression string          `cbor:"Expression,omitempty"`
	Label      string          `cbor:"Label,omitempty"`
	MetricStat *wireMetricStat `cbor:"MetricStat,omitempty"`
	Period     *int32          `cbor:"Period,omitempty"`
	ReturnData *bool           `cbor:"ReturnData,omitempty"`
}

type putMetricAlarmInput struct {
	AlarmName                        *string         `cbor:"AlarmName"`
	AlarmDescription                 *string         `cbor:"AlarmDescription"`
	ActionsEnabled                   *bool           `cbor:"ActionsEnabled"`
	OKActions                        []string        `cbor:"OKActions"`
	AlarmActions                     []string        `cbor:"AlarmActions"`
	InsufficientDataActions          []string        `cbor:"InsufficientDataActions"`
	MetricName                       *string         `cbor:"MetricName"`
	Namespace                        *string         `cbor:"Namespace"`
	Statistic                        string          `cbor:"Statistic"`
	ExtendedStatistic                *string         `cbor:"ExtendedStatistic"`
	Dimensions                       []wireDimension `cbor:"Dimensions"`
	Period                           *int32          `cbor:"Period"`
	Unit                             string          `cbor:"Unit"`
	EvaluationPeriods                *int32          `cbor:"EvaluationPeriods"`
	DatapointsToAlarm                *int32          `cbor:"DatapointsToAlarm"`
	Threshold                        *float64        `cbor:"Threshold"`
	ComparisonOperator               string          `cbor:"ComparisonOperator"`
	TreatMissingData                 *string         `cbor:"TreatMissingData"`
	EvaluateLowSampleCountPercentile *string         `cbor:"EvaluateLowSampleCountPercentile"`
	Metrics                          []wireQuery     `cbor:"Metrics"`
	ThresholdMetricID                *string         `cbor:"ThresholdMetricId"`
	// Members of newer alarm kinds the emulator does not model: present means refused.
	EvaluationCriteria  cbor.RawMessage `cbor:"EvaluationCriteria"`
	EvaluationInterval  *int32          `cbor:"EvaluationInterval"`
	EvaluationWindow    cbor.RawMessage `cbor:"EvaluationWindow"`
	WarmUpConfiguration cbor.RawMessage `cbor:"WarmUpConfiguration"`
	ActionConfiguration cbor.RawMessage `cbor:"ActionConfiguration"`
}

type putCompositeAlarmInput struct {
	AlarmName                        *string         `cbor:"AlarmName"`
	AlarmRule                        *string         `cbor:"AlarmRule"`
	AlarmDescription                 *string         `cbor:"AlarmDescription"`
	ActionsEnabled                   *bool           `cbor:"ActionsEnabled"`
	OKActions                        []string        `cbor:"OKActions"`
	AlarmActions                     []string        `cbor:"AlarmActions"`
	InsufficientDataActions          []string        `cbor:"InsufficientDataActions"`
	ActionsSuppressor                *string         `cbor:"ActionsSuppressor"`
	ActionsSuppressorWaitPeriod      *int32          `cbor:"ActionsSuppressorWaitPeriod"`
	ActionsSuppressorExtensionPeriod *int32          `cbor:"ActionsSuppressorExtensionPeriod"`
	ActionConfiguration              cbor.RawMessage `cbor:"ActionConfiguration"`
}

type describeAlarmsInput struct {
	AlarmNames          []string `cbor:"AlarmNames"`
	AlarmNamePrefix     *string  `cbor:"AlarmNamePrefix"`
	AlarmTypes          []string `cbor:"AlarmTypes"`
	ChildrenOfAlarmName *string  `cbor:"ChildrenOfAlarmName"`
	ParentsOfAlarmName  *string  `cbor:"ParentsOfAlarmName"`
	StateValue          string   `cbor:"StateValue"`
	ActionPrefix        *string  `cbor:"ActionPrefix"`
	MaxRecords          *int32   `cbor:"MaxRecords"`
	NextToken           *string  `cbor:"NextToken"`
}

type wireMetricAlarm struct {
	AlarmName                          string          `cbor:"AlarmName"`
	AlarmArn                           string          `cbor:"AlarmArn"`
	AlarmDescription                   *string         `cbor:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp epochTime       `cbor:"AlarmConfigurationUpdatedTimestamp"`
	ActionsEnabled                     bool            `cbor:"ActionsEnabled"`
	OKActions                          []string        `cbor:"OKActions"`
	AlarmActions                       []string        `cbor:"AlarmActions"`
	InsufficientDataActions            []string        `cbor:"InsufficientDataActions"`
	StateValue                         string          `cbor:"StateValue"`
	StateReason                        string          `cbor:"StateReason"`
	StateReasonData                    string          `cbor:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              epochTime       `cbor:"StateUpdatedTimestamp"`
	StateTransitionedTimestamp         epochTime       `cbor:"StateTransitionedTimestamp"`
	MetricName                         string          `cbor:"MetricName,omitempty"`
	Namespace                          string          `cbor:"Namespace,omitempty"`
	Statistic                          string          `cbor:"Statistic,omitempty"`
	ExtendedStatistic                  string          `cbor:"ExtendedStatistic,omitempty"`
	Dimensions                         []wireDimension `cbor:"Dimensions,omitempty"`
	Period                             *int32          `cbor:"Period,omitempty"`
	Unit                               string          `cbor:"Unit,omitempty"`
	EvaluationPeriods                  int32           `cbor:"EvaluationPeriods"`
	DatapointsToAlarm                  *int32          `cbor:"DatapointsToAlarm,omitempty"`
	Threshold                          *float64        `cbor:"Threshold,omitempty"`
	ComparisonOperator                 string          `cbor:"ComparisonOperator"`
	TreatMissingData                   *string         `cbor:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   *string         `cbor:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []wireQuery     `cbor:"Metrics,omitempty"`
	ThresholdMetricID                  string          `cbor:"ThresholdMetricId,omitempty"`
}

type wireCompositeAlarm struct {
	AlarmName                          string    `cbor:"AlarmName"`
	AlarmArn                           string    `cbor:"AlarmArn"`
	AlarmDescription                   *string   `cbor:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp epochTime `cbor:"AlarmConfigurationUpdatedTimestamp"`
	ActionsEnabled                     bool      `cbor:"ActionsEnabled"`
	OKActions                          []string  `cbor:"OKActions"`
	AlarmActions                       []string  `cbor:"AlarmActions"`
	InsufficientDataActions            []string  `cbor:"InsufficientDataActions"`
	AlarmRule                          string    `cbor:"AlarmRule"`
	StateValue                         string    `cbor:"StateValue"`
	StateReason                        string    `cbor:"StateReason"`
	StateReasonData                    string    `cbor:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              epochTime `cbor:"StateUpdatedTimestamp"`
	StateTransitionedTimestamp         epochTime `cbor:"StateTransitionedTimestamp"`
}

type describeAlarmsOutput struct {
	MetricAlarms    []wireMetricAlarm    `cbor:"MetricAlarms"`
	CompositeAlarms []wireCompositeAlarm `cbor:"CompositeAlarms"`
	NextToken       string               `cbor:"NextToken,omitempty"`
}

type setAlarmStateInput struct {
	AlarmName       *string `cbor:"AlarmName"`
	StateValue      string  `cbor:"StateValue"`
	StateReason     *string `cbor:"StateReason"`
	StateReasonData *string `cbor:"StateReasonData"`
}

type wireStatisticSet struct {
	SampleCount *float64 `cbor:"SampleCount"`
	Sum         *float64 `cbor:"Sum"`
	Minimum     *float64 `cbor:"Minimum"`
	Maximum     *float64 `cbor:"Maximum"`
}

type wireDatum struct {
	MetricName        *string           `cbor:"MetricName"`
	Dimensions        []wireDimension   `cbor:"Dimensions"`
	Timestamp         *time.Time        `cbor:"Timestamp"`
	Value             *float64          `cbor:"Value"`
	StatisticValues   *wireStatisticSet `cbor:"StatisticValues"`
	Values            []float64         `cbor:"Values"`
	Counts            []float64         `cbor:"Counts"`
	Unit              string            `cbor:"Unit"`
	StorageResolution *int32            `cbor:"StorageResolution"`
}

type putMetricDataInput struct {
	Namespace        *string         `cbor:"Namespace"`
	MetricData       []wireDatum     `cbor:"MetricData"`
	EntityMetricData cbor.RawMessage `cbor:"EntityMetricData"`
}

type getMetricDataInput struct {
	MetricDataQueries []wireQuery     `cbor:"MetricDataQueries"`
	StartTime         *time.Time      `cbor:"StartTime"`
	EndTime           *time.Time      `cbor:"EndTime"`
	NextToken         *string         `cbor:"NextToken"`
	ScanBy            string          `cbor:"ScanBy"`
	MaxDatapoints     *int32          `cbor:"MaxDatapoints"`
	LabelOptions      cbor.RawMessage `cbor:"LabelOptions"`
}

type wireMessage struct {
	Code  string `cbor:"Code"`
	Value string `cbor:"Value"`
}

type wireMetricDataResult struct {
	ID         string        `cbor:"Id"`
	Label      string        `cbor:"Label"`
	Timestamps []epochTime   `cbor:"Timestamps"`
	Values     []float64     `cbor:"Values"`
	StatusCode string        `cbor:"StatusCode"`
	Messages   []wireMessage `cbor:"Messages,omitempty"`
}

type getMetricDataOutput struct {
	MetricDataResults []wireMetricDataResult `cbor:"MetricDataResults"`
	NextToken         string                 `cbor:"NextToken,omitempty"`
	Messages          []wireMessage          `cbor:"Messages"`
}

// epochTime is a timestamp as RPC v2 CBOR sends it: tag 1 around epoch seconds as a
// double. The SDK reads it back as int64(seconds × 1000) milliseconds, which truncates,
// so the double is the smallest one that gives the millisecond back.
type epochTime time.Time

func (t epochTime) MarshalCBOR() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	f := float64(ms) / 1e3
	for int64(f*1e3) < ms {
		f = math.Nextafter(f, math.Inf(1))
	}
	return encMode.Marshal(cbor.Tag{Number: 1, Content: f})
}
