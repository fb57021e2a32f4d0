// Command read-alarms is the Lambda function behind the Scale state machine's
// "Read alarms and metrics" state.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/steps/alarms"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	cw := cloudwatch.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()))
	lambda.Start(alarms.New(cw, cfg, time.Now, lambdaenv.Logger()).Read)
}
