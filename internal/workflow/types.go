// Package workflow holds the Lambda handlers of the Scale state machine's Task states and
// the payloads they exchange. Each handler is a thin adapter: decode the state's input,
// call the pure core (scaling, stability, the outcome below), call AWS, encode.
package workflow

import (
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// Input is the execution input the starter builds: the alarm transition, the service it
// scales and the policy in force when it fired.
type Input struct {
	Alarm   Alarm              `json:"alarm"`
	Service scaling.ServiceRef `json:"service"`
	Policy  scaling.Policy     `json:"policy"`
}

// Alarm is the part of the notification the workflow and the activity record use.
type Alarm struct {
	Name            string    `json:"name"`
	ARN             string    `json:"arn,omitempty"`
	Region          string    `json:"region,omitempty"`
	AccountID       string    `json:"accountId,omitempty"`
	NewState        string    `json:"newState"`
	OldState        string    `json:"oldState,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	StateChangeTime time.Time `json:"stateChangeTime"`
}

// Execution is the Context Object's execution, passed by the ASL to the steps that record.
type Execution struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	StartTime time.Time `json:"startTime"`
}

// LeaseRequest is the input of "Acquire scaling lease".
type LeaseRequest struct {
	Service   scaling.ServiceRef `json:"service"`
	Policy    scaling.Policy     `json:"policy"`
	Execution Execution          `json:"execution"`
}

// DescribeRequest is the input of "Describe ECS service".
type DescribeRequest struct {
	Service scaling.ServiceRef `json:"service"`
}

// PlanRequest is the input of "Plan scaling".
type PlanRequest struct {
	Policy    scaling.Policy   `json:"policy"`
	Service   service.Snapshot `json:"service"`
	Lease     activity.Lease   `json:"lease"`
	Alarm     Alarm            `json:"alarm"`
	Execution Execution        `json:"execution"`
}

// UpdateRequest is the input of "Update desired count".
type UpdateRequest struct {
	Service      scaling.ServiceRef `json:"service"`
	DesiredCount int                `json:"desiredCount"`
	Policy       scaling.Policy     `json:"policy"`
}

// UpdateResult is the output of "Update desired count": what was set, when, and until
// when the service has to become stable.
type UpdateResult struct {
	DesiredCount int       `json:"desiredCount"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Deadline     time.Time `json:"deadline"`
}

// StabilityRequest is the input of "Check stability".
type StabilityRequest struct {
	Service      scaling.ServiceRef `json:"service"`
	DesiredCount int                `json:"desiredCount"`
	Since        time.Time          `json:"since"`
	Deadline     time.Time          `json:"deadline"`
}

// StabilityResult is the output of "Check stability": the verdict and the counts it saw.
type StabilityResult struct {
	stability.Verdict
	DesiredCount int `json:"desiredCount"`
	RunningCount int `json:"runningCount"`
	PendingCount int `json:"pendingCount"`
}

// State is the whole execution state as "Record outcome" and "Record failure" receive it:
// the input plus whatever the steps that ran added.
type State struct {
	Input
	Lease     *activity.Lease   `json:"lease,omitempty"`
	Before    *service.Snapshot `json:"before,omitempty"`
	Plan      *scaling.Decision `json:"plan,omitempty"`
	Update    *UpdateResult     `json:"update,omitempty"`
	Stability *StabilityResult  `json:"stability,omitempty"`
	Error     *StepError        `json:"error,omitempty"`
}

// StepError is what a Catch puts at $.error: the error name and its cause.
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// RecordRequest is the input of "Record outcome" and "Record failure".
type RecordRequest struct {
	Execution Execution `json:"execution"`
	State     State     `json:"state"`
}

// Outcome is the output of the record steps. Failed and Error drive the final Choice and
// the Fail state, so the console shows a failed scaling red with its reason.
type Outcome struct {
	ActivityID    string `json:"activityId"`
	StatusCode    string `json:"statusCode"`
	StatusMessage string `json:"statusMessage"`
	Failed        bool   `json:"failed"`
	Error         string `json:"error,omitempty"`
}
