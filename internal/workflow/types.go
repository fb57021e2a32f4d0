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
	// Step counts the steps this execution has taken: 0 for the one the notification
	// asked for, then one more each time re-evaluation finds the alarm still in ALARM.
	Step int `json:"step"`
	// ScaledSteps counts the steps that changed desiredCount; maxSteps bounds it.
	ScaledSteps int `json:"scaledSteps"`
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
	// Metric is the newest datapoint the notification quotes and the alarm's threshold;
	// null when it quotes none (composite alarms, missing data). Always present in the
	// input, so the state machine's paths to it resolve.
	Metric *scaling.MetricValue `json:"metric"`
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

// AlarmCheckRequest is the input of "Read alarm states".
type AlarmCheckRequest struct {
	AlarmName string   `json:"alarmName"`
	OutAlarms []string `json:"outAlarms"`
	Step      int      `json:"step"`
	// NotificationMetric is the breach data the notification carried: the first step
	// uses it, later steps read CloudWatch.
	NotificationMetric *scaling.MetricValue `json:"notificationMetric"`
}

// AlarmState is the output of "Read alarm states".
type AlarmState struct {
	AlarmName string `json:"alarmName"`
	State     string `json:"state"`
	// InAlarm says whether to take a step: always for the first (the notification is
	// the evidence), and for later ones only while CloudWatch reports ALARM.
	InAlarm bool                 `json:"inAlarm"`
	Metric  *scaling.MetricValue `json:"metric"`
	// OutAlarmsInAlarm names the service's scale-out alarms that are in ALARM now.
	OutAlarmsInAlarm []string `json:"outAlarmsInAlarm"`
}

// DescribeRequest is the input of "Describe ECS service".
type DescribeRequest struct {
	Service scaling.ServiceRef `json:"service"`
}

// PlanRequest is the input of "Plan scaling".
type PlanRequest struct {
	Policy     scaling.Policy   `json:"policy"`
	Service    service.Snapshot `json:"service"`
	Lease      activity.Lease   `json:"lease"`
	Alarm      Alarm            `json:"alarm"`
	AlarmState AlarmState       `json:"alarmState"`
	Execution  Execution        `json:"execution"`
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
	Lease      *activity.Lease   `json:"lease,omitempty"`
	AlarmState *AlarmState       `json:"alarmState,omitempty"`
	Before     *service.Snapshot `json:"before,omitempty"`
	Plan       *scaling.Decision `json:"plan,omitempty"`
	Update     *UpdateResult     `json:"update,omitempty"`
	Stability  *StabilityResult  `json:"stability,omitempty"`
	Error      *StepError        `json:"error,omitempty"`
}

// StepError is what a Catch puts at $.error: the error name and its cause.
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// ReleaseRequest is the input of "Release scaling lease".
type ReleaseRequest struct {
	Service   scaling.ServiceRef `json:"service"`
	Execution Execution          `json:"execution"`
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
	// Continue asks the state machine to re-evaluate the alarm after WaitSeconds and,
	// if it is still in ALARM, take step NextStep. The lease is kept while it does.
	Continue    bool `json:"continue"`
	NextStep    int  `json:"nextStep"`
	ScaledSteps int  `json:"scaledSteps"`
	WaitSeconds int  `json:"waitSeconds"`
}
