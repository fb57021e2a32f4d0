package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/status"
)

// now is the status view's clock; tests stop it.
var now = time.Now

// statusCmd prints every configured service (or the ones named) at a glance: ECS's
// counts and rollout, the alarms' states, the lease, cooldowns, suspensions and the
// latest activities.
func statusCmd(ctx context.Context, g *awsOptions, args []string) error {
	fs := newFlags("status")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: stepscaler status [--config FILE] [--table NAME] [--service CLUSTER/SERVICE ...] [options]")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", "config/stepscaler.json", "scaling config: the services to show")
	table := tableFlag(fs)
	var named []string
	fs.Func("service", "show only this service, CLUSTER/SERVICE (repeat it, or list more after it)", func(v string) error {
		named = append(named, v)
		return nil
	})
	activities := fs.Int("max-activities", 3, "how many of each service's newest activities to show")
	g.register(fs, true)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	named = append(named, rest...)
	switch {
	case *table == "":
		fs.Usage()
		return usageError{err: fmt.Errorf("--table is required"), shown: true}
	case *activities < 0:
		return usageError{err: fmt.Errorf("--max-activities must be 0 or more, got %d", *activities)}
	}
	output, err := g.format()
	if err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	targets, err := selectTargets(cfg, named)
	if err != nil {
		return err
	}
	awsCfg, err := g.load(ctx)
	if err != nil {
		return err
	}
	clients := status.Clients{
		ECS:        ecs.NewFromConfig(awsCfg),
		CloudWatch: cloudwatch.NewFromConfig(awsCfg),
		Records:    openStore(awsCfg, *table),
	}
	at := now().UTC()
	views, err := status.Read(ctx, clients, targets, status.Options{
		Activities: *activities,
		Composites: cfg.MayHaveCompositeAlarms(),
		Progress:   progressTo(os.Stderr),
	}, at)
	if err != nil {
		return err
	}
	r := status.Report{Time: at, Region: awsCfg.Region, Table: *table, Services: views}
	switch output {
	case "json":
		return status.WriteJSON(os.Stdout, r)
	case "text":
		return status.WriteText(os.Stdout, r)
	case "off":
		return nil
	default:
		return status.WriteTable(os.Stdout, r)
	}
}

// selectTargets returns the configured services named CLUSTER/SERVICE, in the order
// named (a name may list several, comma-separated), or all of them, in the
// configuration's order.
func selectTargets(cfg *config.Config, named []string) ([]config.ServiceTarget, error) {
	if len(named) == 0 {
		return cfg.ServiceTargets(), nil
	}
	var targets []config.ServiceTarget
	for _, arg := range named {
		for n := range strings.SplitSeq(arg, ",") {
			cluster, name, ok := strings.Cut(n, "/")
			if !ok || cluster == "" || name == "" {
				return nil, usageError{err: fmt.Errorf("--service %q: want CLUSTER/SERVICE", n)}
			}
			t, ok := cfg.Service(scaling.ServiceRef{Cluster: cluster, Service: name})
			if !ok {
				return nil, usageError{err: fmt.Errorf("--service %s: not a service of the scaling config", n)}
			}
			targets = append(targets, t)
		}
	}
	return targets, nil
}

// progressTo reports progress on w when it is a terminal: a person waiting sees what is
// being read, and a script's captured output stays clean.
func progressTo(w *os.File) func(string, ...any) {
	if fi, err := w.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(format string, args ...any) { progressLine(w, format, args...) }
}

func progressLine(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "stepscaler: "+format+"...\n", args...)
}
