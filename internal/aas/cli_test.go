package aas

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openDocumented(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "documented", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// documentedInput reads the four files of testdata/documented (see testdata/SOURCES.md).
func documentedInput(t *testing.T) Input {
	t.Helper()
	targets, err := ReadScalableTargets("describe-scalable-targets.json", openDocumented(t, "describe-scalable-targets.json"))
	if err != nil {
		t.Fatal(err)
	}
	policies, err := ReadScalingPolicies("describe-scaling-policies.json", openDocumented(t, "describe-scaling-policies.json"))
	if err != nil {
		t.Fatal(err)
	}
	actions, err := ReadScheduledActions("describe-scheduled-actions.json", openDocumented(t, "describe-scheduled-actions.json"))
	if err != nil {
		t.Fatal(err)
	}
	alarms, paged, err := ReadAlarms("describe-alarms.json", openDocumented(t, "describe-alarms.json"))
	if err != nil {
		t.Fatal(err)
	}
	return Input{Targets: targets, Policies: policies, Actions: actions, Alarms: alarms, AlarmsPaged: paged}
}

// TestReadDocumented reads the documented outputs and checks fields the documentation
// gives, in each of their shapes.
func TestReadDocumented(t *testing.T) {
	in := documentedInput(t)
	if n := len(in.Targets.Items); n != 4 {
		t.Fatalf("%d scalable targets, want 4", n)
	}
	// The AWS CLI's describe-scalable-targets example: service/default/web-app, 1 to 10.
	web := in.Targets.Items[0]
	if web.ResourceID != "service/default/web-app" || *web.MinCapacity != 1 || *web.MaxCapacity != 10 || web.SuspendedState == nil || web.SuspendedState.ScheduledScalingSuspended {
		t.Errorf("web-app = %+v", web)
	}
	// The step policy of "Creating a step scaling policy using the AWS CLI": bounds 0, 15,
	// 25 and adjustments 1, 2, 3, Cooldown 60, Average.
	var step *ScalingPolicy
	for i, p := range in.Policies.Items {
		if p.PolicyName == "my-step-scaling-policy" {
			step = &in.Policies.Items[i]
		}
	}
	if step == nil {
		t.Fatal("my-step-scaling-policy not read")
	}
	c := step.StepScalingPolicyConfiguration
	if c.AdjustmentType != "ChangeInCapacity" || *c.Cooldown != 60 || c.MetricAggregationType != "Average" || len(c.StepAdjustments) != 3 ||
		*c.StepAdjustments[1].MetricIntervalLowerBound != 15 || *c.StepAdjustments[1].MetricIntervalUpperBound != 25 || *c.StepAdjustments[2].ScalingAdjustment != 3 ||
		c.StepAdjustments[2].MetricIntervalUpperBound != nil || len(step.Alarms) != 1 || step.Alarms[0].AlarmName != "Step-Scaling-AlarmHigh-ECS:service/default/sample-app-service" {
		t.Errorf("my-step-scaling-policy = %+v", c)
	}
	// "rate(5 hours)", "--start-time 2021-01-30T12:00:00 --end-time 2021-01-31T22:00:00",
	// printed as seconds since the epoch.
	a := in.Actions.Items[0]
	if a.Schedule != "rate(5 hours)" || !a.StartTime.Equal(time.Date(2021, 1, 30, 12, 0, 0, 0, time.UTC)) || !a.EndTime.Equal(time.Date(2021, 1, 31, 22, 0, 0, 0, time.UTC)) ||
		*a.ScalableTargetAction.MinCapacity != 3 || *a.ScalableTargetAction.MaxCapacity != 10 {
		t.Errorf("my-recurring-action = %+v", a)
	}
	if len(in.Alarms.MetricAlarms) != 10 || in.AlarmsPaged || in.Targets.NextToken {
		t.Errorf("%d alarms, paged %v", len(in.Alarms.MetricAlarms), in.AlarmsPaged)
	}
}

// TestTimestamps: the AWS CLI prints times as seconds (version 1, or version 2 with
// cli_timestamp_format wire) or ISO 8601 (version 2's default).
func TestTimestamps(t *testing.T) {
	want := time.Date(2020, 12, 8, 19, 33, 51, 391e6, time.UTC)
	for _, raw := range []string{`1607456031.391`, `"2020-12-08T19:33:51.391000+00:00"`, `"2020-12-08T19:33:51.391Z"`, `"2020-12-08T14:33:51.391-05:00"`} {
		doc := `{"ScheduledActions": [{"ScheduledActionName": "a", "CreationTime": ` + raw + `}]}`
		d, err := ReadScheduledActions("t.json", strings.NewReader(doc))
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if got := d.Items[0].CreationTime.Time; !got.Equal(want) {
			t.Errorf("%s read as %v, want %v", raw, got, want)
		}
	}
	_, err := ReadScheduledActions("t.json", strings.NewReader(`{"ScheduledActions": [{"ScheduledActionName": "a", "CreationTime": "yesterday"}]}`))
	if err == nil || !strings.Contains(err.Error(), `ScheduledActions[0]`) || !strings.Contains(err.Error(), `"yesterday"`) {
		t.Errorf("a time that is not one: %v", err)
	}
}

// TestReadShapes: a list filtered with --query, as AAS's guide prints describe-scaling-
// policies with --query 'ScalingPolicies[?PolicyType==`StepScaling`]', reads as the whole
// output does; a NextToken says the file is one page.
func TestReadShapes(t *testing.T) {
	bare, err := ReadScalingPolicies("q.json", strings.NewReader(`[{"PolicyName": "p", "PolicyType": "StepScaling"}]`))
	if err != nil || len(bare.Items) != 1 || bare.Items[0].PolicyName != "p" {
		t.Errorf("bare list: %+v, %v", bare, err)
	}
	paged, err := ReadScalableTargets("p.json", strings.NewReader(`{"ScalableTargets": [], "NextToken": "eyJ0b2tlbiI6IDF9"}`))
	if err != nil || !paged.NextToken {
		t.Errorf("NextToken not seen: %+v, %v", paged, err)
	}
	whole, err := ReadScalableTargets("w.json", strings.NewReader(`{"ScalableTargets": [], "NextToken": ""}`))
	if err != nil || whole.NextToken {
		t.Errorf("an empty NextToken is no page: %+v, %v", whole, err)
	}
	_, alarmsPaged, err := ReadAlarms("a.json", strings.NewReader(`{"MetricAlarms": [], "NextToken": "x"}`))
	if err != nil || !alarmsPaged {
		t.Errorf("describe-alarms NextToken: %v, %v", alarmsPaged, err)
	}
}

// TestReadErrors: every error names the file, and the element and field at fault.
func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		read func() error
		want []string
	}{
		{"not JSON", func() error {
			_, err := ReadScalableTargets("targets.json", strings.NewReader("ScalableTargets:\n- ResourceId: x"))
			return err
		}, []string{"targets.json is not JSON", "--output json"}},
		{"another command's output", func() error {
			_, err := ReadScalableTargets("alarms.json", strings.NewReader(`{"MetricAlarms": []}`))
			return err
		}, []string{"alarms.json is not the output of aws application-autoscaling describe-scalable-targets", "no ScalableTargets"}},
		{"a field of the wrong type", func() error {
			_, err := ReadScalingPolicies("policies.json", strings.NewReader(`{"ScalingPolicies": [{}, {"StepScalingPolicyConfiguration": {"Cooldown": "60"}}]}`))
			return err
		}, []string{"policies.json: ScalingPolicies[1]", "StepScalingPolicyConfiguration.Cooldown", "got a JSON string"}},
		{"not a list", func() error {
			_, err := ReadScheduledActions("actions.json", strings.NewReader(`{"ScheduledActions": {}}`))
			return err
		}, []string{"actions.json: ScheduledActions: expected a list"}},
		{"describe-alarms without alarms", func() error {
			_, _, err := ReadAlarms("x.json", strings.NewReader(`{"ScalableTargets": []}`))
			return err
		}, []string{"x.json is not the output of aws cloudwatch describe-alarms"}},
		{"null", func() error {
			_, err := ReadScalableTargets("null.json", strings.NewReader(`null`))
			return err
		}, []string{"null.json", "null"}},
	}
	for _, tt := range tests {
		err := tt.read()
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want it to say %q", tt.name, err, w)
			}
		}
	}
}
