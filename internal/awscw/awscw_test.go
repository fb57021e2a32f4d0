package awscw_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/stepscaler/stepscaler/internal/awscw"
	"github.com/stepscaler/stepscaler/internal/breach"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/cwemu"
)

// These tests run the adapter with the real aws-sdk-go-v2 CloudWatch client against the
// local CloudWatch emulator, over HTTP, on a clock the test fixes.

// t0 is the emulator's "now" in every test: PutMetricData accepts data from two weeks
// before it to two hours after it.
var t0 = time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC)

// namespace is a custom namespace: PutMetricData refuses AWS/ ones, as CloudWatch does.
const namespace = "Stepscaler/Test"

type env struct {
	emu    *cwemu.Emulator
	client *cloudwatch.Client
}

func start(t *testing.T) *env {
	t.Helper()
	emu := awstest.StartCloudWatch(t, cwemu.Options{Clock: func() time.Time { return t0 }})
	client := awstest.CloudWatch(emu.URL())
	return &env{emu: emu, client: client}
}

func (e *env) putAlarm(t *testing.T, in *cloudwatch.PutMetricAlarmInput) {
	t.Helper()
	if _, err := e.client.PutMetricAlarm(t.Context(), in); err != nil {
		t.Fatalf("PutMetricAlarm %s: %v", aws.ToString(in.AlarmName), err)
	}
}

func (e *env) setState(t *testing.T, name string, state cwtypes.StateValue) {
	t.Helper()
	_, err := e.client.SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("set by the test"),
	})
	if err != nil {
		t.Fatalf("SetAlarmState %s %s: %v", name, state, err)
	}
}

// put stores one value of a metric of the test namespace with PutMetricData.
func (e *env) put(t *testing.T, metric string, dims []cwtypes.Dimension, at time.Time, v float64) {
	t.Helper()
	_, err := e.client.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(namespace),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(metric), Dimensions: dims, Timestamp: aws.Time(at), Value: aws.Float64(v),
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData %s %v at %s: %v", metric, v, at, err)
	}
}

func dims(kv ...string) []cwtypes.Dimension {
	var ds []cwtypes.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		ds = append(ds, cwtypes.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return ds
}

// staticAlarm is a one-minute alarm on metric Backlog of service web, Average, 3 periods.
func staticAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		Namespace:          aws.String(namespace),
		MetricName:         aws.String("Backlog"),
		Dimensions:         dims("ServiceName", "web"),
		Statistic:          cwtypes.StatisticAverage,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(3),
		Threshold:          aws.Float64(100),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	}
}

// recorder is an awscw.Describer that passes requests to the real client and keeps a
// copy of each. With maxRecords set, it lowers MaxRecords on the way, so that one
// batch of names spans several pages.
type recorder struct {
	next       awscw.Describer
	maxRecords int32

	mu       sync.Mutex
	requests []cloudwatch.DescribeAlarmsInput
}

func (r *recorder) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	sent := *in
	sent.AlarmNames = slices.Clone(in.AlarmNames)
	r.mu.Lock()
	r.requests = append(r.requests, sent)
	r.mu.Unlock()
	if r.maxRecords > 0 {
		in = &sent
		in.MaxRecords = aws.Int32(r.maxRecords)
	}
	return r.next.DescribeAlarms(ctx, in, optFns...)
}

func alarmNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("web-backlog-%03d", i)
	}
	return names
}

func (e *env) putAlarms(t *testing.T, names []string) {
	t.Helper()
	for i, name := range names {
		in := staticAlarm(name)
		in.Threshold = aws.Float64(float64(i)) // tells the alarms apart
		e.putAlarm(t, in)
	}
}

// DescribeAlarms takes at most 100 AlarmNames a request (API Reference): 150 names are
// two requests, each with MaxRecords 100 (so each batch fits one page) and metric alarms
// only. A name CloudWatch does not know is absent from the result.
func TestDescribeAlarmsInBatchesOf100(t *testing.T) {
	t.Parallel()
	e := start(t)
	names := alarmNames(150)
	e.putAlarms(t, names)
	asked := append(slices.Clone(names[:149]), "web-backlog-deleted")
	asked = append(asked, names[149])

	rec := &recorder{next: e.client}
	before := e.emu.Calls("DescribeAlarms")
	found, err := awscw.DescribeAlarms(t.Context(), rec, asked, false, "")
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if calls := e.emu.Calls("DescribeAlarms") - before; calls != 2 {
		t.Errorf("DescribeAlarms requests = %d, want 2 for 151 names in batches of 100", calls)
	}
	if len(found) != 150 {
		t.Errorf("found %d alarms, want the 150 that exist", len(found))
	}
	if _, ok := found["web-backlog-deleted"]; ok {
		t.Error("an alarm CloudWatch does not know is in the result")
	}
	for i, name := range names {
		a, ok := found[name]
		if !ok {
			t.Errorf("alarm %s missing", name)
			continue
		}
		if a.Name != name || a.Composite || a.Threshold == nil || *a.Threshold != float64(i) ||
			a.Period != time.Minute || a.EvaluationPeriods != 3 || a.State != "INSUFFICIENT_DATA" || !a.HasMetric() {
			t.Errorf("alarm %s = %+v, want threshold %d, period 1m, 3 periods, INSUFFICIENT_DATA (new), with a metric", name, a, i)
		}
	}

	if len(rec.requests) != 2 {
		t.Fatalf("requests sent = %d, want 2", len(rec.requests))
	}
	for i, in := range rec.requests {
		if got := len(in.AlarmNames); got > 100 {
			t.Errorf("request %d names %d alarms, more than DescribeAlarms' 100", i, got)
		}
		if aws.ToInt32(in.MaxRecords) != 100 {
			t.Errorf("request %d MaxRecords = %v, want 100", i, aws.ToInt32(in.MaxRecords))
		}
		if !slices.Equal(in.AlarmTypes, []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}) {
			t.Errorf("request %d AlarmTypes = %v, want metric alarms only", i, in.AlarmTypes)
		}
		if in.StateValue != "" {
			t.Errorf("request %d StateValue = %q, want none", i, in.StateValue)
		}
	}
	if got := append(slices.Clone(rec.requests[0].AlarmNames), rec.requests[1].AlarmNames...); !slices.Equal(got, asked) {
		t.Errorf("names asked across the requests differ from the names given")
	}
}

// A page may hold fewer alarms than the batch names: DescribeAlarms follows NextToken
// until the batch is done. With pages of 40, 100 + 51 names take 3 + 2 requests.
func TestDescribeAlarmsFollowsNextToken(t *testing.T) {
	t.Parallel()
	e := start(t)
	names := alarmNames(151)
	e.putAlarms(t, names)

	rec := &recorder{next: e.client, maxRecords: 40}
	before := e.emu.Calls("DescribeAlarms")
	found, err := awscw.DescribeAlarms(t.Context(), rec, names, false, "")
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if calls := e.emu.Calls("DescribeAlarms") - before; calls != 5 {
		t.Errorf("DescribeAlarms requests = %d, want 5 (pages of 40: 40+40+20, then 40+11)", calls)
	}
	if got := slices.Sorted(maps.Keys(found)); !slices.Equal(got, names) {
		t.Errorf("found %d alarms, want all %d", len(got), len(names))
	}
	var tokens []bool
	for _, in := range rec.requests {
		tokens = append(tokens, aws.ToString(in.NextToken) != "")
	}
	if want := []bool{false, true, true, false, true}; !slices.Equal(tokens, want) {
		t.Errorf("requests carrying a NextToken = %v, want %v (a new batch starts without one)", tokens, want)
	}
}

// A state, when given, is sent as DescribeAlarms' StateValue filter.
func TestDescribeAlarmsStateFilter(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, name := range []string{"high", "low", "new"} {
		e.putAlarm(t, staticAlarm(name))
	}
	e.setState(t, "high", cwtypes.StateValueAlarm)
	e.setState(t, "low", cwtypes.StateValueOk)
	names := []string{"high", "low", "new"}

	tests := []struct {
		state string
		want  map[string]string
	}{
		{"", map[string]string{"high": "ALARM", "low": "OK", "new": "INSUFFICIENT_DATA"}},
		{"ALARM", map[string]string{"high": "ALARM"}},
		{"OK", map[string]string{"low": "OK"}},
		{"INSUFFICIENT_DATA", map[string]string{"new": "INSUFFICIENT_DATA"}},
	}
	for _, tt := range tests {
		found, err := awscw.DescribeAlarms(t.Context(), e.client, names, false, tt.state)
		if err != nil {
			t.Fatalf("DescribeAlarms state %q: %v", tt.state, err)
		}
		got := map[string]string{}
		for name, a := range found {
			got[name] = a.State
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("state %q: got %v, want %v", tt.state, got, tt.want)
		}
	}
}

// CloudWatch returns composite alarms only when AlarmTypes asks for them (API
// Reference): DescribeAlarms asks only when told to.
func TestDescribeAlarmsCompositesOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.putAlarm(t, staticAlarm("cpu"))
	_, err := e.client.PutCompositeAlarm(t.Context(), &cloudwatch.PutCompositeAlarmInput{
		AlarmName: aws.String("overloaded"), AlarmRule: aws.String(`ALARM("cpu")`),
	})
	if err != nil {
		t.Fatalf("PutCompositeAlarm: %v", err)
	}
	e.setState(t, "cpu", cwtypes.StateValueAlarm) // the composite follows its child
	names := []string{"cpu", "overloaded"}

	rec := &recorder{next: e.client}
	found, err := awscw.DescribeAlarms(t.Context(), rec, names, false, "")
	if err != nil {
		t.Fatalf("DescribeAlarms without composites: %v", err)
	}
	if _, ok := found["overloaded"]; ok || len(found) != 1 {
		t.Errorf("without composites: found %v, want only the metric alarm cpu", slices.Sorted(maps.Keys(found)))
	}

	found, err = awscw.DescribeAlarms(t.Context(), rec, names, true, "")
	if err != nil {
		t.Fatalf("DescribeAlarms with composites: %v", err)
	}
	c, ok := found["overloaded"]
	if !ok || !c.Composite || c.State != "ALARM" || c.HasMetric() || c.Threshold != nil {
		t.Errorf("composite = %+v (found %t), want a composite in ALARM without a metric", c, ok)
	}
	if m := found["cpu"]; m.Composite || !m.HasMetric() || m.State != "ALARM" {
		t.Errorf("metric alarm = %+v, want a metric alarm in ALARM", m)
	}
	want := []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}
	if got := rec.requests[len(rec.requests)-1].AlarmTypes; !slices.Equal(got, want) {
		t.Errorf("AlarmTypes with composites = %v, want %v", got, want)
	}

	// The state filter applies to composite alarms too.
	found, err = awscw.DescribeAlarms(t.Context(), e.client, names, true, "OK")
	if err != nil {
		t.Fatalf("DescribeAlarms with composites in OK: %v", err)
	}
	if len(found) != 0 {
		t.Errorf("alarms in OK = %v, want none", slices.Sorted(maps.Keys(found)))
	}

	if _, err := awscw.Series(t.Context(), e.client, c, breach.Window{}); err == nil {
		t.Error("Series of a composite alarm: no error, want one (it has no metric)")
	}
}

// describeOne reads one alarm through the adapter.
func (e *env) describeOne(t *testing.T, name string) awscw.Alarm {
	t.Helper()
	found, err := awscw.DescribeAlarms(t.Context(), e.client, []string{name}, false, "")
	if err != nil {
		t.Fatalf("DescribeAlarms %s: %v", name, err)
	}
	a, ok := found[name]
	if !ok {
		t.Fatalf("alarm %s not found", name)
	}
	return a
}

func at(hhmmss string) time.Time {
	t, err := time.Parse(time.DateTime, "2026-11-27 "+hhmmss)
	if err != nil {
		panic(err)
	}
	return t
}

// Series reads a single-metric alarm's metric with the alarm's statistic, one value per
// period of the window, keyed by the period's start; data outside the window is not read.
func TestSeriesOfAMetricAlarm(t *testing.T) {
	t.Parallel()
	e := start(t)
	web := dims("ServiceName", "web")
	samples := []struct {
		at string
		v  float64
	}{
		{"09:59:30", 1000}, // before the window
		{"10:00:05", 10}, {"10:00:25", 20}, {"10:00:55", 60},
		{"10:01:30", 30},
		{"10:02:01", 40}, {"10:02:02", 50}, {"10:02:59", 60},
		{"10:03:10", 2000}, // after the window
	}
	for _, s := range samples {
		e.put(t, "Backlog", web, at(s.at), s.v)
	}
	// Another service's data must not be read.
	e.put(t, "Backlog", dims("ServiceName", "api"), at("10:01:30"), 5000)

	w, ok := breach.WindowAt(at("10:03:20"), time.Minute, 3)
	if !ok || !w.Start.Equal(at("10:00:00")) || !w.End.Equal(at("10:03:00")) {
		t.Fatalf("window = %+v, want [10:00, 10:03)", w)
	}
	// Each period's statistic, worked out by hand from the samples above.
	tests := []struct {
		name string
		edit func(*cloudwatch.PutMetricAlarmInput)
		want map[time.Time]float64
	}{
		{"Average", func(*cloudwatch.PutMetricAlarmInput) {},
			map[time.Time]float64{at("10:00:00"): 30, at("10:01:00"): 30, at("10:02:00"): 50}},
		{"Maximum", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = cwtypes.StatisticMaximum },
			map[time.Time]float64{at("10:00:00"): 60, at("10:01:00"): 30, at("10:02:00"): 60}},
		{"Sum", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = cwtypes.StatisticSum },
			map[time.Time]float64{at("10:00:00"): 90, at("10:01:00"): 30, at("10:02:00"): 150}},
		// The median of three samples is the middle one, whatever the percentile method.
		{"p50", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic, in.ExtendedStatistic = "", aws.String("p50") },
			map[time.Time]float64{at("10:00:00"): 20, at("10:01:00"): 30, at("10:02:00"): 50}},
	}
	for _, tt := range tests {
		in := staticAlarm("backlog-" + strings.ToLower(tt.name))
		tt.edit(in)
		e.putAlarm(t, in)
		a := e.describeOne(t, aws.ToString(in.AlarmName))
		got, err := awscw.Series(t.Context(), e.client, a, w)
		if err != nil {
			t.Fatalf("%s: Series: %v", tt.name, err)
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s: Series = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A metric-math alarm's Series is its ReturnData expression, evaluated over the metrics
// it names: here the error rate in percent, 100 * m1 / m2 of two Sums.
func TestSeriesOfAMetricMathAlarm(t *testing.T) {
	t.Parallel()
	e := start(t)
	lb := dims("LoadBalancer", "web")
	for _, s := range []struct {
		at               string
		errors, requests []float64
	}{
		{"10:00:10", []float64{3, 2}, []float64{100, 150}}, // 100 * 5 / 250 = 2
		{"10:01:10", []float64{9}, []float64{60}},          // 100 * 9 / 60 = 15
		{"10:02:10", []float64{1, 3}, []float64{25, 15}},   // 100 * 4 / 40 = 10
	} {
		for _, v := range s.errors {
			e.put(t, "Errors", lb, at(s.at), v)
		}
		for _, v := range s.requests {
			e.put(t, "Requests", lb, at(s.at), v)
		}
	}
	sum := func(id, metric string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{
			Id: aws.String(id), ReturnData: aws.Bool(false),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(namespace), MetricName: aws.String(metric), Dimensions: lb},
				Period: aws.Int32(60), Stat: aws.String("Sum"),
			},
		}
	}
	e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("error-rate"),
		Metrics: []cwtypes.MetricDataQuery{
			sum("m1", "Errors"), sum("m2", "Requests"),
			{Id: aws.String("rate"), Expression: aws.String("100 * m1 / m2"), Label: aws.String("error rate"), ReturnData: aws.Bool(true)},
		},
		EvaluationPeriods:  aws.Int32(3),
		Threshold:          aws.Float64(5),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	})
	a := e.describeOne(t, "error-rate")
	if a.Period != time.Minute || a.EvaluationPeriods != 3 || a.Threshold == nil || *a.Threshold != 5 || !a.HasMetric() {
		t.Fatalf("alarm = %+v, want the queries' period of 1m, 3 periods, threshold 5, a metric", a)
	}
	w, _ := breach.WindowAt(at("10:03:00"), a.Period, a.EvaluationPeriods)
	got, err := awscw.Series(t.Context(), e.client, a, w)
	if err != nil {
		t.Fatalf("Series: %v", err)
	}
	want := map[time.Time]float64{at("10:00:00"): 2, at("10:01:00"): 15, at("10:02:00"): 10}
	if !maps.Equal(got, want) {
		t.Errorf("Series = %v, want %v", got, want)
	}
}

// anomalyAlarm is an alarm on an anomaly detection band, as the PutMetricAlarm reference's
// anomaly detection example and the CDK write it: the metric m1 and the band ad1, both
// with ReturnData, and ThresholdMetricId naming the band.
func anomalyAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name),
		Metrics: []cwtypes.MetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(true), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(namespace), MetricName: aws.String("Backlog"), Dimensions: dims("ServiceName", "web")},
				Period: aws.Int32(60), Stat: aws.String("Average"),
			}},
			{Id: aws.String("ad1"), Expression: aws.String("ANOMALY_DETECTION_BAND(m1, 2)"), ReturnData: aws.Bool(true)},
		},
		ThresholdMetricId:  aws.String("ad1"),
		EvaluationPeriods:  aws.Int32(2),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanUpperThreshold,
	}
}

// An alarm on an anomaly detection band compares with the band, not a number: its
// Threshold is nil, while it still has a metric and a period.
func TestDescribeAnomalyBandAlarm(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.putAlarm(t, anomalyAlarm("backlog-anomaly"))
	a := e.describeOne(t, "backlog-anomaly")
	if a.Threshold != nil {
		t.Errorf("Threshold = %v, want nil for an anomaly band", *a.Threshold)
	}
	if a.Composite || !a.HasMetric() || a.Period != time.Minute || a.EvaluationPeriods != 2 {
		t.Errorf("alarm = %+v, want a metric alarm with a metric, period 1m, 2 periods", a)
	}
}

// The series an anomaly-band alarm evaluates is its metric, m1: the band is what it is
// compared with ("ThresholdMetricId ... the ID of the ANOMALY_DETECTION_BAND function used
// as the threshold for the alarm", API Reference, MetricAlarm).
func TestSeriesOfAnAnomalyBandAlarmIsItsMetric(t *testing.T) {
	t.Parallel()
	e := start(t)
	web := dims("ServiceName", "web")
	e.put(t, "Backlog", web, at("10:01:10"), 40)
	e.put(t, "Backlog", web, at("10:01:50"), 60)
	e.put(t, "Backlog", web, at("10:02:30"), 70)
	e.putAlarm(t, anomalyAlarm("backlog-anomaly"))
	a := e.describeOne(t, "backlog-anomaly")
	w, _ := breach.WindowAt(at("10:03:00"), a.Period, a.EvaluationPeriods)
	got, err := awscw.Series(t.Context(), e.client, a, w)
	if err != nil {
		t.Fatalf("Series: %v", err)
	}
	if want := map[time.Time]float64{at("10:01:00"): 50, at("10:02:00"): 70}; !maps.Equal(got, want) {
		t.Errorf("Series = %v, want m1's averages %v", got, want)
	}
}

// An error from CloudWatch comes back wrapped, with its code intact for classification.
func TestErrorsKeepTheAPIError(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.putAlarm(t, staticAlarm("cpu"))
	e.emu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: cwemu.InvalidParameter})
	_, err := awscw.DescribeAlarms(t.Context(), e.client, []string{"cpu"}, false, "")
	if code := apiCode(err); code != cwemu.InvalidParameter {
		t.Errorf("DescribeAlarms error = %v (code %q), want %s", err, code, cwemu.InvalidParameter)
	}

	a := e.describeOne(t, "cpu")
	e.emu.InjectFault(cwemu.Fault{Operation: "GetMetricData", Error: cwemu.ValidationError})
	w, _ := breach.WindowAt(t0, a.Period, a.EvaluationPeriods)
	_, err = awscw.Series(t.Context(), e.client, a, w)
	if code := apiCode(err); code != cwemu.ValidationError || !strings.Contains(err.Error(), "cpu") {
		t.Errorf("Series error = %v (code %q), want %s naming the alarm", err, code, cwemu.ValidationError)
	}
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	return apiErr.ErrorCode()
}
