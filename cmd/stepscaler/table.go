package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/store"
)

// serviceFlags are the flags of the commands that work on one service's records in the
// deployed activity table.
type serviceFlags struct {
	table, cluster, service *string
}

func addServiceFlags(fs *flag.FlagSet) serviceFlags {
	return serviceFlags{
		table:   fs.String("table", os.Getenv("STEPSCALER_TABLE"), "activity table name (the stack's TableName output; default $STEPSCALER_TABLE)"),
		cluster: fs.String("cluster", "", "ECS cluster name"),
		service: fs.String("service", "", "ECS service name"),
	}
}

// open checks the flags and returns the store, with the standard AWS configuration
// (profile, region, AWS_ENDPOINT_URL_DYNAMODB), and the service.
func (f serviceFlags) open(ctx context.Context, fs *flag.FlagSet) (*store.Store, scaling.ServiceRef, error) {
	if *f.table == "" || *f.cluster == "" || *f.service == "" {
		fs.Usage()
		return nil, scaling.ServiceRef{}, fmt.Errorf("--table, --cluster and --service are required")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, scaling.ServiceRef{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return store.New(dynamodb.NewFromConfig(cfg), *f.table), scaling.ServiceRef{Cluster: *f.cluster, Service: *f.service}, nil
}
