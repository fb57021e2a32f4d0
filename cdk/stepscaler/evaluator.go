package stepscaler

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/deploy"
)

const (
	// evaluationSchedule runs the level-triggered path every minute, as Application Auto
	// Scaling invokes a step policy every minute its alarm stays in ALARM. EventBridge
	// Scheduler's rate expressions are "rate(value unit)", unit minute|minutes|hour|...
	evaluationSchedule = "rate(1 minute)"
	// evaluationMaxEventAgeSeconds and evaluationRetryAttempts make a missed evaluation
	// stay missed: the next minute's evaluation reads the alarms again and supersedes it,
	// and a late or repeated one would only start executions for a minute that is over.
	// 60 s is the least both retry policies accept: EventBridge Scheduler's
	// RetryPolicy.MaximumEventAgeInSeconds takes 60-86400 and MaximumRetryAttempts 0-185
	// (AWS::Scheduler::Schedule RetryPolicy, CloudFormation); Lambda's asynchronous
	// MaximumEventAgeInSeconds takes 60-21600 and MaximumRetryAttempts 0-2 ("Configuring
	// error handling settings for Lambda asynchronous invocations", Lambda Developer Guide).
	evaluationMaxEventAgeSeconds = 60
	evaluationRetryAttempts      = 0
	// scheduledTimeField is the evaluator's event field (evaluate.Event.ScheduledTime).
	scheduledTimeField = "scheduledTime"
)

// evaluator is the per-minute evaluation: the function, the schedule that invokes it and
// the schedule's group, and the queue where failed evaluations land.
type evaluator struct {
	goFunction
	failures      awssqs.Queue
	failuresAlarm awscloudwatch.Alarm
	group         awsscheduler.CfnScheduleGroup
	schedule      awsscheduler.CfnSchedule
}

// newEvaluator creates the level-triggered path: the evaluate-alarms function, allowed to
// describe the configured alarms and to start executions of this state machine, invoked
// every minute by an EventBridge Scheduler schedule. AWS recommends EventBridge Scheduler
// over EventBridge scheduled rules for invoking targets on a schedule ("Amazon EventBridge
// Scheduler", EventBridge User Guide).
//
// Failures go to one queue, watched by an alarm, from both places they can happen:
// Scheduler invokes a Lambda function asynchronously ("Using Lambda with Amazon
// EventBridge Scheduler", Lambda Developer Guide), so Scheduler's retry policy and
// dead-letter queue cover only the Invoke request itself (the function missing, the role
// refused, throttling), and the function's own asynchronous-invocation settings cover
// evaluations that fail or time out. Both are set to no retries and a minute of event age
// (see evaluationMaxEventAgeSeconds).
func newEvaluator(scope constructs.Construct, s *settings, sm awsstepfunctions.StateMachine) evaluator {
	failures, failuresAlarm := newFailureQueue(scope, s.names, "EvaluationFailures",
		"Stepscaler: per-minute alarm evaluations that failed, or that EventBridge Scheduler could not deliver, are waiting in the failure queue")
	f := newGoFunction(scope, s, functionOptions{
		id: "EvaluateAlarms", name: "evaluate-alarms",
		description:    "Stepscaler: every minute, start a scaling execution for each service with an alarm in ALARM",
		timeoutSeconds: deploy.Timeout("evaluate-alarms").Seconds(),
		// STARTS_PER_SECOND is left to its default (evaluate.DefaultStartsPerSecond).
		env:                 map[string]*string{envStateMachineArn: sm.StateMachineArn()},
		reservedConcurrency: evaluatorConcurrency,
		async: &asyncOptions{
			onFailure:     awslambdadestinations.NewSqsDestination(failures),
			retryAttempts: evaluationRetryAttempts,
			maxEventAge:   awscdk.Duration_Seconds(jsii.Number(evaluationMaxEventAgeSeconds)),
		},
	})
	// ListExecutions: services whose step is still running are left for the next minute.
	f.role.AddToPrincipalPolicy(allow([]string{"states:StartExecution", "states:ListExecutions"}, sm.StateMachineArn()))
	// A schedule-only configuration has no alarm to describe, and the evaluation asks for none.
	if alarms := describeAlarmsResources(scope, s.cfg); len(alarms) > 0 {
		f.role.AddToPrincipalPolicy(allow([]string{"cloudwatch:DescribeAlarms"}, alarms...))
	}

	// A schedule group of its own, so the execution role can trust exactly it: Scheduler's
	// confused-deputy guidance scopes aws:SourceArn to a schedule group's ARN, never to a
	// schedule ("Confused deputy prevention in EventBridge Scheduler", Scheduler User
	// Guide). Group and schedule get stable names derived from their construct paths, which
	// the outputs give for `aws scheduler get-schedule`.
	group := awsscheduler.NewCfnScheduleGroup(scope, jsii.String("EvaluationScheduleGroup"), &awsscheduler.CfnScheduleGroupProps{})
	group.SetName(uniqueName(group))

	role := awsiam.NewRole(scope, jsii.String("EvaluationScheduleRole"), &awsiam.RoleProps{
		Description: jsii.String("Stepscaler: EventBridge Scheduler invokes the per-minute alarm evaluation"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{
				"StringEquals": map[string]any{
					"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID(),
					"aws:SourceArn":     group.AttrArn(),
				},
			},
		}),
	})
	// The unqualified function ARN, the schedule's target: no "<arn>:*" for versions.
	role.AddToPrincipalPolicy(allow([]string{"lambda:InvokeFunction"}, f.fn.FunctionArn()))
	// Scheduler delivers dead-letter events with the execution role ("Configuring a
	// schedule's dead-letter queue", Scheduler User Guide); the queue's ARN, not "*".
	role.AddToPrincipalPolicy(allow([]string{"sqs:SendMessage"}, failures.QueueArn()))

	schedule := awsscheduler.NewCfnSchedule(scope, jsii.String("EvaluationSchedule"), &awsscheduler.CfnScheduleProps{
		Description:        jsii.String("Stepscaler: evaluate the configured alarms every minute and start a scaling execution for each service in ALARM"),
		GroupName:          group.Name(),
		ScheduleExpression: jsii.String(evaluationSchedule),
		// Off: each evaluation runs at its minute. A flexible window would let Scheduler
		// move it within the window, leaving minutes without evaluation.
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     f.fn.FunctionArn(),
			RoleArn: role.RoleArn(),
			Input:   jsii.String(evaluationInput()),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumEventAgeInSeconds: jsii.Number(evaluationMaxEventAgeSeconds),
				MaximumRetryAttempts:     jsii.Number(evaluationRetryAttempts),
			},
			DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: failures.QueueArn()},
		},
	})
	schedule.SetName(uniqueName(schedule))
	// The group is referred to by name, a literal, so CloudFormation needs the order
	// spelled out; and the role's policy must be in place before the first invocation.
	schedule.AddResourceDependency(group, jsii.String("the schedule names its group, which must exist first"))
	schedule.Node().AddDependency(role)

	return evaluator{goFunction: f, failures: failures, failuresAlarm: failuresAlarm, group: group, schedule: schedule}
}

// evaluationInput is the schedule target's input: the evaluator's event, with the
// scheduled time filled in by Scheduler from its <aws.scheduler.scheduled-time> context
// attribute ("Adding context attributes in EventBridge Scheduler", Scheduler User Guide),
// an RFC 3339 time such as 2022-03-22T18:59:43Z. A retried delivery carries the same time,
// so it names the same executions.
func evaluationInput() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "<" and ">": Scheduler looks for the keyword verbatim
	if err := enc.Encode(map[string]string{scheduledTimeField: *awsscheduler.ContextAttribute_ScheduledTime()}); err != nil {
		panic(err) // a map of strings always encodes
	}
	return strings.TrimSpace(b.String())
}

// uniqueName is a name for a resource that must have one before CloudFormation creates it:
// derived from the construct path (so it starts with the stack name and stays the same
// from one deployment to the next), at most 64 characters, the limit and character set
// (letters, digits, '-', '_', '.') of Scheduler's schedule and group names.
func uniqueName(c awscdk.CfnResource) *string {
	return awscdk.Names_UniqueResourceName(c, &awscdk.UniqueResourceNameOptions{
		MaxLength: jsii.Number(64),
		Separator: jsii.String("-"),
	})
}
