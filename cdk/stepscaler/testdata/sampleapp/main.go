// Command sampleapp is a team's own CDK app with Stepscaler inside its stack, beside the
// team's resources. It is a module of its own, so it can use only what Stepscaler's
// public package offers: cdk/stepscaler's TestSampleApp builds and runs it.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/cdk/stepscaler"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	st := awscdk.NewStack(app, jsii.String("SampleApp"), nil)

	// The team's own resources: the queue its workers drain (with its dead-letter queue),
	// and a role for its operators.
	dead := awssqs.NewQueue(st, jsii.String("OrdersDead"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
	})
	orders := awssqs.NewQueue(st, jsii.String("Orders"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{Queue: dead, MaxReceiveCount: jsii.Number(5)},
	})
	readers := awsiam.NewRole(st, jsii.String("OpsReaders"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewAccountRootPrincipal(),
	})

	// Stepscaler, configured with Go values: the workers scale on the queue's backlog.
	two := 2
	scaler, err := stepscaler.New(st, "Scaler", &stepscaler.Props{
		Config: &stepscaler.Config{Services: []stepscaler.Service{{
			Cluster: "shop", Service: "orders-worker", MinCapacity: 1, MaxCapacity: 10,
			Alarms: []stepscaler.Alarm{
				{AlarmName: "sample-orders-backlog-high", Direction: "out", Adjustment: &two},
				{AlarmName: "sample-orders-backlog-low", Direction: "in"},
			},
		}}},
		Operator: stepscaler.Operator{Emails: []string{"oncall@example.com"}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sampleapp:", err)
		os.Exit(1)
	}

	// The team's alarms, on its own queue, notify Stepscaler's topic.
	backlog := orders.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum"),
	})
	for _, a := range []struct {
		id, name  string
		threshold float64
		op        awscloudwatch.ComparisonOperator
	}{
		{"OrdersBacklogHigh", "sample-orders-backlog-high", 100, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD},
		{"OrdersBacklogLow", "sample-orders-backlog-low", 10, awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD},
	} {
		alarm := awscloudwatch.NewAlarm(st, jsii.String(a.id), &awscloudwatch.AlarmProps{
			AlarmName: jsii.String(a.name), Metric: backlog, Threshold: jsii.Number(a.threshold),
			ComparisonOperator: a.op, EvaluationPeriods: jsii.Number(2),
		})
		alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(scaler.Topic()))
	}

	// Its operators read the scaling history, and its own alarm watches the executions.
	scaler.Table().GrantReadData(readers)
	awscloudwatch.NewAlarm(st, jsii.String("ScalingFailures"), &awscloudwatch.AlarmProps{
		Metric: scaler.StateMachine().MetricFailed(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
		}),
		Threshold: jsii.Number(3), EvaluationPeriods: jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
	})
	awscdk.NewCfnOutput(st, jsii.String("ScalingDashboard"), &awscdk.CfnOutputProps{Value: scaler.Dashboard().DashboardName()})
	awscdk.NewCfnOutput(st, jsii.String("ScalingDeployment"), &awscdk.CfnOutputProps{Value: jsii.String(scaler.Deployment())})

	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}
