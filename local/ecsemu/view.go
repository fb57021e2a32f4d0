package ecsemu

import (
	"strings"
	"time"
)

// ServiceView is a snapshot of a service as DescribeServices reports it.
type ServiceView struct {
	Cluster              string           `json:"cluster"`
	Name                 string           `json:"name"`
	ARN                  string           `json:"arn"`
	Status               string           `json:"status"`
	DesiredCount         int              `json:"desiredCount"`
	RunningCount         int              `json:"runningCount"`
	PendingCount         int              `json:"pendingCount"`
	TaskDefinition       string           `json:"taskDefinition"`
	LaunchType           string           `json:"launchType"`
	SchedulingStrategy   string           `json:"schedulingStrategy"`
	DeploymentController string           `json:"deploymentController"`
	CircuitBreaker       CircuitBreaker   `json:"circuitBreaker"`
	CreatedAt            time.Time        `json:"createdAt"`
	Deployments          []DeploymentView `json:"deployments"` // PRIMARY first; none for CODE_DEPLOY
	Events               []EventView      `json:"events"`      // newest first, at most 100
}

// DeploymentView is one entry of a service's deployments.
type DeploymentView struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	TaskDefinition     string    `json:"taskDefinition"`
	DesiredCount       int       `json:"desiredCount"`
	RunningCount       int       `json:"runningCount"`
	PendingCount       int       `json:"pendingCount"`
	FailedTasks        int       `json:"failedTasks"`
	RolloutState       string    `json:"rolloutState,omitempty"` // empty unless ECS controller
	RolloutStateReason string    `json:"rolloutStateReason,omitempty"`
	CreatedAt          time.Time `json:"createdAt"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// EventView is one service event.
type EventView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Message   string    `json:"message"`
}

// HasEvent reports whether any event message contains substr.
func (v ServiceView) HasEvent(substr string) bool {
	for _, ev := range v.Events {
		if strings.Contains(ev.Message, substr) {
			return true
		}
	}
	return false
}

// Primary returns the PRIMARY deployment, if the service reports one.
func (v ServiceView) Primary() (DeploymentView, bool) {
	for _, d := range v.Deployments {
		if d.Status == deploymentPrimary {
			return d, true
		}
	}
	return DeploymentView{}, false
}

func viewOf(s *service) ServiceView {
	v := ServiceView{
		Cluster:              s.cluster.name,
		Name:                 s.name,
		ARN:                  s.arn,
		Status:               s.status,
		DesiredCount:         s.desired,
		RunningCount:         s.count(taskRunning) + s.count(taskStopping),
		PendingCount:         s.count(taskPending),
		TaskDefinition:       s.primary().taskDefinition,
		LaunchType:           s.launchType,
		SchedulingStrategy:   s.schedulingStrategy,
		DeploymentController: s.controller,
		CircuitBreaker:       CircuitBreaker(s.circuitBreaker),
		CreatedAt:            s.createdAt,
		Deployments:          []DeploymentView{},
		Events:               make([]EventView, 0, len(s.events)),
	}
	// CODE_DEPLOY services report task sets instead of deployments.
	if s.controller != ControllerCodeDeploy {
		for _, d := range s.deployments {
			v.Deployments = append(v.Deployments, DeploymentView{
				ID:                 d.id,
				Status:             d.status,
				TaskDefinition:     d.taskDefinition,
				DesiredCount:       d.desired,
				RunningCount:       d.reportedRunning(),
				PendingCount:       d.count(taskPending),
				FailedTasks:        d.failedTasks,
				RolloutState:       d.rolloutState,
				RolloutStateReason: d.rolloutStateReason,
				CreatedAt:          d.createdAt,
				UpdatedAt:          d.updatedAt,
			})
		}
	}
	for i := len(s.events) - 1; i >= 0; i-- {
		ev := s.events[i]
		v.Events = append(v.Events, EventView{ID: ev.id, CreatedAt: ev.createdAt, Message: ev.message})
	}
	return v
}

// wireServiceOf renders s as the ECS API does.
func wireServiceOf(s *service) wireService {
	v := viewOf(s)
	cb := s.circuitBreaker
	minHealthy, maxPercent := s.minHealthyPercent, s.maxPercent
	w := wireService{
		ServiceArn:     v.ARN,
		ServiceName:    v.Name,
		ClusterArn:     s.cluster.arn,
		Status:         v.Status,
		DesiredCount:   v.DesiredCount,
		RunningCount:   v.RunningCount,
		PendingCount:   v.PendingCount,
		LaunchType:     v.LaunchType,
		TaskDefinition: v.TaskDefinition,
		DeploymentConfiguration: wireDeploymentConfiguration{
			DeploymentCircuitBreaker: &cb,
			MaximumPercent:           &maxPercent,
			MinimumHealthyPercent:    &minHealthy,
		},
		Deployments:          make([]wireDeployment, 0, len(v.Deployments)),
		Events:               make([]wireEvent, 0, len(v.Events)),
		CreatedAt:            epochSeconds(v.CreatedAt),
		SchedulingStrategy:   v.SchedulingStrategy,
		DeploymentController: wireController{Type: v.DeploymentController},
	}
	for _, d := range v.Deployments {
		w.Deployments = append(w.Deployments, wireDeployment{
			ID:                 d.ID,
			Status:             d.Status,
			TaskDefinition:     d.TaskDefinition,
			DesiredCount:       d.DesiredCount,
			PendingCount:       d.PendingCount,
			RunningCount:       d.RunningCount,
			FailedTasks:        d.FailedTasks,
			CreatedAt:          epochSeconds(d.CreatedAt),
			UpdatedAt:          epochSeconds(d.UpdatedAt),
			LaunchType:         v.LaunchType,
			RolloutState:       d.RolloutState,
			RolloutStateReason: d.RolloutStateReason,
		})
	}
	for _, ev := range v.Events {
		w.Events = append(w.Events, wireEvent{ID: ev.ID, CreatedAt: epochSeconds(ev.CreatedAt), Message: ev.Message})
	}
	return w
}
