package stepscaler

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/deploy"
)

const (
	// starterRetryAttempts and starterMaxEventAge bound Lambda's retries of a failed
	// asynchronous invocation; after them the event goes to the failure queue. An alarm
	// notification older than an hour describes load that has passed.
	starterRetryAttempts    = 2
	starterMaxEventAgeHours = 1
)

// newTopicKey is the customer managed key of the stack's topics (the alarm topic and the
// operator topic): CloudWatch cannot publish to a topic encrypted under the AWS managed
// aws/sns key, so the key policy lets cloudwatch.amazonaws.com use this one ("Enable
// compatibility between event sources from AWS services and encrypted topics", SNS
// Developer Guide). A key policy's Resource is always "*": it means this key.
//
// The service principal may use the key only on behalf of the accounts whose alarms may
// publish (aws:SourceAccount: this account and those alarmSources lists), as the same
// guide recommends against the confused deputy ("Add the aws:SourceAccount and
// aws:SourceArn condition keys to the KMS resource policy"). Which alarms may publish is
// the topic policies' business, exact to the ARN; the key names only accounts, so a
// request that carried no alarm ARN to KMS could not silently stop every notification.
func newTopicKey(scope constructs.Construct, cfg *config.Config) awskms.Key {
	key := awskms.NewKey(scope, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Stepscaler: encrypts the alarm topics"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToUseTheTopicKey"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": publisherAccounts(scope, cfg)},
		},
	}), nil)
	return key
}

// newTopic is the topic the configured alarms notify. It requires TLS and is encrypted
// with the stack's key, and its policy lets the configured alarms publish and nobody else:
//
//   - an Allow for cloudwatch.amazonaws.com, for the accounts the alarms may be in
//     (aws:SourceAccount) and exactly the configured alarms' ARNs (aws:SourceArn, which
//     CloudWatch sets to the alarm's ARN when it publishes: the SNS Developer Guide scopes
//     CloudWatch alarms with it in "Example cases for Amazon SNS access control", and a
//     refused action names the alarm's ARN as the resource that "is not authorized to
//     perform: SNS:Publish", AWS Knowledge Center, "cloudwatch-receive-sns-for-alarm-trigger");
//   - a Deny of sns:Publish to every principal unless aws:SourceArn is one of those ARNs.
//     Within one account an identity policy's Allow is enough to publish, so the Allow
//     alone would not stop a role of the account from sending forged notifications. A
//     request without aws:SourceArn (any direct Publish) is refused too: a negated
//     operator is true when the key is absent ("If the policy condition requires that the
//     key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
//     present, the condition is true", IAM User Guide, Condition operators), and the
//     values of one negated operator are NORed ("Conditions with multiple context keys or
//     values").
//
// Both use ArnEquals, not ArnLike: "*" and "?" are valid in alarm names, and ArnLike would
// read them as wildcards.
func newTopic(scope constructs.Construct, cfg *config.Config, key awskms.IKey) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Stepscaler alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	alarms := publisherAlarmArns(scope, cfg)
	if len(alarms) == 0 {
		// A schedule-only configuration: no alarm may publish, and a condition with no
		// value would not be a valid policy. Deny every publisher outright.
		topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DenyPublishFromAnyone"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("sns:Publish"),
			Resources:  &[]*string{topic.TopicArn()},
		}))
		return topic
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowPublishFromConfiguredAlarms"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": publisherAccounts(scope, cfg)},
			"ArnEquals":    map[string]any{"aws:SourceArn": alarms},
		},
	}))
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyPublishFromAnyoneButTheConfiguredAlarms"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"ArnNotEquals": map[string]any{"aws:SourceArn": alarms},
		},
	}))
	return topic
}

// starter is the function the topic invokes, and where its failed invocations go.
type starter struct {
	goFunction
	failures      awssqs.Queue
	failuresAlarm awscloudwatch.Alarm
}

// newStarter creates the starter, the fast path: subscribed to the topic, allowed to start
// executions of this state machine only. SNS invokes it asynchronously; events that still
// fail after Lambda's retries land in an encrypted, TLS-only queue, and an alarm goes off
// as soon as one does.
func newStarter(scope constructs.Construct, s *settings, sm awsstepfunctions.StateMachine, topic awssns.Topic) starter {
	failures, failuresAlarm := newFailureQueue(scope, s.names, "StarterFailures",
		"Stepscaler: alarm notifications the starter failed to process are waiting in the failure queue")
	f := newGoFunction(scope, s, functionOptions{
		id: "Starter", name: "starter",
		description:         "Stepscaler: start a scaling execution for an alarm notification",
		timeoutSeconds:      deploy.Timeout("starter").Seconds(),
		env:                 map[string]*string{envStateMachineArn: sm.StateMachineArn()},
		reservedConcurrency: starterConcurrency,
		async: &asyncOptions{
			onFailure:     awslambdadestinations.NewSqsDestination(failures),
			retryAttempts: starterRetryAttempts,
			maxEventAge:   awscdk.Duration_Hours(jsii.Number(starterMaxEventAgeHours)),
		},
	})
	f.role.AddToPrincipalPolicy(allow([]string{"states:StartExecution"}, sm.StateMachineArn()))
	topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(f.fn, nil))

	return starter{goFunction: f, failures: failures, failuresAlarm: failuresAlarm}
}

// topicPolicyLimit is SNS's limit on a topic policy's size, 30 KB ("Amazon SNS API
// permissions: Actions and resources reference", Policy quotas), counted here as 30,000
// bytes to stay on the safe side of "KB".
const topicPolicyLimit = 30000

// checkTopicPolicySize refuses a configuration whose alarm ARNs would not fit in the topic
// policy: the list appears in the Allow and in the Deny. Each ARN is counted at its longest
// (the longest partition and Region names, quotes and separator), the rest of the policy
// (the TLS rule, the statements' other elements, the topic ARN) at 2,000 bytes.
func checkTopicPolicySize(cfg *config.Config) error {
	const (
		longestPrefix = len(`"arn:aws-us-gov:cloudwatch:ap-southeast-4:123456789012:alarm:",`)
		rest          = 2000
	)
	perCopy := 0
	for _, name := range cfg.AlarmNames() {
		perCopy += (1 + len(cfg.AlarmSources)) * (longestPrefix + len(name))
	}
	if size := 2*perCopy + rest; size > topicPolicyLimit {
		return fmt.Errorf("the topic policy would be about %d bytes, over SNS's %d: it names every configured alarm in each account and Region it may come from (%d alarms, %d alarm sources besides this account); "+
			"split the services between two deployments", size, topicPolicyLimit, len(cfg.AlarmNames()), len(cfg.AlarmSources))
	}
	return nil
}
