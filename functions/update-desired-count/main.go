// Command update-desired-count is the Lambda function behind the Scale state machine's
// "Update desired count" state.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/steps/update"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	client := ecs.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()))
	lambda.Start(update.New(client, cfg, time.Now, lambdaenv.Logger()).Update)
}
