package main

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/store"
)

// tableFlag is the activity table's name: the stack's TableName output.
func tableFlag(fs *flag.FlagSet) *string {
	return fs.String("table", os.Getenv("STEPSCALER_TABLE"), "activity table name (the stack's TableName output; default $STEPSCALER_TABLE)")
}

// serviceFlags are the flags of the commands that work on one service's records in the
// deployed activity table.
type serviceFlags struct {
	aws                     *awsOptions
	table, cluster, service *string
}

func addServiceFlags(fs *flag.FlagSet, g *awsOptions, output bool) serviceFlags {
	g.register(fs, output)
	return serviceFlags{
		aws:     g,
		table:   tableFlag(fs),
		cluster: fs.String("cluster", "", "ECS cluster name"),
		service: fs.String("service", "", "ECS service name"),
	}
}

// open checks the flags and returns the store and the service. A flag missing is a
// usage error.
func (f serviceFlags) open(ctx context.Context, fs *flag.FlagSet) (*store.Store, scaling.ServiceRef, error) {
	if *f.table == "" || *f.cluster == "" || *f.service == "" {
		fs.Usage()
		return nil, scaling.ServiceRef{}, usageError{err: errors.New("--table, --cluster and --service are required"), shown: true}
	}
	cfg, err := f.aws.load(ctx)
	if err != nil {
		return nil, scaling.ServiceRef{}, err
	}
	return openStore(cfg, *f.table), scaling.ServiceRef{Cluster: *f.cluster, Service: *f.service}, nil
}

func openStore(cfg aws.Config, table string) *store.Store {
	return store.New(dynamodb.NewFromConfig(cfg), table)
}
