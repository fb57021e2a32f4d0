package stepscaler

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// failureRetentionDays is how long a failure queue keeps what landed in it: SQS's maximum,
// so a failure noticed after a long weekend can still be read.
const failureRetentionDays = 14

// newFailureQueue is a queue that collects what an asynchronous invocation could not
// process (the starter's and the evaluator's on-failure destination, the schedule's
// dead-letter queue): encrypted with SQS-managed keys, TLS only, with an alarm (construct
// id "<id>Alarm", named n.name(id), described by alarmDescription) that goes off as
// soon as it holds a message. Nothing consumes it automatically: it is read by whoever
// answers the alarm, whom newMonitoring wires the alarm to.
func newFailureQueue(scope constructs.Construct, n names, id, alarmDescription string) (awssqs.Queue, awscloudwatch.Alarm) {
	q := awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(failureRetentionDays)),
		RemovalPolicy:   awscdk.RemovalPolicy_DESTROY,
	})
	alarm := awscloudwatch.NewAlarm(scope, jsii.String(id+"Alarm"), &awscloudwatch.AlarmProps{
		AlarmName:        n.name(id),
		AlarmDescription: jsii.String(alarmDescription),
		Metric: q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(5)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		DatapointsToAlarm:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return q, alarm
}
