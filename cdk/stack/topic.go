package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
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

// newTopic is the topic the alarms notify. It requires TLS, is encrypted with a customer
// managed key (CloudWatch cannot publish to a topic under the AWS managed aws/sns key), and
// its policy lets only CloudWatch publish, for this account's configured alarms.
func newTopic(scope awscdk.Stack, cfg *config.Config) awssns.Topic {
	key := awskms.NewKey(scope, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Stepscaler: encrypts the alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	// A key policy's Resource is always "*": it means this key. CloudWatch needs the data key
	// operations to publish to the encrypted topic; the topic policy below is what limits
	// which alarms may publish.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToUseTheTopicKey"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), nil)

	topic := awssns.NewTopic(scope, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Stepscaler alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowPublishFromConfiguredAlarms"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": alarmArns(scope, cfg)},
		},
	}))
	return topic
}

// starter is the function the topic invokes, and where its failed invocations go.
type starter struct {
	goFunction
	failures awssqs.Queue
}

// newStarter creates the starter, the fast path: subscribed to the topic, allowed to start
// executions of this state machine only. SNS invokes it asynchronously; events that still
// fail after Lambda's retries land in an encrypted, TLS-only queue, and an alarm goes off
// as soon as one does.
func newStarter(scope awscdk.Stack, props *Props, sm awsstepfunctions.StateMachine, topic awssns.Topic) starter {
	failures := newFailureQueue(scope, "StarterFailures",
		"Stepscaler: alarm notifications the starter failed to process are waiting in the failure queue")
	f := newGoFunction(scope, props, functionOptions{
		id: "Starter", name: "starter",
		description:    "Stepscaler: start a scaling execution for an alarm notification",
		timeoutSeconds: deploy.Timeout("starter").Seconds(),
		env:            map[string]*string{envStateMachineArn: sm.StateMachineArn()},
		async: &asyncOptions{
			onFailure:     awslambdadestinations.NewSqsDestination(failures),
			retryAttempts: starterRetryAttempts,
			maxEventAge:   awscdk.Duration_Hours(jsii.Number(starterMaxEventAgeHours)),
		},
	})
	f.role.AddToPrincipalPolicy(allow([]string{"states:StartExecution"}, sm.StateMachineArn()))
	topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(f.fn, nil))

	return starter{goFunction: f, failures: failures}
}
