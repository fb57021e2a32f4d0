// Package service holds the plain view of an ECS service that Stepscaler decides on: the
// counts, deployments, task sets and events DescribeServices returns, without the SDK's
// pointer-heavy types, so the deciding code and the workflow payloads stay simple.
//
// The package is pure: it imports only the standard library. ParseDescribeServices reads
// a DescribeServices response document as the API sends it or as the AWS CLI prints it;
// package awsecs converts the SDK's types.Service to the same Snapshot.
package service

import (
	"time"
)

// Service statuses as ECS reports them (API Reference, Service.status).
const (
	StatusActive   = "ACTIVE"
	StatusDraining = "DRAINING"
	StatusInactive = "INACTIVE"
)

// Deployment statuses and rollout states as ECS reports them (API Reference, Deployment).
const (
	DeploymentPrimary = "PRIMARY"
	DeploymentActive  = "ACTIVE"
	RolloutCompleted  = "COMPLETED"
	RolloutFailed     = "FAILED"
	RolloutInProgress = "IN_PROGRESS"
)

// Scheduling strategies (API Reference, Service.schedulingStrategy).
const (
	SchedulingReplica = "REPLICA"
	SchedulingDaemon  = "DAEMON"
)

// Deployment controller types (API Reference, DeploymentController.type). ECS omits the
// controller from old responses; ECS is then the controller, as it is the default.
const (
	ControllerECS        = "ECS"
	ControllerCodeDeploy = "CODE_DEPLOY"
	ControllerExternal   = "EXTERNAL"
)

// Task set statuses and stability statuses (API Reference, TaskSet).
const (
	TaskSetPrimary     = "PRIMARY"
	TaskSetActive      = "ACTIVE"
	TaskSetDraining    = "DRAINING"
	TaskSetSteadyState = "STEADY_STATE"
	TaskSetStabilizing = "STABILIZING"
)

// PayloadEvents is how many events ForPayload keeps.
const PayloadEvents = 5

// Snapshot is one observation of a service, as DescribeServices reported it at ObservedAt.
type Snapshot struct {
	ARN          string `json:"arn"`
	Name         string `json:"name,omitempty"`
	Status       string `json:"status"`
	DesiredCount int    `json:"desiredCount"`
	RunningCount int    `json:"runningCount"`
	PendingCount int    `json:"pendingCount"`
	// SchedulingStrategy is REPLICA or DAEMON; empty in responses older than the field.
	SchedulingStrategy string `json:"schedulingStrategy,omitempty"`
	// LaunchType is EC2, FARGATE or EXTERNAL; empty when the service uses a capacity
	// provider strategy instead.
	LaunchType string `json:"launchType,omitempty"`
	// DeploymentController is ECS, CODE_DEPLOY or EXTERNAL; empty when not reported.
	DeploymentController string `json:"deploymentController,omitempty"`
	TaskDefinition       string `json:"taskDefinition,omitempty"`
	// Deployments is what the ECS (rolling update) controller reports; CODE_DEPLOY and
	// EXTERNAL services report task sets instead and an empty list here.
	Deployments []Deployment `json:"deployments"`
	TaskSets    []TaskSet    `json:"taskSets,omitempty"`
	// Events holds the service events as ECS returned them (up to 100, newest first).
	// ForPayload trims them before the snapshot travels in the execution's state.
	Events     []Event   `json:"events,omitempty"`
	ObservedAt time.Time `json:"observedAt"`
}

// Deployment is one of the service's deployments. RolloutState is empty for services
// whose controller does not report it (CODE_DEPLOY, EXTERNAL, Classic Load Balancer) and
// in responses older than the deployment circuit breaker (December 2020).
type Deployment struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	TaskDefinition     string    `json:"taskDefinition,omitempty"`
	RolloutState       string    `json:"rolloutState,omitempty"`
	RolloutStateReason string    `json:"rolloutStateReason,omitempty"`
	DesiredCount       int       `json:"desiredCount"`
	RunningCount       int       `json:"runningCount"`
	PendingCount       int       `json:"pendingCount"`
	FailedTasks        int       `json:"failedTasks"`
	CreatedAt          time.Time `json:"createdAt"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// TaskSet is one of a CODE_DEPLOY or EXTERNAL service's task sets. ECS computes each
// task set's desired count from the service's desiredCount and the set's scale.
type TaskSet struct {
	ID                   string    `json:"id"`
	Status               string    `json:"status"`
	TaskDefinition       string    `json:"taskDefinition,omitempty"`
	ComputedDesiredCount int       `json:"computedDesiredCount"`
	RunningCount         int       `json:"runningCount"`
	PendingCount         int       `json:"pendingCount"`
	ScalePercent         float64   `json:"scalePercent"`
	StabilityStatus      string    `json:"stabilityStatus,omitempty"`
	StabilityStatusAt    time.Time `json:"stabilityStatusAt"`
	CreatedAt            time.Time `json:"createdAt"`
	UpdatedAt            time.Time `json:"updatedAt"`
}

// Event is a service event message.
type Event struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Message   string    `json:"message"`
}

// Failure is an entry of DescribeServices' failures list, such as reason MISSING for a
// service that does not exist (Developer Guide, "API failure reasons").
type Failure struct {
	ARN    string `json:"arn"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
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

// PrimaryTaskSet returns the PRIMARY task set, if the service reports one.
func (s Snapshot) PrimaryTaskSet() (TaskSet, bool) {
	for _, t := range s.TaskSets {
		if t.Status == TaskSetPrimary {
			return t, true
		}
	}
	return TaskSet{}, false
}

// Controller is the deployment controller type, ECS when the response did not say: ECS is
// the default controller and older responses omit the field.
func (s Snapshot) Controller() string {
	if s.DeploymentController == "" {
		return ControllerECS
	}
	return s.DeploymentController
}

// DeploymentInProgress reports whether a rollout is under way: more than one deployment,
// a PRIMARY whose rollout has not completed, or more than one task set (CODE_DEPLOY and
// EXTERNAL services have a second task set only while a deployment runs).
func (s Snapshot) DeploymentInProgress() bool {
	if len(s.Deployments) > 1 || len(s.TaskSets) > 1 {
		return true
	}
	p, ok := s.Primary()
	return ok && p.RolloutState == RolloutInProgress
}

// ForPayload is the snapshot as it may travel in the execution's state, which Step
// Functions caps at 256 KiB per state input or output: DescribeServices returns up to 100
// events of a few hundred bytes each, which no later step needs, so only the newest
// PayloadEvents stay. The stability check reads its own full snapshot each time.
func (s Snapshot) ForPayload() Snapshot {
	s.Deployments = append([]Deployment{}, s.Deployments...)
	s.TaskSets = clip(s.TaskSets, len(s.TaskSets))
	s.Events = clip(newestFirst(s.Events), PayloadEvents)
	return s
}

// newestFirst returns the events ordered newest first (ECS returns them that way; a
// document edited by hand may not).
func newestFirst(events []Event) []Event {
	sorted := append([]Event(nil), events...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].CreatedAt.After(sorted[j-1].CreatedAt); j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	return sorted
}

// clip copies at most n elements, keeping nil for none so omitempty drops the field.
func clip[T any](xs []T, n int) []T {
	if len(xs) == 0 || n <= 0 {
		return nil
	}
	return append([]T(nil), xs[:min(n, len(xs))]...)
}
