package workflow

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/lambdaenv"
)

// Needs says which clients a function's step uses, so each function sets up only those.
type Needs struct {
	ECS        bool
	CloudWatch bool
	Store      bool
}

// FromEnvironment builds the handlers for one function from its environment:
// STEPSCALER_TABLE names the table, ACTIVITY_RETENTION_DAYS how long records are kept.
func FromEnvironment(ctx context.Context, needs Needs) (*Handlers, error) {
	h := &Handlers{Now: time.Now, Log: lambdaenv.Logger()}
	if !needs.ECS && !needs.CloudWatch && !needs.Store {
		return h, nil
	}
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	if needs.ECS {
		h.ECS = ecs.NewFromConfig(cfg)
	}
	if needs.CloudWatch {
		h.CloudWatch = cloudwatch.NewFromConfig(cfg)
	}
	if needs.Store {
		table, err := lambdaenv.Env("STEPSCALER_TABLE")
		if err != nil {
			return nil, err
		}
		if h.Retention, err = lambdaenv.EnvDays("ACTIVITY_RETENTION_DAYS", 42); err != nil {
			return nil, err
		}
		h.Store = activity.New(dynamodb.NewFromConfig(cfg), table)
	}
	return h, nil
}

// Start runs one function's step: it wires the clients the step needs from the
// environment (failing the cold start loudly if it cannot) and hands the step's handler,
// chosen by pick, to the Lambda runtime.
func Start(needs Needs, pick func(*Handlers) any) {
	h, err := FromEnvironment(context.Background(), needs)
	if err != nil {
		lambdaenv.Fatal(lambdaenv.Logger(), err)
	}
	lambda.Start(pick(h))
}
