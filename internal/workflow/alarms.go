package workflow

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// CloudWatch is the part of the CloudWatch client the handlers use.
type CloudWatch interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// maxAlarmNames is DescribeAlarms' limit on AlarmNames per call.
const maxAlarmNames = 100

// CheckAlarms serves "Read alarm states". Alarms notify SNS only when they change state,
// so the workflow asks CloudWatch itself whether the alarm is still in ALARM (as
// Application Auto Scaling re-invokes a policy while its alarm stays there), and whether
// any of the service's scale-out alarms is, before a scale-in.
func (h *Handlers) CheckAlarms(ctx context.Context, req AlarmCheckRequest) (AlarmState, error) {
	if req.AlarmName == "" {
		return AlarmState{}, &InvalidInputError{"alarmName is empty"}
	}
	names := append([]string{req.AlarmName}, req.OutAlarms...)
	if len(names) > maxAlarmNames {
		return AlarmState{}, &InvalidInputError{"more than 100 alarms to read"}
	}
	out, err := h.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: names,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		return AlarmState{}, classify(err, "describe alarms")
	}
	return alarmState(req, out.MetricAlarms, out.CompositeAlarms), nil
}

// alarmState is the pure reading of DescribeAlarms' answer.
func alarmState(req AlarmCheckRequest, metrics []cwtypes.MetricAlarm, composites []cwtypes.CompositeAlarm) AlarmState {
	st := AlarmState{AlarmName: req.AlarmName, OutAlarmsInAlarm: []string{}}
	states := map[string]cwtypes.StateValue{}
	for _, c := range composites {
		states[aws.ToString(c.AlarmName)] = c.StateValue
	}
	for _, m := range metrics {
		name := aws.ToString(m.AlarmName)
		states[name] = m.StateValue
		if name == req.AlarmName {
			st.Metric = metricValue(m)
		}
	}
	st.State = string(states[req.AlarmName])
	// The first step acts on the notification, which is the evidence of the breach and
	// carries the datapoints that caused it; later steps need CloudWatch to agree.
	st.InAlarm = req.Step == 0 || states[req.AlarmName] == cwtypes.StateValueAlarm
	if req.Step == 0 && req.NotificationMetric != nil {
		st.Metric = req.NotificationMetric
	}
	for _, name := range req.OutAlarms {
		if states[name] == cwtypes.StateValueAlarm && !slices.Contains(st.OutAlarmsInAlarm, name) {
			st.OutAlarmsInAlarm = append(st.OutAlarmsInAlarm, name)
		}
	}
	return st
}

// metricValue reads the breach behind an alarm's state: the average of its datapoints
// (Application Auto Scaling's default MetricAggregationType), from StateReasonData
// (structured, as AWS returns it), else from the StateReason prose.
func metricValue(m cwtypes.MetricAlarm) *scaling.MetricValue {
	values, ok := reasonDataValues(aws.ToString(m.StateReasonData))
	threshold := m.Threshold
	if !ok {
		dps, quoted := alarm.ParseReason(aws.ToString(m.StateReason))
		for _, dp := range dps {
			values = append(values, dp.Value)
		}
		if threshold == nil {
			threshold = quoted
		}
	}
	if threshold == nil {
		return nil
	}
	return scaling.Aggregate(values, *threshold)
}

// reasonDataValues takes the datapoints of a StateReasonData document: the evaluated
// ones that have a value, else recentDatapoints.
func reasonDataValues(data string) ([]float64, bool) {
	var d struct {
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		EvaluatedDatapoints []struct {
			Value *float64 `json:"value"`
		} `json:"evaluatedDatapoints"`
	}
	if data == "" || json.Unmarshal([]byte(data), &d) != nil {
		return nil, false
	}
	var values []float64
	for _, e := range d.EvaluatedDatapoints {
		if e.Value != nil {
			values = append(values, *e.Value)
		}
	}
	if len(values) == 0 {
		values = d.RecentDatapoints
	}
	return values, len(values) > 0
}
