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

func TestEveryIAMStatementIsScoped(t *testing.T) {
	_, tmpl := synthesized(t)
	checkEveryIAMStatementIsScoped(t, tmpl, loadExample(t))
}

// checkEveryIAMStatementIsScoped fails on wildcard actions, NotAction, NotResource, managed
// or inline role policies, and "*" resources other than those AWS requires. The one
// configuration-dependent "*" is cloudwatch:DescribeAlarms, allowed only in check-alarms'
// policy and only when the configuration lists an alarm the stack does not create.
func checkEveryIAMStatementIsScoped(t *testing.T, tmpl map[string]any, cfg *config.Config) {
	t.Helper()
	checkAlarmsPolicy := byConstructID(t, tmpl, "AWS::IAM::Policy", "CheckAlarmsRoleDefaultPolicy").id
	describeAlarmsOnStar := len(existingAlarms(cfg)) > 0
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
					if a == "cloudwatch:DescribeAlarms" && describeAlarmsOnStar && p.id == checkAlarmsPolicy {
						continue
					}
					if !slices.Contains(actionsAWSRequiresStarFor, a) {
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

// checkRoleGrants checks every role's statements against the grants its function needs
// under the configuration cfg.
func checkRoleGrants(t *testing.T, tmpl map[string]any, cfg *config.Config) {
	t.Helper()
	table := "{GetAtt:" + resources(tmpl, "AWS::DynamoDB::Table")[0].id + ".Arn}"
	sm := "{Ref:" + resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id + "}"
	queue := "{GetAtt:" + byConstructID(t, tmpl, "AWS::SQS::Queue", "StarterFailures").id + ".Arn}"
	var services []string
	for _, s := range cfg.Services {
		services = append(services, "arn:aws:ecs:us-east-1:123456789012:service/"+s.Cluster+"/"+s.Service)
	}
	// Exactly the configured alarms, unless one of them may be a composite alarm.
	alarms := configuredAlarmArns(cfg)
	if len(existingAlarms(cfg)) > 0 {
		alarms = []string{"*"}
	}
	// The state machine invokes every function of the stack but the starter.
	starter := byConstructID(t, tmpl, "AWS::Lambda::Function", "Starter").id
	var taskArns []string
	for _, f := range resources(tmpl, "AWS::Lambda::Function") {
		if f.id != starter {
			taskArns = append(taskArns, "{GetAtt:"+f.id+".Arn}")
		}
	}
	xray := [2][]string{{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}, {"*"}}
	function := func(id string, g ...[2][]string) []grant {
		logs := "{GetAtt:" + byConstructID(t, tmpl, "AWS::Logs::LogGroup", id+"Logs").id + ".Arn}"
		all := append([][2][]string{{{"logs:CreateLogStream", "logs:PutLogEvents"}, {logs}}, xray}, g...)
		return grantsOf(all...)
	}
	want := map[string][]grant{
		"StarterRole": function("Starter",
			[2][]string{{"states:StartExecution"}, {sm}},
			[2][]string{{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, {queue}}),
		"AcquireLeaseRole": function("AcquireLease",
			[2][]string{{"dynamodb:UpdateItem", "dynamodb:GetItem"}, {table}}),
		"CheckAlarmsRole": function("CheckAlarms",
			[2][]string{{"cloudwatch:DescribeAlarms"}, alarms}),
		"DescribeServiceRole": function("DescribeService",
			[2][]string{{"ecs:DescribeServices"}, services}),
		"PlanScalingRole": function("PlanScaling"),
		"UpdateDesiredCountRole": function("UpdateDesiredCount",
			[2][]string{{"ecs:UpdateService"}, services}),
		"CheckStabilityRole": function("CheckStability",
			[2][]string{{"ecs:DescribeServices"}, services}),
		"RecordOutcomeRole": function("RecordOutcome",
			[2][]string{{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:GetItem"}, {table}}),
		"ReleaseLeaseRole": function("ReleaseLease",
			[2][]string{{"dynamodb:UpdateItem"}, {table}}),
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
		if roleID == "StateMachineRole" {
			service = "states.amazonaws.com"
		}
		trust := render(role.props["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, `"Principal":{"Service":"`+service+`"}`) || strings.Count(trust, `"Principal"`) != 1 {
			t.Errorf("%s trust policy = %s, want only %s", roleID, trust, service)
		}
	}
}

// TestDescribeAlarmsScopedWhenTheStackCreatesEveryAlarm synthesizes the stack from the
// example configuration without its existing alarms: every configured alarm is then a
// metric alarm the stack creates, so check-alarms may describe exactly those ARNs, and its
// only "*" is X-Ray's, under X-Ray's suppression reason.
func TestDescribeAlarmsScopedWhenTheStackCreatesEveryAlarm(t *testing.T) {
	synthesized(t) // shares the jsii runtime
	example := loadExample(t)
	if len(existingAlarms(example)) == 0 {
		t.Fatalf("%s lists no existing alarm; the example itself covers the scoped case then", exampleConfig)
	}
	cfg := *example
	cfg.Services = nil
	for _, s := range example.Services {
		s.Alarms = slices.DeleteFunc(slices.Clone(s.Alarms), func(a config.Alarm) bool { return a.Metric == nil })
		cfg.Services = append(cfg.Services, s)
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
	if r := checkAlarmsStarReason(t, tmpl); r != reasonLambdaXRay {
		t.Errorf("check-alarms' IAM5 suppression reason = %q, want X-Ray's alone", r)
	}
}

// TestDescribeAlarmsOnStarIsExplained: with the example's existing alarms, check-alarms'
// "*" also covers cloudwatch:DescribeAlarms, and its suppression reason must say why.
func TestDescribeAlarmsOnStarIsExplained(t *testing.T) {
	_, tmpl := synthesized(t)
	r := checkAlarmsStarReason(t, tmpl)
	for _, want := range []string{"cloudwatch:DescribeAlarms", "composite", "xray:PutTraceSegments"} {
		if !strings.Contains(r, want) {
			t.Errorf("check-alarms' IAM5 suppression reason does not mention %s: %q", want, r)
		}
	}
}

// checkAlarmsStarReason is the reason of the IAM5 suppression on check-alarms' policy.
func checkAlarmsStarReason(t *testing.T, tmpl map[string]any) string {
	t.Helper()
	p := byConstructID(t, tmpl, "AWS::IAM::Policy", "CheckAlarmsRoleDefaultPolicy")
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
		t.Fatalf("check-alarms' policy has %d IAM5 suppressions, want 1", len(reasons))
	}
	return reasons[0]
}
