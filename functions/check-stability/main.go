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
	// Paced, so the reserved instances together keep to Stepscaler's share of the
	// account's ECS API rates (internal/deploy).
	pace := lambdaenv.Must(lambdaenv.ECSPace())
	client := ecs.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()), func(o *ecs.Options) {
		o.APIOptions = append(o.APIOptions, pace.APIOption)
	})
	lambda.Start(stabilize.New(client, cfg, time.Now, lambdaenv.Logger()).Check)
}
