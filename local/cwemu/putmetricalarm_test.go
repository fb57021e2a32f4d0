package cwemu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

// A new alarm is INSUFFICIENT_DATA with CloudWatch's initial reason, and DescribeAlarms
// reports its configuration as given.
func TestPutMetricAlarmCreatesInsufficientData(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("web-cpu-high")
	in.AlarmDescription = aws.String("scale out web")
	in.Unit = types.StandardUnitPercent
	in.DatapointsToAlarm = aws.Int32(2)
	in.TreatMissingData = aws.String("notBreaching")
	in.OKActions = []string{"arn:aws:sns:us-east-1:123456789012:ok"}
	e.putAlarm(t, in)

	a := e.metricAlarm(t, "web-cpu-high")
	checks := []struct {
		field     string
		got, want any
	}{
		{"AlarmArn", aws.ToString(a.AlarmArn), "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-cpu-high"},
		{"AlarmDescription", aws.ToString(a.AlarmDescription), "scale out web"},
		{"StateValue", a.StateValue, types.StateValueInsufficientData},
		{"StateReason", aws.ToString(a.StateReason), "Unchecked: Initial alarm creation"},
		{"StateReasonData", a.StateReasonData, (*string)(nil)},
		{"StateUpdatedTimestamp", aws.ToTime(a.StateUpdatedTimestamp).UTC(), t0},
		{"StateTransitionedTimestamp", aws.ToTime(a.StateTransitionedTimestamp).UTC(), t0},
		{"AlarmConfigurationUpdatedTimestamp", aws.ToTime(a.AlarmConfigurationUpdatedTimestamp).UTC(), t0},
		{"ActionsEnabled", aws.ToBool(a.ActionsEnabled), true},
		{"Namespace", aws.ToString(a.Namespace), "Stepscaler/Test"},
		{"MetricName", aws.ToString(a.MetricName), "CPUUtilization"},
		{"Dimensions", dims(a.Dimensions), "ServiceName=web"},
		{"Statistic", a.Statistic, types.StatisticAverage},
		{"ExtendedStatistic", a.ExtendedStatistic, (*string)(nil)},
		{"Period", aws.ToInt32(a.Period), int32(60)},
		{"Unit", a.Unit, types.StandardUnitPercent},
		{"EvaluationPeriods", aws.ToInt32(a.EvaluationPeriods), int32(3)},
		{"DatapointsToAlarm", aws.ToInt32(a.DatapointsToAlarm), int32(2)},
		{"Threshold", aws.ToFloat64(a.Threshold), 80.0},
		{"ComparisonOperator", a.ComparisonOperator, types.ComparisonOperatorGreaterThanOrEqualToThreshold},
		{"TreatMissingData", aws.ToString(a.TreatMissingData), "notBreaching"},
		{"AlarmActions", strings.Join(a.AlarmActions, ","), topic},
		{"OKActions", strings.Join(a.OKActions, ","), "arn:aws:sns:us-east-1:123456789012:ok"},
		{"InsufficientDataActions", len(a.InsufficientDataActions), 0},
		{"Metrics", len(a.Metrics), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func dims(ds []types.Dimension) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
	}
	return strings.Join(parts, ",")
}

// "When you update an existing alarm, its state is left unchanged, but the update
// completely overwrites the previous configuration of the alarm." (PutMetricAlarm)
func TestPutMetricAlarmUpdateKeepsState(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("web-cpu-high")
	in.DatapointsToAlarm = aws.Int32(2)
	e.putAlarm(t, in)
	e.setState(t, "web-cpu-high", types.StateValueAlarm, "by hand")

	e.clock.Advance(time.Hour)
	update := cpuAlarm("web-cpu-high")
	update.Threshold = aws.Float64(90)
	e.putAlarm(t, update)

	a := e.metricAlarm(t, "web-cpu-high")
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != "by hand" {
		t.Errorf("state %s (%q), want ALARM kept", a.StateValue, aws.ToString(a.StateReason))
	}
	if got := aws.ToTime(a.StateUpdatedTimestamp).UTC(); !got.Equal(t0) {
		t.Errorf("StateUpdatedTimestamp %v, want %v: an update is no state change", got, t0)
	}
	if got := aws.ToTime(a.AlarmConfigurationUpdatedTimestamp).UTC(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("AlarmConfigurationUpdatedTimestamp %v, want the update's time", got)
	}
	if aws.ToFloat64(a.Threshold) != 90 || a.DatapointsToAlarm != nil {
		t.Errorf("threshold %v, DatapointsToAlarm %v: want 90 and none (the update overwrites)", aws.ToFloat64(a.Threshold), a.DatapointsToAlarm)
	}
	if n := len(e.inbox.all()); n != 1 {
		t.Errorf("%d notifications, want 1 (SetAlarmState's, none for the update)", n)
	}
}

func mathAlarm(name, expression string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name),
		Metrics: []types.MetricDataQuery{
			{Id: aws.String("e1"), Expression: aws.String(expression), Label: aws.String("Requests per task"), ReturnData: aws.Bool(true)},
			{Id: aws.String("requests"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("Stepscaler/Test"), MetricName: aws.String("Requests"),
					Dimensions: []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}}},
				Period: aws.Int32(60), Stat: aws.String("Sum"),
			}},
			{Id: aws.String("tasks"), ReturnData: aws.Bool(false), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("Stepscaler/Test"), MetricName: aws.String("Tasks"),
					Dimensions: []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}}},
				Period: aws.Int32(60), Stat: aws.String("Average"), Unit: types.StandardUnitCount,
			}},
		},
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1000),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions:       []string{topic},
	}
}

func TestPutMetricAlarmMetricMath(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, mathAlarm("per-task", "requests / tasks"))
	a := e.metricAlarm(t, "per-task")
	if a.MetricName != nil || a.Namespace != nil || a.Period != nil || a.Statistic != "" {
		t.Errorf("metric-math alarm reports single-metric members: %v %v %v %q", a.MetricName, a.Namespace, a.Period, a.Statistic)
	}
	if len(a.Metrics) != 3 {
		t.Fatalf("Metrics: %d queries, want 3", len(a.Metrics))
	}
	e1, tasks := a.Metrics[0], a.Metrics[2]
	if aws.ToString(e1.Expression) != "requests / tasks" || aws.ToString(e1.Label) != "Requests per task" || !aws.ToBool(e1.ReturnData) {
		t.Errorf("e1 = %+v", e1)
	}
	if ms := tasks.MetricStat; ms == nil || aws.ToString(ms.Metric.MetricName) != "Tasks" || aws.ToInt32(ms.Period) != 60 ||
		aws.ToString(ms.Stat) != "Average" || ms.Unit != types.StandardUnitCount || aws.ToBool(tasks.ReturnData) {
		t.Errorf("tasks = %+v", tasks)
	}
}

// An alarm on an anomaly detection band is stored and reported with its ThresholdMetricId.
func TestPutMetricAlarmAnomalyBand(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, anomalyAlarm("requests-anomaly"))
	a := e.metricAlarm(t, "requests-anomaly")
	if aws.ToString(a.ThresholdMetricId) != "ad1" || a.Threshold != nil || a.ComparisonOperator != types.ComparisonOperatorGreaterThanUpperThreshold {
		t.Errorf("ThresholdMetricId %v, Threshold %v, operator %s", aws.ToString(a.ThresholdMetricId), a.Threshold, a.ComparisonOperator)
	}
	if len(a.Metrics) != 2 || aws.ToString(a.Metrics[1].Expression) != "ANOMALY_DETECTION_BAND(m1, 2)" {
		t.Errorf("Metrics %+v", a.Metrics)
	}
}

func anomalyAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name),
		Metrics: []types.MetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(true), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
					Dimensions: []types.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/prod-alb/50dc6c495c0c9188")}}},
				Period: aws.Int32(300), Stat: aws.String("Sum"),
			}},
			{Id: aws.String("ad1"), Expression: aws.String("ANOMALY_DETECTION_BAND(m1, 2)"), Label: aws.String("RequestCount (expected)"), ReturnData: aws.Bool(true)},
		},
		ThresholdMetricId:  aws.String("ad1"),
		EvaluationPeriods:  aws.Int32(1),
		DatapointsToAlarm:  aws.Int32(1),
		ComparisonOperator: types.ComparisonOperatorGreaterThanUpperThreshold,
		TreatMissingData:   aws.String("missing"),
		AlarmActions:       []string{"arn:aws:sns:us-west-2:123456789012:stepscaler-alarms"},
	}
}

func TestPutMetricAlarmValidation(t *testing.T) {
	e := start(t, cwemu.Options{})
	var (
		validation  *types.ValidationException
		combination *types.InvalidParameterCombinationException
		missing     *types.MissingRequiredParameterException
	)
	tests := []struct {
		name    string
		edit    func(*cloudwatch.PutMetricAlarmInput)
		code    string
		message string // a substring; "" to skip
		check   func(error)
	}{
		{"empty name", func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmName = aws.String("") }, "ValidationError",
			// The message AWS returns, quoted in the aws-sdk-js-v3 CloudWatch
			// query-compatibility end-to-end test.
			"1 validation error detected: Value '' at 'alarmName' failed to satisfy constraint: Member must have length greater than or equal to 1",
			func(err error) { wantAPIError(t, err, "ValidationError", 400, &validation) }},
		{"control character in name", func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmName = aws.String("a\tb") }, "ValidationError", "control characters", nil},
		{"M above N", func(in *cloudwatch.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(4) }, "ValidationError",
			"DatapointsToAlarm must be less than or equal to EvaluationPeriods", nil},
		{"period", func(in *cloudwatch.PutMetricAlarmInput) { in.Period = aws.Int32(90) }, "ValidationError", "Period must be 10, 20, 30 or a multiple of 60", nil},
		{"no period", func(in *cloudwatch.PutMetricAlarmInput) { in.Period = nil }, "MissingParameter", "The parameter Period is required.",
			func(err error) { wantAPIError(t, err, "MissingParameter", 400, &missing) }},
		{"statistic and extended", func(in *cloudwatch.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p90") }, "InvalidParameterCombination", "mutually exclusive",
			func(err error) { wantAPIError(t, err, "InvalidParameterCombination", 400, &combination) }},
		{"neither statistic", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = "" }, "MissingParameter", "Statistic or ExtendedStatistic", nil},
		{"unknown statistic", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = "Median" }, "ValidationError", "enum value set", nil},
		{"metric and metrics", func(in *cloudwatch.PutMetricAlarmInput) { in.Metrics = mathAlarm("x", "requests").Metrics }, "InvalidParameterCombination", "Metrics parameter", nil},
		{"no evaluation periods", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = nil }, "MissingParameter", "EvaluationPeriods", nil},
		{"zero evaluation periods", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(0) }, "ValidationError",
			"Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1", nil},
		{"more than a day", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1441) }, "InvalidParameterCombination", "more than a day", nil},
		{"no threshold", func(in *cloudwatch.PutMetricAlarmInput) { in.Threshold = nil }, "MissingParameter", "Threshold or ThresholdMetricId", nil},
		{"anomaly operator on a threshold", func(in *cloudwatch.PutMetricAlarmInput) {
			in.ComparisonOperator = types.ComparisonOperatorGreaterThanUpperThreshold
		}, "InvalidParameterCombination", "anomaly detection", nil},
		{"treat missing data", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("drop") }, "ValidationError", "TreatMissingData", nil},
		{"six actions", func(in *cloudwatch.PutMetricAlarmInput) {
			in.AlarmActions = []string{topic, topic + "2", topic + "3", topic + "4", topic + "5", topic + "6"}
		}, "ValidationError", "Member must have length less than or equal to 5", nil},
		{"not an ARN", func(in *cloudwatch.PutMetricAlarmInput) { in.OKActions = []string{"my-topic"} }, "ValidationError", "Invalid arn syntax: my-topic", nil},
		{"trimmed mean", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic, in.ExtendedStatistic = "", aws.String("tm90") }, "ValidationError",
			"The local CloudWatch emulator does not support the extended statistic tm90", nil},
		{"evaluation criteria", func(in *cloudwatch.PutMetricAlarmInput) {
			in.EvaluationInterval = aws.Int32(60)
		}, "ValidationError", "does not support the PutMetricAlarm parameter EvaluationInterval", nil},
	}
	for _, tt := range tests {
		in := cpuAlarm("v")
		tt.edit(in)
		_, err := e.client.PutMetricAlarm(ctx, in)
		if tt.check != nil {
			tt.check(err)
		} else {
			wantAPIError(t, err, tt.code, 400, noTarget)
		}
		if err != nil && !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.message)
		}
	}
	// Nothing invalid was stored.
	out, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 0 {
		t.Errorf("%d alarms stored by invalid requests", len(out.MetricAlarms))
	}
}

func TestPutMetricAlarmMathValidation(t *testing.T) {
	e := start(t, cwemu.Options{})
	tests := []struct {
		name       string
		expression string
		edit       func(*cloudwatch.PutMetricAlarmInput)
		message    string
	}{
		{"unsupported function", "RATE(requests)", nil, "The local CloudWatch emulator does not support the function RATE"},
		{"unsupported operator", "requests > 10", nil, "does not support the operator >"},
		{"unknown id", "requests / taskz", nil, "unrecognized metric id taskz"},
		{"syntax", "requests / (tasks", nil, "Error in expression e1"},
		{"two returned", "requests / tasks", func(in *cloudwatch.PutMetricAlarmInput) { in.Metrics[1].ReturnData = aws.Bool(true) },
			"Metrics list must contain exactly one metric matching the ReturnData parameter"},
		{"duplicate id", "requests / tasks", func(in *cloudwatch.PutMetricAlarmInput) { in.Metrics[2].Id = aws.String("requests") }, "not unique"},
		{"both kinds", "requests / tasks", func(in *cloudwatch.PutMetricAlarmInput) { in.Metrics[1].Expression = aws.String("tasks") },
			"either Expression or MetricStat, but not both"},
		{"bad id", "requests / tasks", func(in *cloudwatch.PutMetricAlarmInput) { in.Metrics[0].Id = aws.String("E1") }, "lower-case letter"},
		{"self reference", "e1 + requests", nil, "refers to itself"},
	}
	for _, tt := range tests {
		in := mathAlarm("m", tt.expression)
		if tt.edit != nil {
			tt.edit(in)
		}
		_, err := e.client.PutMetricAlarm(ctx, in)
		wantAPIError(t, err, "ValidationError", 400, noTarget)
		if err != nil && !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.message)
		}
	}
}

// Alarm names are unique across alarm kinds.
func TestAlarmKindsShareNames(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("taken"))
	_, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("taken"), AlarmRule: aws.String("TRUE")})
	wantAPIError(t, err, "ValidationError", 400, noTarget)
}
