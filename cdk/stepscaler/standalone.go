package stepscaler

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// standaloneID is the construct's ID in the standalone stack. The CDK leaves a path
// component called "Default" out of logical IDs (and out of the names it derives from
// construct paths), so the construct's resources there keep the logical IDs they had
// when the stack created them itself, and upgrading replaces none of them.
const standaloneID = "Default"

// stackDescription is the standalone stack's description.
const stackDescription = "Stepscaler: alarm-driven step scaling for Amazon ECS services " +
	"(CloudWatch alarm → SNS or the per-minute evaluation → Lambda → Step Functions → ECS UpdateService)"

// NewStack adds Stepscaler's standalone stack to scope, as Stepscaler's own app deploys it
// (cdk/main.go): a stack named id holding the construct, and outputs naming what an
// operator needs. The deployment's name defaults to the stack's. It returns an error,
// before creating anything, when the props are invalid.
func NewStack(scope constructs.Construct, id string, props *Props) (awscdk.Stack, *Stepscaler, error) {
	if props == nil {
		props = &Props{}
	}
	s, err := resolve(props, func() (string, error) { return sanitizeName(id), nil })
	if err != nil {
		return nil, nil, err
	}
	st, sc := newStack(scope, id, s)
	return st, sc, nil
}

// newStack is NewStack once the settings are known and checked.
func newStack(scope constructs.Construct, id string, s *settings) (awscdk.Stack, *Stepscaler) {
	st := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{Description: jsii.String(stackDescription)})
	sc := build(st, standaloneID, s)
	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	out("TopicArn", "SNS topic to add as an alarm action (see docs/deploy.md)", sc.topic.TopicArn())
	out("StateMachineArn", "Step Functions state machine that scales the services", sc.stateMachine.StateMachineArn())
	out("StateMachineConsoleUrl", "Executions of the state machine in the Step Functions console", consoleURL(sc.stateMachine.StateMachineArn()))
	out("TableName", "DynamoDB table with leases and scaling activity", sc.table.TableName())
	out("StarterFailureQueueUrl", "Alarm notifications the starter could not process", sc.starter.failures.QueueUrl())
	out("EvaluationScheduleName", "EventBridge Scheduler schedule that runs the alarm evaluation every minute", sc.evaluator.schedule.Name())
	out("EvaluationScheduleGroupName", "Schedule group of the evaluation schedule", sc.evaluator.group.Name())
	out("EvaluationFailureQueueUrl", "Per-minute evaluations that failed or could not be delivered", sc.evaluator.failures.QueueUrl())
	if sc.operatorTopic != nil {
		out("OperatorTopicArn", "SNS topic the operational alarms notify (subscribe email or a chat channel, see docs/deploy.md)", sc.operatorTopic.TopicArn())
	}
	out("DashboardName", "CloudWatch dashboard of the deployment (CloudWatch console, Dashboards)", sc.dashboard.DashboardName())
	return st, sc
}

// consoleURL is the Step Functions console page of the state machine, in the stack's region.
func consoleURL(stateMachineArn *string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), awscdk.Aws_REGION(),
		jsii.String(".console.aws.amazon.com/states/home?region="), awscdk.Aws_REGION(),
		jsii.String("#/statemachines/view/"), stateMachineArn,
	})
}
