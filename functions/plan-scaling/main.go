// Command plan-scaling is the Lambda function behind the Scale state machine's
// "Plan scaling" state. It calls no AWS API.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/steps/plan"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	lambda.Start(plan.New(cfg, time.Now, lambdaenv.Logger()).Plan)
}
