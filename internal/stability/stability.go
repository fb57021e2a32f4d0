// Package stability judges whether an ECS service has settled after a scaling. The
// judgement is stricter than the SDK's ServicesStable waiter, which only compares
// runningCount with desiredCount and so calls a rolled-back deployment (or 0 == 0) stable.
package stability

import (
	"fmt"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

// Status is the verdict on one observation.
type Status string

const (
	InProgress Status = "InProgress" // keep polling
	Stable     Status = "Stable"     // the scaling took effect
	Failed     Status = "Failed"     // it cannot take effect: stop now
	TimedOut   Status = "TimedOut"   // not stable before the deadline
	Overridden Status = "Overridden" // someone else set another desiredCount meanwhile
)

// Expectation is what the scaling asked for.
type Expectation struct {
	DesiredCount int       `json:"desiredCount"`
	Since        time.Time `json:"since"`    // when UpdateService was called
	Deadline     time.Time `json:"deadline"` // when to give up
}

// Verdict is the judgement with a reason an operator can read.
type Verdict struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
}

// placementFailure is how ECS words a task it could not place, in the event message
// (and the SERVICE_TASK_PLACEMENT_FAILURE EventBridge event).
const placementFailure = "unable to place a task"

// Judge decides on one snapshot of the service. Failure signals are checked first, so a
// failed rollout ends the wait at once instead of running into the deadline.
func Judge(s service.Snapshot, want Expectation, now time.Time) Verdict {
	if s.Status != service.StatusActive {
		return Verdict{Failed, fmt.Sprintf("service status is %s", orUnknown(s.Status))}
	}
	if p, ok := s.Primary(); ok && p.RolloutState == service.RolloutFailed {
		reason := p.RolloutStateReason
		if reason == "" {
			reason = "rollout failed"
		}
		return Verdict{Failed, fmt.Sprintf("deployment %s: %s", p.ID, reason)}
	}
	for _, e := range s.Events {
		if e.CreatedAt.After(want.Since) && strings.Contains(e.Message, placementFailure) {
			return Verdict{Failed, e.Message}
		}
	}
	if s.DesiredCount != want.DesiredCount {
		return Verdict{Overridden, fmt.Sprintf("desiredCount is now %d, not the %d this scaling set", s.DesiredCount, want.DesiredCount)}
	}
	if pending := missing(s); pending == "" {
		return Verdict{Stable, fmt.Sprintf("%d of %d tasks running, deployment complete", s.RunningCount, s.DesiredCount)}
	} else if !now.Before(want.Deadline) {
		return Verdict{TimedOut, fmt.Sprintf("not stable by %s: %s", want.Deadline.UTC().Format(time.RFC3339), pending)}
	} else {
		return Verdict{InProgress, pending}
	}
}

// missing describes what keeps the service from being stable, or "" when nothing does.
func missing(s service.Snapshot) string {
	var gaps []string
	if s.RunningCount != s.DesiredCount {
		gaps = append(gaps, fmt.Sprintf("%d of %d tasks running", s.RunningCount, s.DesiredCount))
	}
	if s.PendingCount != 0 {
		gaps = append(gaps, fmt.Sprintf("%d pending", s.PendingCount))
	}
	// CODE_DEPLOY services report no deployments; there the counts are all we have.
	if len(s.Deployments) > 0 {
		if len(s.Deployments) != 1 {
			gaps = append(gaps, fmt.Sprintf("%d deployments, waiting for one", len(s.Deployments)))
		}
		p, ok := s.Primary()
		switch {
		case !ok:
			gaps = append(gaps, "no PRIMARY deployment")
		case p.RolloutState != "" && p.RolloutState != service.RolloutCompleted:
			gaps = append(gaps, fmt.Sprintf("rollout %s", p.RolloutState))
		}
	}
	return strings.Join(gaps, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
