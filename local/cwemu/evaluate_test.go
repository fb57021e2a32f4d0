package cwemu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/local/cwemu"
)

// missingAlarm is an alarm on Stepscaler/Test Errors (ServiceName=web), Sum per minute,
// below 1 for N periods, with TreatMissingData.
func missingAlarm(name string, n int32, treat string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		Namespace:          aws.String("Stepscaler/Test"),
		MetricName:         aws.String("Heartbeats"),
		Dimensions:         webDims,
		Statistic:          types.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(n),
		Threshold:          aws.Float64(1),
		ComparisonOperator: types.ComparisonOperatorLessThanThreshold,
		TreatMissingData:   aws.String(treat),
		OKActions:          []string{topic},
		AlarmActions:       []string{topic},
	}
}

// The reasons CloudWatch writes for missing data, as public captures show them
// ("Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint
// was treated as [NonBreaching]." and "... 1 datapoint [1.0 (25/09/26 21:51:00)] was not
// less than the threshold (1.0) and 1 missing datapoint was treated as [Breaching]."),
// reproduced from evaluations set up to reach them.
func TestEvaluateMissingDataReasons(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, missingAlarm("not-breaching", 1, "notBreaching"))
	e.putAlarm(t, missingAlarm("breaching", 2, "breaching"))
	explicit := missingAlarm("breaching-m", 2, "breaching")
	explicit.DatapointsToAlarm = aws.Int32(2)
	e.putAlarm(t, explicit)

	// No data at all: notBreaching → OK, breaching → ALARM.
	e.emu.EvaluateAlarms(at("09:52:07"))
	// One real, not breaching datapoint; the other period missing, treated as breaching.
	e.putValue(t, "Heartbeats", at("09:52:00"), 1)
	e.emu.EvaluateAlarms(at("09:53:07"))

	want := map[string]struct {
		state  types.StateValue
		reason string
	}{
		// Still OK: no state change, so the reason is still the first evaluation's.
		"not-breaching": {types.StateValueOk, "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."},
		"breaching":     {types.StateValueOk, "Threshold Crossed: 1 datapoint [1.0 (27/11/26 09:52:00)] was not less than the threshold (1.0) and 1 missing datapoint was treated as [Breaching]."},
		"breaching-m": {types.StateValueOk, "Threshold Crossed: 1 out of the last 2 datapoints [1.0 (27/11/26 09:52:00)] was not less than the threshold (1.0) " +
			"and 1 missing datapoint was treated as [Breaching] (minimum 1 datapoint for ALARM -> OK transition)."},
	}
	for name, w := range want {
		a := e.metricAlarm(t, name)
		if a.StateValue != w.state || aws.ToString(a.StateReason) != w.reason {
			t.Errorf("%s: %s %q\nwant %s %q", name, a.StateValue, aws.ToString(a.StateReason), w.state, w.reason)
		}
	}

	// The first evaluation's notifications, in alarm name order.
	var first []string
	for _, m := range e.inbox.all()[:3] {
		n, err := alarm.Parse([]byte(m.message))
		if err != nil {
			t.Fatalf("alarm.Parse: %v", err)
		}
		first = append(first, n.AlarmName+" "+string(n.NewState)+": "+n.Reason)
	}
	wantFirst := []string{
		"breaching ALARM: Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
		"breaching-m ALARM: Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching] (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition).",
		"not-breaching OK: Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].",
	}
	if strings.Join(first, "\n") != strings.Join(wantFirst, "\n") {
		t.Errorf("first evaluation:\n%s\nwant\n%s", strings.Join(first, "\n"), strings.Join(wantFirst, "\n"))
	}
}

// With no datapoint in the range, StateReasonData has no startDate and the evaluated
// periods carry only their timestamps, as in captured INSUFFICIENT_DATA documents.
func TestEvaluateInsufficientDataReasonData(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("web-cpu-high")
	in.EvaluationPeriods = aws.Int32(2)
	e.putAlarm(t, in)
	e.putValue(t, "CPUUtilization", at("09:50:00"), 10)
	e.emu.EvaluateAlarms(at("09:51:30")) // OK
	e.emu.EvaluateAlarms(at("09:56:00.250"))
	a := e.metricAlarm(t, "web-cpu-high")
	wantData := `{"version":"1.0","queryDate":"2026-11-27T09:56:00.250+0000","statistic":"Average","period":60,"recentDatapoints":[],"threshold":80.0,` +
		`"evaluatedDatapoints":[{"timestamp":"2026-11-27T09:55:00.000+0000"},{"timestamp":"2026-11-27T09:54:00.000+0000"}]}`
	if a.StateValue != types.StateValueInsufficientData || aws.ToString(a.StateReason) != "Insufficient Data: 2 datapoints were unknown." || aws.ToString(a.StateReasonData) != wantData {
		t.Errorf("%s %q\n%s\nwant INSUFFICIENT_DATA, 2 unknown,\n%s", a.StateValue, aws.ToString(a.StateReason), aws.ToString(a.StateReasonData), wantData)
	}
}

// An alarm notifies only when its state changes; an evaluation that keeps the state
// rewrites nothing.
func TestEvaluateNotifiesOnlyOnChange(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("web-cpu-high")
	in.EvaluationPeriods = aws.Int32(1)
	e.putAlarm(t, in)
	for m := range 5 {
		e.putValue(t, "CPUUtilization", at("09:50:00").Add(time.Duration(m)*time.Minute), 90+float64(m))
	}
	for m := range 5 {
		e.emu.EvaluateAlarms(at("09:51:10").Add(time.Duration(m) * time.Minute))
	}
	a := e.metricAlarm(t, "web-cpu-high")
	if n := len(e.inbox.all()); n != 1 {
		t.Errorf("%d notifications over five evaluations in ALARM, want 1", n)
	}
	if got := aws.ToTime(a.StateUpdatedTimestamp).UTC(); !got.Equal(at("09:51:10")) {
		t.Errorf("StateUpdatedTimestamp %v, want the transition's 09:51:10", got)
	}
	if want := "Threshold Crossed: 1 datapoint [90.0 (27/11/26 09:50:00)] was greater than or equal to the threshold (80.0)."; aws.ToString(a.StateReason) != want {
		t.Errorf("reason %q, want the transition's %q", aws.ToString(a.StateReason), want)
	}
}

// The evaluation window slides with the evaluation time ("The window advances each time
// the alarm is evaluated", User Guide): a five-minute alarm evaluated at 10:02:30 looks
// at 09:57 to 10:02, and one evaluated at 10:01:30 at 09:56 to 10:01.
func TestEvaluateSlidingWindow(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("five-minutes")
	in.Period, in.EvaluationPeriods, in.Statistic = aws.Int32(300), aws.Int32(1), types.StatisticMaximum
	e.putAlarm(t, in)
	e.putValue(t, "CPUUtilization", at("09:56:00"), 10)
	e.putValue(t, "CPUUtilization", at("10:01:00"), 95)
	e.emu.EvaluateAlarms(at("10:01:30"))
	if a := e.metricAlarm(t, "five-minutes"); a.StateValue != types.StateValueOk {
		t.Errorf("at 10:01:30: %s %q, want OK from 09:56..10:01", a.StateValue, aws.ToString(a.StateReason))
	}
	e.emu.EvaluateAlarms(at("10:02:30"))
	a := e.metricAlarm(t, "five-minutes")
	if want := "Threshold Crossed: 1 datapoint [95.0 (27/11/26 09:57:00)] was greater than or equal to the threshold (80.0)."; a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != want {
		t.Errorf("at 10:02:30: %s %q, want ALARM %q", a.StateValue, aws.ToString(a.StateReason), want)
	}
}

// A high-resolution alarm (period 10 s) is evaluated on 10-second boundaries.
func TestEvaluateHighResolution(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("fast")
	in.Period, in.EvaluationPeriods = aws.Int32(10), aws.Int32(1)
	e.putAlarm(t, in)
	e.putData(t, types.MetricDatum{MetricName: aws.String("CPUUtilization"), Dimensions: webDims, Timestamp: aws.Time(at("09:59:52")), Value: aws.Float64(99), StorageResolution: aws.Int32(1)})
	e.emu.EvaluateAlarms(at("10:00:03"))
	a := e.metricAlarm(t, "fast")
	if want := "Threshold Crossed: 1 datapoint [99.0 (27/11/26 09:59:50)] was greater than or equal to the threshold (80.0)."; aws.ToString(a.StateReason) != want {
		t.Errorf("%s %q, want %q", a.StateValue, aws.ToString(a.StateReason), want)
	}
}

// A metric-math alarm evaluates its expression per period; its StateReasonData has no
// statistic and no sample counts.
func TestEvaluateMetricMathAlarm(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, mathAlarm("per-task", "requests / tasks"))
	e.putValue(t, "Requests", at("09:58:00"), 3000)
	e.putData(t, types.MetricDatum{MetricName: aws.String("Tasks"), Dimensions: webDims, Timestamp: aws.Time(at("09:58:00")), Value: aws.Float64(2), Unit: types.StandardUnitCount})
	e.emu.EvaluateAlarms(at("09:59:01"))
	a := e.metricAlarm(t, "per-task")
	wantReason := "Threshold Crossed: 1 datapoint [1500.0 (27/11/26 09:58:00)] was greater than the threshold (1000.0)."
	wantData := `{"version":"1.0","queryDate":"2026-11-27T09:59:01.000+0000","startDate":"2026-11-27T09:58:00.000+0000","period":60,"recentDatapoints":[1500.0],"threshold":1000.0,` +
		`"evaluatedDatapoints":[{"timestamp":"2026-11-27T09:58:00.000+0000","value":1500.0}]}`
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != wantReason || aws.ToString(a.StateReasonData) != wantData {
		t.Errorf("%s %q\n%s\nwant ALARM %q\n%s", a.StateValue, aws.ToString(a.StateReason), aws.ToString(a.StateReasonData), wantReason, wantData)
	}
}

// Alarms on anomaly detection bands are stored, not evaluated.
func TestEvaluateSkipsAnomalyAlarms(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, anomalyAlarm("anomaly"))
	if err := e.emu.PublishMetric(cwemu.Datum{Namespace: "AWS/ApplicationELB", MetricName: "RequestCount", Dimensions: cwDims("LoadBalancer", "app/prod-alb/50dc6c495c0c9188"), Timestamp: at("09:50:00"), Value: 1e6}); err != nil {
		t.Fatal(err)
	}
	e.emu.EvaluateAlarms(at("09:56:00"))
	if a := e.metricAlarm(t, "anomaly"); a.StateValue != types.StateValueInsufficientData {
		t.Errorf("anomaly alarm went to %s", a.StateValue)
	}
}

// With EvaluateEvery, alarms evolve by themselves on the emulator's clock.
func TestEvaluateInBackground(t *testing.T) {
	e := start(t, cwemu.Options{EvaluateEvery: 5 * time.Millisecond})
	in := cpuAlarm("web-cpu-high")
	in.EvaluationPeriods = aws.Int32(1)
	e.putAlarm(t, in)
	e.putValue(t, "CPUUtilization", at("09:59:00"), 95)
	deadline := time.Now().Add(5 * time.Second)
	for e.metricAlarm(t, "web-cpu-high").StateValue != types.StateValueAlarm {
		if time.Now().After(deadline) {
			t.Fatal("the alarm did not go to ALARM in the background")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(e.inbox.all()); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

// EvaluateAlarm evaluates the alarms it names and leaves the others as they were.
func TestEvaluateAlarmNamed(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, missingAlarm("named", 1, "breaching"))
	e.putAlarm(t, missingAlarm("other", 1, "breaching"))
	// No data, missing treated as breaching: the named alarm goes to ALARM.
	if err := e.emu.EvaluateAlarm(at("09:52:07"), "named"); err != nil {
		t.Fatal(err)
	}
	if s := e.metricAlarm(t, "named").StateValue; s != types.StateValueAlarm {
		t.Errorf("named: %s, want ALARM", s)
	}
	if s := e.metricAlarm(t, "other").StateValue; s != types.StateValueInsufficientData {
		t.Errorf("other: %s, want INSUFFICIENT_DATA, as created: it was not evaluated", s)
	}
	if err := e.emu.EvaluateAlarm(at("09:52:07"), "named", "absent"); err == nil {
		t.Error("evaluating an alarm that does not exist: no error")
	}
}
