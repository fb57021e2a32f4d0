package workflow

import (
	"context"
	"encoding/json"
	"slices"
	"time"

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

// metricValue reads the newest datapoint behind an alarm's state: from StateReasonData
// (structured, as AWS returns it), else from the StateReason prose.
func metricValue(m cwtypes.MetricAlarm) *scaling.MetricValue {
	threshold := m.Threshold
	if v, ok := reasonDataValue(aws.ToString(m.StateReasonData)); ok {
		if threshold == nil {
			return nil
		}
		return &scaling.MetricValue{Value: v, Threshold: *threshold}
	}
	dps, quoted := alarm.ParseReason(aws.ToString(m.StateReason))
	if threshold == nil {
		threshold = quoted
	}
	if len(dps) == 0 || threshold == nil {
		return nil
	}
	return &scaling.MetricValue{Value: dps[0].Value, Threshold: *threshold}
}

// reasonDataValue takes the newest evaluated datapoint of a StateReasonData document,
// or the last of recentDatapoints when no evaluated ones are listed.
func reasonDataValue(data string) (float64, bool) {
	var d struct {
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		EvaluatedDatapoints []struct {
			Timestamp string   `json:"timestamp"`
			Value     *float64 `json:"value"`
		} `json:"evaluatedDatapoints"`
	}
	if data == "" || json.Unmarshal([]byte(data), &d) != nil {
		return 0, false
	}
	var newest time.Time
	var value *float64
	for _, e := range d.EvaluatedDatapoints {
		// CloudWatch writes these as 2026-11-27T10:01:00.000+0000: no colon in the offset.
		at, err := time.Parse("2006-01-02T15:04:05.000-0700", e.Timestamp)
		if err != nil {
			at, err = time.Parse(time.RFC3339Nano, e.Timestamp)
		}
		if err == nil && e.Value != nil && (value == nil || at.After(newest)) {
			newest, value = at, e.Value
		}
	}
	if value != nil {
		return *value, true
	}
	if n := len(d.RecentDatapoints); n > 0 {
		return d.RecentDatapoints[n-1], true
	}
	return 0, false
}
