// Package activity holds Stepscaler's records as plain data: the scaling activities, shaped
// like Application Auto Scaling's, and each service's state item (the lease that keeps two
// scalings of one service apart, the times cooldowns count from, suspensions). It is pure:
// internal/store keeps them in DynamoDB.
package activity

import (
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Status codes. The first five are Application Auto Scaling's ScalingActivity status
// codes; NotScaled and DryRun are Stepscaler's own.
const (
	StatusSuccessful  = "Successful"
	StatusFailed      = "Failed"
	StatusUnfulfilled = "Unfulfilled"
	StatusOverridden  = "Overridden"
	StatusInProgress  = "InProgress"
	// StatusNotScaled marks a decision that changed nothing on purpose (at a bound, in
	// cooldown, no alarm in ALARM). Application Auto Scaling lists these as "not scaled
	// activities" with NotScaledReasons; a code of their own tells them from scalings
	// that failed.
	StatusNotScaled = "NotScaled"
	// StatusDryRun marks a decision a dry-run service recorded without applying it.
	StatusDryRun = "DryRun"
)

// Activity is one scaling activity: what one execution of the workflow decided and did.
// Field names follow Application Auto Scaling's ScalingActivity.
type Activity struct {
	ActivityID        string                    `dynamodbav:"activityId" json:"ActivityId"`
	ServiceNamespace  string                    `dynamodbav:"serviceNamespace" json:"ServiceNamespace"`
	ResourceID        string                    `dynamodbav:"resourceId" json:"ResourceId"`
	ScalableDimension string                    `dynamodbav:"scalableDimension" json:"ScalableDimension"`
	Description       string                    `dynamodbav:"description" json:"Description"`
	Cause             string                    `dynamodbav:"cause" json:"Cause"`
	StartTime         time.Time                 `dynamodbav:"startTime" json:"StartTime"`
	EndTime           time.Time                 `dynamodbav:"endTime" json:"EndTime"`
	StatusCode        string                    `dynamodbav:"statusCode" json:"StatusCode"`
	StatusMessage     string                    `dynamodbav:"statusMessage" json:"StatusMessage"`
	Details           string                    `dynamodbav:"details,omitempty" json:"Details,omitempty"`
	NotScaledReasons  []scaling.NotScaledReason `dynamodbav:"notScaledReasons,omitempty" json:"NotScaledReasons,omitempty"`

	// Stepscaler's additions: where to look for more, and the counts involved.
	AlarmName    string `dynamodbav:"alarmName" json:"AlarmName"`
	ExecutionARN string `dynamodbav:"executionArn" json:"ExecutionArn"`
	FromCount    int    `dynamodbav:"fromCount" json:"FromCount"`
	ToCount      int    `dynamodbav:"toCount" json:"ToCount"`
	// Trigger says what started the execution: "notification" (an alarm's SNS message)
	// or "schedule" (the per-minute evaluation).
	Trigger string `dynamodbav:"trigger,omitempty" json:"Trigger,omitempty"`
}

// Failed reports whether the activity should end its execution red.
func (a Activity) Failed() bool {
	return a.StatusCode == StatusFailed || a.StatusCode == StatusUnfulfilled
}

// State is a service's state item.
type State struct {
	LeaseOwner     string `dynamodbav:"leaseOwner,omitempty" json:"leaseOwner,omitempty"`
	LeaseExpiresAt int64  `dynamodbav:"leaseExpiresAt,omitempty" json:"leaseExpiresAt,omitempty"` // epoch seconds
	// LastScaleOutAt and LastScaleInAt start the cooldowns.
	LastScaleOutAt *time.Time `dynamodbav:"lastScaleOutAt,omitempty" json:"lastScaleOutAt,omitempty"`
	LastScaleInAt  *time.Time `dynamodbav:"lastScaleInAt,omitempty" json:"lastScaleInAt,omitempty"`
	// LastScaleOutFrom is the capacity before the last scale-out: during its cooldown, the
	// capacity it added counts toward the next step.
	LastScaleOutFrom *int `dynamodbav:"lastScaleOutFrom,omitempty" json:"lastScaleOutFrom,omitempty"`
	// Suspended directions are set at runtime by operators (stepscaler suspend/resume).
	SuspendedOut bool `dynamodbav:"suspendedOut,omitempty" json:"suspendedOut,omitempty"`
	SuspendedIn  bool `dynamodbav:"suspendedIn,omitempty" json:"suspendedIn,omitempty"`
	// LastActivityID is the newest activity recorded for the service.
	LastActivityID string `dynamodbav:"lastActivityId,omitempty" json:"lastActivityId,omitempty"`
	// LastNotScaled is the newest not-scaled decision recorded as an activity. The same
	// decision taken again (every minute while an alarm stays in ALARM at a bound) is not
	// recorded again: the activity log keeps to changes, the execution history has them all.
	LastNotScaled *NotScaledMark `dynamodbav:"lastNotScaled,omitempty" json:"lastNotScaled,omitempty"`
	// Recommendations are the service's recent TargetRatio recommendations, newest last,
	// for a scale-in stabilization window (scaling.KeepRecommendations bounds them).
	Recommendations []scaling.Recommendation `dynamodbav:"recommendations,omitempty" json:"recommendations,omitempty"`
}

// NotScaledMark identifies a recorded not-scaled decision.
type NotScaledMark struct {
	// Key is what makes two decisions the same: see Repeats.
	Key        string `dynamodbav:"key" json:"key"`
	ActivityID string `dynamodbav:"activityId" json:"activityId"`
}

// History returns what the planner needs of the state: cooldowns, suspensions and recent
// recommendations.
func (s State) History() scaling.History {
	return scaling.History{
		LastScaleOutAt: s.LastScaleOutAt, LastScaleInAt: s.LastScaleInAt, LastScaleOutFrom: s.LastScaleOutFrom,
		SuspendedOut: s.SuspendedOut, SuspendedIn: s.SuspendedIn, Recommendations: s.Recommendations,
	}
}

// Lease is the result of trying to take a service's lease, with the state item as the
// attempt found (or left) it.
type Lease struct {
	Acquired bool   `json:"acquired"`
	Owner    string `json:"owner"` // who holds it now: us when Acquired
	State    State  `json:"state"`
}
