// Command check-stability is the Lambda function behind the Scale state machine's
// "Check stability" state.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/steps/stabilize"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	client := ecs.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()))
	lambda.Start(stabilize.New(client, cfg, time.Now, lambdaenv.Logger()).Check)
}
