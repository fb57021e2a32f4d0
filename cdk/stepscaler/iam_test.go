package stepscaler

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/deploy"
)

// actionsAWSRequiresStarFor may appear with Resource "*": AWS supports no narrower resource
// for them (X-Ray's writes and sampling reads; CloudWatch Logs' vended log delivery, which
// Step Functions logging uses). Any other action on "*" fails the test.
var actionsAWSRequiresStarFor = []string{
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
	"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
	"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

// grant is one statement reduced to its effect, sorted actions, rendered and sorted
// resources, and rendered condition.
type grant struct{ effect, actions, resources, condition string }

func (g grant) String() string {
	s := g.effect + " " + g.actions + " on " + g.resources
	if g.condition != "" {
		s += " if " + g.condition
	}
	return s
}

func grantOf(st map[string]any) grant {
	g := grant{
		effect:    st["Effect"].(string),
		actions:   strings.Join(sortedCopy(strs(st["Action"])), ","),
		resources: strings.Join(renderAll(st["Resource"]), ","),
	}
	if c, ok := st["Condition"]; ok {
		g.condition = render(c)
	}
	return g
}

// grantsOf are Allow statements without conditions: {actions, resources} pairs.
func grantsOf(g ...[2][]string) []grant {
	var out []grant
	for _, x := range g {
		out = append(out, grant{"Allow", strings.Join(sortedCopy(x[0]), ","), strings.Join(sortedCopy(x[1]), ","), ""})
	}
	return out
}

// updateServiceKeysFromTheReference are the condition keys the Service Authorization
// Reference lists for ecs:UpdateService ("Actions, resources, and condition keys for
// Amazon Elastic Container Service", Actions table), written out here rather than taken
// from the code under test. The service resource type's own keys (ecs:cluster,
// aws:ResourceTag/${TagKey}) describe the service and are on every request.
var updateServiceKeysFromTheReference = []string{
	"ecs:auto-assign-public-ip", "ecs:capacity-provider", "ecs:enable-ebs-volumes", "ecs:enable-ecs-managed-tags",
	"ecs:enable-execute-command", "ecs:enable-service-connect", "ecs:enable-vpc-lattice", "ecs:namespace",
	"ecs:propagate-tags", "ecs:subnet", "ecs:task-cpu", "ecs:task-definition", "ecs:task-memory",
}

// updateServiceDenyGrants are the Deny statements update-desired-count must carry: one per
// key, refusing an UpdateService request in whose context the key is present.
func updateServiceDenyGrants() []grant {
	var out []grant
	for _, k := range updateServiceKeysFromTheReference {
		out = append(out, grant{"Deny", "ecs:UpdateService", "*", `{"Null":{"` + k + `":"false"}}`})
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
// or inline role policies, and Allow statements on "*" other than those AWS requires.
// Beyond X-Ray's and CloudWatch Logs delivery's, read-alarms may have
// cloudwatch:GetMetricData on "*" (the action has no resource type), and read-alarms and
// the evaluator cloudwatch:DescribeAlarms on "*" only when the configuration may name a
// composite alarm, as config.Config.MayHaveCompositeAlarms answers. Deny statements may
// name "*": they narrow what the Allow statements grant.
func checkEveryIAMStatementIsScoped(t *testing.T, tmpl map[string]any, cfg *config.Config) {
	t.Helper()
	readAlarms := byConstructID(t, tmpl, "AWS::IAM::Policy", "ReadAlarmsRoleDefaultPolicy").id
	evaluator := byConstructID(t, tmpl, "AWS::IAM::Policy", "EvaluateAlarmsRoleDefaultPolicy").id
	starAllowed := map[string][]string{readAlarms: {"cloudwatch:GetMetricData"}}
	if cfg.MayHaveCompositeAlarms() {
		starAllowed[readAlarms] = append(starAllowed[readAlarms], "cloudwatch:DescribeAlarms")
		starAllowed[evaluator] = []string{"cloudwatch:DescribeAlarms"}
	}
	total := 0
	for _, p := range resources(tmpl, "AWS::IAM::Policy") {
		for _, s := range p.props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			total++
			st := s.(map[string]any)
			if _, ok := st["NotResource"]; ok {
				t.Errorf("%s: NotResource", p.id)
			}
			if _, ok := st["NotAction"]; ok {
				t.Errorf("%s: NotAction", p.id)
			}
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
//     UpdateService, refused when the request carries any of UpdateService's condition
//     keys. plan-scaling: nothing.
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
	if cfg.MayHaveCompositeAlarms() {
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
		"UpdateDesiredCountRole": append(function("UpdateDesiredCount",
			[2][]string{{"ecs:UpdateService"}, services}), updateServiceDenyGrants()...),
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
				s = append(s, x.String())
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

// TestDescribeAlarmsGrantFollowsTheConfiguration synthesizes the stack from configurations
// for which config.Config.MayHaveCompositeAlarms answers each way, and checks that
// read-alarms and the evaluator get cloudwatch:DescribeAlarms on "*" exactly when it
// answers yes, with IAM5 reasons that explain the "*" they have and no other. The
// configurations are the example, testdata/composite.json, and composite.json without
// the alarms that alone make the function answer yes: the test asks the function which
// those are rather than knowing its rule.
func TestDescribeAlarmsGrantFollowsTheConfiguration(t *testing.T) {
	synthesized(t) // shares the jsii runtime
	composite, err := config.Load(filepath.Join("testdata", "composite.json"))
	if err != nil {
		t.Fatalf("testdata/composite.json: %v", err)
	}
	configs := []struct {
		name string
		cfg  *config.Config
	}{
		{exampleConfig, loadExample(t)},
		{"testdata/composite.json", composite},
		{"testdata/composite.json without its composite alarms", withoutAlarmsThatMayBeComposite(composite)},
	}
	seen := map[bool]bool{}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			star := c.cfg.MayHaveCompositeAlarms()
			seen[star] = true
			st, tmpl := synthesizeConfig(t, c.cfg, Operator{})
			checkRoleGrants(t, tmpl, c.cfg)
			checkEveryIAMStatementIsScoped(t, tmpl, c.cfg)
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
				if explains := strings.Contains(r, "DescribeAlarms") && strings.Contains(r, "composite"); explains != star {
					t.Errorf("%s: MayHaveCompositeAlarms = %v, but the IAM5 reason explains a DescribeAlarms \"*\": %v (%q)", policy, star, explains, r)
				}
			}
		})
	}
	if !seen[true] || !seen[false] {
		t.Errorf("the configurations exercise MayHaveCompositeAlarms = %v only; testdata/composite.json must declare a composite alarm so that both grants stay tested", seen)
	}
}

// withoutAlarmsThatMayBeComposite removes every alarm that, alone in a configuration,
// makes MayHaveCompositeAlarms answer yes.
func withoutAlarmsThatMayBeComposite(cfg *config.Config) *config.Config {
	out := *cfg
	out.Services = nil
	for _, s := range cfg.Services {
		s.Alarms = slices.DeleteFunc(slices.Clone(s.Alarms), func(a config.Alarm) bool {
			alone := config.Config{Services: []config.Service{{Cluster: s.Cluster, Service: s.Service, Alarms: []config.Alarm{a}}}}
			return alone.MayHaveCompositeAlarms()
		})
		if len(s.Alarms) > 0 {
			out.Services = append(out.Services, s)
		}
	}
	return &out
}

// synthesizeConfig builds the standalone stack from cfg (with the example's file as the
// functions' asset, bundling skipped) and cdk-nag, and returns it with its template.
func synthesizeConfig(t *testing.T, cfg *config.Config, op Operator) (awscdk.Stack, map[string]any) {
	t.Helper()
	return synthesizeSettings(t, testSettings(t, cfg, op))
}

// testSettings are the settings of a deployment of cfg, as resolve makes them, for
// configurations built in Go (internal/config values) rather than given as props.
func testSettings(t *testing.T, cfg *config.Config, op Operator) *settings {
	t.Helper()
	example, err := os.ReadFile(repoFile(t, exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	s := &settings{cfg: cfg, configJSON: example, sourceDir: fixture.root,
		definitionPath: repoFile(t, DefinitionPath), operator: op, ecsShare: deploy.DefaultECSShare, deployment: StackName}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
	return s
}

// synthesizeSettings builds the standalone stack from s, with cdk-nag.
func synthesizeSettings(t *testing.T, s *settings) (awscdk.Stack, map[string]any) {
	t.Helper()
	app := newTestApp(t.TempDir(), exampleConfig)
	st, _ := newStack(app, StackName, s)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return st, *assertions.Template_FromStack(st, nil).ToJSON()
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
