// Command record-outcome is the Lambda function behind the Scale state machine's
// "Record outcome" and "Record failure" states. Besides the activity, it writes the
// outcome's metrics to standard output in CloudWatch's embedded metric format, under the
// deployment's name (STEPSCALER_DEPLOYMENT, default "Stepscaler").
package main

import (
	"cmp"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/steps/record"
	"github.com/stepscaler/stepscaler/internal/store"
)

func main() {
	cfg := lambdaenv.Must(lambdaenv.ScalingConfig())
	db := dynamodb.NewFromConfig(lambdaenv.Must(lambdaenv.AWSConfig()))
	table := lambdaenv.Must(lambdaenv.Env("STEPSCALER_TABLE"))
	retention := lambdaenv.Must(lambdaenv.EnvDays("ACTIVITY_RETENTION_DAYS", 42))
	deployment := cmp.Or(os.Getenv(metrics.DeploymentVariable), metrics.DefaultDeployment)
	emf := lambdaenv.Must(metrics.NewEmitter(os.Stdout, deployment))
	lambda.Start(record.New(store.New(db, table), cfg, retention, time.Now, lambdaenv.Logger(), emf).Record)
}
