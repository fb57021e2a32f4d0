package stepscaler

import (
	"slices"
	"strings"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
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
// arn:${Partition}:ecs:${Region}:${Account}:service/<cluster>/<service>, sorted, so that
// reordering the configuration changes no policy. ecs:DescribeServices and
// ecs:UpdateService both take the service as their resource; the ARN names the cluster, so
// a statement scoped to it needs no ecs:cluster condition.
func serviceArns(scope constructs.Construct, cfg *config.Config) []*string {
	st := awscdk.Stack_Of(scope)
	names := make([]string, 0, len(cfg.Services))
	for _, s := range cfg.Services {
		names = append(names, s.Cluster+"/"+s.Service)
	}
	slices.Sort(names)
	arns := make([]*string, 0, len(names))
	for _, name := range names {
		arns = append(arns, st.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("ecs"),
			Resource:     jsii.String("service"),
			ResourceName: jsii.String(name),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		}))
	}
	return arns
}

// alarmArns are the ARNs of every configured alarm in the stack's own account and Region,
// created by the stack or not: arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:<name>.
// They are sorted by name, so that reordering the configuration changes no policy.
func alarmArns(scope constructs.Construct, cfg *config.Config) []*string {
	st := awscdk.Stack_Of(scope)
	return alarmArnsIn(scope, cfg, st.Account(), st.Region())
}

// publisherAlarmArns are the ARNs of the alarms that may notify the topic: the configured
// alarm names in the stack's own account and Region and in every account and Region that
// alarmSources lists (config.Config.AcceptsAlarmsFrom), own ones first, each group sorted.
func publisherAlarmArns(scope constructs.Construct, cfg *config.Config) []*string {
	arns := alarmArns(scope, cfg)
	for _, src := range cfg.AlarmSources {
		arns = append(arns, alarmArnsIn(scope, cfg, jsii.String(src.AccountID), jsii.String(src.Region))...)
	}
	return arns
}

// publisherAccounts are the accounts whose alarms may notify the topic: this one and those
// alarmSources lists, without repeats.
func publisherAccounts(scope constructs.Construct, cfg *config.Config) []*string {
	accounts := []*string{awscdk.Stack_Of(scope).Account()}
	seen := map[string]bool{}
	for _, src := range cfg.AlarmSources {
		if !seen[src.AccountID] {
			seen[src.AccountID] = true
			accounts = append(accounts, jsii.String(src.AccountID))
		}
	}
	return accounts
}

func alarmArnsIn(scope constructs.Construct, cfg *config.Config, account, region *string) []*string {
	st := awscdk.Stack_Of(scope)
	names := slices.Sorted(slices.Values(cfg.AlarmNames()))
	arns := make([]*string, 0, len(names))
	for _, name := range names {
		arns = append(arns, st.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("cloudwatch"),
			Resource:     jsii.String("alarm"),
			ResourceName: jsii.String(name),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			Account:      account,
			Region:       region,
		}))
	}
	return arns
}

// describeAlarmsResources is what read-alarms and the per-minute evaluation may describe.
// cloudwatch:DescribeAlarms supports resource-level permissions for metric alarms (its
// resource type is "alarm", Service Authorization Reference for Amazon CloudWatch), so the
// grant names exactly the configured alarms' ARNs, unless the configuration may name a
// composite alarm: CloudWatch returns composite alarms only to a principal whose
// cloudwatch:DescribeAlarms is allowed on "*" (DescribeAlarms, CloudWatch API Reference).
// Whether it may is config.Config.MayHaveCompositeAlarms' answer, the same the functions
// use when they choose the alarm types to ask for, so the grant and the requests cannot
// disagree. The grant is read-only, and the functions only ever ask for the configured
// names. The cdk-nag suppressions on both roles carry the same reason (see nag.go).
func describeAlarmsResources(scope constructs.Construct, cfg *config.Config) []*string {
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

// updateServiceConditionKeys are the condition keys that the Service Authorization
// Reference lists for the ecs:UpdateService action ("Actions, resources, and condition
// keys for Amazon Elastic Container Service", Actions table, UpdateService row). Each one
// describes a request parameter other than the desired count: the task definition (and the
// CPU and memory it asks for), ECS Exec, capacity providers, the network configuration
// (subnets, public IP), EBS volumes, Service Connect (and its Cloud Map namespace), VPC
// Lattice, managed tags and tag propagation. The keys the service resource type brings
// (ecs:cluster, aws:ResourceTag/...) describe the service, not the request, and are
// present on every call, so they are not among them.
var updateServiceConditionKeys = []string{
	"ecs:auto-assign-public-ip",
	"ecs:capacity-provider",
	"ecs:enable-ebs-volumes",
	"ecs:enable-ecs-managed-tags",
	"ecs:enable-execute-command",
	"ecs:enable-service-connect",
	"ecs:enable-vpc-lattice",
	"ecs:namespace",
	"ecs:propagate-tags",
	"ecs:subnet",
	"ecs:task-cpu",
	"ecs:task-definition",
	"ecs:task-memory",
}

// updateServiceDenies refuse any ecs:UpdateService request that carries one of
// updateServiceConditionKeys, so update-desired-count's grant changes the desired count and
// nothing those keys describe. One statement per key: within one condition operator,
// several keys are ANDed ("Conditions with multiple context keys or values", IAM User
// Guide), while a request carrying any one of them must be refused. The Null operator with
// "false" matches when the key is present in the request context ("Condition operator to
// check existence of condition keys", IAM User Guide, Condition operators).
//
// The statements apply to "*": a Deny narrows nothing it should not, and naming every
// configured service in thirteen statements would outgrow the role's 10,240-character
// inline policy quota with a few dozen services. UpdateService parameters that no
// condition key describes (deployment configuration, load balancers, placement, health
// check grace period, forceNewDeployment) cannot be refused by IAM; the handler sends only
// the cluster, the service and the desired count (the derived-permissions test checks the
// request it makes).
func updateServiceDenies() []awsiam.PolicyStatement {
	out := make([]awsiam.PolicyStatement, 0, len(updateServiceConditionKeys))
	for _, key := range updateServiceConditionKeys {
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DenyUpdateServiceWith" + sidWords(key)),
			Effect:     awsiam.Effect_DENY,
			Actions:    jsii.Strings("ecs:UpdateService"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"Null": map[string]any{key: "false"}},
		}))
	}
	return out
}

// sidWords turns a condition key such as "ecs:task-definition" into "EcsTaskDefinition",
// the characters a statement id may hold.
func sidWords(key string) string {
	var b strings.Builder
	upper := true
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if upper {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			upper = false
		default:
			upper = true
		}
	}
	return b.String()
}
