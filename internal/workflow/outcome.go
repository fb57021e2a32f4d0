package workflow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// StatusNotScaled marks an activity that changed nothing on purpose (at a bound, in
// cooldown, another scaling in progress). Application Auto Scaling reports these as "not
// scaled activities" with NotScaledReasons; a code of their own lets a query tell them
// from scalings that failed.
const StatusNotScaled = "NotScaled"

// StatusDryRun marks a decision a dry-run service recorded without applying it.
const StatusDryRun = "DryRun"

// Error names the Fail state reports when a recorded activity ends an execution red.
const (
	ErrScalingFailed      = "ScalingFailed"
	ErrScalingUnfulfilled = "ScalingUnfulfilled"
)

// BuildActivity turns the execution's final state into its activity record. It is pure:
// the outcome follows from which steps ran and what they returned.
func BuildActivity(req RecordRequest, now time.Time) activity.Activity {
	st := req.State
	a := activity.Activity{
		ActivityID:        ActivityID(req.Execution.Name, st.Step),
		ServiceNamespace:  "ecs",
		ResourceID:        st.Service.ResourceID(),
		ScalableDimension: "ecs:service:DesiredCount",
		Cause:             cause(st),
		StartTime:         req.Execution.StartTime.UTC(),
		EndTime:           now.UTC(),
		AlarmName:         st.Alarm.Name,
		ExecutionARN:      req.Execution.ID,
	}
	if st.Before != nil {
		a.FromCount, a.ToCount = st.Before.DesiredCount, st.Before.DesiredCount
	}
	if st.Plan != nil {
		a.FromCount, a.ToCount = st.Plan.From, st.Plan.To
	}
	a.Description = fmt.Sprintf("Setting desired count from %d to %d.", a.FromCount, a.ToCount)
	if st.Stability != nil {
		a.Details = fmt.Sprintf("desired %d, running %d, pending %d", st.Stability.DesiredCount, st.Stability.RunningCount, st.Stability.PendingCount)
	}

	switch {
	case st.Error != nil:
		a.StatusCode = activity.StatusFailed
		a.StatusMessage = fmt.Sprintf("%s: %s", st.Error.Error, errorMessage(st.Error.Cause))
		if st.Update != nil {
			a.StatusMessage += fmt.Sprintf(" (desired count had been set to %d)", st.Update.DesiredCount)
		}
	case st.Lease != nil && !st.Lease.Acquired:
		a.Description = "Not scaled: another scaling of this service is in progress."
		a.StatusCode = StatusNotScaled
		a.StatusMessage = fmt.Sprintf("scaling %s holds the service's lease", st.Lease.Owner)
		a.NotScaledReasons = []scaling.NotScaledReason{{Code: scaling.ScalingInProgress, Message: a.StatusMessage}}
	case st.Plan != nil && st.Plan.Scale && st.Plan.DryRun:
		a.Description = fmt.Sprintf("Dry run: would set desired count from %d to %d.", a.FromCount, a.ToCount)
		a.StatusCode = StatusDryRun
		a.StatusMessage = a.Description
		if st.Plan.Reason != "" {
			a.StatusMessage += " " + st.Plan.Reason
		}
	case st.Plan != nil && !st.Plan.Scale:
		a.Description = st.Plan.Description
		a.StatusCode = StatusNotScaled
		a.StatusMessage = st.Plan.Description
		a.NotScaledReasons = st.Plan.NotScaledReasons
	case st.Stability != nil:
		a.StatusCode, a.StatusMessage = stabilityStatus(*st.Stability, a.ToCount)
	default:
		a.StatusCode = activity.StatusFailed
		a.StatusMessage = "the workflow ended before the scaling was complete"
	}
	return a
}

// ActivityID names a step's activity: the execution's name for the step the notification
// asked for, with the step number appended for the steps re-evaluation takes.
func ActivityID(execution string, step int) string {
	if step == 0 {
		return execution
	}
	return fmt.Sprintf("%s-step-%d", execution, step)
}

// next is what follows a recorded step.
type next struct {
	cont        bool
	wait        int
	scaledSteps int
	// record is false for a re-evaluation that changed nothing for a reason that may
	// pass, or found another execution scaling the service: the execution history shows
	// it, the activity log keeps to real decisions.
	record bool
	// release says to give the lease back now. It is held only while a step is in
	// flight (plan, update, stability): between steps another alarm's execution may act
	// on the service (a scale-out must not wait for a scale-in's cooldown), and the loop
	// takes the lease again before its next step.
	release bool
}

// nextStep decides whether the execution re-evaluates its alarm, how long it waits
// first, and whether this step is worth an activity record.
func nextStep(a activity.Activity, st State, started, now time.Time) next {
	n := next{scaledSteps: st.ScaledSteps, record: true}
	held := st.Lease != nil && st.Lease.Acquired
	switch {
	case !held:
		// Another execution took the service while this one was watching: it acts now.
		n.record = st.Step == 0
	case st.Error != nil || st.Plan == nil:
	case a.StatusCode == activity.StatusSuccessful && st.Update != nil:
		n.scaledSteps++
		n.cont, n.wait = Continuation(st.Policy, st.ScaledSteps, a.ToCount, &st.Update.UpdatedAt, started, now)
	case a.StatusCode == StatusNotScaled:
		n.cont, n.wait = KeepWatching(st.Policy, *st.Plan, started, now)
		n.record = !(n.cont && st.Step > 0)
	}
	n.release = held
	return n
}

// transient are the not-scaled reasons that may pass while the alarm stays in ALARM.
var transient = map[string]bool{
	scaling.CooldownActive:                true,
	scaling.AlreadyAtDesiredCapacity:      true, // e.g. the breach fell below every step
	scaling.WithinTolerance:               true,
	scaling.NoMetricValue:                 true,
	scaling.DeploymentInProgress:          true,
	scaling.ScaleInBlockedByScaleOutAlarm: true,
}

// evaluationInterval is how often CloudWatch evaluates an alarm: waiting less to read it
// again learns nothing new.
const evaluationInterval = 60

// KeepWatching is the rule after a decision that changed nothing: while the reason may
// pass (a cooldown running out, a breach that dipped below the steps while the alarm
// stayed in ALARM), keep reading the alarm once a minute, as Application Auto Scaling
// invokes a policy every minute while its alarm is in ALARM. A bound (at max or min,
// suspended, dry run) ends the execution. Without this, an alarm that stays in ALARM
// after such a decision would never notify again and the service would stay short.
func KeepWatching(p scaling.Policy, d scaling.Decision, started, now time.Time) (bool, int) {
	if d.Scale || len(d.NotScaledReasons) == 0 {
		return false, 0
	}
	for _, r := range d.NotScaledReasons {
		if !transient[r.Code] {
			return false, 0
		}
	}
	wait := max(p.PollIntervalSeconds, evaluationInterval)
	deadline := started.Add(time.Duration(p.MaxDurationSeconds) * time.Second)
	if p.MaxDurationSeconds <= 0 || now.Add(time.Duration(wait)*time.Second).After(deadline) {
		return false, 0
	}
	return true, wait
}

// Continuation is the re-evaluation rule, for a step that succeeded and left the service
// at count to (scaled is how many steps scaled before it): go on only with room left to
// move, within the policy's bounds on steps and duration, after waiting out the cooldown that step started (updatedAt, nil if it set
// nothing) and at least one poll interval, so the alarm sees the new capacity. It returns
// whether to go on and the wait in seconds. The backtest simulator applies it too.
func Continuation(p scaling.Policy, scaled, to int, updatedAt *time.Time, started, now time.Time) (bool, int) {
	if scaled+1 >= max(p.MaxSteps, 1) {
		return false, 0
	}
	if (p.Direction == scaling.Out && to >= p.MaxCapacity) || (p.Direction == scaling.In && to <= p.MinCapacity) {
		return false, 0
	}
	wait := max(p.PollIntervalSeconds, 1)
	if updatedAt != nil {
		cooldownEnd := updatedAt.Add(time.Duration(p.CooldownSeconds) * time.Second)
		wait = max(wait, int(cooldownEnd.Sub(now).Seconds()+0.999))
	}
	deadline := started.Add(time.Duration(p.MaxDurationSeconds) * time.Second)
	if p.MaxDurationSeconds > 0 && now.Add(time.Duration(wait)*time.Second).After(deadline) {
		return false, 0
	}
	return true, wait
}

func stabilityStatus(s StabilityResult, to int) (code, msg string) {
	switch s.Status {
	case stability.Stable:
		return activity.StatusSuccessful, fmt.Sprintf("Successfully set desired count to %d. Service is stable: %s.", to, s.Reason)
	case stability.TimedOut:
		return activity.StatusUnfulfilled, fmt.Sprintf("Desired count set to %d, but the service did not become stable in time: %s.", to, s.Reason)
	case stability.Overridden:
		return activity.StatusOverridden, fmt.Sprintf("Desired count set to %d, then changed by another actor: %s.", to, s.Reason)
	default:
		return activity.StatusFailed, fmt.Sprintf("Desired count set to %d, but the service cannot reach it: %s.", to, s.Reason)
	}
}

// cause reads like Application Auto Scaling's ("monitor alarm X in state ALARM triggered
// policy Y"), with the alarm's own reason appended.
func cause(st State) string {
	c := fmt.Sprintf("monitor alarm %s in state %s triggered scale-%s policy (%s)", st.Alarm.Name, st.Alarm.NewState, st.Policy.Direction, st.Policy.Summary())
	if st.Step > 0 {
		c += fmt.Sprintf(", step %d: still in ALARM on re-evaluation", st.Step+1)
	}
	if st.Alarm.Reason != "" {
		c += ": " + st.Alarm.Reason
	}
	return c
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

func outcomeOf(a activity.Activity, st State) Outcome {
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
