package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// suspend sets or clears a service's suspension flags in its state item: the next plan
// honours them, with no redeploy (like Application Auto Scaling's SuspendedState).
func suspend(ctx context.Context, args []string, suspended bool) error {
	name, done := "resume", "resumed"
	if suspended {
		name, done = "suspend", "suspended"
	}
	fs := newFlags(name)
	table := fs.String("table", os.Getenv("STEPSCALER_TABLE"), "activity table name (default $STEPSCALER_TABLE)")
	cluster := fs.String("cluster", "", "ECS cluster name")
	svc := fs.String("service", "", "ECS service name")
	direction := fs.String("direction", "both", "out, in or both")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *table == "" || *cluster == "" || *svc == "" {
		fs.Usage()
		return fmt.Errorf("--table, --cluster and --service are required")
	}
	var dirs []scaling.Direction
	switch *direction {
	case "out", "in":
		dirs = []scaling.Direction{scaling.Direction(*direction)}
	case "both":
		dirs = []scaling.Direction{scaling.Out, scaling.In}
	default:
		return fmt.Errorf("--direction must be out, in or both, got %q", *direction)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	store := activity.New(dynamodb.NewFromConfig(cfg), *table)
	ref := scaling.ServiceRef{Cluster: *cluster, Service: *svc}
	for _, d := range dirs {
		if err := store.SetSuspended(ctx, ref, d, suspended); err != nil {
			return err
		}
		fmt.Printf("%s: scale-%s %s\n", ref, d, done)
	}
	return nil
}
