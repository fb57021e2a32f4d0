// Command acquire-lease is the Lambda function behind the Scale state machine's
// "Acquire scaling lease" state.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/steps/acquire"
	"github.com/stepscaler/stepscaler/internal/store"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	db := dynamodb.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()))
	table := lambdaenv.Must(lambdaenv.Env("STEPSCALER_TABLE"))
	lambda.Start(acquire.New(store.New(db, table), cfg, time.Now, lambdaenv.Logger()).Acquire)
}
