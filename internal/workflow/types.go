// Package workflow holds what the Scale state machine's steps exchange and the pure rules
// of one execution: the execution input, its name, each step's request, the whole state
// the record step receives, and the activity that state amounts to. It imports no AWS
// SDK; the step handlers (internal/steps/...) are thin adapters around it.
//
// One execution is one bounded episode for one service: take the service's lease, read
// the truth (the service's alarms and their metrics from CloudWatch, the service from
// ECS, cooldowns and suspensions from DynamoDB), plan across all the service's alarms,
// update the desired count, wait until the service is stable, record. The next step is
// the next execution's: the per-minute evaluation starts one for every service whose
// alarm is still in ALARM.
package workflow

import (
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// Trigger sources.
const (
	// SourceNotification: the starter, on an alarm's SNS notification (the fast path).
	SourceNotification = "notification"
	// SourceSchedule: the per-minute evaluation, for a service with an alarm in ALARM.
	SourceSchedule = "schedule"
)

// Input is an execution's input. It carries identifiers only: every step reads the
// service's bounds and policies from the deployed configuration and the alarms' states
// from CloudWatch, so an input cannot widen what an execution may do.
type Input struct {
	Service scaling.ServiceRef `json:"service"`
	Trigger Trigger            `json:"trigger"`
}

// Trigger says what started an execution, for the audit trail. Nothing in it is acted on.
type Trigger struct {
	Source string `json:"source"`
	// Minute is the evaluation minute the execution stands for; ExecutionName derives the
	// execution's name from it.
	Minute time.Time `json:"minute"`
	// Alarm, StateChangeTime and MessageID identify the notification, for the starter.
	Alarm           string     `json:"alarm,omitempty"`
	StateChangeTime *time.Time `json:"stateChangeTime,omitempty"`
	MessageID       string     `json:"messageId,omitempty"`
}

// Execution is the Context Object's execution, passed by the ASL to the steps that need it.
type Execution struct {
	Name      string    `json:"name"`
	ID        string    `json:"id"`
	StartTime time.Time `json:"startTime"`
}

// LeaseRequest is the input of "Acquire scaling lease".
type LeaseRequest struct {
	Service   scaling.ServiceRef `json:"service"`
	Execution Execution          `json:"execution"`
}

// AlarmsRequest is the input of "Read alarms and metrics".
type AlarmsRequest struct {
	Service scaling.ServiceRef `json:"service"`
}

// Alarms is the output of "Read alarms and metrics": every alarm of the service as
// CloudWatch reports it now, with its metric's value for the policies that size from it.
type Alarms struct {
	ReadAt time.Time              `json:"readAt"`
	Alarms []scaling.AlarmReading `json:"alarms"`
	// Transitioned is, by alarm name, when CloudWatch last changed the alarm's state
	// value: DescribeAlarms' StateTransitionedTimestamp, "the date and time that the
	// alarm's StateValue most recently changed" (CloudWatch API Reference, MetricAlarm and
	// CompositeAlarm). Unlike StateUpdatedTimestamp it does not move when only the
	// evaluation state changes. For an alarm in ALARM it is when the alarm went into
	// ALARM, which the record step measures the scaling's delay from (see Timing). Absent
	// for alarms CloudWatch did not report and in states recorded before it was read.
	Transitioned map[string]time.Time `json:"transitioned,omitempty"`
}

// InAlarm names the alarms CloudWatch reported in ALARM.
func (a Alarms) InAlarm() []string {
	var names []string
	for _, r := range a.Alarms {
		if r.State == scaling.StateAlarm {
			names = append(names, r.Name)
		}
	}
	return names
}

// DescribeRequest is the input of "Describe ECS service".
type DescribeRequest struct {
	Service scaling.ServiceRef `json:"service"`
}

// PlanRequest is the input of "Plan scaling".
type PlanRequest struct {
	Service   scaling.ServiceRef `json:"service"`
	Before    service.Snapshot   `json:"before"`
	Lease     activity.Lease     `json:"lease"`
	Alarms    Alarms             `json:"alarms"`
	Execution Execution          `json:"execution"`
}

// UpdateRequest is the input of "Update desired count".
type UpdateRequest struct {
	Service scaling.ServiceRef `json:"service"`
	Plan    scaling.Decision   `json:"plan"`
	Before  service.Snapshot   `json:"before"`
}

// StabilityRequest is the input of "Check stability".
type StabilityRequest struct {
	Service scaling.ServiceRef `json:"service"`
	Watch   stability.Watch    `json:"watch"`
}

// State is the whole execution state as "Record outcome" and "Record failure" receive it:
// the input plus whatever the steps that ran added.
type State struct {
	Input
	Lease  *activity.Lease   `json:"lease,omitempty"`
	Alarms *Alarms           `json:"alarms,omitempty"`
	Before *service.Snapshot `json:"before,omitempty"`
	Plan   *scaling.Decision `json:"plan,omitempty"`
	Watch  *stability.Watch  `json:"watch,omitempty"`
	Error  *StepError        `json:"error,omitempty"`
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
	// Repeated says the decision was the same not-scaled decision as the service's last
	// recorded one, which the activity log keeps once (RepeatOf names it).
	Repeated bool   `json:"repeated,omitempty"`
	RepeatOf string `json:"repeatOf,omitempty"`
}
