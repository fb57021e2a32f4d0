// Package scaling holds Stepscaler's scaling domain: the policy an alarm applies to a
// service, and the pure decision of what desiredCount that policy asks for. It calls no
// AWS API; the Lambda handlers feed it what they read and act on what it returns, the way
// the Kubernetes HPA keeps its replica calculation apart from its controller.
package scaling

import "fmt"

// Direction is the way an alarm moves a service.
type Direction string

const (
	Out Direction = "out" // add tasks
	In  Direction = "in"  // remove tasks
)

// Valid reports whether d is one of the known directions.
func (d Direction) Valid() bool { return d == Out || d == In }

// ServiceRef names one ECS service.
type ServiceRef struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
}

// ResourceID is the service in Application Auto Scaling's notation,
// "service/<cluster>/<service>", so activity records read like theirs.
func (s ServiceRef) ResourceID() string {
	return fmt.Sprintf("service/%s/%s", s.Cluster, s.Service)
}

func (s ServiceRef) String() string { return s.Cluster + "/" + s.Service }

// Policy is what one alarm asks of one service: the service's bounds and the alarm's step.
// The starter copies it into the execution input, so an execution applies the policy that
// was in force when the alarm fired even if the configuration changes meanwhile.
type Policy struct {
	AlarmName   string    `json:"alarmName"`
	MinCapacity int       `json:"minCapacity"`
	MaxCapacity int       `json:"maxCapacity"`
	Direction   Direction `json:"direction"`
	// Adjustment is the number of tasks one step adds (out) or removes (in): a
	// ChangeInCapacity step adjustment in Application Auto Scaling's terms.
	Adjustment      int `json:"adjustment"`
	CooldownSeconds int `json:"cooldownSeconds"`
	// StabilizationTimeoutSeconds bounds the wait for the service to become stable after
	// the update; past it the activity ends Unfulfilled.
	StabilizationTimeoutSeconds int `json:"stabilizationTimeoutSeconds"`
	PollIntervalSeconds         int `json:"pollIntervalSeconds"`
}

// Not-scaled reason codes. The first three are Application Auto Scaling's own
// (NotScaledReason.Code); the others name the cases Stepscaler adds.
const (
	AlreadyAtMaxCapacity     = "AlreadyAtMaxCapacity"
	AlreadyAtMinCapacity     = "AlreadyAtMinCapacity"
	AlreadyAtDesiredCapacity = "AlreadyAtDesiredCapacity"
	CooldownActive           = "CooldownActive"
	ScalingInProgress        = "ScalingInProgress"
	ServiceNotActive         = "ServiceNotActive"
)

// NotScaledReason says, in machine-readable form, why a decision changed nothing. It has
// the shape of Application Auto Scaling's NotScaledReason, plus a human message.
type NotScaledReason struct {
	Code            string `json:"code"`
	Message         string `json:"message"`
	CurrentCapacity *int   `json:"currentCapacity,omitempty"`
	MinCapacity     *int   `json:"minCapacity,omitempty"`
	MaxCapacity     *int   `json:"maxCapacity,omitempty"`
}
