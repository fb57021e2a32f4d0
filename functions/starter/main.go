// Command starter is the Lambda function subscribed to the alarms' SNS topic: it starts one
// execution of the Scale state machine per alarm transition.
package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/starter"
)

func main() {
	log := lambdaenv.Logger()
	s, err := setup(context.Background())
	if err != nil {
		lambdaenv.Fatal(log, err)
	}
	s.Log = log
	lambda.Start(s.Handle)
}

// setup reads the configuration once per cold start. STEPSCALER_CONFIG names the file,
// relative to the function's code directory (LAMBDA_TASK_ROOT) unless absolute.
func setup(ctx context.Context) (*starter.Starter, error) {
	arn, err := lambdaenv.Env("STATE_MACHINE_ARN")
	if err != nil {
		return nil, err
	}
	path := os.Getenv("STEPSCALER_CONFIG")
	if path == "" {
		path = "stepscaler.json"
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), path)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	awsCfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &starter.Starter{Config: cfg, SFN: sfn.NewFromConfig(awsCfg), StateMachineARN: arn}, nil
}
