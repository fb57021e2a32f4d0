package alarms_test

import (
	"errors"
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
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/alarms"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/cwemu"
)

// The step runs with the real CloudWatch client against the local CloudWatch emulator.

const namespace = "Stepscaler/Test"

// now is the step's clock: with one-minute periods and 3 evaluation periods, the window
// the step reads is [10:00, 10:03).
var now = time.Date(2026, 11, 27, 10, 3, 20, 0, time.UTC)

func at(hhmmss string) time.Time {
	t, err := time.Parse(time.DateTime, "2026-11-27 "+hhmmss)
	if err != nil {
		panic(err)
	}
	return t
}

var web = scaling.ServiceRef{Cluster: "prod", Service: "web"}

// The deployed configuration: one service, its alarms in this order. web-composite has
// no metric block, so the configuration may name a composite alarm.
const webConfig = `{
  "services": [{
    "cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 10,
    "alarms": [
      {"alarmName": "web-backlog-high", "direction": "out", "stepAdjustments": [
        {"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 20, "scalingAdjustment": 1},
        {"metricIntervalLowerBound": 20, "scalingAdjustment": 3}]},
      {"alarmName": "web-cpu-high", "direction": "out", "adjustment": 2},
      {"alarmName": "web-deleted", "direction": "out", "adjustment": 1},
      {"alarmName": "web-composite", "alarmType": "composite", "direction": "out", "adjustment": 2},
      {"alarmName": "web-quiet", "direction": "out", "stepAdjustments": [
        {"metricIntervalLowerBound": 0, "scalingAdjustment": 2}]},
      {"alarmName": "web-error-rate", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 5,
        "metricAggregationType": "Maximum"},
      {"alarmName": "web-cpu-low", "direction": "in", "adjustment": 1}
    ]
  }, {
    "cluster": "prod", "service": "anomalous", "minCapacity": 1, "maxCapacity": 10,
    "alarms": [
      {"alarmName": "anomalous-steps", "direction": "out", "stepAdjustments": [
        {"metricIntervalLowerBound": 0, "scalingAdjustment": 2}]},
      {"alarmName": "anomalous-ratio", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 10}
    ]
  }]
}`

type env struct {
	emu     *cwemu.Emulator
	client  *cloudwatch.Client
	handler *alarms.Handler
}

func start(t *testing.T) *env {
	t.Helper()
	emu := awstest.StartCloudWatch(t, cwemu.Options{Clock: func() time.Time { return now }})
	client := awstest.CloudWatch(emu.URL())
	cfg, err := config.Parse("alarms.json", []byte(webConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &env{emu: emu, client: client, handler: alarms.New(client, cfg, func() time.Time { return now }, log)}
}

func dims(name, value string) []cwtypes.Dimension {
	return []cwtypes.Dimension{{Name: aws.String(name), Value: aws.String(value)}}
}

func (e *env) put(t *testing.T, metric, service string, ts time.Time, v float64) {
	t.Helper()
	_, err := e.client.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(namespace),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(metric), Dimensions: dims("ServiceName", service), Timestamp: aws.Time(ts), Value: aws.Float64(v),
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData %s %v at %s: %v", metric, v, ts, err)
	}
}

func metricQuery(id, metric, service, stat string) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{
		Id: aws.String(id), ReturnData: aws.Bool(false),
		MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(namespace), MetricName: aws.String(metric), Dimensions: dims("ServiceName", service)},
			Period: aws.Int32(60), Stat: aws.String(stat),
		},
	}
}

// putAlarm creates a one-minute, three-period alarm on metric of service web with
// threshold 100 (or a metric-math or anomaly alarm, with edit) and sets its state.
func (e *env) putAlarm(t *testing.T, name, metric string, state cwtypes.StateValue, edit func(*cloudwatch.PutMetricAlarmInput)) {
	t.Helper()
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		Namespace:          aws.String(namespace),
		MetricName:         aws.String(metric),
		Dimensions:         dims("ServiceName", "web"),
		Statistic:          cwtypes.StatisticAverage,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(3),
		Threshold:          aws.Float64(100),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	}
	if edit != nil {
		edit(in)
	}
	if _, err := e.client.PutMetricAlarm(t.Context(), in); err != nil {
		t.Fatalf("PutMetricAlarm %s: %v", name, err)
	}
	e.setState(t, name, state)
}

func (e *env) setState(t *testing.T, name string, state cwtypes.StateValue) {
	t.Helper()
	if state == cwtypes.StateValueInsufficientData {
		return // a new alarm's state
	}
	_, err := e.client.SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("set by the test"),
	})
	if err != nil {
		t.Fatalf("SetAlarmState %s: %v", name, err)
	}
}

// errorRate makes an alarm a metric-math alarm on 100 * m1 / m2 with threshold 5.
func errorRate(in *cloudwatch.PutMetricAlarmInput) {
	in.Namespace, in.MetricName, in.Dimensions, in.Statistic, in.Period = nil, nil, nil, "", nil
	in.Threshold = aws.Float64(5)
	in.Metrics = []cwtypes.MetricDataQuery{
		metricQuery("m1", "Errors", "web", "Sum"), metricQuery("m2", "Requests", "web", "Sum"),
		{Id: aws.String("rate"), Expression: aws.String("100 * m1 / m2"), ReturnData: aws.Bool(true)},
	}
}

// seed puts the data and alarms of the web service:
//
//	Backlog   10:00 avg(100, 120) = 110   10:01 130   10:02 150          (Average per period)
//	Errors    10:00 5   10:01 9   10:02 4     Requests 10:00 250   10:01 60   10:02 40
//	          so 100 * m1 / m2 = 2, 15, 10
//	Idle      only at 09:40, long before the window
func (e *env) seed(t *testing.T) {
	t.Helper()
	for _, s := range []struct {
		metric string
		at     string
		v      float64
	}{
		{"Backlog", "10:00:10", 100}, {"Backlog", "10:00:40", 120}, {"Backlog", "10:01:30", 130}, {"Backlog", "10:02:30", 150},
		{"Backlog", "10:03:05", 900}, // in the period that has not ended
		{"Errors", "10:00:10", 5}, {"Requests", "10:00:10", 250},
		{"Errors", "10:01:10", 9}, {"Requests", "10:01:10", 60},
		{"Errors", "10:02:10", 4}, {"Requests", "10:02:10", 40},
		{"Idle", "09:40:00", 7},
	} {
		e.put(t, s.metric, "web", at(s.at), s.v)
	}
	e.putAlarm(t, "web-backlog-high", "Backlog", cwtypes.StateValueAlarm, nil)
	e.putAlarm(t, "web-cpu-high", "CPU", cwtypes.StateValueOk, nil)
	e.putAlarm(t, "web-quiet", "Idle", cwtypes.StateValueAlarm, nil)
	e.putAlarm(t, "web-error-rate", "", cwtypes.StateValueAlarm, errorRate)
	e.putAlarm(t, "web-cpu-low", "CPU", cwtypes.StateValueAlarm, func(in *cloudwatch.PutMetricAlarmInput) {
		in.Threshold = aws.Float64(20)
		in.ComparisonOperator = cwtypes.ComparisonOperatorLessThanThreshold
	})
	if _, err := e.client.PutCompositeAlarm(t.Context(), &cloudwatch.PutCompositeAlarmInput{
		AlarmName: aws.String("web-composite"), AlarmRule: aws.String(`ALARM("web-backlog-high") AND NOT ALARM("web-cpu-high")`),
	}); err != nil {
		t.Fatalf("PutCompositeAlarm: %v", err)
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed(t)
	describes, reads := e.emu.Calls("DescribeAlarms"), e.emu.Calls("GetMetricData")

	got, err := e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: web})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !got.ReadAt.Equal(now) {
		t.Errorf("ReadAt = %s, want the clock's %s", got.ReadAt, now)
	}
	if n := e.emu.Calls("DescribeAlarms") - describes; n != 1 {
		t.Errorf("DescribeAlarms requests = %d, want 1 for 7 alarms", n)
	}
	// The metric is read for the alarms in ALARM whose policy sizes from it: the step
	// policies web-backlog-high and web-quiet, and TargetRatio web-error-rate. Not the
	// composite alarm, which has no metric, nor simple policies, nor alarms not in ALARM.
	if n := e.emu.Calls("GetMetricData") - reads; n != 3 {
		t.Errorf("GetMetricData requests = %d, want 3", n)
	}

	type want struct {
		state  string
		metric *scaling.MetricValue
		note   string // a word the note must hold; "" for no note
	}
	wants := []struct {
		name string
		want want
	}{
		// Average of the periods' averages 110, 130, 150; the alarm's threshold.
		{"web-backlog-high", want{"ALARM", &scaling.MetricValue{Value: 130, Threshold: 100}, ""}},
		{"web-cpu-high", want{"OK", nil, ""}},
		{"web-deleted", want{"", nil, ""}},
		// Declared composite, so asked for; a simple adjustment needs no metric.
		{"web-composite", want{"ALARM", nil, ""}},
		{"web-quiet", want{"ALARM", nil, "datapoint"}},
		// Maximum of 2, 15, 10; the alarm's threshold.
		{"web-error-rate", want{"ALARM", &scaling.MetricValue{Value: 15, Threshold: 5}, ""}},
		{"web-cpu-low", want{"ALARM", nil, ""}},
	}
	if len(got.Alarms) != len(wants) {
		t.Fatalf("read %d alarms, want the %d configured: %+v", len(got.Alarms), len(wants), got.Alarms)
	}
	for i, w := range wants {
		r := got.Alarms[i]
		if r.Name != w.name {
			t.Errorf("alarm %d = %s, want %s (configuration order)", i, r.Name, w.name)
			continue
		}
		if r.State != w.want.state {
			t.Errorf("%s: state %q, want %q", r.Name, r.State, w.want.state)
		}
		switch {
		case w.want.metric == nil && r.Metric != nil:
			t.Errorf("%s: metric %+v, want none", r.Name, *r.Metric)
		case w.want.metric != nil && (r.Metric == nil || *r.Metric != *w.want.metric):
			t.Errorf("%s: metric %+v, want %+v", r.Name, r.Metric, *w.want.metric)
		}
		switch {
		case w.want.note == "" && r.MetricNote != "":
			t.Errorf("%s: note %q, want none", r.Name, r.MetricNote)
		case w.want.note != "" && (!strings.Contains(r.MetricNote, w.want.note) || !strings.Contains(r.MetricNote, r.Name)):
			t.Errorf("%s: note %q, want one naming the alarm and saying %q", r.Name, r.MetricNote, w.want.note)
		}
	}
	if in := got.InAlarm(); len(in) != 5 {
		t.Errorf("in ALARM: %v, want 5 alarms", in)
	}
	// Each alarm found changed state when the seed set it, at the emulator's clock; the
	// deleted one has no time.
	if at, ok := got.Transitioned["web-backlog-high"]; !ok || !at.Equal(now) {
		t.Errorf("web-backlog-high transitioned at %v (%t), want %v", at, ok, now)
	}
	for _, r := range got.Alarms {
		if r.Name == "web-backlog-high" && (r.StateSince == nil || !r.StateSince.Equal(now)) {
			t.Errorf("web-backlog-high in its state since %v, want %v", r.StateSince, now)
		}
	}
	if at, ok := got.Transitioned["web-deleted"]; ok {
		t.Errorf("web-deleted transitioned at %v, want no time: CloudWatch has no such alarm", at)
	}
}

// A metric CloudWatch cannot serve is a note on the reading, not a failed step: the plan
// then records NoMetricValue, and the next minute reads again.
func TestReadMetricFailureIsANote(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed(t)
	e.emu.InjectFault(cwemu.Fault{Operation: "GetMetricData", Error: cwemu.InternalServiceError, Times: 10})
	got, err := e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: web})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for _, r := range got.Alarms {
		if r.Name == "web-backlog-high" && (r.Metric != nil || r.State != "ALARM" || !strings.Contains(r.MetricNote, cwemu.InternalServiceError)) {
			t.Errorf("web-backlog-high = %+v, want ALARM, no metric, a note with CloudWatch's error", r)
		}
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed(t)

	e.emu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: cwemu.Throttling})
	_, err := e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: web})
	var transient *steps.TransientError
	if !errors.As(err, &transient) {
		t.Errorf("Read while throttled: %T %v, want *steps.TransientError", err, err)
	}

	e.emu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: cwemu.InvalidParameter})
	_, err = e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: web})
	var callErr *steps.AWSCallError
	if !errors.As(err, &callErr) {
		t.Errorf("Read refused: %T %v, want *steps.AWSCallError", err, err)
	}

	before := e.emu.Calls("")
	_, err = e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "api"}})
	var notConfigured *steps.ServiceNotConfiguredError
	if !errors.As(err, &notConfigured) {
		t.Errorf("Read of an unconfigured service: %T %v, want *steps.ServiceNotConfiguredError", err, err)
	}
	if n := e.emu.Calls("") - before; n != 0 {
		t.Errorf("Read of an unconfigured service made %d CloudWatch requests, want 0", n)
	}
}

// anomalyAlarm makes an alarm compare metric Backlog of service anomalous with its
// anomaly detection band, as the PutMetricAlarm reference's example and the CDK write it.
func anomalyAlarm(in *cloudwatch.PutMetricAlarmInput) {
	in.Namespace, in.MetricName, in.Dimensions, in.Statistic, in.Period, in.Threshold = nil, nil, nil, "", nil, nil
	m1 := metricQuery("m1", "Backlog", "anomalous", "Average")
	m1.ReturnData = aws.Bool(true)
	in.Metrics = []cwtypes.MetricDataQuery{
		m1,
		{Id: aws.String("ad1"), Expression: aws.String("ANOMALY_DETECTION_BAND(m1, 2)"), ReturnData: aws.Bool(true)},
	}
	in.ThresholdMetricId = aws.String("ad1")
	in.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanUpperThreshold
}

// An alarm on an anomaly detection band has no threshold: a step policy cannot choose a
// step from it and says so, in a note, without an error.
func TestReadAnomalyBandAlarmIsANote(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.put(t, "Backlog", "anomalous", at("10:01:10"), 12) // a value to read: only the threshold is missing
	e.putAlarm(t, "anomalous-steps", "", cwtypes.StateValueAlarm, anomalyAlarm)
	e.putAlarm(t, "anomalous-ratio", "", cwtypes.StateValueOk, anomalyAlarm)
	got, err := e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "anomalous"}})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	r := got.Alarms[0]
	if r.Name != "anomalous-steps" || r.State != "ALARM" || r.Metric != nil || r.MetricNote == "" {
		t.Fatalf("anomalous-steps = %+v, want ALARM, no metric, a note", r)
	}
	if !strings.Contains(r.MetricNote, "anomaly") {
		t.Errorf("the note is %q, want the anomaly band's", r.MetricNote)
	}
}

// A TargetRatio policy needs no threshold: on an anomaly-band alarm it sizes from the
// alarm's metric, m1, averaged over the window.
func TestReadAnomalyBandAlarmForTargetRatio(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.put(t, "Backlog", "anomalous", at("10:01:10"), 12)
	e.put(t, "Backlog", "anomalous", at("10:02:10"), 18)
	e.putAlarm(t, "anomalous-steps", "", cwtypes.StateValueOk, anomalyAlarm)
	e.putAlarm(t, "anomalous-ratio", "", cwtypes.StateValueAlarm, anomalyAlarm)
	got, err := e.handler.Read(t.Context(), workflow.AlarmsRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "anomalous"}})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	// Periods 10:01 and 10:02 of the window [10:00, 10:03): (12 + 18) / 2.
	r := got.Alarms[1]
	if r.Name != "anomalous-ratio" || r.Metric == nil || r.Metric.Value != 15 || r.MetricNote != "" {
		t.Errorf("anomalous-ratio = %+v, want the metric's average 15 and no note", r)
	}
}
