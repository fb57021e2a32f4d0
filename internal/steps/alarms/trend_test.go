package alarms_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps/alarms"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// api has three proportional scale-out policies on 10 s alarms: one sized 60 s ahead on
// the metric's trend, one sized for the metric as it is, and one sized ahead on a metric
// with a single datapoint in the window.
const trendConfig = `{
  "services": [{
    "cluster": "prod", "service": "api", "minCapacity": 1, "maxCapacity": 20,
    "alarms": [
      {"alarmName": "api-rps-lead", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 100,
        "metricAggregationType": "Maximum", "scaleOutLeadSeconds": 60},
      {"alarmName": "api-rps-now", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 100,
        "metricAggregationType": "Maximum"},
      {"alarmName": "api-sparse-lead", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 100,
        "metricAggregationType": "Maximum", "scaleOutLeadSeconds": 60}
    ]
  }]
}`

// putHighResolution puts one datapoint of metric for service at StorageResolution 1, as a
// 10 s alarm needs.
func (e *env) putHighResolution(t *testing.T, metric, service string, ts time.Time, v float64) {
	t.Helper()
	_, err := e.client.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(namespace),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(metric), Dimensions: dims("ServiceName", service), Timestamp: aws.Time(ts),
			Value: aws.Float64(v), StorageResolution: aws.Int32(1),
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData %s %v at %s: %v", metric, v, ts, err)
	}
}

// The step reads a TargetRatio scale-out's trend exactly when its policy sizes ahead on it
// (ScaleOutLeadSeconds > 0): the least-squares slope of the alarm's datapoints over its
// evaluation periods, from the same GetMetricData read as the value. A policy without a
// lead gets no slope (0, left out of the reading's JSON), and so does one whose window
// holds fewer than two datapoints.
//
// now is 10:03:20, so each alarm's three complete 10 s periods are 10:02:50, 10:03:00 and
// 10:03:10. The requests per task there are 100, 110, 120. At t = 0, 10, 20 s:
//
//	mean t = 10, mean v = 110
//	Σ(t − 10)(v − 110) = (−10)(−10) + 0 + (10)(10) = 200
//	Σ(t − 10)²         = 100 + 0 + 100 = 200
//	slope              = 200 / 200 = 1.0 per second
//
// and the value, the Maximum of the three, is 120. Around the window, 50 at 10:02:40 (the
// period before it) and 500 at 10:03:20 (the period not yet ended) must not count: with
// the 50 the slope would be 1100 / 500 = 2.2.
func TestReadTrendOnlyForALead(t *testing.T) {
	t.Parallel()
	e := start(t)
	cfg, err := config.Parse("trend.json", []byte(trendConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	h := alarms.New(e.client, cfg, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, s := range []struct {
		at string
		v  float64
	}{{"10:02:40", 50}, {"10:02:50", 100}, {"10:03:00", 110}, {"10:03:10", 120}, {"10:03:20", 500}} {
		e.putHighResolution(t, "RequestsPerTask", "api", at(s.at), s.v)
	}
	e.putHighResolution(t, "RequestsPerTask", "api-sparse", at("10:03:00"), 130)
	tenSeconds := func(service string) func(*cloudwatch.PutMetricAlarmInput) {
		return func(in *cloudwatch.PutMetricAlarmInput) {
			in.Dimensions = dims("ServiceName", service)
			in.Period, in.EvaluationPeriods, in.Threshold = aws.Int32(10), aws.Int32(3), aws.Float64(90)
			in.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanThreshold
		}
	}
	e.putAlarm(t, "api-rps-lead", "RequestsPerTask", cwtypes.StateValueAlarm, tenSeconds("api"))
	e.putAlarm(t, "api-rps-now", "RequestsPerTask", cwtypes.StateValueAlarm, tenSeconds("api"))
	e.putAlarm(t, "api-sparse-lead", "RequestsPerTask", cwtypes.StateValueAlarm, tenSeconds("api-sparse"))
	reads := e.emu.Calls("GetMetricData")

	got, err := h.Read(t.Context(), workflow.AlarmsRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "api"}})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if n := e.emu.Calls("GetMetricData") - reads; n != 3 {
		t.Errorf("GetMetricData requests = %d, want 3, one an alarm: the trend comes from the same read as the value", n)
	}
	want := map[string]scaling.MetricValue{
		"api-rps-lead": {Value: 120, Threshold: 90, SlopePerSecond: 1.0},
		"api-rps-now":  {Value: 120, Threshold: 90},
		// One datapoint, 130: a value, and no trend to size ahead on.
		"api-sparse-lead": {Value: 130, Threshold: 90},
	}
	if len(got.Alarms) != len(want) {
		t.Fatalf("read %d alarms, want %d: %+v", len(got.Alarms), len(want), got.Alarms)
	}
	for _, r := range got.Alarms {
		w, ok := want[r.Name]
		switch {
		case !ok:
			t.Errorf("read alarm %s, not configured", r.Name)
		case r.State != scaling.StateAlarm || r.Metric == nil || r.MetricNote != "":
			t.Errorf("%s = %+v, want ALARM with a metric and no note", r.Name, r)
		case *r.Metric != w:
			t.Errorf("%s: metric %+v, want %+v", r.Name, *r.Metric, w)
		}
	}

	// What the state machine carries to the plan: the slope only where a lead reads it.
	for _, r := range got.Alarms {
		raw, err := json.Marshal(r.Metric)
		if err != nil {
			t.Fatalf("encode the metric of %s: %v", r.Name, err)
		}
		hasSlope := strings.Contains(string(raw), `"slopePerSecond"`)
		if wantSlope := r.Name == "api-rps-lead"; hasSlope != wantSlope {
			t.Errorf("%s's metric is %s; slopePerSecond present: %t, want %t", r.Name, raw, hasSlope, wantSlope)
		}
	}
}
