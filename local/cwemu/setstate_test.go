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

// "When the updated state differs from the previous value, the action configured for
// the appropriate state is invoked." (SetAlarmState). StateUpdatedTimestamp is "the
// last update to the value of either the StateValue or EvaluationState parameters"
// (MetricAlarm): setting the same state again moves neither timestamp and runs nothing.
func TestSetAlarmState(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("web-cpu-high")
	in.OKActions = []string{"arn:aws:sns:us-east-1:123456789012:ok-topic", "arn:aws:lambda:us-east-1:123456789012:function:f"}
	e.putAlarm(t, in)

	e.clock.Set(at("10:05:00.125"))
	data := `{"version":"1.0","recentDatapoints":[85.0]}`
	_, err := e.client.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("web-cpu-high"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("Threshold Crossed: load test"), StateReasonData: aws.String(data),
	})
	if err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	a := e.metricAlarm(t, "web-cpu-high")
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != "Threshold Crossed: load test" || aws.ToString(a.StateReasonData) != data {
		t.Errorf("after SetAlarmState: %s %q %q", a.StateValue, aws.ToString(a.StateReason), aws.ToString(a.StateReasonData))
	}
	for name, ts := range map[string]*time.Time{"StateUpdatedTimestamp": a.StateUpdatedTimestamp, "StateTransitionedTimestamp": a.StateTransitionedTimestamp} {
		if !aws.ToTime(ts).Equal(at("10:05:00.125")) {
			t.Errorf("%s %v, want 10:05:00.125", name, aws.ToTime(ts))
		}
	}
	msgs := e.inbox.all()
	if len(msgs) != 1 || msgs[0].topic != topic || msgs[0].subject != `ALARM: "web-cpu-high" in US East (N. Virginia)` {
		t.Fatalf("notifications %+v, want one ALARM to %s", msgs, topic)
	}
	n, err := alarm.Parse([]byte(msgs[0].message))
	if err != nil {
		t.Fatalf("alarm.Parse: %v", err)
	}
	if n.NewState != alarm.StateAlarm || n.OldState != alarm.StateInsufficientData || n.Reason != "Threshold Crossed: load test" || !n.StateChangeTime.Equal(at("10:05:00.125")) {
		t.Errorf("notification %+v", n)
	}

	// The same state again: the reason is replaced, nothing else happens.
	e.clock.Advance(time.Minute)
	e.setState(t, "web-cpu-high", types.StateValueAlarm, "still high")
	a = e.metricAlarm(t, "web-cpu-high")
	if !aws.ToTime(a.StateUpdatedTimestamp).Equal(at("10:05:00.125")) || aws.ToString(a.StateReason) != "still high" || a.StateReasonData != nil {
		t.Errorf("same state: updated %v, reason %q, data %v", aws.ToTime(a.StateUpdatedTimestamp), aws.ToString(a.StateReason), a.StateReasonData)
	}
	if n := len(e.inbox.all()); n != 1 {
		t.Errorf("%d notifications after setting the same state, want still 1", n)
	}

	// To OK: the OK action's SNS topic is notified; the Lambda action is not emulated.
	e.setState(t, "web-cpu-high", types.StateValueOk, "calm")
	msgs = e.inbox.all()
	if len(msgs) != 2 || msgs[1].topic != "arn:aws:sns:us-east-1:123456789012:ok-topic" || !strings.HasPrefix(msgs[1].subject, "OK: ") {
		t.Errorf("after OK: %+v", msgs)
	}
}

func TestSetAlarmStateActionsDisabled(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("quiet")
	in.ActionsEnabled = aws.Bool(false)
	e.putAlarm(t, in)
	e.setState(t, "quiet", types.StateValueAlarm, "test")
	if a := e.metricAlarm(t, "quiet"); a.StateValue != types.StateValueAlarm || aws.ToBool(a.ActionsEnabled) {
		t.Errorf("state %s, ActionsEnabled %v", a.StateValue, aws.ToBool(a.ActionsEnabled))
	}
	if n := len(e.inbox.all()); n != 0 {
		t.Errorf("%d notifications with actions disabled", n)
	}
}

func TestSetAlarmStateErrors(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("known"))

	var notFound *types.ResourceNotFound
	_, err := e.client.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("unknown"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	wantAPIError(t, err, "ResourceNotFound", 404, &notFound)

	var format *types.InvalidFormatFault
	_, err = e.client.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("known"), StateValue: types.StateValueOk, StateReason: aws.String("x"), StateReasonData: aws.String("{not json")})
	wantAPIError(t, err, "InvalidFormat", 400, &format)

	var validation *types.ValidationException
	_, err = e.client.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("known"), StateValue: "ON_FIRE", StateReason: aws.String("x")})
	wantAPIError(t, err, "ValidationError", 400, &validation)
	_, err = e.client.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("known"), StateValue: types.StateValueOk, StateReason: aws.String(strings.Repeat("x", 1024))})
	wantAPIError(t, err, "ValidationError", 400, &validation)

	if a := e.metricAlarm(t, "known"); a.StateValue != types.StateValueInsufficientData {
		t.Errorf("failed calls changed the state to %s", a.StateValue)
	}
}
