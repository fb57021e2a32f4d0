package stepscaler

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// operationalAlarmIDs are the alarms on Stepscaler itself, by the suffix of their name.
func operationalAlarmIDs() []string {
	ids := []string{"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionsThrottled", "TaskFunctionsThrottled",
		"StarterErrors", "EvaluateAlarmsErrors"}
	for _, s := range taskSpecs {
		ids = append(ids, s.id+"Errors")
	}
	return append(ids, "StarterFailures", "EvaluationFailures")
}

// operationalAlarms finds them in the template by name, Stepscaler-<id>.
func operationalAlarms(t *testing.T, tmpl map[string]any) map[string]resource {
	t.Helper()
	byName := map[string]resource{}
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		byName[render(a.props["AlarmName"])] = a
	}
	out := map[string]resource{}
	for _, id := range operationalAlarmIDs() {
		a, ok := byName[StackName+"-"+id]
		if !ok {
			t.Errorf("no alarm named %s-%s", StackName, id)
			continue
		}
		out[id] = a
	}
	return out
}

// TestOperationalAlarms: every failure mode the operator must hear of has an alarm that
// fires on one occurrence in a minute, on the right metric; without an operator context
// they have no actions.
func TestOperationalAlarms(t *testing.T) {
	_, tmpl := synthesized(t)
	alarms := operationalAlarms(t, tmpl)
	if len(alarms) != 16 {
		t.Fatalf("%d operational alarms, want 16 (4 on executions, 1 on task throttles, 9 on function errors, 2 on failure queues)", len(alarms))
	}
	sm := "{Ref:" + resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id + "}"
	fnRef := func(id string) string { return "{Ref:" + byConstructID(t, tmpl, "AWS::Lambda::Function", id).id + "}" }
	single := func(id, namespace, metric, dimName, dimValue string) {
		t.Helper()
		p := alarms[id].props
		if p == nil {
			return
		}
		if p["Namespace"] != namespace || p["MetricName"] != metric || p["Statistic"] != "Sum" || p["Period"] != float64(60) {
			t.Errorf("%s watches %v/%v %v over %v s, want %s/%s Sum over 60 s", id, p["Namespace"], p["MetricName"], p["Statistic"], p["Period"], namespace, metric)
		}
		if got, want := render(p["Dimensions"]), fmt.Sprintf(`[{"Name":"%s","Value":%s}]`, dimName, jsonRef(dimValue)); got != want {
			t.Errorf("%s dimensions = %s, want %s", id, got, want)
		}
	}
	for id, metric := range map[string]string{
		"ExecutionsFailed": "ExecutionsFailed", "ExecutionsTimedOut": "ExecutionsTimedOut",
		"ExecutionsAborted": "ExecutionsAborted", "ExecutionsThrottled": "ExecutionThrottled",
	} {
		single(id, "AWS/States", metric, "StateMachineArn", sm)
	}
	single("StarterErrors", "AWS/Lambda", "Errors", "FunctionName", fnRef("Starter"))
	single("EvaluateAlarmsErrors", "AWS/Lambda", "Errors", "FunctionName", fnRef("EvaluateAlarms"))
	for _, s := range taskSpecs {
		single(s.id+"Errors", "AWS/Lambda", "Errors", "FunctionName", fnRef(s.id))
	}

	// The throttles of the seven task functions, summed.
	if p := alarms["TaskFunctionsThrottled"].props; p != nil {
		var fns []string
		var expr string
		for _, q := range p["Metrics"].([]any) {
			qm := q.(map[string]any)
			if e, ok := qm["Expression"].(string); ok {
				expr = e
				continue
			}
			ms := qm["MetricStat"].(map[string]any)
			m := ms["Metric"].(map[string]any)
			if m["Namespace"] != "AWS/Lambda" || m["MetricName"] != "Throttles" || ms["Stat"] != "Sum" || ms["Period"] != float64(60) {
				t.Errorf("throttle query %s, want AWS/Lambda Throttles Sum over 60 s", render(qm))
			}
			fns = append(fns, render(m["Dimensions"].([]any)[0].(map[string]any)["Value"]))
		}
		var want []string
		for _, s := range taskSpecs {
			want = append(want, fnRef(s.id))
		}
		if expr != "SUM(FILL(METRICS(), 0))" || !equalSets(fns, want) {
			t.Errorf("TaskFunctionsThrottled = %s over %v, want SUM(FILL(METRICS(), 0)) over the task functions %v", expr, fns, want)
		}
	}
	for _, id := range []string{"StarterFailures", "EvaluationFailures"} {
		if p := alarms[id].props; p != nil && (p["Namespace"] != "AWS/SQS" || p["MetricName"] != "ApproximateNumberOfMessagesVisible") {
			t.Errorf("%s watches %v/%v, want the queue's depth", id, p["Namespace"], p["MetricName"])
		}
	}
	for id, a := range alarms {
		p := a.props
		// One occurrence pages, but throttling, which the state machine retries for about
		// two minutes (four at most), pages once it has lasted five.
		periods := float64(1)
		if id == "TaskFunctionsThrottled" {
			periods = 5
		}
		if p["Threshold"] != float64(1) || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" ||
			p["EvaluationPeriods"] != periods || p["DatapointsToAlarm"] != periods || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s fires at %v %v in %v of %v periods, missing data %v; want >= 1 in %v of %v, missing data not breaching",
				id, p["ComparisonOperator"], p["Threshold"], p["DatapointsToAlarm"], p["EvaluationPeriods"], p["TreatMissingData"], periods, periods)
		}
		if _, ok := p["AlarmActions"]; ok {
			t.Errorf("%s has alarm actions without an operator context: %v", id, p["AlarmActions"])
		}
	}
}

// jsonRef is how a rendered reference appears inside render's JSON: {Ref:X} → {"Ref":"X"}.
func jsonRef(rendered string) string {
	if id, ok := strings.CutPrefix(rendered, "{Ref:"); ok {
		return `{"Ref":"` + strings.TrimSuffix(id, "}") + `"}`
	}
	return `"` + rendered + `"`
}

// TestOperatorTopicFromEmail: stepscaler:alarmEmail makes the stack create the operator
// topic (encrypted with the stack's key, TLS only, CloudWatch may publish for exactly the
// operational alarms), subscribe the addresses, and wire every operational alarm's ALARM
// and OK actions to it; the configured alarms keep notifying the alarm topic only.
func TestOperatorTopicFromEmail(t *testing.T) {
	synthesized(t)
	st, tmpl := synthesizeConfig(t, loadExample(t), Operator{Emails: []string{"oncall@example.com", "sre@example.org"}})
	checkNoUnsuppressedNagFindings(t, st)
	topic := byConstructID(t, tmpl, "AWS::SNS::Topic", "OperatorTopic")
	topicRef := "{Ref:" + topic.id + "}"
	key := byConstructID(t, tmpl, "AWS::KMS::Key", "TopicKey")
	if render(topic.props["KmsMasterKeyId"]) != "{GetAtt:"+key.id+".Arn}" {
		t.Errorf("operator topic key = %s, want the stack's key", render(topic.props["KmsMasterKeyId"]))
	}

	alarms := operationalAlarms(t, tmpl)
	var wantArns []string
	for id, a := range alarms {
		wantArns = append(wantArns, "{GetAtt:"+a.id+".Arn}")
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			if got := renderAll(a.props[actions]); len(got) != 1 || got[0] != topicRef {
				t.Errorf("%s %s = %v, want [%s]", id, actions, got, topicRef)
			}
		}
	}
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if !slices.Contains(wantArns, "{GetAtt:"+a.id+".Arn}") && slices.Contains(renderAll(a.props["AlarmActions"]), topicRef) {
			t.Errorf("configured alarm %s notifies the operator topic", a.id)
		}
	}

	var policies []resource
	for _, p := range resources(tmpl, "AWS::SNS::TopicPolicy") {
		if slices.Contains(renderAll(p.props["Topics"]), topicRef) {
			policies = append(policies, p)
		}
	}
	if len(policies) != 1 {
		t.Fatalf("%d policies on the operator topic, want 1", len(policies))
	}
	assertTLSOnly(t, policies, "operator topic")
	var allows []map[string]any
	for _, s := range policies[0].props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		if st := s.(map[string]any); st["Effect"] == "Allow" {
			allows = append(allows, st)
		}
	}
	if len(allows) != 1 || render(allows[0]["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` {
		t.Fatalf("operator topic Allow statements = %v, want one for cloudwatch.amazonaws.com", allows)
	}
	cond := allows[0]["Condition"].(map[string]any)
	if got := renderAll(cond["StringEquals"].(map[string]any)["aws:SourceAccount"]); !equalSets(got, []string{"123456789012"}) {
		t.Errorf("aws:SourceAccount = %v, want this account", got)
	}
	if got := renderAll(cond["ArnEquals"].(map[string]any)["aws:SourceArn"]); !equalSets(got, wantArns) {
		t.Errorf("aws:SourceArn = %v, want the operational alarms %v", got, wantArns)
	}

	var emails []string
	for _, s := range resources(tmpl, "AWS::SNS::Subscription") {
		if render(s.props["TopicArn"]) == topicRef {
			if s.props["Protocol"] != "email" {
				t.Errorf("operator topic subscription %v, want email", s.props)
			}
			emails = append(emails, render(s.props["Endpoint"]))
		}
	}
	if !equalSets(emails, []string{"oncall@example.com", "sre@example.org"}) {
		t.Errorf("operator topic subscribers = %v", emails)
	}
	if o, ok := tmpl["Outputs"].(map[string]any)["OperatorTopicArn"].(map[string]any); !ok || render(o["Value"]) != topicRef {
		t.Errorf("output OperatorTopicArn = %v, want %s", o, topicRef)
	}
}

// TestOperatorTopicFromArn: stepscaler:alarmTopicArn wires the alarms to that topic and
// creates none; an email given as well is subscribed to it.
func TestOperatorTopicFromArn(t *testing.T) {
	synthesized(t)
	const arn = "arn:aws:sns:us-east-1:123456789012:team-pager"
	st, tmpl := synthesizeConfig(t, loadExample(t), Operator{TopicArn: arn, Emails: []string{"oncall@example.com"}})
	checkNoUnsuppressedNagFindings(t, st)
	if n := len(resources(tmpl, "AWS::SNS::Topic")); n != 1 {
		t.Errorf("%d topics, want only the alarm topic", n)
	}
	for id, a := range operationalAlarms(t, tmpl) {
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			if got := renderAll(a.props[actions]); len(got) != 1 || got[0] != arn {
				t.Errorf("%s %s = %v, want [%s]", id, actions, got, arn)
			}
		}
	}
	var subscribed bool
	for _, s := range resources(tmpl, "AWS::SNS::Subscription") {
		if render(s.props["TopicArn"]) == arn && s.props["Protocol"] == "email" && render(s.props["Endpoint"]) == "oncall@example.com" {
			subscribed = true
		}
	}
	if !subscribed {
		t.Error("the email is not subscribed to the given topic")
	}
	if o, _ := tmpl["Outputs"].(map[string]any)["OperatorTopicArn"].(map[string]any); render(o["Value"]) != arn {
		t.Errorf("output OperatorTopicArn = %v, want %s", o, arn)
	}
}

func TestOperatorFromContext(t *testing.T) {
	synthesized(t)
	tests := []struct {
		context map[string]any
		want    Operator
		err     string
	}{
		{context: nil},
		{context: map[string]any{AlarmEmailContextKey: "oncall@example.com"}, want: Operator{Emails: []string{"oncall@example.com"}}},
		{context: map[string]any{AlarmEmailContextKey: " a@example.com, b@example.com ,a@example.com"},
			want: Operator{Emails: []string{"a@example.com", "b@example.com"}}},
		{context: map[string]any{AlarmTopicArnContextKey: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_pager-1"},
			want: Operator{TopicArn: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_pager-1"}},
		{context: map[string]any{AlarmEmailContextKey: "oncall"}, err: `context stepscaler:alarmEmail: "oncall" is not an email address`},
		{context: map[string]any{AlarmEmailContextKey: "Ops <ops@example.com>"}, err: "is not an email address"},
		{context: map[string]any{AlarmTopicArnContextKey: "arn:aws:sqs:us-east-1:123456789012:q"}, err: "is not an SNS topic ARN"},
		{context: map[string]any{AlarmTopicArnContextKey: "arn:aws:sns:us-east-1:1234:t"}, err: "is not an SNS topic ARN"},
		{context: map[string]any{AlarmEmailContextKey: true}, err: "context stepscaler:alarmEmail must be a string"},
	}
	for i, tt := range tests {
		ctx := map[string]any{}
		for k, v := range tt.context {
			ctx[k] = v
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
		got, err := operatorFromContext(app.Node())
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%d: err = %v, want %q", i, err, tt.err)
			}
		case err != nil:
			t.Errorf("%d: %v", i, err)
		case !slices.Equal(got.Emails, tt.want.Emails) || got.TopicArn != tt.want.TopicArn:
			t.Errorf("%d: %+v, want %+v", i, got, tt.want)
		}
	}
}
