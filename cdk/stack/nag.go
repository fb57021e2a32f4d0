package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/internal/config"
)

// Reasons for the few cdk-nag findings the stack keeps. Each suppression is attached to the
// one resource it concerns and, for IAM5, only to the "*" resource (appliesTo), so a
// wildcard added to any other statement, or to another resource, is still reported. The
// package's tests also check that "*" appears only with the actions listed in
// starRequiredActions, and with cloudwatch:DescribeAlarms only on check-alarms' role when
// the configuration lists an alarm the stack does not create.
const (
	reasonLambdaXRay = "Resource \"*\" is required by AWS for xray:PutTraceSegments and xray:PutTelemetryRecords, " +
		"which X-Ray active tracing needs and which support no resource-level permissions. " +
		"Every other statement of this role names its resources."
	reasonStateMachineLogsXRay = "Resource \"*\" is required by AWS for the CloudWatch Logs delivery actions " +
		"(logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, " +
		"PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) that Step Functions logging uses, and for " +
		"the X-Ray tracing actions; none supports resource-level permissions. lambda:InvokeFunction names each task function."
	// reasonCheckAlarmsStar replaces reasonLambdaXRay on check-alarms' role when the
	// configuration lists an alarm the stack does not create (see describeAlarmsResources):
	// one IAM5 suppression covers the policy's "*", so its reason names both uses.
	reasonCheckAlarmsStar = "Resource \"*\" is required by AWS for xray:PutTraceSegments and xray:PutTelemetryRecords " +
		"(X-Ray active tracing; no resource-level permissions), and for cloudwatch:DescribeAlarms because the configuration " +
		"lists alarms the stack does not create, which may be composite alarms: CloudWatch returns composite alarms only to " +
		"a principal allowed DescribeAlarms on \"*\". The function describes only the configured alarm names; when every " +
		"configured alarm is created by the stack, DescribeAlarms is scoped to their ARNs."
	reasonFailureQueueNoDLQ = "This queue is itself the dead-letter store: it is the starter's on-failure destination for " +
		"asynchronous invocations that failed after Lambda's retries. Nothing consumes it automatically, so it needs no " +
		"DLQ of its own; an alarm fires when it holds a message and messages are kept 14 days."
)

// starRequiredActions are the actions that may appear with Resource "*" because AWS
// supports no narrower resource for them.
var starRequiredActions = []string{
	"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
	"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
	"logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
}

func addNagSuppressions(scope awscdk.Stack, cfg *config.Config, tasks map[string]goFunction, sm awsstepfunctions.StateMachine, st starter) {
	for _, s := range taskSpecs {
		reason := reasonLambdaXRay
		if s.describeAlarms && describeAlarmsOnStar(cfg) {
			reason = reasonCheckAlarmsStar
		}
		suppressStar(tasks[s.name].role, reason)
	}
	suppressStar(st.role, reasonLambdaXRay)
	suppressStar(sm.Role(), reasonStateMachineLogsXRay)

	cdknag.NagSuppressions_AddResourceSuppressions(st.failures.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String(reasonFailureQueueNoDLQ),
	}}, jsii.Bool(false))
}

// suppressStar suppresses AwsSolutions-IAM5 for the "*" resource of a role's default policy.
func suppressStar(role awsiam.IRole, reason string) {
	policy := role.Node().TryFindChild(jsii.String("DefaultPolicy"))
	if policy == nil {
		panic(fmt.Sprintf("role %s has no default policy to suppress findings on", *role.Node().Path()))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(policy.(constructs.IConstruct), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &[]interface{}{"Resource::*"},
	}}, jsii.Bool(true))
}
