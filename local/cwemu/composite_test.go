package cwemu_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/local/cwemu"
)

func (e *env) putComposite(t *testing.T, name, rule string) {
	t.Helper()
	_, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{
		AlarmName: aws.String(name), AlarmRule: aws.String(rule),
		AlarmActions: []string{topic}, OKActions: []string{topic},
	})
	if err != nil {
		t.Fatalf("PutCompositeAlarm %s: %v", name, err)
	}
}

// A composite alarm is evaluated at creation ("this initial time after creation is the
// only time that the alarm can be in INSUFFICIENT_DATA state") and whenever a child
// changes state; it notifies like a metric alarm.
func TestCompositeAlarmFollowsChildren(t *testing.T) {
	e := start(t, cwemu.Options{})
	for _, name := range []string{"cpu", "latency", "maintenance"} {
		in := cpuAlarm(name)
		in.AlarmActions = nil
		e.putAlarm(t, in)
	}
	e.putComposite(t, "overloaded", `(ALARM("cpu") OR ALARM(latency)) AND NOT ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:maintenance")`)
	c := e.compositeAlarm(t, "overloaded")
	if c.StateValue != types.StateValueOk || !aws.ToTime(c.StateUpdatedTimestamp).Equal(t0) {
		t.Errorf("after creation: %s at %v, want OK at once", c.StateValue, aws.ToTime(c.StateUpdatedTimestamp))
	}

	e.clock.Set(at("10:02:41.512"))
	e.setState(t, "latency", types.StateValueAlarm, "slow")
	c = e.compositeAlarm(t, "overloaded")
	wantReason := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency transitioned to ALARM at Friday 27 November, 2026 10:02:41 UTC"
	wantData := `{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency","state":{"value":"ALARM","timestamp":"2026-11-27T10:02:41.512+0000"}}]}`
	if c.StateValue != types.StateValueAlarm || aws.ToString(c.StateReason) != wantReason || aws.ToString(c.StateReasonData) != wantData {
		t.Errorf("after latency ALARM: %s %q %s", c.StateValue, aws.ToString(c.StateReason), aws.ToString(c.StateReasonData))
	}

	// A second child in ALARM keeps the composite in ALARM: no notification.
	e.setState(t, "cpu", types.StateValueAlarm, "busy")
	// The maintenance alarm silences it.
	e.setState(t, "maintenance", types.StateValueAlarm, "deploying")
	if c := e.compositeAlarm(t, "overloaded"); c.StateValue != types.StateValueOk {
		t.Errorf("during maintenance: %s", c.StateValue)
	}

	var states []string
	for _, m := range e.inbox.all() {
		n, err := alarm.Parse([]byte(m.message))
		if err != nil {
			t.Fatalf("alarm.Parse: %v", err)
		}
		if n.Kind != alarm.KindComposite || n.AlarmRule == "" {
			t.Errorf("notification kind %s, rule %q", n.Kind, n.AlarmRule)
		}
		states = append(states, string(n.OldState)+"->"+string(n.NewState))
	}
	if got := strings.Join(states, " "); got != "INSUFFICIENT_DATA->OK OK->ALARM ALARM->OK" {
		t.Errorf("composite notifications %s", got)
	}
}

// The triggering children are the changed child first, then the rule's other children
// in the same state, as in captured events ("test2" transitioned, "test1" also OK).
func TestCompositeTriggeringChildren(t *testing.T) {
	e := start(t, cwemu.Options{})
	for _, name := range []string{"test1", "test2"} {
		in := cpuAlarm(name)
		in.AlarmActions = nil
		e.putAlarm(t, in)
	}
	e.setState(t, "test1", types.StateValueAlarm, "x")
	e.setState(t, "test2", types.StateValueAlarm, "x")
	e.putComposite(t, "both", "ALARM(test1) OR ALARM(test2)")
	e.setState(t, "test1", types.StateValueOk, "x")
	e.clock.Set(at("10:30:00"))
	e.setState(t, "test2", types.StateValueOk, "x")
	msgs := e.inbox.all()
	n, err := alarm.Parse([]byte(msgs[len(msgs)-1].message))
	if err != nil {
		t.Fatalf("alarm.Parse: %v", err)
	}
	var children []string
	for _, c := range n.TriggeringChildren {
		children = append(children, c.ARN[strings.LastIndex(c.ARN, ":")+1:]+"="+string(c.State))
	}
	if n.NewState != alarm.StateOK || strings.Join(children, ",") != "test2=OK,test1=OK" {
		t.Errorf("%s, triggering children %v", n.NewState, children)
	}
}

// Updating a composite re-evaluates it; TRUE and FALSE work as constants.
func TestCompositeUpdateReevaluates(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putComposite(t, "switch", "FALSE")
	if c := e.compositeAlarm(t, "switch"); c.StateValue != types.StateValueOk {
		t.Errorf("FALSE: %s", c.StateValue)
	}
	e.putComposite(t, "switch", "TRUE AND NOT FALSE")
	if c := e.compositeAlarm(t, "switch"); c.StateValue != types.StateValueAlarm || aws.ToString(c.AlarmRule) != "TRUE AND NOT FALSE" {
		t.Errorf("TRUE AND NOT FALSE: %s (rule %q)", c.StateValue, aws.ToString(c.AlarmRule))
	}
}

// A cycle of composites ends: "the evaluation of composite alarms stops if CloudWatch
// detects a cycle in the evaluation path" (PutCompositeAlarm).
func TestCompositeCycleStops(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("base")
	in.AlarmActions = nil
	e.putAlarm(t, in)
	e.putComposite(t, "a", "ALARM(base)")
	e.putComposite(t, "b", "ALARM(a)")
	e.putComposite(t, "a", "ALARM(base) OR ALARM(b)") // a → b → a
	e.putComposite(t, "c", "ALARM(a)")
	e.putComposite(t, "c", "ALARM(a) AND NOT ALARM(c)") // c → c, which flips on itself
	e.setState(t, "base", types.StateValueAlarm, "x")
	for name, want := range map[string]types.StateValue{"a": types.StateValueAlarm, "b": types.StateValueAlarm, "c": types.StateValueAlarm} {
		if c := e.compositeAlarm(t, name); c.StateValue != want {
			t.Errorf("%s: %s, want %s", name, c.StateValue, want)
		}
	}
}

func TestPutCompositeAlarmErrors(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("child"))
	tests := []struct{ rule, message string }{
		{"ALARM(missing) OR ALARM(child)", "Could not save the composite alarm as alarms [missing] in the alarm rule do not exist"},
		{"AT_LEAST(2, ALARM, (child, child))", "The local CloudWatch emulator does not support the AT_LEAST function in a composite alarm rule"},
		{"ALARM(child) AND", "Error in the alarm rule"},
		{"ALARM(child) XOR OK(child)", "Error in the alarm rule"},
		{"(ALARM(child)", "missing )"},
		{"ALARM()", "names no alarm"},
	}
	for _, tt := range tests {
		var validation *types.ValidationException
		_, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("parent"), AlarmRule: aws.String(tt.rule)})
		wantAPIError(t, err, "ValidationError", 400, &validation)
		if err != nil && !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: %v, want %q", tt.rule, err, tt.message)
		}
	}
	_, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("parent"), AlarmRule: aws.String("ALARM(child)"), ActionsSuppressor: aws.String("child")})
	wantAPIError(t, err, "ValidationError", 400, noTarget)
	out, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	if err != nil || len(out.CompositeAlarms) != 0 {
		t.Errorf("refused composites were stored: %v %v", out, err)
	}
}
