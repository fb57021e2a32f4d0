// Package service holds the plain view of an ECS service that Stepscaler decides on: the
// counts, deployments and recent events DescribeServices returns, without the SDK's
// pointer-heavy types, so the deciding code and the workflow payloads stay simple.
package service

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Service statuses as ECS reports them.
const (
	StatusActive   = "ACTIVE"
	StatusDraining = "DRAINING"
	StatusInactive = "INACTIVE"
)

// Deployment statuses and rollout states as ECS reports them.
const (
	DeploymentPrimary = "PRIMARY"
	RolloutCompleted  = "COMPLETED"
	RolloutFailed     = "FAILED"
	RolloutInProgress = "IN_PROGRESS"
)

// maxEvents bounds the events a snapshot carries: they travel in the execution's state,
// whose size Step Functions caps at 256 KiB, and only the newest matter for stability.
const maxEvents = 5

// Snapshot is one observation of a service.
type Snapshot struct {
	ARN          string       `json:"arn"`
	Status       string       `json:"status"`
	DesiredCount int          `json:"desiredCount"`
	RunningCount int          `json:"runningCount"`
	PendingCount int          `json:"pendingCount"`
	Deployments  []Deployment `json:"deployments"`
	// Events holds the newest service events, newest first.
	Events     []Event   `json:"events,omitempty"`
	ObservedAt time.Time `json:"observedAt"`
}

// Deployment is one of the service's deployments. RolloutState is empty for services
// whose controller does not report it (CODE_DEPLOY, EXTERNAL, Classic Load Balancer).
type Deployment struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	RolloutState       string    `json:"rolloutState,omitempty"`
	RolloutStateReason string    `json:"rolloutStateReason,omitempty"`
	DesiredCount       int       `json:"desiredCount"`
	RunningCount       int       `json:"runningCount"`
	PendingCount       int       `json:"pendingCount"`
	FailedTasks        int       `json:"failedTasks"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// Event is a service event message.
type Event struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Message   string    `json:"message"`
}

// Primary returns the PRIMARY deployment, if the service reports one.
func (s Snapshot) Primary() (Deployment, bool) {
	for _, d := range s.Deployments {
		if d.Status == DeploymentPrimary {
			return d, true
		}
	}
	return Deployment{}, false
}

// DeploymentInProgress reports whether a rollout is under way: more than one deployment,
// or a PRIMARY whose rollout has not completed.
func (s Snapshot) DeploymentInProgress() bool {
	if len(s.Deployments) > 1 {
		return true
	}
	p, ok := s.Primary()
	return ok && p.RolloutState == RolloutInProgress
}

// FromECS converts a DescribeServices result.
func FromECS(svc types.Service, observedAt time.Time) Snapshot {
	s := Snapshot{
		ARN:          aws.ToString(svc.ServiceArn),
		Status:       aws.ToString(svc.Status),
		DesiredCount: int(svc.DesiredCount),
		RunningCount: int(svc.RunningCount),
		PendingCount: int(svc.PendingCount),
		Deployments:  make([]Deployment, 0, len(svc.Deployments)),
		ObservedAt:   observedAt.UTC(),
	}
	for _, d := range svc.Deployments {
		s.Deployments = append(s.Deployments, Deployment{
			ID:                 aws.ToString(d.Id),
			Status:             aws.ToString(d.Status),
			RolloutState:       string(d.RolloutState),
			RolloutStateReason: aws.ToString(d.RolloutStateReason),
			DesiredCount:       int(d.DesiredCount),
			RunningCount:       int(d.RunningCount),
			PendingCount:       int(d.PendingCount),
			FailedTasks:        int(d.FailedTasks),
			UpdatedAt:          aws.ToTime(d.UpdatedAt).UTC(),
		})
	}
	for i, e := range svc.Events {
		if i == maxEvents {
			break
		}
		s.Events = append(s.Events, Event{
			ID:        aws.ToString(e.Id),
			CreatedAt: aws.ToTime(e.CreatedAt).UTC(),
			Message:   aws.ToString(e.Message),
		})
	}
	return s
}
