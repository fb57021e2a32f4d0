package stepscaler

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Context keys that give the standalone app's operational alarms somewhere to go
// (PropsFromContext).
const (
	// AlarmEmailContextKey names an email address (or several, separated by commas) to
	// subscribe to the operator topic. Without AlarmTopicArnContextKey the stack creates
	// that topic.
	AlarmEmailContextKey = "stepscaler:alarmEmail"
	// AlarmTopicArnContextKey names an existing SNS topic for the operational alarms (one
	// already connected to a chat channel or a paging tool); the stack then creates none.
	AlarmTopicArnContextKey = "stepscaler:alarmTopicArn"
)

// Operator says where the operational alarms notify. The zero value creates the alarms
// without actions.
type Operator struct {
	// Emails are subscribed to the operator topic (each confirms by email).
	Emails []string
	// TopicArn is an existing topic to notify; empty: the construct creates one when
	// Emails are given.
	TopicArn string
}

// snsTopicArn is an SNS topic ARN: partition, Region, account, and a name of up to 256
// letters, digits, hyphens and underscores (".fifo" ends a FIFO topic's name).
var snsTopicArn = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// checkEmail accepts a bare address ("ops@example.com", not "Ops <ops@example.com>").
func checkEmail(e string) error {
	if addr, err := mail.ParseAddress(e); err != nil || addr.Address != e {
		return fmt.Errorf("%q is not an email address", e)
	}
	return nil
}

func checkTopicArn(arn string) error {
	if !snsTopicArn.MatchString(arn) {
		return fmt.Errorf("%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
	}
	return nil
}

// validate checks every address and the topic's ARN.
func (op Operator) validate() error {
	for _, e := range op.Emails {
		if err := checkEmail(e); err != nil {
			return fmt.Errorf("operator email: %w", err)
		}
	}
	if op.TopicArn != "" {
		if err := checkTopicArn(op.TopicArn); err != nil {
			return fmt.Errorf("operator topic: %w", err)
		}
	}
	return nil
}

// operatorFromContext reads the operator context keys; an invalid value is an error that
// names its key.
func operatorFromContext(node contextNode) (Operator, error) {
	var op Operator
	str := func(key string) (string, error) {
		v := node.TryGetContext(jsii.String(key))
		if v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("context %s must be a string, got %v", key, v)
		}
		return strings.TrimSpace(s), nil
	}
	emails, err := str(AlarmEmailContextKey)
	if err != nil {
		return op, err
	}
	for _, e := range strings.Split(emails, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		if err := checkEmail(e); err != nil {
			return op, fmt.Errorf("context %s: %w", AlarmEmailContextKey, err)
		}
		if !slices.Contains(op.Emails, e) {
			op.Emails = append(op.Emails, e)
		}
	}
	if op.TopicArn, err = str(AlarmTopicArnContextKey); err != nil {
		return op, err
	}
	if op.TopicArn != "" {
		if err := checkTopicArn(op.TopicArn); err != nil {
			return op, fmt.Errorf("context %s: %w", AlarmTopicArnContextKey, err)
		}
	}
	return op, nil
}

// operationalAlarm is one alarm on Stepscaler itself.
type operationalAlarm struct {
	id          string // construct id, and the alarm name's suffix
	description string
	metric      awscloudwatch.IMetric
	// minutes is how many consecutive one-minute periods must breach (0: one).
	minutes int
}

// monitoring is what newMonitoring made: the alarms, and the operator topic if any.
type monitoring struct {
	alarms []awscloudwatch.Alarm
	topic  awssns.ITopic // nil: no operator topic
}

// alarmPeriodMinutes is the operational alarms' period: a minute, the finest period of
// the standard-resolution metrics that Lambda, Step Functions and SQS publish.
const alarmPeriodMinutes = 1

// throttledMinutes is how long the task functions must have been throttled, every minute,
// before the throttle alarm fires. Throttling is how a storm of scalings queues for the
// functions' reserved instances, and the state machine retries a throttled invocation 12
// times, 1 s doubling to at most 30 s apart with full jitter (scale.asl.json): about two
// minutes on average, four at most. Five minutes of throttling outlast that.
const throttledMinutes = 5

// newMonitoring creates the alarms that tell an operator that Stepscaler itself needs
// attention, and wires them (their ALARM and OK actions) to the operator topic:
//
//   - executions that failed (a step failed after its retries, or the service did not
//     stabilize: the execution ends in "Scaling failed"), timed out or were aborted, and
//     StartExecution requests that Step Functions throttled (ExecutionThrottled);
//   - task function invocations that Lambda throttled (the sum of the seven task
//     functions' Throttles) in five consecutive minutes: longer than the state machine
//     retries them (throttledMinutes);
//   - errors of each function (a failed AWS call, an invalid input, a timeout);
//   - a message in either failure queue (the starter's and the evaluation's; the queues'
//     own alarms, made by newFailureQueue).
//
// Each alarm but the throttle alarm fires on one occurrence in a minute, and every alarm
// treats missing data as not breaching: the metrics have no data while nothing happens. Every alarm has a name of the
// form <stack name>-<id>, so the operator topic's policy can name exactly their ARNs.
func newMonitoring(scope constructs.Construct, n names, key awskms.IKey, op Operator, sm awsstepfunctions.StateMachine,
	tasks map[string]goFunction, st starter, ev evaluator) monitoring {
	minute := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	sum := &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}
	specs := []operationalAlarm{
		{id: "ExecutionsFailed", metric: sm.MetricFailed(sum),
			description: "Stepscaler: a scaling execution failed (a step failed after its retries, or the service did not stabilize). Open the state machine's failed executions in the Step Functions console."},
		{id: "ExecutionsTimedOut", metric: sm.MetricTimedOut(sum),
			description: "Stepscaler: a scaling execution timed out. Open the state machine's timed-out executions in the Step Functions console."},
		{id: "ExecutionsAborted", metric: sm.MetricAborted(sum),
			description: "Stepscaler: a scaling execution was aborted (stopped by someone, or by a redeployment)."},
		{id: "ExecutionsThrottled", metric: sm.MetricThrottled(sum),
			description: "Stepscaler: Step Functions throttled state machine events; executions start or run late."},
		{id: "TaskFunctionsThrottled", metric: taskThrottles(tasks, minute), minutes: throttledMinutes,
			description: "Stepscaler: Lambda has throttled the state machine's task functions for five minutes running, longer than the state machine retries a throttled invocation: executions are failing for want of instances. The reserved concurrency (cdk/stepscaler/concurrency.go) is too small for this load."},
	}
	functions := []struct {
		id string
		f  goFunction
	}{{"Starter", st.goFunction}, {"EvaluateAlarms", ev.goFunction}}
	for _, s := range taskSpecs {
		functions = append(functions, struct {
			id string
			f  goFunction
		}{s.id, tasks[s.name]})
	}
	for _, f := range functions {
		specs = append(specs, operationalAlarm{
			id:          f.id + "Errors",
			metric:      f.f.fn.MetricErrors(sum),
			description: fmt.Sprintf("Stepscaler: the %s function failed; see its log group for the error.", f.id),
		})
	}

	var m monitoring
	for _, s := range specs {
		periods := jsii.Number(float64(max(s.minutes, 1)))
		m.alarms = append(m.alarms, awscloudwatch.NewAlarm(scope, jsii.String(s.id+"Alarm"), &awscloudwatch.AlarmProps{
			AlarmName:          n.name(s.id),
			AlarmDescription:   jsii.String(s.description),
			Metric:             s.metric,
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  periods,
			DatapointsToAlarm:  periods,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}))
	}
	m.alarms = append(m.alarms, st.failuresAlarm, ev.failuresAlarm)

	switch {
	case op.TopicArn != "":
		m.topic = awssns.Topic_FromTopicArn(scope, jsii.String("OperatorTopic"), jsii.String(op.TopicArn))
	case len(op.Emails) > 0:
		m.topic = newOperatorTopic(scope, key, m.alarms)
	}
	if m.topic == nil {
		return m
	}
	for _, e := range op.Emails {
		m.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	action := awscloudwatchactions.NewSnsAction(m.topic)
	for _, a := range m.alarms {
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
	return m
}

// taskThrottles is the sum of the task functions' Throttles, each a minute's Sum; a
// function without invocations has no data, which FILL turns into 0 so that the sum still
// has a value. The seven metrics are within the ten a metric math alarm may use
// (PutMetricAlarm, CloudWatch API Reference).
func taskThrottles(tasks map[string]goFunction, period awscdk.Duration) awscloudwatch.IMetric {
	using := map[string]awscloudwatch.IMetric{}
	for i, s := range taskSpecs {
		using[fmt.Sprintf("t%d", i)] = tasks[s.name].fn.MetricThrottles(&awscloudwatch.MetricOptions{
			Period: period, Statistic: jsii.String("Sum"),
		})
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("SUM(FILL(METRICS(), 0))"),
		UsingMetrics: &using,
		Label:        jsii.String("Task function throttles"),
		Period:       period,
	})
}

// newOperatorTopic is the topic the operational alarms notify when no existing one is
// given: TLS only, encrypted with the stack's key, and only CloudWatch may publish, for
// exactly the operational alarms (aws:SourceArn, ArnEquals) of this account.
func newOperatorTopic(scope constructs.Construct, key awskms.IKey, alarms []awscloudwatch.Alarm) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String("OperatorTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Stepscaler operations"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	arns := make([]*string, 0, len(alarms))
	for _, a := range alarms {
		arns = append(arns, a.AlarmArn())
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowPublishFromStepscalerAlarms"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnEquals":    map[string]any{"aws:SourceArn": arns},
		},
	}))
	return topic
}
