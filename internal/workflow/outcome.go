package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// Error names the Fail state reports when a recorded activity ends an execution red.
const (
	ErrScalingFailed      = "ScalingFailed"
	ErrScalingUnfulfilled = "ScalingUnfulfilled"
)

// BuildActivity turns an execution's final state into its activity record. It is pure:
// the outcome follows from which steps ran and what they returned. policies are the
// service's, from the deployed configuration, to say in the cause what the deciding
// policy asks for.
func BuildActivity(req RecordRequest, policies []scaling.Policy, now time.Time) activity.Activity {
	st := req.State
	a := activity.Activity{
		ActivityID:        req.Execution.Name,
		ServiceNamespace:  "ecs",
		ResourceID:        st.Service.ResourceID(),
		ScalableDimension: "ecs:service:DesiredCount",
		Cause:             cause(st, policies),
		StartTime:         req.Execution.StartTime.UTC(),
		EndTime:           now.UTC(),
		ExecutionARN:      req.Execution.ID,
		Trigger:           st.Trigger.Source,
	}
	if st.Before != nil {
		a.FromCount, a.ToCount = st.Before.DesiredCount, st.Before.DesiredCount
	}
	if p := st.Plan; p != nil {
		a.FromCount, a.ToCount, a.AlarmName = p.From, p.To, p.AlarmName
	}
	if a.AlarmName == "" {
		a.AlarmName = st.Trigger.Alarm
	}
	a.Description = fmt.Sprintf("Setting desired count from %d to %d.", a.FromCount, a.ToCount)
	if w := st.Watch; w != nil {
		a.Details = fmt.Sprintf("desired %d, running %d, pending %d at the last of %d stability checks",
			w.Last.Desired, w.Last.Running, w.Last.Pending, w.Checks)
	}

	switch p := st.Plan; {
	case st.Error != nil:
		a.StatusCode = activity.StatusFailed
		a.StatusMessage = fmt.Sprintf("%s: %s", st.Error.Error, errorMessage(st.Error.Cause))
		if st.Watch != nil {
			a.StatusMessage += fmt.Sprintf(" (desired count had been set to %d)", st.Watch.DesiredCount)
		}
	case st.Lease != nil && !st.Lease.Acquired:
		a.Description = "Not scaled: another scaling of this service is in progress."
		a.StatusCode = activity.StatusNotScaled
		a.StatusMessage = fmt.Sprintf("execution %s holds the service's lease", st.Lease.Owner)
		a.NotScaledReasons = []scaling.NotScaledReason{{Code: scaling.ScalingInProgress, Message: a.StatusMessage}}
	case p != nil && p.Scale && p.DryRun:
		a.Description = fmt.Sprintf("Dry run: would set desired count from %d to %d.", a.FromCount, a.ToCount)
		a.StatusCode = activity.StatusDryRun
		a.StatusMessage = a.Description
		if p.Reason != "" {
			a.StatusMessage += " " + p.Reason
		}
	case p != nil && !p.Scale:
		a.Description = p.Description
		a.StatusCode = activity.StatusNotScaled
		a.StatusMessage = p.Description
		a.NotScaledReasons = p.NotScaledReasons
	case st.Watch != nil:
		a.StatusCode, a.StatusMessage = watchStatus(*st.Watch)
	default:
		a.StatusCode = activity.StatusFailed
		a.StatusMessage = "the workflow ended before the scaling was complete"
	}
	return a
}

// RepeatKey identifies a not-scaled decision for the activity log: the same alarms held
// back for the same reasons at the same desired count. While an alarm stays in ALARM at a
// bound, the per-minute evaluation takes the same decision every minute; the log records
// it once (Application Auto Scaling lists not-scaled activities only on request), and the
// execution history keeps every one. "" for activities that are not NotScaled.
func RepeatKey(a activity.Activity) string {
	if a.StatusCode != activity.StatusNotScaled {
		return ""
	}
	parts := make([]string, 0, len(a.NotScaledReasons))
	for _, r := range a.NotScaledReasons {
		parts = append(parts, r.Alarm+":"+r.Code)
	}
	slices.Sort(parts)
	return fmt.Sprintf("%s@%d", strings.Join(parts, ","), a.FromCount)
}

// OutcomeOf is the record step's answer for an activity.
func OutcomeOf(a activity.Activity, st State) Outcome {
	o := Outcome{ActivityID: a.ActivityID, StatusCode: a.StatusCode, StatusMessage: a.StatusMessage, Failed: a.Failed()}
	switch {
	case st.Error != nil:
		o.Error = st.Error.Error
	case a.StatusCode == activity.StatusUnfulfilled:
		o.Error = ErrScalingUnfulfilled
	case o.Failed:
		o.Error = ErrScalingFailed
	}
	return o
}

func watchStatus(w stability.Watch) (code, msg string) {
	switch w.Status {
	case stability.Stable:
		return activity.StatusSuccessful, fmt.Sprintf("Successfully set desired count to %d. Service is stable: %s.", w.DesiredCount, w.Reason)
	case stability.TimedOut:
		return activity.StatusUnfulfilled, fmt.Sprintf("Desired count set to %d, but the service did not become stable in time: %s.", w.DesiredCount, w.Reason)
	case stability.Overridden:
		return activity.StatusOverridden, fmt.Sprintf("Desired count set to %d, then changed by another actor: %s.", w.DesiredCount, w.Reason)
	default:
		return activity.StatusFailed, fmt.Sprintf("Desired count set to %d, but the service cannot reach it: %s.", w.DesiredCount, w.Reason)
	}
}

// cause says what started the execution, what CloudWatch reported, and which policy
// decided, as Application Auto Scaling's "monitor alarm X in state ALARM triggered policy Y".
func cause(st State, policies []scaling.Policy) string {
	var b strings.Builder
	switch st.Trigger.Source {
	case SourceNotification:
		fmt.Fprintf(&b, "notification: alarm %s entered ALARM", st.Trigger.Alarm)
		if t := st.Trigger.StateChangeTime; t != nil {
			fmt.Fprintf(&b, " at %s", t.UTC().Format(time.RFC3339))
		}
	default:
		fmt.Fprintf(&b, "per-minute evaluation at %s", st.Trigger.Minute.UTC().Format("15:04Z"))
	}
	if st.Alarms != nil {
		if in := st.Alarms.InAlarm(); len(in) > 0 {
			fmt.Fprintf(&b, "; CloudWatch reports %s in ALARM", strings.Join(in, ", "))
		} else {
			b.WriteString("; CloudWatch reports no alarm of the service in ALARM")
		}
	}
	if p := st.Plan; p != nil && p.AlarmName == "" && p.Reason != "" {
		// Moved by the bounds in force, not by an alarm (Decide).
		b.WriteString("; " + p.Reason)
	}
	if p := st.Plan; p != nil && p.AlarmName != "" {
		for _, pol := range policies {
			if pol.AlarmName == p.AlarmName {
				fmt.Fprintf(&b, "; monitor alarm %s triggered scale-%s policy (%s)", p.AlarmName, pol.Direction, pol.Summary())
			}
		}
		if p.Reason != "" {
			b.WriteString(": " + p.Reason)
		}
	}
	return b.String()
}

// errorMessage extracts the message from a Lambda error's Cause, which Step Functions
// passes as the function's JSON error object; other causes are returned as they are.
func errorMessage(cause string) string {
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		return lambdaErr.ErrorMessage
	}
	return cause
}
