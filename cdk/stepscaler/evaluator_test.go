package stepscaler

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/evaluate"
)

// TestEvaluationSchedule: EventBridge Scheduler invokes the evaluator every minute, at the
// minute, with the scheduled time in its input, retries nothing and keeps nothing older
// than a minute, sends what it could not deliver to the evaluation's failure queue, and
// acts through a role that only its own schedule group may assume.
func TestEvaluationSchedule(t *testing.T) {
	_, tmpl := synthesized(t)
	schedules := resources(tmpl, "AWS::Scheduler::Schedule")
	if len(schedules) != 1 {
		t.Fatalf("%d schedules, want 1", len(schedules))
	}
	p := schedules[0].props
	evaluator := byConstructID(t, tmpl, "AWS::Lambda::Function", "EvaluateAlarms")
	role := byConstructID(t, tmpl, "AWS::IAM::Role", "EvaluationScheduleRole")
	queue := byConstructID(t, tmpl, "AWS::SQS::Queue", "EvaluationFailures")
	group := byConstructID(t, tmpl, "AWS::Scheduler::ScheduleGroup", "EvaluationScheduleGroup")

	if p["ScheduleExpression"] != "rate(1 minute)" {
		t.Errorf("ScheduleExpression = %v, want rate(1 minute)", p["ScheduleExpression"])
	}
	if _, ok := p["ScheduleExpressionTimezone"]; ok {
		t.Errorf("a rate schedule needs no time zone: %v", p["ScheduleExpressionTimezone"])
	}
	if got := render(p["FlexibleTimeWindow"]); got != `{"Mode":"OFF"}` {
		t.Errorf("FlexibleTimeWindow = %s, want OFF", got)
	}
	if p["State"] != "ENABLED" {
		t.Errorf("State = %v, want ENABLED", p["State"])
	}
	groupName, _ := group.props["Name"].(string)
	if groupName == "" || p["GroupName"] != groupName {
		t.Errorf("GroupName = %v, want the stack's schedule group %q", p["GroupName"], groupName)
	}
	for _, name := range []any{p["Name"], groupName} {
		if s, _ := name.(string); !strings.HasPrefix(s, StackName+"-") || len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
			t.Errorf("name %v: want the stack name as prefix, at most 64 of [0-9a-zA-Z-_.]", name)
		}
	}
	if deps := strs(schedules[0].raw["DependsOn"]); !slices.Contains(deps, group.id) || !slices.Contains(deps, byConstructID(t, tmpl, "AWS::IAM::Policy", "EvaluationScheduleRoleDefaultPolicy").id) {
		t.Errorf("DependsOn = %v, want the schedule group and the role's policy", deps)
	}

	target := p["Target"].(map[string]any)
	if got := render(target["Arn"]); got != "{GetAtt:"+evaluator.id+".Arn}" {
		t.Errorf("target = %s, want the evaluator", got)
	}
	if got := render(target["RoleArn"]); got != "{GetAtt:"+role.id+".Arn}" {
		t.Errorf("role = %s, want %s", got, role.id)
	}
	if got := render(target["RetryPolicy"]); got != `{"MaximumEventAgeInSeconds":60,"MaximumRetryAttempts":0}` {
		t.Errorf("RetryPolicy = %s, want no retries and a minute of event age", got)
	}
	if got := render(target["DeadLetterConfig"]); got != `{"Arn":{"Fn::GetAtt":["`+queue.id+`","Arn"]}}` {
		t.Errorf("DeadLetterConfig = %s, want the evaluation failure queue", got)
	}

	// The input is the evaluator's event once Scheduler has put the scheduled time in.
	input, _ := target["Input"].(string)
	var raw map[string]string
	if err := json.Unmarshal([]byte(input), &raw); err != nil || len(raw) != 1 || raw["scheduledTime"] != "<aws.scheduler.scheduled-time>" {
		t.Fatalf("Input = %q (%v), want {\"scheduledTime\": \"<aws.scheduler.scheduled-time>\"}", input, err)
	}
	const scheduled = "2026-11-28T07:31:00Z" // the form Scheduler substitutes
	var ev evaluate.Event
	if err := json.Unmarshal([]byte(strings.ReplaceAll(input, "<aws.scheduler.scheduled-time>", scheduled)), &ev); err != nil {
		t.Fatalf("the evaluator cannot decode its input: %v", err)
	}
	if want, _ := time.Parse(time.RFC3339, scheduled); !ev.ScheduledTime.Equal(want) {
		t.Errorf("evaluate.Event.ScheduledTime = %v, want %v", ev.ScheduledTime, want)
	}

	// One evaluation is over before the next minute's starts.
	if timeout := evaluator.props["Timeout"].(float64); timeout >= 60 {
		t.Errorf("evaluator timeout %gs, want under the schedule's minute", timeout)
	}
}

// TestEvaluationScheduleRoleTrust: only EventBridge Scheduler may assume the role, for this
// account's Stepscaler schedule group (the condition Scheduler's confused-deputy guidance
// prescribes: the group's ARN, never a schedule's).
func TestEvaluationScheduleRoleTrust(t *testing.T) {
	_, tmpl := synthesized(t)
	role := byConstructID(t, tmpl, "AWS::IAM::Role", "EvaluationScheduleRole")
	group := byConstructID(t, tmpl, "AWS::Scheduler::ScheduleGroup", "EvaluationScheduleGroup")
	stmts := role.props["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	if len(stmts) != 1 {
		t.Fatalf("%d trust statements, want 1", len(stmts))
	}
	st := stmts[0].(map[string]any)
	if st["Effect"] != "Allow" || st["Action"] != "sts:AssumeRole" || render(st["Principal"]) != `{"Service":"scheduler.amazonaws.com"}` {
		t.Errorf("trust = %s, want scheduler.amazonaws.com may assume the role", render(st))
	}
	want := `{"StringEquals":{"aws:SourceAccount":{"Ref":"AWS::AccountId"},"aws:SourceArn":{"Fn::GetAtt":["` + group.id + `","Arn"]}}}`
	if got := render(st["Condition"]); got != want {
		t.Errorf("trust condition = %s, want %s", got, want)
	}
}
