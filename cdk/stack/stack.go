package stack

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/deploy"
)

// Props configures the Stepscaler stack.
type Props struct {
	awscdk.StackProps
	// Config is the validated scaling configuration: it gives the ECS services the functions
	// may scale, the alarms allowed to publish to the topic, and the alarms to create.
	Config *config.Config
	// ConfigPath is the configuration file, copied into every function's asset.
	ConfigPath string
	// RepoRoot is the repository root: the functions are built there.
	RepoRoot string
	// DefinitionPath is the state machine's ASL file.
	DefinitionPath string
	// Operator is where the operational alarms notify (see monitoring.go); the zero value
	// creates them without actions.
	Operator Operator
	// ECSShare is the share of the account's ECS API rates the functions keep to (see
	// deploy.ECSCallsPerSecond); zero means deploy.DefaultECSShare.
	ECSShare float64
}

// ecsShare is the props' ECS share, or the default.
func ecsShare(p *Props) float64 {
	if p.ECSShare == 0 {
		return deploy.DefaultECSShare
	}
	return p.ECSShare
}

// NewStepscalerStack defines the whole deployment. It returns an error, before creating any
// resource, when the props are incomplete or the state machine definition cannot be read or
// has a placeholder the stack does not substitute.
func NewStepscalerStack(scope constructs.Construct, id string, props *Props) (awscdk.Stack, error) {
	if props == nil || props.Config == nil || props.ConfigPath == "" || props.RepoRoot == "" || props.DefinitionPath == "" {
		return nil, errors.New("stack props need Config, ConfigPath, RepoRoot and DefinitionPath")
	}
	if s := props.ECSShare; s != 0 && (s < MinECSShare || s > 1) {
		return nil, fmt.Errorf("the ECS API share must be from %g to 1, got %g", MinECSShare, s)
	}
	definition, err := readDefinition(props.DefinitionPath)
	if err != nil {
		return nil, err
	}
	if err := checkAlarmIDs(props.Config); err != nil {
		return nil, err
	}
	if err := checkTopicPolicySize(props.Config); err != nil {
		return nil, err
	}

	sp := props.StackProps
	st := awscdk.NewStack(scope, jsii.String(id), &sp)
	cfg := props.Config

	table := newTable(st)
	tasks := newTaskFunctions(st, props, table)
	sm := newStateMachine(st, definition, tasks)
	key := newTopicKey(st, cfg)
	topic := newTopic(st, cfg, key)
	starter := newStarter(st, props, sm, topic)
	evaluator := newEvaluator(st, props, sm)
	newConfiguredAlarms(st, cfg, topic)
	ops := newMonitoring(st, key, props.Operator, sm, tasks, starter, evaluator)

	out := func(id, value, description string) {
		awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{
			Value:       jsii.String(value),
			Description: jsii.String(description),
		})
	}
	out("TopicArn", *topic.TopicArn(), "SNS topic to add as an alarm action (see docs/deploy.md)")
	out("StateMachineArn", *sm.StateMachineArn(), "Step Functions state machine that scales the services")
	out("StateMachineConsoleUrl", *consoleURL(sm.StateMachineArn()), "Executions of the state machine in the Step Functions console")
	out("TableName", *table.TableName(), "DynamoDB table with leases and scaling activity")
	out("StarterFailureQueueUrl", *starter.failures.QueueUrl(), "Alarm notifications the starter could not process")
	out("EvaluationScheduleName", *evaluator.schedule.Name(), "EventBridge Scheduler schedule that runs the alarm evaluation every minute")
	out("EvaluationScheduleGroupName", *evaluator.group.Name(), "Schedule group of the evaluation schedule")
	out("EvaluationFailureQueueUrl", *evaluator.failures.QueueUrl(), "Per-minute evaluations that failed or could not be delivered")
	if ops.topic != nil {
		out("OperatorTopicArn", *ops.topic.TopicArn(), "SNS topic the operational alarms notify (subscribe email or a chat channel, see docs/deploy.md)")
	}

	addNagSuppressions(cfg, tasks, sm, starter, evaluator)
	return st, nil
}

// consoleURL is the Step Functions console page of the state machine, in the stack's region.
func consoleURL(stateMachineArn *string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), awscdk.Aws_REGION(),
		jsii.String(".console.aws.amazon.com/states/home?region="), awscdk.Aws_REGION(),
		jsii.String("#/statemachines/view/"), stateMachineArn,
	})
}
