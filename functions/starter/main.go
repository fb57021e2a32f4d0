// Command starter is the Lambda function subscribed to the alarms' SNS topic: the fast
// path, which starts the alarm's service's execution within seconds of the transition.
// The starter is the handler itself (it takes the raw payload), so that an event that
// does not decode is dropped with a log line like any other bad input, not retried.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/starter"
)

// The runtime calls a lambda.Handler's Invoke with the payload as it is; any other value
// it would try to call as a function, and fail every invocation.
var _ lambda.Handler = (*starter.Starter)(nil)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	client := sfn.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()))
	ex := executions.NewStarter(client, lambdaenv.Must(lambdaenv.Env("STATE_MACHINE_ARN")))
	lambda.Start(starter.New(cfg, ex, time.Now, lambdaenv.Logger()))
}
