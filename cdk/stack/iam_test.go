package stack

import (
	"slices"
	"sort"
	"strings"
	"testing"
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

func TestEveryIAMStatementIsScoped(t *testing.T) {
	_, tmpl := synthesized(t)
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
	table := "{GetAtt:" + resources(tmpl, "AWS::DynamoDB::Table")[0].id + ".Arn}"
	sm := "{Ref:" + resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id + "}"
	queue := "{GetAtt:" + byConstructID(t, tmpl, "AWS::SQS::Queue", "StarterFailures").id + ".Arn}"
	var services []string
	for _, s := range loadExample(t).Services {
		services = append(services, "arn:aws:ecs:us-east-1:123456789012:service/"+s.Cluster+"/"+s.Service)
	}
	var taskArns []string
	for _, s := range taskSpecs {
		taskArns = append(taskArns, "{GetAtt:"+byConstructID(t, tmpl, "AWS::Lambda::Function", s.id).id+".Arn}")
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
		"DescribeServiceRole": function("DescribeService",
			[2][]string{{"ecs:DescribeServices"}, services}),
		"PlanScalingRole": function("PlanScaling"),
		"UpdateDesiredCountRole": function("UpdateDesiredCount",
			[2][]string{{"ecs:UpdateService"}, services}),
		"CheckStabilityRole": function("CheckStability",
			[2][]string{{"ecs:DescribeServices"}, services}),
		"RecordOutcomeRole": function("RecordOutcome",
			[2][]string{{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:GetItem"}, {table}}),
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
