package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
)

// allow is an Allow statement for actions on exactly the given resources.
func allow(actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	})
}

// serviceArns are the configured ECS services' ARNs in the long format,
// arn:${Partition}:ecs:${Region}:${Account}:service/<cluster>/<service>. ecs:DescribeServices
// and ecs:UpdateService both take the service as their resource; the ARN names the
// cluster, so a statement scoped to it needs no ecs:cluster condition.
func serviceArns(scope awscdk.Stack, cfg *config.Config) []*string {
	arns := make([]*string, 0, len(cfg.Services))
	for _, s := range cfg.Services {
		arns = append(arns, scope.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("ecs"),
			Resource:     jsii.String("service"),
			ResourceName: jsii.String(s.Cluster + "/" + s.Service),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		}))
	}
	return arns
}

// alarmArns are the ARNs of every configured alarm, created by the stack or not:
// arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:<name>.
func alarmArns(scope awscdk.Stack, cfg *config.Config) []*string {
	var arns []*string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			arns = append(arns, scope.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("cloudwatch"),
				Resource:     jsii.String("alarm"),
				ResourceName: jsii.String(a.AlarmName),
				ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			}))
		}
	}
	return arns
}

// describeAlarmsResources is what read-alarms and the per-minute evaluation may describe.
// cloudwatch:DescribeAlarms supports resource-level permissions for metric alarms (its
// resource type is "alarm", Service Authorization Reference for Amazon CloudWatch), so
// when every configured alarm is one the stack creates (a metric alarm, from its "metric")
// the grant names exactly the configured alarms' ARNs.
//
// An alarm configured without a metric exists outside the stack and may be a composite
// alarm: the starter accepts composite alarms' notifications, and both readers then ask
// DescribeAlarms for both alarm types. CloudWatch returns composite alarms only to a
// principal whose cloudwatch:DescribeAlarms is allowed on "*" (DescribeAlarms, CloudWatch
// API Reference), and the stack cannot tell an existing alarm's type offline. So a
// configuration that may name a composite alarm (config.MayHaveCompositeAlarms, the same
// rule the functions apply when they choose the alarm types to ask for) grants
// DescribeAlarms on "*": read-only, and the functions only ever ask for the configured
// names. The cdk-nag suppressions on both roles carry the same reason (see nag.go).
func describeAlarmsResources(scope awscdk.Stack, cfg *config.Config) []*string {
	if cfg.MayHaveCompositeAlarms() {
		return []*string{jsii.String("*")}
	}
	return alarmArns(scope, cfg)
}

// getMetricDataStatement allows cloudwatch:GetMetricData, with which read-alarms reads an
// alarm's metric as it is now. The action has no resource type (Service Authorization
// Reference for Amazon CloudWatch: GetMetricData lists none), so AWS accepts only "*"
// for it; the function asks only for the metrics of the configured alarms, as
// DescribeAlarms returns them.
func getMetricDataStatement() awsiam.PolicyStatement {
	return allow([]string{"cloudwatch:GetMetricData"}, jsii.String("*"))
}
