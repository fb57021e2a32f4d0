// Command evaluate-alarms is the Lambda function the per-minute schedule invokes: it
// starts an execution for every service with an alarm in ALARM.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/evaluate"
	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/lambdaenv"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	aws := lambdaenv.Must(lambdaenv.AWSConfig())
	ex := executions.NewStarter(sfn.NewFromConfig(aws), lambdaenv.Must(lambdaenv.Env("STATE_MACHINE_ARN")))
	rate := lambdaenv.Must(lambdaenv.EnvRate("STARTS_PER_SECOND", evaluate.DefaultStartsPerSecond))
	lambda.Start(evaluate.New(cloudwatch.NewFromConfig(aws), ex, cfg, rate, time.Now, lambdaenv.Logger()).Handle)
}
