package stability

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

// Watch is what the stability loop carries from one check to the next. The state machine
// stores it at $.watch, waits $.watch.pollSeconds between checks and loops while
// $.watch.status is "InProgress". It stays a few hundred bytes: it travels in the state.
type Watch struct {
	DesiredCount int       `json:"desiredCount"`
	Since        time.Time `json:"since"`       // when UpdateService returned
	Deadline     time.Time `json:"deadline"`    // Since + the policy's stabilizationTimeoutSeconds
	PollSeconds  int       `json:"pollSeconds"` // the policy's pollIntervalSeconds
	Verdict                // embedded: "status", "reason", "cause"

	// AtUpdate are the service's counts as read just before the update.
	AtUpdate Counts `json:"atUpdate"`
	// Last are the counts the previous check saw (AtUpdate before the first check).
	Last Counts `json:"last"`
	// ProgressAt is when a check last saw the running or pending count rise: Since until
	// one does. A later ProgressAt means ECS has created tasks since the update.
	ProgressAt time.Time `json:"progressAt"`
	Checks     int       `json:"checks"`
}

// Counts are a service's task counts at one observation.
type Counts struct {
	Desired int `json:"desired"`
	Running int `json:"running"`
	Pending int `json:"pending"`
}

func countsOf(s service.Snapshot) Counts {
	return Counts{Desired: s.DesiredCount, Running: s.RunningCount, Pending: s.PendingCount}
}

const (
	// clockSkew: an event stamped up to this long before Since still counts as after the
	// update. ECS stamps events with its own clock, typically after the API call returns;
	// Since comes from the Lambda's clock.
	clockSkew = 5 * time.Second
	// confirmWindow is how long a failure ECS reported before the update (and may not
	// repeat, see the package doc) must go on with nothing started before Check calls the
	// step failed. ECS's scheduler starts tasks within seconds when it can (3.5 s after
	// CreateService and 18 s after StopTask in the captures cited in testdata/SOURCES.md),
	// so two minutes without a started task means it could not.
	confirmWindow = 2 * time.Minute
)

// NewWatch starts watching a service whose desiredCount was set to desired at since.
// before is the snapshot read just before the update.
func NewWatch(before service.Snapshot, desired int, since, deadline time.Time, pollSeconds int) Watch {
	c := countsOf(before)
	return Watch{
		DesiredCount: desired,
		Since:        since.UTC(),
		Deadline:     deadline.UTC(),
		PollSeconds:  pollSeconds,
		Verdict:      Verdict{Status: InProgress, Reason: fmt.Sprintf("desiredCount set to %d, not checked yet", desired)},
		AtUpdate:     c,
		Last:         c,
		ProgressAt:   since.UTC(),
	}
}

// Check judges one snapshot of the service and returns the next watch with its verdict.
// It is pure: the same snapshot, watch and clock give the same answer. The checks run in
// the order below, so a failure ends the wait as soon as ECS shows it rather than at the
// deadline, and a stable service is stable even at the deadline.
func Check(s service.Snapshot, w Watch, now time.Time) Watch {
	now = now.UTC()
	w = w.observe(s, now)
	w.Verdict = w.judge(s, now)
	return w
}

// observe records the counts and whether they moved.
func (w Watch) observe(s service.Snapshot, now time.Time) Watch {
	c := countsOf(s)
	if c.Running > w.Last.Running || c.Running+c.Pending > w.Last.Running+w.Last.Pending {
		w.ProgressAt = now
	}
	w.Last = c
	w.Checks++
	return w
}

func (w Watch) judge(s service.Snapshot, now time.Time) Verdict {
	if s.Status != service.StatusActive {
		return Verdict{Status: Failed, Cause: CauseServiceNotActive,
			Reason: fmt.Sprintf("service status is %s, not ACTIVE", orUnknown(s.Status))}
	}
	if ok, why := Scalable(s); !ok {
		return Verdict{Status: Failed, Cause: CauseNotScalable, Reason: why}
	}
	if s.DesiredCount != w.DesiredCount {
		return Verdict{Status: Overridden, Cause: CauseDesiredCountChanged,
			Reason: fmt.Sprintf("desiredCount is now %d, not the %d this scaling set", s.DesiredCount, w.DesiredCount)}
	}
	if v, failed := w.deploymentFailure(s); failed {
		return v
	}
	if v, failed := w.blocked(s, now); failed {
		return v
	}
	gaps := unsettled(s)
	if len(gaps) == 0 {
		return Verdict{Status: Stable, Cause: CauseSteadyState, Reason: settled(s)}
	}
	if !now.Before(w.Deadline) {
		return Verdict{Status: TimedOut, Cause: CauseTimeout,
			Reason: fmt.Sprintf("not stable by %s: %s", w.Deadline.Format(time.RFC3339), strings.Join(gaps, ", "))}
	}
	if waiting := w.waitingOn(s, now); waiting != "" {
		gaps = append(gaps, waiting)
	}
	return Verdict{Status: InProgress, Reason: strings.Join(gaps, ", ")}
}

// deploymentFailure finds a deployment the circuit breaker failed. A rollback makes a new
// PRIMARY (the last completed revision) and leaves the failed deployment ACTIVE with
// rolloutState FAILED, so the PRIMARY alone does not show it; ECS also reports both steps
// as service events, which remain after the failed deployment is gone.
func (w Watch) deploymentFailure(s service.Snapshot) (Verdict, bool) {
	primary, hasPrimary := s.Primary()
	rollback := hasPrimary && strings.Contains(primary.RolloutStateReason, "circuit breaker: rolling back")
	for _, d := range s.Deployments {
		if d.RolloutState != service.RolloutFailed {
			continue
		}
		reason := fmt.Sprintf("deployment %s %s: %s", d.ID, d.RolloutState, orDefault(d.RolloutStateReason, "rollout failed"))
		if d.Status != service.DeploymentPrimary || rollback {
			if hasPrimary {
				reason += fmt.Sprintf("; PRIMARY %s: %s", primary.ID, orDefault(primary.RolloutStateReason, primary.RolloutState))
			}
			return Verdict{Status: Failed, Cause: CauseCircuitBreakerRollback, Reason: reason}, true
		}
		return Verdict{Status: Failed, Cause: CauseDeploymentFailed, Reason: reason}, true
	}
	if rollback {
		return Verdict{Status: Failed, Cause: CauseCircuitBreakerRollback,
			Reason: fmt.Sprintf("PRIMARY %s: %s", primary.ID, primary.RolloutStateReason)}, true
	}
	after := w.Since.Add(-clockSkew)
	if e, kind, ok := newest(s.Events, rollingBack, deploymentFailed); ok && e.CreatedAt.After(after) {
		cause := CauseDeploymentFailed
		if kind == rollingBack || newer(s.Events, after, rollingBack) {
			cause = CauseCircuitBreakerRollback
		}
		return Verdict{Status: Failed, Cause: cause, Reason: quote(e)}, true
	}
	return Verdict{}, false
}

// blocked finds ECS saying it cannot start the tasks the service still lacks. A failure
// stamped after the update ends the wait at once. One stamped before it may be the last
// word ECS will say, because ECS does not repeat an identical event message until the
// cause is resolved or six hours pass: it ends the wait when nothing newer shows the cause
// resolved, the service was already short of tasks at the update (so the failure was live,
// not history), and no task has been created since the update for confirmWindow.
func (w Watch) blocked(s service.Snapshot, now time.Time) (Verdict, bool) {
	if s.RunningCount >= w.DesiredCount {
		return Verdict{}, false
	}
	after := w.Since.Add(-clockSkew)
	liveAtUpdate := w.AtUpdate.Running < w.AtUpdate.Desired
	confirmed := !now.Before(w.Since.Add(confirmWindow))

	if e, kind, ok := newest(s.Events, placementFailed, capacityUnavailable, tasksStarted, steadyState); ok && kind != tasksStarted && kind != steadyState {
		cause := CausePlacementFailed
		if kind == capacityUnavailable {
			cause = CauseCapacityUnavailable
		}
		if e.CreatedAt.After(after) {
			return Verdict{Status: Failed, Cause: cause, Reason: quote(e)}, true
		}
		nothingCreated := !w.ProgressAt.After(w.Since)
		if liveAtUpdate && nothingCreated && confirmed {
			return Verdict{Status: Failed, Cause: cause, Reason: quote(e) + fmt.Sprintf(
				"; no task has started since desiredCount was set to %d at %s (ECS does not repeat an identical event until the cause is resolved or six hours pass)",
				w.DesiredCount, w.Since.Format(time.RFC3339))}, true
		}
	}
	// Throttled launches go on being attempted (each with a "has started" event), so only
	// a steady state resolves them; the running count shows whether any attempt worked.
	if e, kind, ok := newest(s.Events, startImpaired, steadyState); ok && kind == startImpaired {
		if e.CreatedAt.After(after) {
			return Verdict{Status: Failed, Cause: CauseTasksFailingToStart, Reason: quote(e)}, true
		}
		if liveAtUpdate && s.RunningCount <= w.AtUpdate.Running && confirmed {
			return Verdict{Status: Failed, Cause: CauseTasksFailingToStart, Reason: quote(e) + fmt.Sprintf(
				"; no more tasks are running than when desiredCount was set to %d at %s", w.DesiredCount, w.Since.Format(time.RFC3339))}, true
		}
	}
	return Verdict{}, false
}

// waitingOn explains an InProgress verdict held back by confirmWindow, so an operator
// watching the execution sees what the next checks will decide.
func (w Watch) waitingOn(s service.Snapshot, now time.Time) string {
	if s.RunningCount >= w.DesiredCount || !w.AtUpdate.shortOfDesired() {
		return ""
	}
	e, kind, ok := newest(s.Events, placementFailed, capacityUnavailable, startImpaired, tasksStarted, steadyState)
	if !ok || kind == tasksStarted || kind == steadyState {
		return ""
	}
	return fmt.Sprintf("ECS last said %s; failing at %s if no task starts", quote(e), w.Since.Add(confirmWindow).Format(time.RFC3339))
}

func (c Counts) shortOfDesired() bool { return c.Running < c.Desired }

// unsettled lists what keeps the service from being stable, nothing when it is.
func unsettled(s service.Snapshot) []string {
	if usesTaskSets(s) {
		return taskSetGaps(s)
	}
	var gaps []string
	if s.RunningCount != s.DesiredCount {
		gaps = append(gaps, fmt.Sprintf("%d of %d tasks running", s.RunningCount, s.DesiredCount))
	}
	if s.PendingCount != 0 {
		gaps = append(gaps, fmt.Sprintf("%d pending", s.PendingCount))
	}
	if len(s.Deployments) == 0 {
		return gaps // no deployment to wait for: the counts are all there is
	}
	if len(s.Deployments) != 1 {
		gaps = append(gaps, fmt.Sprintf("%d deployments, waiting for one", len(s.Deployments)))
	}
	// rolloutState is absent for Classic Load Balancer services and in responses from
	// before December 2020; its absence is not a gap.
	switch p, ok := s.Primary(); {
	case !ok:
		gaps = append(gaps, "no PRIMARY deployment")
	case p.RolloutState != "" && p.RolloutState != service.RolloutCompleted:
		gaps = append(gaps, fmt.Sprintf("deployment %s %s", p.ID, p.RolloutState))
	}
	return gaps
}

// usesTaskSets reports whether ECS runs the service's tasks through task sets: the
// CODE_DEPLOY and EXTERNAL controllers, which report no deployments.
func usesTaskSets(s service.Snapshot) bool {
	return s.Controller() != service.ControllerECS || len(s.TaskSets) > 0
}

// taskSetGaps judges a task-set service by its PRIMARY task set: ECS sets its
// computedDesiredCount to the service's desiredCount times the set's scale, rounded up,
// and reports STEADY_STATE once runningCount equals it, nothing is pending and the tasks
// are healthy (API Reference, TaskSet). The computed count is checked too, as the set
// reports its old steady state until ECS has applied the new desiredCount.
func taskSetGaps(s service.Snapshot) []string {
	t, ok := s.PrimaryTaskSet()
	if !ok {
		return []string{"no PRIMARY task set"}
	}
	var gaps []string
	if want := computedDesired(s.DesiredCount, t.ScalePercent); t.ComputedDesiredCount != want {
		gaps = append(gaps, fmt.Sprintf("task set %s computedDesiredCount %d, not yet %d (%g%% of %d)",
			t.ID, t.ComputedDesiredCount, want, t.ScalePercent, s.DesiredCount))
	}
	if t.RunningCount != t.ComputedDesiredCount {
		gaps = append(gaps, fmt.Sprintf("task set %s: %d of %d tasks running", t.ID, t.RunningCount, t.ComputedDesiredCount))
	}
	if t.PendingCount != 0 {
		gaps = append(gaps, fmt.Sprintf("task set %s: %d pending", t.ID, t.PendingCount))
	}
	if t.StabilityStatus != service.TaskSetSteadyState {
		gaps = append(gaps, fmt.Sprintf("task set %s %s", t.ID, orUnknown(t.StabilityStatus)))
	}
	return gaps
}

// computedDesired is desired × scale%, rounded up as ECS rounds it.
func computedDesired(desired int, scalePercent float64) int {
	return int(math.Ceil(float64(desired)*scalePercent/100 - 1e-9))
}

// settled describes a stable service.
func settled(s service.Snapshot) string {
	if t, ok := s.PrimaryTaskSet(); ok && usesTaskSets(s) {
		return fmt.Sprintf("task set %s: %d of %d tasks running, STEADY_STATE", t.ID, t.RunningCount, t.ComputedDesiredCount)
	}
	p, ok := s.Primary()
	switch {
	case !ok:
		return fmt.Sprintf("%d of %d tasks running", s.RunningCount, s.DesiredCount)
	case p.RolloutState == "":
		return fmt.Sprintf("%d of %d tasks running, one deployment (%s, rolloutState not reported)", s.RunningCount, s.DesiredCount, p.ID)
	default:
		return fmt.Sprintf("%d of %d tasks running, deployment %s %s", s.RunningCount, s.DesiredCount, p.ID, p.RolloutState)
	}
}

// quote cites an event with its time, as an operator would look it up.
func quote(e service.Event) string {
	return fmt.Sprintf("ECS at %s: %q", e.CreatedAt.UTC().Format(time.RFC3339), e.Message)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
