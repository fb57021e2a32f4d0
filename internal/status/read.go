package status

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/awscw"
	"github.com/stepscaler/stepscaler/internal/awsecs"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
)

// MaxDescribeServices is how many services one DescribeServices call may name (ECS API
// Reference, DescribeServices: "You may specify up to 10 services to describe").
const MaxDescribeServices = 10

// recordReaders bounds the DynamoDB reads in flight: two per service, so a hundred
// services take a few round trips' time, far within the table's on-demand capacity.
const recordReaders = 8

// ECSDescriber is the part of the ECS client status uses.
type ECSDescriber interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

// Records is the part of the activity store status uses (store.Store).
type Records interface {
	State(context.Context, scaling.ServiceRef) (activity.State, error)
	List(ctx context.Context, svc scaling.ServiceRef, limit int) ([]activity.Activity, error)
}

// Clients are what Read reads from.
type Clients struct {
	ECS        ECSDescriber
	CloudWatch awscw.Describer
	Records    Records
}

// Options tune Read.
type Options struct {
	// Activities is how many of each service's newest activities to show.
	Activities int
	// Composites asks CloudWatch for composite alarms too; set it from
	// config.MayHaveCompositeAlarms, as the functions do.
	Composites bool
	// Progress, when set, is told what is being read, for a reader waiting at a terminal.
	Progress func(format string, args ...any)
}

// Read reads the targets' services, alarms and records, and builds the view as of now.
// An AWS error ends it: a partial view could hide what the operator is looking for. A
// service or cluster ECS does not know, or an alarm CloudWatch does not know, is shown as
// MISSING.
func Read(ctx context.Context, c Clients, targets []config.ServiceTarget, o Options, now time.Time) ([]Service, error) {
	say := o.Progress
	if say == nil {
		say = func(string, ...any) {}
	}
	say("describing %d services in ECS", len(targets))
	snaps, err := describeServices(ctx, c.ECS, targets, now)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range targets {
		names = append(names, t.AlarmNames()...)
	}
	say("describing %d alarms in CloudWatch", len(names))
	alarms, err := describeAlarms(ctx, c.CloudWatch, names, o.Composites)
	if err != nil {
		return nil, err
	}
	say("reading the records of %d services", len(targets))
	records, err := readRecords(ctx, c.Records, targets, o.Activities)
	if err != nil {
		return nil, err
	}
	views := make([]Service, len(targets))
	for i, t := range targets {
		in := Inputs{Alarms: alarms, State: records[i].state, Activities: records[i].activities}
		switch s, ok := snaps[t.Service]; {
		case !ok:
			in.Missing = "DescribeServices returned neither the service nor a failure for it"
		case s.snapshot != nil:
			in.Snapshot = s.snapshot
		default:
			in.Missing = s.missing
		}
		views[i] = Build(t, in, now)
	}
	return views, nil
}

type described struct {
	snapshot *service.Snapshot
	missing  string // why ECS does not know the service
}

// describeServices reads the services, cluster by cluster, MaxDescribeServices a call.
func describeServices(ctx context.Context, c ECSDescriber, targets []config.ServiceTarget, now time.Time) (map[scaling.ServiceRef]described, error) {
	var clusters []string
	byCluster := map[string][]string{}
	for _, t := range targets {
		ref := t.Service
		if _, ok := byCluster[ref.Cluster]; !ok {
			clusters = append(clusters, ref.Cluster)
		}
		byCluster[ref.Cluster] = append(byCluster[ref.Cluster], ref.Service)
	}
	found := map[scaling.ServiceRef]described{}
	for _, cluster := range clusters {
		names := byCluster[cluster]
		for start := 0; start < len(names); start += MaxDescribeServices {
			batch := names[start:min(start+MaxDescribeServices, len(names))]
			out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
			var noCluster *ecstypes.ClusterNotFoundException
			switch {
			case errors.As(err, &noCluster):
				for _, name := range batch {
					found[scaling.ServiceRef{Cluster: cluster, Service: name}] = described{missing: "cluster not found: " + noCluster.ErrorMessage()}
				}
				continue
			case err != nil:
				return nil, fmt.Errorf("describe services of cluster %s: %w", cluster, err)
			}
			for _, s := range out.Services {
				snap := awsecs.Snapshot(s, now)
				found[scaling.ServiceRef{Cluster: cluster, Service: snap.Name}] = described{snapshot: &snap}
			}
			for _, f := range out.Failures {
				name := serviceOfARN(aws.ToString(f.Arn), batch)
				why := aws.ToString(f.Reason)
				if d := aws.ToString(f.Detail); d != "" {
					why += ": " + d
				}
				found[scaling.ServiceRef{Cluster: cluster, Service: name}] = described{missing: why}
			}
		}
	}
	return found, nil
}

// serviceOfARN finds which of the names a failure's ARN is about: ECS reports a missing
// service by the ARN it would have (arn:...:service/<cluster>/<name>, or the older
// arn:...:service/<name>), or by the name as given.
func serviceOfARN(arn string, names []string) string {
	for _, n := range names {
		if arn == n || strings.HasSuffix(arn, "/"+n) {
			return n
		}
	}
	return arn
}

// describeAlarms reads the named alarms' states, awscw.MaxAlarmNames a call. Composite
// alarms are asked for only with composites: CloudWatch answers for them only to a
// caller allowed cloudwatch:DescribeAlarms on "*", which the stack grants only when the
// configuration declares one.
func describeAlarms(ctx context.Context, c awscw.Describer, names []string, composites bool) (map[string]AlarmState, error) {
	types := []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}
	if composites {
		types = append(types, cwtypes.AlarmTypeCompositeAlarm)
	}
	found := make(map[string]AlarmState, len(names))
	for start := 0; start < len(names); start += awscw.MaxAlarmNames {
		p := cloudwatch.NewDescribeAlarmsPaginator(c, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: names[start:min(start+awscw.MaxAlarmNames, len(names))],
			AlarmTypes: types,
			MaxRecords: aws.Int32(awscw.MaxAlarmNames),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe alarms: %w", err)
			}
			for _, m := range page.MetricAlarms {
				found[aws.ToString(m.AlarmName)] = AlarmState{State: string(m.StateValue), Transitioned: transitioned(m.StateTransitionedTimestamp, m.StateUpdatedTimestamp)}
			}
			for _, m := range page.CompositeAlarms {
				found[aws.ToString(m.AlarmName)] = AlarmState{State: string(m.StateValue), Composite: true,
					Transitioned: transitioned(m.StateTransitionedTimestamp, m.StateUpdatedTimestamp)}
			}
		}
	}
	return found, nil
}

// transitioned is when the alarm's state value last changed. CloudWatch added
// StateTransitionedTimestamp later than StateUpdatedTimestamp, which also moves with the
// evaluation state; the older one stands in when the newer is absent.
func transitioned(transitioned, updated *time.Time) time.Time {
	if transitioned != nil {
		return transitioned.UTC()
	}
	return aws.ToTime(updated).UTC()
}

type records struct {
	state      activity.State
	activities []activity.Activity
}

// readRecords reads each service's state item and newest activities, a few services at
// a time.
func readRecords(ctx context.Context, r Records, targets []config.ServiceTarget, limit int) ([]records, error) {
	out := make([]records, len(targets))
	errs := make([]error, len(targets))
	sem := make(chan struct{}, recordReaders)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			st, err := r.State(ctx, t.Service)
			if err != nil {
				errs[i] = err
				return
			}
			out[i].state = st
			if limit > 0 {
				out[i].activities, errs[i] = r.List(ctx, t.Service, limit)
			}
		})
	}
	wg.Wait()
	// The first failure, in the configuration's order, is the one reported: they are
	// usually all the same (a missing table, a denied permission).
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
