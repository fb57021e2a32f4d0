// Command describe-service is the Lambda function behind the Scale state machine's
// "Describe ECS service" state.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/steps/describe"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	// Paced, so the reserved instances together keep to Stepscaler's share of the
	// account's ECS API rates (internal/deploy).
	pace := lambdaenv.Must(lambdaenv.ECSPace())
	client := ecs.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()), func(o *ecs.Options) {
		o.APIOptions = append(o.APIOptions, pace.APIOption)
	})
	lambda.Start(describe.New(client, cfg, time.Now).Describe)
}
