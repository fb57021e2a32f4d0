package stepscaler

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/internal/config"
)

// Reasons for the few cdk-nag findings the stack keeps. Each suppression is attached to the
// one resource it concerns and, for IAM5, only to the "*" resource (appliesTo), so a
// wildcard added to any other statement, or to another resource, is still reported. The
// package's tests also check that "*" appears only with the actions each role's reason
// names.
const (
	starXRay = "xray:PutTraceSegments and xray:PutTelemetryRecords (X-Ray active tracing; no resource-level permissions)"
	// starGetMetricData is read-alarms' GetMetricData, see getMetricDataStatement.
	starGetMetricData = "cloudwatch:GetMetricData, which has no resource type in the Service Authorization Reference " +
		"(AWS accepts only \"*\" for it); the function reads only the metrics of the configured alarms"
	// starDescribeAlarms is DescribeAlarms when the configuration may name a composite
	// alarm (config.Config.MayHaveCompositeAlarms), see describeAlarmsResources.
	starDescribeAlarms = "cloudwatch:DescribeAlarms, because the configuration may name a composite alarm, " +
		"and CloudWatch returns composite alarms only to a principal allowed DescribeAlarms on \"*\". " +
		"The function describes only the configured alarm names; when the configuration names no composite alarm, " +
		"DescribeAlarms is scoped to the configured alarms' ARNs"

	reasonStateMachineLogsXRay = "Resource \"*\" is required by AWS for the CloudWatch Logs delivery actions " +
		"(logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, " +
		"PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) that Step Functions logging uses, and for " +
		"the X-Ray tracing actions; none supports resource-level permissions. lambda:InvokeFunction names each task function."
	reasonFailureQueueNoDLQ = "This queue is itself the dead-letter store: it receives the asynchronous invocations (and, " +
		"for the evaluation, the scheduled deliveries) that failed after their retries. Nothing consumes it automatically, " +
		"so it needs no DLQ of its own; an alarm fires when it holds a message and messages are kept 14 days."
)

// starReason is the IAM5 reason for a function role whose "*" resource covers X-Ray and,
// when given, the other actions described. One suppression covers a policy's "*", so its
// reason names every use.
func starReason(others ...string) string {
	uses := append([]string{starXRay}, others...)
	return "Resource \"*\" is required by AWS for " + strings.Join(uses, "; and for ") +
		". Every other statement of this role names its resources."
}

func addNagSuppressions(cfg *config.Config, tasks map[string]goFunction, sm awsstepfunctions.StateMachine, st starter, ev evaluator) {
	var describeAlarms []string
	if cfg.MayHaveCompositeAlarms() {
		describeAlarms = []string{starDescribeAlarms}
	}
	for _, s := range taskSpecs {
		var others []string
		if s.metricData {
			others = append(others, starGetMetricData)
		}
		if s.describeAlarms {
			others = append(others, describeAlarms...)
		}
		suppressStar(tasks[s.name].role, starReason(others...))
	}
	suppressStar(st.role, starReason())
	suppressStar(ev.role, starReason(describeAlarms...))
	suppressStar(sm.Role(), reasonStateMachineLogsXRay)

	for _, q := range []awssqs.Queue{st.failures, ev.failures} {
		cdknag.NagSuppressions_AddResourceSuppressions(q.Node().DefaultChild(), &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-SQS3"),
			Reason: jsii.String(reasonFailureQueueNoDLQ),
		}}, jsii.Bool(false))
	}
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
