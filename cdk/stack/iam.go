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

// describeAlarmsResources is what check-alarms may describe. cloudwatch:DescribeAlarms
// supports resource-level permissions for metric alarms, so when every configured alarm is
// one the stack creates (a metric alarm, from its "metric") the grant names exactly the
// configured alarms' ARNs.
//
// An alarm configured without a metric exists outside the stack and may be a composite
// alarm: the starter accepts composite alarms' notifications, and check-alarms asks
// DescribeAlarms for both alarm types. CloudWatch returns composite alarms only to a
// principal whose cloudwatch:DescribeAlarms is allowed on "*" (DescribeAlarms' API
// reference), and the stack cannot tell an existing alarm's type offline. So a
// configuration that lists an existing alarm grants DescribeAlarms on "*": read-only, and
// the function only ever asks for the configured names. The cdk-nag suppression on
// check-alarms' role carries the same reason (reasonCheckAlarmsStar).
func describeAlarmsResources(scope awscdk.Stack, cfg *config.Config) []*string {
	if describeAlarmsOnStar(cfg) {
		return []*string{jsii.String("*")}
	}
	return alarmArns(scope, cfg)
}

// describeAlarmsOnStar reports whether check-alarms needs cloudwatch:DescribeAlarms on "*":
// the configuration lists an alarm the stack does not create.
func describeAlarmsOnStar(cfg *config.Config) bool { return len(existingAlarms(cfg)) > 0 }

// existingAlarms are the configured alarms the stack does not create (no metric).
func existingAlarms(cfg *config.Config) []string {
	var names []string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.Metric == nil {
				names = append(names, a.AlarmName)
			}
		}
	}
	return names
}
