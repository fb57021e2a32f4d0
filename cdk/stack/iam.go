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
