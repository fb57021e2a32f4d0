package stability

import (
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

// Cause is a machine-readable code for why a verdict was reached, for operators and
// metrics to group outcomes by. InProgress verdicts carry none.
type Cause string

const (
	CauseServiceNotActive       Cause = "ServiceNotActive"       // status DRAINING, INACTIVE, or the service is MISSING
	CauseNotScalable            Cause = "NotScalable"            // ECS does not scale it through desiredCount (DAEMON, …)
	CauseDesiredCountChanged    Cause = "DesiredCountChanged"    // someone else set another desiredCount meanwhile
	CausePlacementFailed        Cause = "PlacementFailed"        // ECS could not place the new tasks
	CauseCapacityUnavailable    Cause = "CapacityUnavailable"    // Fargate had no capacity for them
	CauseTasksFailingToStart    Cause = "TasksFailingToStart"    // the service scheduler throttles failing task launches
	CauseCircuitBreakerRollback Cause = "CircuitBreakerRollback" // the circuit breaker failed a deployment and rolled back
	CauseDeploymentFailed       Cause = "DeploymentFailed"       // a deployment failed and was not rolled back
	CauseSteadyState            Cause = "SteadyState"            // the scaling took effect
	CauseTimeout                Cause = "Timeout"                // not stable by the deadline
)

// eventKind is what a service event message says, as far as the stability rule cares.
type eventKind int

const (
	otherEvent eventKind = iota
	// placementFailed: "(service x) was unable to place a task because no container
	// instance met all of its requirements. …" or "… was unable to place a task. Reason: …"
	// (Developer Guide, "Amazon ECS service event messages"; the Availability Zone
	// rebalancing message "is unable to place a task in Availability Zone …" is not one).
	placementFailed
	// capacityUnavailable: a placement failure whose reason is Fargate's "Capacity is
	// unavailable at this time. Please try again later or in a different availability
	// zone." (captured as "Reason: Capacity is unavailable …" and "The reason for failure
	// is Capacity is unavailable …"; re:Post knowledge center "ecs-fargate-runtask-capacity").
	capacityUnavailable
	// startImpaired: "(service x) is unable to consistently start tasks successfully." —
	// the service throttle logic, sent once when tasks keep failing to reach RUNNING
	// (Developer Guide, "Amazon ECS service throttle logic"; EventBridge SERVICE_TASK_START_IMPAIRED).
	startImpaired
	// tasksStarted: "(service x) has started 2 tasks: (task …) (task …)." — the scheduler
	// launched tasks; every such message names its tasks, so ECS never suppresses it as a
	// duplicate.
	tasksStarted
	// steadyState: "(service x) has reached a steady state." — healthy at the desired count.
	steadyState
	// deploymentFailed: "(service x) (deployment ecs-svc/…) deployment failed: tasks failed
	// to start." — the deployment circuit breaker failed a deployment (captured output).
	deploymentFailed
	// rollingBack: "(service x) rolling back to deployment ecs-svc/…." — the circuit
	// breaker's rollback started (captured output).
	rollingBack
)

// classify reads one event message. Task-set services prefix the same messages with
// "(service x, taskSet ecs-svc/…)", which the substrings below match as well.
func classify(message string) eventKind {
	switch {
	case strings.Contains(message, "was unable to place a task"):
		if strings.Contains(message, "Capacity is unavailable") {
			return capacityUnavailable
		}
		return placementFailed
	case strings.Contains(message, "is unable to consistently start tasks successfully"):
		return startImpaired
	case strings.Contains(message, ") has started ") && strings.Contains(message, " task"):
		return tasksStarted
	case strings.Contains(message, "has reached a steady state"):
		return steadyState
	case strings.Contains(message, "deployment failed:"):
		return deploymentFailed
	case strings.Contains(message, "rolling back to deployment"):
		return rollingBack
	}
	return otherEvent
}

// newest returns the newest event of one of the kinds, if any.
func newest(events []service.Event, kinds ...eventKind) (service.Event, eventKind, bool) {
	var found service.Event
	var kind eventKind
	ok := false
	for _, e := range events {
		k := classify(e.Message)
		if !isOneOf(k, kinds) {
			continue
		}
		if !ok || e.CreatedAt.After(found.CreatedAt) {
			found, kind, ok = e, k, true
		}
	}
	return found, kind, ok
}

// newer reports whether an event of one of the kinds is stamped after t.
func newer(events []service.Event, t time.Time, kinds ...eventKind) bool {
	for _, e := range events {
		if e.CreatedAt.After(t) && isOneOf(classify(e.Message), kinds) {
			return true
		}
	}
	return false
}

func isOneOf(k eventKind, kinds []eventKind) bool {
	for _, want := range kinds {
		if k == want {
			return true
		}
	}
	return false
}
