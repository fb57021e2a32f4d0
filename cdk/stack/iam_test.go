package stack

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/internal/config"
)

// actionsAWSRequiresStarFor may appear with Resource "*": AWS supports no narrower resource
// for them (X-Ray's writes and sampling reads; CloudWatch Logs' vended log delivery, which
// Step Functions logging uses). Any other action on "*" fails the test.
var actionsAWSRequiresStarFor = []string{
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
	"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
	"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

// grant is one statement reduced to its sorted actions and rendered, sorted resources.
type grant struct{ actions, resources string }

func grantOf(st map[string]any) grant {
	return grant{
		actions:   strings.Join(sortedCopy(strs(st["Action"])), ","),
		resources: strings.Join(renderAll(st["Resource"]), ","),
	}
}

func grantsOf(g ...[2][]string) []grant {
	var out []grant
	for _, x := range g {
		out = append(out, grant{strings.Join(sortedCopy(x[0]), ","), strings.Join(sortedCopy(x[1]), ",")})
	}
	return out
}

// roleStatements maps each role's logical id to the statements of the policies attached to it.
func roleStatements(t *testing.T, tmpl map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, p := range resources(tmpl, "AWS::IAM::Policy") {
		for _, role := range renderAll(p.props["Roles"]) {
			id := strings.TrimSuffix(strings.TrimPrefix(role, "{Ref:"), "}")
			for _, s := range p.props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				out[id] = append(out[id], s.(map[string]any))
			}
		}
	}
	return out
}

// configuredAlarmArns are the ARNs of every configured alarm, as rendered by the tests.
func configuredAlarmArns(cfg *config.Config) []string {
	var arns []string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			arns = append(arns, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"+a.AlarmName)
		}
	}
	return arns
}

// mayNameCompositeAlarm is the test's own reading of when DescribeAlarms must be allowed on
// "*": the configuration lists an alarm without a metric, which the stack does not create
// and which may be a composite alarm.
func mayNameCompositeAlarm(cfg *config.Config) bool {
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.Metric == nil {
				return true
			}
		}
	}
	return false
}

func TestEveryIAMStatementIsScoped(t *testing.T) {
	_, tmpl := synthesized(t)
	checkEveryIAMStatementIsScoped(t, tmpl, loadExample(t))
}

// checkEveryIAMStatementIsScoped fails on wildcard actions, NotAction, NotResource, managed
// or inline role policies, and "*" resources other than those AWS requires. Beyond X-Ray's
// and CloudWatch Logs delivery's, read-alarms may have cloudwatch:GetMetricData on "*" (the
// action has no resource type), and read-alarms and the evaluator cloudwatch:DescribeAlarms
// on "*" only when the configuration may name a composite alarm.
func checkEveryIAMStatementIsScoped(t *testing.T, tmpl map[string]any, cfg *config.Config) {
	t.Helper()
	readAlarms := byConstructID(t, tmpl, "AWS::IAM::Policy", "ReadAlarmsRoleDefaultPolicy").id
	evaluator := byConstructID(t, tmpl, "AWS::IAM::Policy", "EvaluateAlarmsRoleDefaultPolicy").id
	starAllowed := map[string][]string{readAlarms: {"cloudwatch:GetMetricData"}}
	if mayNameCompositeAlarm(cfg) {
		starAllowed[readAlarms] = append(starAllowed[readAlarms], "cloudwatch:DescribeAlarms")
		starAllowed[evaluator] = []string{"cloudwatch:DescribeAlarms"}
	}
	total := 0
	for _, p := range resources(tmpl, "AWS::IAM::Policy") {
		for _, s := range p.props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			total++
			st := s.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			actions := strs(st["Action"])
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %s", p.id, a)
				}
			}
			if slices.Contains(renderAll(st["Resource"]), "*") {
				for _, a := range actions {
					if !slices.Contains(actionsAWSRequiresStarFor, a) && !slices.Contains(starAllowed[p.id], a) {
						t.Errorf("%s: %s on Resource \"*\"; AWS supports a narrower resource for it", p.id, a)
					}
				}
			}
			if _, ok := st["NotResource"]; ok {
				t.Errorf("%s: NotResource", p.id)
			}
			if _, ok := st["NotAction"]; ok {
				t.Errorf("%s: NotAction", p.id)
			}
		}
	}
	for _, r := range resources(tmpl, "AWS::IAM::Role") {
		if _, ok := r.props["ManagedPolicyArns"]; ok {
			t.Errorf("role %s has managed policies: %v", r.id, r.props["ManagedPolicyArns"])
		}
		if _, ok := r.props["Policies"]; ok {
			t.Errorf("role %s has inline policies outside the checked AWS::IAM::Policy resources", r.id)
		}
	}
	t.Logf("IAM: %d roles, %d policies, %d statements", len(resources(tmpl, "AWS::IAM::Role")),
		len(resources(tmpl, "AWS::IAM::Policy")), total)
}

func TestRolesHoldOnlyTheirGrants(t *testing.T) {
	_, tmpl := synthesized(t)
	checkRoleGrants(t, tmpl, loadExample(t))
}

// checkRoleGrants checks every role's statements against the calls its function makes
// under the configuration cfg (each function's main and the step package it wires):
//
//   - starter: StartExecution; its failure queue (Lambda's on-failure destination).
//   - evaluate-alarms: DescribeAlarms on the configured alarms, StartExecution and
//     ListExecutions (the running executions it leaves alone); its failure queue.
//   - acquire-lease: UpdateItem (conditional lease write), GetItem (the state item when the
//     lease is held).
//   - read-alarms: DescribeAlarms, GetMetricData.
//   - describe-service, check-stability: DescribeServices. update-desired-count:
//     UpdateService. plan-scaling: nothing.
//   - record-outcome: TransactWriteItems of a Put and an Update (authorized as PutItem and
//     UpdateItem) and the conditional UpdateItem that releases the lease; no Query, no
//     GetItem.
//   - the schedule's role: InvokeFunction on the evaluator, SendMessage to the dead-letter
//     queue. The state machine's: InvokeFunction on the task functions, logs, X-Ray.
func checkRoleGrants(t *testing.T, tmpl map[string]any, cfg *config.Config) {
	t.Helper()
	table := "{GetAtt:" + resources(tmpl, "AWS::DynamoDB::Table")[0].id + ".Arn}"
	sm := "{Ref:" + resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id + "}"
	queueArn := func(id string) string {
		return "{GetAtt:" + byConstructID(t, tmpl, "AWS::SQS::Queue", id).id + ".Arn}"
	}
	var services []string
	for _, s := range cfg.Services {
		services = append(services, "arn:aws:ecs:us-east-1:123456789012:service/"+s.Cluster+"/"+s.Service)
	}
	// Exactly the configured alarms, unless one of them may be a composite alarm.
	alarms := configuredAlarmArns(cfg)
	if mayNameCompositeAlarm(cfg) {
		alarms = []string{"*"}
	}
	// The state machine invokes every function of the stack but the two triggers.
	starter := byConstructID(t, tmpl, "AWS::Lambda::Function", "Starter").id
	evaluator := byConstructID(t, tmpl, "AWS::Lambda::Function", "EvaluateAlarms").id
	var taskArns []string
	for _, f := range resources(tmpl, "AWS::Lambda::Function") {
		if f.id != starter && f.id != evaluator {
			taskArns = append(taskArns, "{GetAtt:"+f.id+".Arn}")
		}
	}
	xray := [2][]string{{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}, {"*"}}
	function := func(id string, g ...[2][]string) []grant {
		logs := "{GetAtt:" + byConstructID(t, tmpl, "AWS::Logs::LogGroup", id+"Logs").id + ".Arn}"
		all := append([][2][]string{{{"logs:CreateLogStream", "logs:PutLogEvents"}, {logs}}, xray}, g...)
		return grantsOf(all...)
	}
	sendToQueue := func(id string) [2][]string {
		return [2][]string{{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, {queueArn(id)}}
	}
	want := map[string][]grant{
		"StarterRole": function("Starter",
			[2][]string{{"states:StartExecution"}, {sm}},
			sendToQueue("StarterFailures")),
		"EvaluateAlarmsRole": function("EvaluateAlarms",
			[2][]string{{"states:StartExecution", "states:ListExecutions"}, {sm}},
			[2][]string{{"cloudwatch:DescribeAlarms"}, alarms},
			sendToQueue("EvaluationFailures")),
		"AcquireLeaseRole": function("AcquireLease",
			[2][]string{{"dynamodb:UpdateItem", "dynamodb:GetItem"}, {table}}),
		"ReadAlarmsRole": function("ReadAlarms",
			[2][]string{{"cloudwatch:DescribeAlarms"}, alarms},
			[2][]string{{"cloudwatch:GetMetricData"}, {"*"}}),
		"DescribeServiceRole": function("DescribeService",
			[2][]string{{"ecs:DescribeServices"}, services}),
		"PlanScalingRole": function("PlanScaling"),
		"UpdateDesiredCountRole": function("UpdateDesiredCount",
			[2][]string{{"ecs:UpdateService"}, services}),
		"CheckStabilityRole": function("CheckStability",
			[2][]string{{"ecs:DescribeServices"}, services}),
		"RecordOutcomeRole": function("RecordOutcome",
			[2][]string{{"dynamodb:PutItem", "dynamodb:UpdateItem"}, {table}}),
		"EvaluationScheduleRole": grantsOf(
			[2][]string{{"lambda:InvokeFunction"}, {"{GetAtt:" + evaluator + ".Arn}"}},
			[2][]string{{"sqs:SendMessage"}, {queueArn("EvaluationFailures")}}),
		"StateMachineRole": grantsOf(
			[2][]string{{"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
				"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}, {"*"}},
			[2][]string{{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"}, {"*"}},
			[2][]string{{"lambda:InvokeFunction"}, taskArns}),
	}
	statements := roleStatements(t, tmpl)
	if len(statements) != len(want) {
		t.Errorf("policies are attached to %d roles, want %d", len(statements), len(want))
	}
	if n := len(resources(tmpl, "AWS::IAM::Role")); n != len(want) {
		t.Errorf("%d roles, want %d", n, len(want))
	}
	for roleID, wantGrants := range want {
		role := byConstructID(t, tmpl, "AWS::IAM::Role", roleID)
		var got []grant
		for _, st := range statements[role.id] {
			got = append(got, grantOf(st))
		}
		key := func(g []grant) []string {
			var s []string
			for _, x := range g {
				s = append(s, x.actions+" on "+x.resources)
			}
			sort.Strings(s)
			return s
		}
		if g, w := key(got), key(wantGrants); !slices.Equal(g, w) {
			t.Errorf("%s grants:\n  got  %s\n  want %s", roleID, strings.Join(g, "\n       "), strings.Join(w, "\n       "))
		}
		service := "lambda.amazonaws.com"
		switch roleID {
		case "StateMachineRole":
			service = "states.amazonaws.com"
		case "EvaluationScheduleRole":
			service = "scheduler.amazonaws.com" // its conditions: TestEvaluationScheduleRoleTrust
		}
		trust := render(role.props["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, `"Principal":{"Service":"`+service+`"}`) || strings.Count(trust, `"Principal"`) != 1 {
			t.Errorf("%s trust policy = %s, want only %s", roleID, trust, service)
		}
	}
}

// TestDescribeAlarmsScopedWhenTheStackCreatesEveryAlarm synthesizes the stack from the
// example configuration without its existing alarms: every configured alarm is then a
// metric alarm the stack creates, so read-alarms and the evaluator may describe exactly
// those ARNs; the evaluator's only "*" is X-Ray's, and read-alarms' X-Ray's and
// GetMetricData's, under reasons that say so and no more.
func TestDescribeAlarmsScopedWhenTheStackCreatesEveryAlarm(t *testing.T) {
	synthesized(t) // shares the jsii runtime
	example := loadExample(t)
	if !mayNameCompositeAlarm(example) {
		t.Fatalf("%s lists no existing alarm; the example itself covers the scoped case then", exampleConfig)
	}
	cfg := *example
	cfg.Services = nil
	for _, s := range example.Services {
		s.Alarms = slices.DeleteFunc(slices.Clone(s.Alarms), func(a config.Alarm) bool { return a.Metric == nil })
		cfg.Services = append(cfg.Services, s)
	}
	if mayNameCompositeAlarm(&cfg) || cfg.MayHaveCompositeAlarms() {
		t.Fatal("the trimmed configuration still lists an alarm without a metric")
	}

	app := newTestApp(t.TempDir(), exampleConfig)
	st, err := NewStepscalerStack(app, StackName, &Props{
		Config:         &cfg,
		ConfigPath:     repoFile(t, exampleConfig),
		RepoRoot:       fixture.root,
		DefinitionPath: repoFile(t, DefinitionPath),
	})
	if err != nil {
		t.Fatal(err)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	tmpl := *assertions.Template_FromStack(st, nil).ToJSON()

	checkRoleGrants(t, tmpl, &cfg)
	checkEveryIAMStatementIsScoped(t, tmpl, &cfg)
	checkNoUnsuppressedNagFindings(t, st)
	for policy, mentions := range map[string][]string{
		"ReadAlarmsRoleDefaultPolicy":     {"xray:PutTraceSegments", "cloudwatch:GetMetricData"},
		"EvaluateAlarmsRoleDefaultPolicy": {"xray:PutTraceSegments"},
	} {
		r := starReasonOf(t, tmpl, policy)
		for _, want := range mentions {
			if !strings.Contains(r, want) {
				t.Errorf("%s: IAM5 reason does not mention %s: %q", policy, want, r)
			}
		}
		if strings.Contains(r, "DescribeAlarms") || strings.Contains(r, "composite") {
			t.Errorf("%s: IAM5 reason explains a DescribeAlarms \"*\" the policy does not have: %q", policy, r)
		}
	}
}

// TestDescribeAlarmsOnStarIsExplained: with the example's existing alarms, the "*" of
// read-alarms and of the evaluator also covers cloudwatch:DescribeAlarms, and their
// suppression reasons must say why.
func TestDescribeAlarmsOnStarIsExplained(t *testing.T) {
	_, tmpl := synthesized(t)
	for policy, mentions := range map[string][]string{
		"ReadAlarmsRoleDefaultPolicy":     {"cloudwatch:DescribeAlarms", "composite", "xray:PutTraceSegments", "cloudwatch:GetMetricData"},
		"EvaluateAlarmsRoleDefaultPolicy": {"cloudwatch:DescribeAlarms", "composite", "xray:PutTraceSegments"},
	} {
		r := starReasonOf(t, tmpl, policy)
		for _, want := range mentions {
			if !strings.Contains(r, want) {
				t.Errorf("%s: IAM5 reason does not mention %s: %q", policy, want, r)
			}
		}
	}
}

// starReasonOf is the reason of the IAM5 suppression on a policy (by construct id).
func starReasonOf(t *testing.T, tmpl map[string]any, policy string) string {
	t.Helper()
	p := byConstructID(t, tmpl, "AWS::IAM::Policy", policy)
	md, _ := p.raw["Metadata"].(map[string]any)
	nag, _ := md["cdk_nag"].(map[string]any)
	rules, _ := nag["rules_to_suppress"].([]any)
	var reasons []string
	for _, x := range rules {
		rule := x.(map[string]any)
		if rule["id"] == "AwsSolutions-IAM5" {
			reason, _ := rule["reason"].(string)
			reasons = append(reasons, reason)
		}
	}
	if len(reasons) != 1 {
		t.Fatalf("%s has %d IAM5 suppressions, want 1", policy, len(reasons))
	}
	return reasons[0]
}
