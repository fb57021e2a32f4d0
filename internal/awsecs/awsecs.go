// Package awsecs adapts the AWS SDK's ECS types to the plain service.Snapshot that the
// pure packages decide on. It is the only place that knows both.
package awsecs

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/service"
)

// Snapshot converts one service of a DescribeServices result, observed at observedAt. It
// keeps every event ECS returned (up to 100); call ForPayload on the result before it
// travels in the execution's state. It reads the same fields as
// service.ParseDescribeServices, so the two agree on any document.
func Snapshot(svc types.Service, observedAt time.Time) service.Snapshot {
	s := service.Snapshot{
		ARN:                aws.ToString(svc.ServiceArn),
		Name:               aws.ToString(svc.ServiceName),
		Status:             aws.ToString(svc.Status),
		DesiredCount:       int(svc.DesiredCount),
		RunningCount:       int(svc.RunningCount),
		PendingCount:       int(svc.PendingCount),
		SchedulingStrategy: string(svc.SchedulingStrategy),
		LaunchType:         string(svc.LaunchType),
		TaskDefinition:     aws.ToString(svc.TaskDefinition),
		Deployments:        make([]service.Deployment, 0, len(svc.Deployments)),
		ObservedAt:         observedAt.UTC(),
	}
	if svc.DeploymentController != nil {
		s.DeploymentController = string(svc.DeploymentController.Type)
	}
	for _, d := range svc.Deployments {
		s.Deployments = append(s.Deployments, deployment(d))
	}
	for _, t := range svc.TaskSets {
		s.TaskSets = append(s.TaskSets, taskSet(t))
	}
	for _, e := range svc.Events {
		s.Events = append(s.Events, service.Event{
			ID:        aws.ToString(e.Id),
			CreatedAt: utc(e.CreatedAt),
			Message:   aws.ToString(e.Message),
		})
	}
	return s
}

func deployment(d types.Deployment) service.Deployment {
	return service.Deployment{
		ID:                 aws.ToString(d.Id),
		Status:             aws.ToString(d.Status),
		TaskDefinition:     aws.ToString(d.TaskDefinition),
		RolloutState:       string(d.RolloutState),
		RolloutStateReason: aws.ToString(d.RolloutStateReason),
		DesiredCount:       int(d.DesiredCount),
		RunningCount:       int(d.RunningCount),
		PendingCount:       int(d.PendingCount),
		FailedTasks:        int(d.FailedTasks),
		CreatedAt:          utc(d.CreatedAt),
		UpdatedAt:          utc(d.UpdatedAt),
	}
}

func taskSet(t types.TaskSet) service.TaskSet {
	set := service.TaskSet{
		ID:                   aws.ToString(t.Id),
		Status:               aws.ToString(t.Status),
		TaskDefinition:       aws.ToString(t.TaskDefinition),
		ComputedDesiredCount: int(t.ComputedDesiredCount),
		RunningCount:         int(t.RunningCount),
		PendingCount:         int(t.PendingCount),
		StabilityStatus:      string(t.StabilityStatus),
		StabilityStatusAt:    utc(t.StabilityStatusAt),
		CreatedAt:            utc(t.CreatedAt),
		UpdatedAt:            utc(t.UpdatedAt),
	}
	if t.Scale != nil {
		set.ScalePercent = t.Scale.Value
	}
	return set
}

// utc is the time in UTC, or the zero time when ECS did not report it.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
