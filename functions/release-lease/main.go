// Command release-lease is the Lambda function behind the Scale state machine's
// "Release scaling lease" state.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

func main() {
	h, err := workflow.FromEnvironment(context.Background(), workflow.Needs{Store: true})
	if err != nil {
		lambdaenv.Fatal(slog.Default(), err)
	}
	lambda.Start(h.ReleaseLease)
}
