package workflow

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

func TestAlarmState(t *testing.T) {
	metric := func(name string, state cwtypes.StateValue, reason, data string) cwtypes.MetricAlarm {
		return cwtypes.MetricAlarm{AlarmName: aws.String(name), StateValue: state, Threshold: aws.Float64(70),
			StateReason: aws.String(reason), StateReasonData: aws.String(data)}
	}
	prose := "Threshold Crossed: 2 out of the last 2 datapoints [91.0 (27/11/26 10:01:00), 85.0 (27/11/26 10:00:00)] were greater than the threshold (70.0)."
	data := `{"version":"1.0","statistic":"Average","period":60,"recentDatapoints":[85.0,91.0],"threshold":70.0,
		"evaluatedDatapoints":[{"timestamp":"2026-11-27T10:00:00.000+0000","sampleCount":1,"value":85.0},{"timestamp":"2026-11-27T10:01:00.000+0000","sampleCount":1,"value":93.5}]}`
	notified := &scaling.MetricValue{Value: 99, Threshold: 70}

	tests := []struct {
		name       string
		req        AlarmCheckRequest
		metrics    []cwtypes.MetricAlarm
		composites []cwtypes.CompositeAlarm
		inAlarm    bool
		value      *float64
		outInAlarm []string
	}{
		{"first step trusts the notification and its datapoint",
			AlarmCheckRequest{AlarmName: "high", Step: 0, NotificationMetric: notified},
			[]cwtypes.MetricAlarm{metric("high", cwtypes.StateValueOk, prose, "")}, nil, true, aws.Float64(99), nil},
		{"later step needs CloudWatch's ALARM",
			AlarmCheckRequest{AlarmName: "high", Step: 1},
			[]cwtypes.MetricAlarm{metric("high", cwtypes.StateValueOk, prose, "")}, nil, false, aws.Float64(88), nil},
		{"average of the evaluated datapoints in StateReasonData",
			AlarmCheckRequest{AlarmName: "high", Step: 2},
			[]cwtypes.MetricAlarm{metric("high", cwtypes.StateValueAlarm, prose, data)}, nil, true, aws.Float64(89.25), nil},
		{"average of the prose's datapoints when there is no StateReasonData",
			AlarmCheckRequest{AlarmName: "high", Step: 1},
			[]cwtypes.MetricAlarm{metric("high", cwtypes.StateValueAlarm, prose, "")}, nil, true, aws.Float64(88), nil},
		{"unknown alarm on a later step stops",
			AlarmCheckRequest{AlarmName: "gone", Step: 1}, nil, nil, false, nil, nil},
		{"scale-out alarms in ALARM are named, composite included",
			AlarmCheckRequest{AlarmName: "low", OutAlarms: []string{"cpu-high", "latency-high", "errors"}},
			[]cwtypes.MetricAlarm{metric("low", cwtypes.StateValueAlarm, "", ""), metric("cpu-high", cwtypes.StateValueAlarm, "", ""), metric("latency-high", cwtypes.StateValueOk, "", "")},
			[]cwtypes.CompositeAlarm{{AlarmName: aws.String("errors"), StateValue: cwtypes.StateValueAlarm}},
			true, nil, []string{"cpu-high", "errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := alarmState(tt.req, tt.metrics, tt.composites)
			if got.InAlarm != tt.inAlarm {
				t.Errorf("InAlarm = %v, want %v", got.InAlarm, tt.inAlarm)
			}
			switch {
			case tt.value == nil && got.Metric != nil:
				t.Errorf("Metric = %+v, want none", got.Metric)
			case tt.value != nil && (got.Metric == nil || got.Metric.Value != *tt.value || got.Metric.Threshold != 70):
				t.Errorf("Metric = %+v, want %v over 70", got.Metric, *tt.value)
			}
			if len(got.OutAlarmsInAlarm) != len(tt.outInAlarm) {
				t.Fatalf("OutAlarmsInAlarm = %v, want %v", got.OutAlarmsInAlarm, tt.outInAlarm)
			}
			for i := range tt.outInAlarm {
				if got.OutAlarmsInAlarm[i] != tt.outInAlarm[i] {
					t.Errorf("OutAlarmsInAlarm = %v, want %v", got.OutAlarmsInAlarm, tt.outInAlarm)
				}
			}
		})
	}
}
