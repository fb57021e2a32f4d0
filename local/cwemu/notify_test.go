package cwemu_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/local/cwemu"
)

// The notifications the emulator publishes are compared with the captured CloudWatch
// notifications in internal/alarm/testdata, which package alarm parses: each scenario
// configures an alarm as the captured one was, drives it with metric data and
// evaluations to the same transition, and expects the same message, member for member
// and in the same order. Where a difference is unavoidable the scenario overrides the
// expected member and says why.

const testdata = "../../internal/alarm/testdata"

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05.000Z0700", s)
	if err != nil {
		panic(err)
	}
	return t
}

func dimsOf(kv ...string) []types.Dimension {
	var out []types.Dimension
	for i := 0; i < len(kv); i += 2 {
		out = append(out, types.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func cwDims(kv ...string) []cwemu.Dimension {
	var out []cwemu.Dimension
	for i := 0; i < len(kv); i += 2 {
		out = append(out, cwemu.Dimension{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// publish stores one datum, as an AWS service would, at its time.
func (e *env) publish(t *testing.T, d cwemu.Datum) {
	t.Helper()
	if err := e.emu.PublishMetric(d); err != nil {
		t.Fatalf("PublishMetric: %v", err)
	}
}

type scenario struct {
	file   string
	region string
	kind   alarm.Kind
	run    func(t *testing.T, e *env) // drives the alarm; the last notification is compared
	// overrides replace members of the expected message, by path ("Trigger.Metrics.0.Expression").
	overrides map[string]any
	subject   string
}

func TestNotificationsMatchCapturedMessages(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			e := start(t, cwemu.Options{Region: sc.region})
			sc.run(t, e)
			msgs := e.inbox.all()
			if len(msgs) == 0 {
				t.Fatal("no notification published")
			}
			got := msgs[len(msgs)-1]
			if got.subject != sc.subject {
				t.Errorf("subject %q, want %q", got.subject, sc.subject)
			}
			want, err := os.ReadFile(filepath.Join(testdata, sc.file))
			if err != nil {
				t.Fatal(err)
			}
			compareMessages(t, []byte(got.message), want, sc.overrides)

			n, err := alarm.Parse([]byte(got.message))
			if err != nil {
				t.Fatalf("alarm.Parse: %v\n%s", err, got.message)
			}
			if n.Kind != sc.kind || n.Region != sc.region || n.AccountID != account {
				t.Errorf("parsed kind %s, region %s, account %s; want %s, %s, %s", n.Kind, n.Region, n.AccountID, sc.kind, sc.region, account)
			}
			if n.AlarmActions == nil || got.topic != n.AlarmActions[0] && got.topic != first(n.OKActions) && got.topic != first(n.InsufficientDataActions) {
				t.Errorf("published to %s, which is not among the alarm's actions", got.topic)
			}
		})
	}
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

var scenarios = []scenario{
	{
		file: "metric-alarm.json", region: "eu-west-2", kind: alarm.KindMetric,
		subject: `ALARM: "web-api-cpu-high" in EU (London)`,
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-11-20T08:15:02.704Z"))
			e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
				AlarmName:          aws.String("web-api-cpu-high"),
				AlarmDescription:   aws.String("Scale out web-api when average CPU stays above 80% for three minutes"),
				Namespace:          aws.String("AWS/ECS"),
				MetricName:         aws.String("CPUUtilization"),
				Dimensions:         dimsOf("ClusterName", "prod-cluster", "ServiceName", "web-api"),
				Statistic:          types.StatisticAverage,
				Unit:               types.StandardUnitPercent,
				Period:             aws.Int32(60),
				EvaluationPeriods:  aws.Int32(3),
				DatapointsToAlarm:  aws.Int32(3),
				Threshold:          aws.Float64(80),
				ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold,
				TreatMissingData:   aws.String("missing"),
				AlarmActions:       []string{"arn:aws:sns:eu-west-2:123456789012:stepscaler-alarms"},
			})
			e.clock.Set(ts("2026-11-27T09:56:00.000Z"))
			cpu := func(at string, v float64) cwemu.Datum {
				return cwemu.Datum{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: cwDims("ClusterName", "prod-cluster", "ServiceName", "web-api"),
					Timestamp: ts("2026-11-27T" + at + ".000Z"), Value: v, Unit: "Percent"}
			}
			for _, m := range []string{"09:56:00", "09:57:00", "09:58:00"} {
				e.publish(t, cpu(m, 50))
			}
			e.emu.EvaluateAlarms(ts("2026-11-27T09:59:10.000Z")) // 09:54..09:58: three 50s, OK
			for _, d := range []cwemu.Datum{cpu("09:59:00", 88.4), cpu("09:59:40", 88.4), cpu("10:00:00", 90.1), cpu("10:01:00", 85.2)} {
				e.publish(t, d)
			}
			e.emu.EvaluateAlarms(ts("2026-11-27T10:02:41.512Z")) // 09:57..10:01
			// The structured form of the same evaluation, worked out by hand: the range
			// holds 50, 50, 88.4 (two samples), 90.1 and 85.2; the newest three decide.
			wantData := `{"version":"1.0","queryDate":"2026-11-27T10:02:41.512+0000","startDate":"2026-11-27T09:57:00.000+0000",` +
				`"unit":"Percent","statistic":"Average","period":60,"recentDatapoints":[50.0,50.0,88.4,90.1,85.2],"threshold":80.0,` +
				`"evaluatedDatapoints":[{"timestamp":"2026-11-27T10:01:00.000+0000","sampleCount":1.0,"value":85.2},` +
				`{"timestamp":"2026-11-27T10:00:00.000+0000","sampleCount":1.0,"value":90.1},` +
				`{"timestamp":"2026-11-27T09:59:00.000+0000","sampleCount":2.0,"value":88.4}]}`
			a := e.metricAlarm(t, "web-api-cpu-high")
			if got := aws.ToString(a.StateReasonData); got != wantData {
				t.Errorf("StateReasonData\n got %s\nwant %s", got, wantData)
			}
			if got := aws.ToTime(a.StateUpdatedTimestamp).UTC(); !got.Equal(ts("2026-11-27T10:02:41.512Z")) {
				t.Errorf("StateUpdatedTimestamp %v", got)
			}
		},
	},
	{
		file: "extended-statistic.json", region: "eu-west-1", kind: alarm.KindMetric,
		subject: `ALARM: "web-api-p90-latency" in EU (Ireland)`,
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-11-01T12:00:45.331Z"))
			e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
				AlarmName:                        aws.String("web-api-p90-latency"),
				AlarmDescription:                 aws.String("p90 target response time above 500 ms"),
				Namespace:                        aws.String("AWS/ApplicationELB"),
				MetricName:                       aws.String("TargetResponseTime"),
				Dimensions:                       dimsOf("TargetGroup", "targetgroup/web-api/6d0ecf831eec9f09", "LoadBalancer", "app/prod-alb/50dc6c495c0c9188"),
				ExtendedStatistic:                aws.String("p90"),
				Period:                           aws.Int32(60),
				EvaluationPeriods:                aws.Int32(3),
				DatapointsToAlarm:                aws.Int32(2),
				Threshold:                        aws.Float64(0.5),
				ComparisonOperator:               types.ComparisonOperatorGreaterThanThreshold,
				TreatMissingData:                 aws.String("missing"),
				EvaluateLowSampleCountPercentile: aws.String("evaluate"),
				AlarmActions:                     []string{"arn:aws:sns:eu-west-1:123456789012:stepscaler-alarms"},
			})
			e.clock.Set(ts("2026-11-27T10:00:00.000Z"))
			latency := func(minute string, v float64) cwemu.Datum {
				return cwemu.Datum{Namespace: "AWS/ApplicationELB", MetricName: "TargetResponseTime",
					Dimensions: cwDims("TargetGroup", "targetgroup/web-api/6d0ecf831eec9f09", "LoadBalancer", "app/prod-alb/50dc6c495c0c9188"),
					Timestamp:  ts("2026-11-27T10:" + minute + ":00.000Z"), Value: v, Unit: "Seconds"}
			}
			e.publish(t, latency("00", 0.3))
			e.publish(t, latency("01", 0.3))
			e.emu.EvaluateAlarms(ts("2026-11-27T10:02:30.000Z")) // two fine datapoints: OK
			e.publish(t, latency("02", 0.612))
			e.publish(t, latency("03", 0.4))
			e.publish(t, latency("04", 0.734))
			e.emu.EvaluateAlarms(ts("2026-11-27T10:05:12.004Z")) // 10:04 and 10:02 of the last three breach
		},
	},
	{
		file: "metric-alarm-null-unit.json", region: "us-east-1", kind: alarm.KindMetric,
		subject: `ALARM: "worker-queue-backlog" in US East (N. Virginia)`,
		// The capture's datapoints are the five-minute periods starting 09:50 and 09:55,
		// evaluated at 09:56:03. CloudWatch's documented default is a sliding window
		// ("The window advances each time the alarm is evaluated"), whose periods at
		// 09:56 would start at 09:46 and 09:51; the emulator evaluates at 10:00:03, when
		// the sliding periods are the capture's.
		overrides: map[string]any{"StateChangeTime": "2026-11-27T10:00:03.218+0000"},
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-10-02T14:40:11.090Z"))
			e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
				AlarmName:          aws.String("worker-queue-backlog"),
				Namespace:          aws.String("AWS/SQS"),
				MetricName:         aws.String("ApproximateNumberOfMessagesVisible"),
				Dimensions:         dimsOf("QueueName", "worker-jobs"),
				Statistic:          types.StatisticMaximum,
				Period:             aws.Int32(300),
				EvaluationPeriods:  aws.Int32(2),
				DatapointsToAlarm:  aws.Int32(2),
				Threshold:          aws.Float64(1000),
				ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
				TreatMissingData:   aws.String("notBreaching"),
				OKActions:          []string{topic},
				AlarmActions:       []string{topic},
			})
			e.clock.Set(ts("2026-11-27T09:40:00.000Z"))
			queue := func(at string, v float64) cwemu.Datum {
				return cwemu.Datum{Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible", Dimensions: cwDims("QueueName", "worker-jobs"),
					Timestamp: ts("2026-11-27T" + at + ".000Z"), Value: v, Unit: "Count"}
			}
			e.publish(t, queue("09:41:00", 100))
			e.emu.EvaluateAlarms(ts("2026-11-27T09:50:03.000Z")) // one fine period, one missing as not breaching: OK
			for _, d := range []cwemu.Datum{queue("09:51:00", 1000), queue("09:53:00", 1210), queue("09:56:00", 1520), queue("09:58:00", 900)} {
				e.publish(t, d)
			}
			e.emu.EvaluateAlarms(ts("2026-11-27T10:00:03.218Z"))
		},
	},
	{
		file: "metric-math.json", region: "eu-central-1", kind: alarm.KindMetricMath,
		subject: `ALARM: "web-api-requests-per-task" in EU (Frankfurt)`,
		// The capture divides by MAX([tasks, 1]), a number in an array of time series,
		// which the metric math documentation does not define and the emulator refuses;
		// the scenario divides by tasks.
		overrides: map[string]any{"Trigger.Metrics.0.Expression": "requests / tasks"},
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-11-15T16:22:09.876Z"))
			requestsDims := dimsOf("TargetGroup", "targetgroup/web-api/6d0ecf831eec9f09", "LoadBalancer", "app/prod-alb/50dc6c495c0c9188")
			tasksDims := dimsOf("ClusterName", "prod-cluster", "ServiceName", "web-api")
			topic := "arn:aws:sns:eu-central-1:123456789012:stepscaler-alarms"
			e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
				AlarmName:        aws.String("web-api-requests-per-task"),
				AlarmDescription: aws.String("ALB requests per running task above 1000 per minute"),
				Metrics: []types.MetricDataQuery{
					{Id: aws.String("e1"), Expression: aws.String("requests / tasks"), Label: aws.String("Requests per task"), ReturnData: aws.Bool(true)},
					{Id: aws.String("requests"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
						Metric: &types.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCountPerTarget"), Dimensions: requestsDims},
						Period: aws.Int32(60), Stat: aws.String("Sum")}},
					{Id: aws.String("tasks"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
						Metric: &types.Metric{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("RunningTaskCount"), Dimensions: tasksDims},
						Period: aws.Int32(60), Stat: aws.String("Average"), Unit: types.StandardUnitCount}},
				},
				EvaluationPeriods:  aws.Int32(1),
				DatapointsToAlarm:  aws.Int32(1),
				Threshold:          aws.Float64(1000),
				ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
				TreatMissingData:   aws.String("missing"),
				OKActions:          []string{topic},
				AlarmActions:       []string{topic},
			})
			e.clock.Set(ts("2026-11-27T10:08:00.000Z"))
			point := func(minute string, requests, tasks float64) {
				at := ts("2026-11-27T10:" + minute + ":00.000Z")
				e.publish(t, cwemu.Datum{Namespace: "AWS/ApplicationELB", MetricName: "RequestCountPerTarget", Dimensions: cwDims("TargetGroup", "targetgroup/web-api/6d0ecf831eec9f09", "LoadBalancer", "app/prod-alb/50dc6c495c0c9188"), Timestamp: at, Value: requests, Unit: "Count"})
				e.publish(t, cwemu.Datum{Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: cwDims("ClusterName", "prod-cluster", "ServiceName", "web-api"), Timestamp: at, Value: tasks, Unit: "Count"})
			}
			point("08", 2000, 4)                                 // 500 per task
			e.emu.EvaluateAlarms(ts("2026-11-27T10:09:30.000Z")) // OK
			point("10", 2637, 2)                                 // 1318.5 per task
			e.emu.EvaluateAlarms(ts("2026-11-27T10:11:30.140Z"))
		},
	},
	{
		file: "composite-alarm.json", region: "eu-west-2", kind: alarm.KindComposite,
		subject: `ALARM: "web-api-overloaded" in EU (London)`,
		// CloudWatch derives the composite's state a moment after the child's change
		// (10:02:42.087 after 10:02:41.512 in the capture); the emulator does it in the
		// same call.
		overrides: map[string]any{"StateChangeTime": "2026-11-27T10:02:41.512+0000"},
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-11-20T08:15:00.000Z"))
			for _, name := range []string{"web-api-cpu-high", "web-api-p90-latency", "web-api-maintenance"} {
				in := cpuAlarm(name)
				in.AlarmActions = nil
				e.putAlarm(t, in)
				e.setState(t, name, types.StateValueOk, "test")
			}
			e.clock.Set(ts("2026-11-20T08:16:40.119Z"))
			topic := "arn:aws:sns:eu-west-2:123456789012:stepscaler-alarms"
			_, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{
				AlarmName:        aws.String("web-api-overloaded"),
				AlarmDescription: aws.String("CPU or latency alarm while the service is serving traffic"),
				AlarmRule:        aws.String(`(ALARM("web-api-cpu-high") OR ALARM("web-api-p90-latency")) AND NOT ALARM("web-api-maintenance")`),
				OKActions:        []string{topic},
				AlarmActions:     []string{topic},
			})
			if err != nil {
				t.Fatalf("PutCompositeAlarm: %v", err)
			}
			e.clock.Set(ts("2026-11-27T10:02:41.512Z"))
			e.setState(t, "web-api-cpu-high", types.StateValueAlarm, "Threshold Crossed: test")
		},
	},
	{
		file: "ok-state.json", region: "eu-west-2", kind: alarm.KindMetric,
		subject: `OK: "web-api-cpu-low" in EU (London)`,
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-11-20T08:15:03.118Z"))
			topic := "arn:aws:sns:eu-west-2:123456789012:stepscaler-alarms"
			e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
				AlarmName:          aws.String("web-api-cpu-low"),
				AlarmDescription:   aws.String("Scale in web-api when average CPU stays below 20% for fifteen minutes"),
				Namespace:          aws.String("AWS/ECS"),
				MetricName:         aws.String("CPUUtilization"),
				Dimensions:         dimsOf("ClusterName", "prod-cluster", "ServiceName", "web-api"),
				Statistic:          types.StatisticAverage,
				Period:             aws.Int32(60),
				EvaluationPeriods:  aws.Int32(15),
				Threshold:          aws.Float64(20),
				ComparisonOperator: types.ComparisonOperatorLessThanThreshold,
				TreatMissingData:   aws.String("missing"),
				OKActions:          []string{topic},
				AlarmActions:       []string{topic},
			})
			e.clock.Set(ts("2026-11-27T10:03:00.000Z"))
			cpu := func(at time.Time, v float64) cwemu.Datum {
				return cwemu.Datum{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: cwDims("ClusterName", "prod-cluster", "ServiceName", "web-api"), Timestamp: at, Value: v, Unit: "Percent"}
			}
			for m := range 17 {
				e.publish(t, cpu(ts("2026-11-27T10:03:00.000Z").Add(time.Duration(m)*time.Minute), 10))
			}
			e.emu.EvaluateAlarms(ts("2026-11-27T10:20:05.000Z")) // 10:03..10:19 all below 20: ALARM
			e.publish(t, cpu(ts("2026-11-27T10:20:00.000Z"), 42.7))
			e.emu.EvaluateAlarms(ts("2026-11-27T10:21:05.930Z"))
		},
	},
	{
		file: "insufficient-data.json", region: "eu-west-2", kind: alarm.KindMetric,
		subject: `INSUFFICIENT_DATA: "web-api-memory-high" in EU (London)`,
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-11-20T08:15:04.551Z"))
			topic := "arn:aws:sns:eu-west-2:123456789012:stepscaler-alarms"
			e.putAlarm(t, &cloudwatch.PutMetricAlarmInput{
				AlarmName:               aws.String("web-api-memory-high"),
				Namespace:               aws.String("AWS/ECS"),
				MetricName:              aws.String("MemoryUtilization"),
				Dimensions:              dimsOf("ClusterName", "prod-cluster", "ServiceName", "web-api"),
				Statistic:               types.StatisticAverage,
				Unit:                    types.StandardUnitPercent,
				Period:                  aws.Int32(60),
				EvaluationPeriods:       aws.Int32(5),
				Threshold:               aws.Float64(75),
				ComparisonOperator:      types.ComparisonOperatorGreaterThanThreshold,
				TreatMissingData:        aws.String("missing"),
				AlarmActions:            []string{topic},
				InsufficientDataActions: []string{topic},
			})
			e.clock.Set(ts("2026-11-27T10:15:00.000Z"))
			for m := range 8 {
				e.publish(t, cwemu.Datum{Namespace: "AWS/ECS", MetricName: "MemoryUtilization", Dimensions: cwDims("ClusterName", "prod-cluster", "ServiceName", "web-api"),
					Timestamp: ts("2026-11-27T10:15:00.000Z").Add(time.Duration(m) * time.Minute), Value: 50, Unit: "Percent"})
			}
			e.emu.EvaluateAlarms(ts("2026-11-27T10:23:00.000Z")) // OK
			e.emu.EvaluateAlarms(ts("2026-11-27T10:30:07.402Z")) // 10:23..10:29: no data
		},
	},
	{
		file: "anomaly-detection.json", region: "us-west-2", kind: alarm.KindMetricMath,
		subject: `ALARM: "web-api-requests-anomaly" in US West (Oregon)`,
		// The emulator does not evaluate anomaly bands: SetAlarmState sets the state
		// with the capture's reason.
		run: func(t *testing.T, e *env) {
			e.clock.Set(ts("2026-09-30T07:12:55.001Z"))
			e.putAlarm(t, anomalyAlarm("web-api-requests-anomaly"))
			e.setState(t, "web-api-requests-anomaly", types.StateValueOk, "test")
			e.clock.Set(ts("2026-11-27T10:16:20.775Z"))
			e.setState(t, "web-api-requests-anomaly", types.StateValueAlarm,
				"Thresholds Crossed: 1 out of the last 1 datapoints [15230.0 (27/11/26 10:15:00)] was greater than the upper thresholds [11842.611] (minimum 1 datapoint for OK -> ALARM transition).")
		},
	},
}

// compareMessages checks got against the captured message want (with overrides): the
// same members, in the same order, with the same values.
func compareMessages(t *testing.T, got, want []byte, overrides map[string]any) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("message is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("captured message: %v", err)
	}
	for path, v := range overrides {
		if !set(w, path, v) {
			t.Fatalf("override %s: no such member in the captured message", path)
		}
	}
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(g, "", "  ")
		wj, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("message differs from the capture\n got %s\nwant %s", gj, wj)
	}
	if go_, wo := memberOrder(t, got), memberOrder(t, want); fmt.Sprint(go_) != fmt.Sprint(wo) {
		t.Errorf("member order\n got %v\nwant %v", go_, wo)
	}
}

// set replaces the member at a dotted path (array indexes as numbers).
func set(doc any, path string, v any) bool {
	keys := splitPath(path)
	for i, k := range keys {
		last := i == len(keys)-1
		switch node := doc.(type) {
		case map[string]any:
			if _, ok := node[k]; !ok {
				return false
			}
			if last {
				node[k] = v
				return true
			}
			doc = node[k]
		case []any:
			var idx int
			if _, err := fmt.Sscan(k, &idx); err != nil || idx >= len(node) {
				return false
			}
			if last {
				node[idx] = v
				return true
			}
			doc = node[idx]
		default:
			return false
		}
	}
	return false
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := range len(p) {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// memberOrder lists the object members of a JSON document in order of appearance, as
// paths.
func memberOrder(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	var out []string
	var walk func(prefix string) error
	walk = func(prefix string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				out = append(out, prefix+k.(string))
				if err := walk(prefix + k.(string) + "."); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s%d.", prefix, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(""); err != nil {
		t.Fatalf("walk JSON: %v", err)
	}
	return out
}
