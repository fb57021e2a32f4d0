package awsecs_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/awsecs"
	"github.com/stepscaler/stepscaler/internal/service"
)

func TestSnapshotFillsEveryField(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, cet)
	svc := types.Service{
		ServiceArn: aws.String("arn:aws:ecs:eu-west-1:123456789012:service/c/web"), ServiceName: aws.String("web"),
		Status: aws.String("ACTIVE"), DesiredCount: 4, RunningCount: 3, PendingCount: 1,
		SchedulingStrategy: types.SchedulingStrategyReplica, LaunchType: types.LaunchTypeFargate,
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeCodeDeploy},
		TaskDefinition:       aws.String("td:3"),
		Deployments: []types.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String("td:3"),
			RolloutState: types.DeploymentRolloutStateFailed, RolloutStateReason: aws.String("why"),
			DesiredCount: 4, RunningCount: 3, PendingCount: 1, FailedTasks: 2, CreatedAt: aws.Time(t0), UpdatedAt: aws.Time(t0.Add(time.Second))}},
		TaskSets: []types.TaskSet{{Id: aws.String("ecs-svc/2"), Status: aws.String("PRIMARY"), TaskDefinition: aws.String("td:3"),
			ComputedDesiredCount: 4, RunningCount: 3, PendingCount: 1, Scale: &types.Scale{Unit: types.ScaleUnitPercent, Value: 100},
			StabilityStatus: types.StabilityStatusStabilizing, StabilityStatusAt: aws.Time(t0.Add(2 * time.Second)),
			CreatedAt: aws.Time(t0.Add(3 * time.Second)), UpdatedAt: aws.Time(t0.Add(4 * time.Second))}},
	}
	var wantEvents []service.Event
	for i := range 100 { // ECS returns up to 100; all are kept
		at := t0.Add(-time.Duration(i) * time.Minute)
		svc.Events = append(svc.Events, types.ServiceEvent{Id: aws.String(fmt.Sprint(i)), CreatedAt: aws.Time(at), Message: aws.String(fmt.Sprint("m", i))})
		wantEvents = append(wantEvents, service.Event{ID: fmt.Sprint(i), CreatedAt: at.UTC(), Message: fmt.Sprint("m", i)})
	}
	utc := t0.UTC()
	want := service.Snapshot{
		ARN: "arn:aws:ecs:eu-west-1:123456789012:service/c/web", Name: "web", Status: "ACTIVE",
		DesiredCount: 4, RunningCount: 3, PendingCount: 1,
		SchedulingStrategy: "REPLICA", LaunchType: "FARGATE", DeploymentController: "CODE_DEPLOY", TaskDefinition: "td:3",
		Deployments: []service.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", TaskDefinition: "td:3", RolloutState: "FAILED",
			RolloutStateReason: "why", DesiredCount: 4, RunningCount: 3, PendingCount: 1, FailedTasks: 2,
			CreatedAt: utc, UpdatedAt: utc.Add(time.Second)}},
		TaskSets: []service.TaskSet{{ID: "ecs-svc/2", Status: "PRIMARY", TaskDefinition: "td:3", ComputedDesiredCount: 4,
			RunningCount: 3, PendingCount: 1, ScalePercent: 100, StabilityStatus: "STABILIZING",
			StabilityStatusAt: utc.Add(2 * time.Second), CreatedAt: utc.Add(3 * time.Second), UpdatedAt: utc.Add(4 * time.Second)}},
		Events:     wantEvents,
		ObservedAt: utc,
	}
	if got := awsecs.Snapshot(svc, t0); !reflect.DeepEqual(got, want) {
		t.Errorf("Snapshot() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSnapshotOfAnEmptyService(t *testing.T) {
	got := awsecs.Snapshot(types.Service{}, time.Time{})
	want := service.Snapshot{Deployments: []service.Deployment{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Snapshot(empty) = %+v, want %+v", got, want)
	}
}
