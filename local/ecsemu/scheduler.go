package ecsemu

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The service scheduler. All of it runs under Emulator.mu.
//
// ECS's service scheduler works apart from its API: UpdateService records
// the new desired count or deployment and returns, and the scheduler acts on
// it afterwards, stamping the events it writes with its own clock. Here an
// API call schedules a pass over the service Options.SchedulerDelay later,
// and only a pass launches or stops tasks, judges deployments and writes
// events. Passes also run at once when one of the service's tasks changes
// state, when placement is retried, and when the steady state is due to be
// reported again.
//
// Tasks and passes carry the instant they fall due, so the scheduler does
// not depend on being called on time: advance replays every change that fell
// due, in time order and at its own instant. The background ticker only keeps
// the log and the events current while nobody is asking.

const (
	// minFailDelay is the shortest time a task that fails to start spends
	// pending (see service.dueAt).
	minFailDelay = 10 * time.Millisecond

	// tickInterval is how often the background ticker advances the scheduler.
	tickInterval = 20 * time.Millisecond

	// maxThrottle is the longest wait between launch attempts of a service
	// whose tasks keep failing to start: "incrementally increased up to a
	// maximum of 15 minutes" (Developer Guide, "Service throttle logic").
	maxThrottle = 15 * time.Minute
)

// advance brings every service up to now.
func (e *Emulator) advance(now time.Time) {
	for {
		at, ok := e.nextDue(now)
		if !ok {
			return
		}
		for s := range e.services() {
			e.fire(s, at)
		}
		// Every service due runs its pass at this instant, after all task
		// changes of the instant, so a pass sees the cluster as it is.
		for s := range e.services() {
			if !s.passAt.IsZero() && !s.passAt.After(at) {
				e.pass(s, at)
			}
		}
	}
}

// nextDue is the earliest task state change or scheduler pass due at or
// before now.
func (e *Emulator) nextDue(now time.Time) (time.Time, bool) {
	var next time.Time
	found := false
	consider := func(due time.Time) {
		if !due.After(now) && (!found || due.Before(next)) {
			next, found = due, true
		}
	}
	for s := range e.services() {
		if !s.passAt.IsZero() {
			consider(s.passAt)
		}
		for _, d := range s.deployments {
			for _, t := range d.tasks {
				if due, ok := s.dueAt(t); ok {
					consider(due)
				}
			}
		}
	}
	return next, found
}

// requestPass has the scheduler act on a change the API made at now. The
// pass comes at least one scheduler delay later, so nothing the scheduler
// writes is stamped at or before the moment of the call.
func (e *Emulator) requestPass(s *service, now time.Time) {
	s.schedulePass(now.Add(e.opts.SchedulerDelay))
}

// fire applies the task state changes of s due at or before at: pending
// tasks run or fail to start, stopping tasks stop. This is the tasks' own
// doing; the scheduler takes note in a pass at the same instant.
func (e *Emulator) fire(s *service, at time.Time) {
	changed := false
	for _, d := range s.deployments {
		kept := d.tasks[:0]
		for _, t := range d.tasks {
			due, ok := s.dueAt(t)
			if !ok || due.After(at) {
				kept = append(kept, t)
				continue
			}
			changed = true
			d.updatedAt = at
			switch {
			case t.state == taskPending && t.failsToStart:
				e.recordLaunchFailures(s, d, 1)
			case t.state == taskPending:
				t.state = taskRunning
				e.taskRan(s, d)
				kept = append(kept, t)
			}
			// A stopping task has stopped: it is dropped.
		}
		clear(d.tasks[len(kept):])
		d.tasks = kept
	}
	if changed {
		s.schedulePass(at)
	}
}

// taskRan records that a task of d reached RUNNING. That ends the run of
// consecutive launch failures behind the throttle logic, and for the
// circuit breaker it ends the deployment's stage 1: "Once a service
// deployment has one or more successfully running tasks, the failed task
// count resets to zero and stops being evaluated" (API Reference,
// Deployment.failedTasks).
func (e *Emulator) taskRan(s *service, d *deployment) {
	s.resetThrottle()
	if !d.hadRunning {
		d.hadRunning = true
		d.failedTasks = 0
	}
}

// recordLaunchFailures counts n tasks of d that failed to start or could
// not be placed. Both count as failed tasks: "A task is considered a failure
// if the service scheduler can't launch the task, the task doesn't
// transition to a RUNNING state, ..." (API Reference, Deployment.failedTasks);
// the deployment counts them only while the breaker evaluates it, the
// service's throttle always.
func (e *Emulator) recordLaunchFailures(s *service, d *deployment, n int) {
	s.launchFailures += n
	s.unchecked += n
	if d.evaluated() {
		d.failedTasks += n
	}
}

// pass is one look of the service scheduler at s: it judges the failures
// since the last pass, stops what is surplus, drains older deployments,
// launches what is missing, and records what became of the deployment.
func (e *Emulator) pass(s *service, at time.Time) {
	s.passAt = time.Time{}
	if s.status == statusInactive {
		return
	}
	if s.daemon() && s.status == statusActive {
		// One task per registered container instance.
		s.desired = len(s.cluster.instances)
	}
	primary := s.primary()
	primary.desired = s.desired

	if !e.checkBreaker(s, at) {
		e.checkThrottle(s, at)
	}
	primary = s.primary() // a rollback changes the PRIMARY

	var stoppedPending, stoppedRunning []*task
	if surplus := primary.alive() - primary.desired; surplus > 0 {
		p, r := s.stop(primary, surplus, at)
		stoppedPending, stoppedRunning = append(stoppedPending, p...), append(stoppedRunning, r...)
	}
	// Older deployments give way as the primary's tasks come up, never taking
	// the service below minimumHealthyPercent. Their pending tasks are never
	// worth starting.
	canStop := s.count(taskRunning) - ceilPercent(s.desired, s.minHealthyPercent)
	for _, d := range s.deployments[1:] {
		running := min(max(canStop, 0), d.count(taskRunning))
		p, r := s.stop(d, d.count(taskPending)+running, at)
		stoppedPending, stoppedRunning = append(stoppedPending, p...), append(stoppedRunning, r...)
		canStop -= running
		d.desired = d.alive()
	}

	started, placement := e.launch(s, primary, at)
	if len(started) > 0 {
		e.emit(s, at, fmt.Sprintf("(service %s) has started %d tasks: %s.", s.name, len(started), taskList(started)))
	}
	if placement != "" {
		e.notify(s, noticePlacement, at, placement)
	}
	if len(stoppedPending) > 0 {
		e.emit(s, at, fmt.Sprintf("(service %s) stopped %d pending tasks.", s.name, len(stoppedPending)))
	}
	if len(stoppedRunning) > 0 {
		e.emit(s, at, fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", s.name, len(stoppedRunning), taskList(stoppedRunning)))
	}
	e.settle(s, at)
}

// checkBreaker applies the deployment circuit breaker once the primary
// deployment's failed tasks reach the threshold while it rolls out, and
// reports whether it tripped. With rollback on, the service goes back to its
// last completed deployment.
func (e *Emulator) checkBreaker(s *service, at time.Time) bool {
	d := s.primary()
	if !s.circuitBreaker.Enable || d.rolloutState != rolloutInProgress || d.failedTasks < breakerThreshold(s.desired) {
		return false
	}
	d.rolloutState = rolloutFailed
	d.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
	d.updatedAt = at
	e.emit(s, at, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, d.id))
	if s.circuitBreaker.Rollback {
		e.rollBack(s, d, at)
	}
	return true
}

// rollBack makes the most recent COMPLETED deployment the PRIMARY again.
// "When the deployment circuit breaker determines that a deployment failed,
// it looks for the most recent deployment that is in a COMPLETED state. ...
// When the rollback starts, the deployment changes from a COMPLETED to
// IN_PROGRESS. ... When the deployment circuit breaker does not find a
// deployment that is in a COMPLETED state, the circuit breaker does not
// launch new tasks and the deployment is stalled." (Developer Guide, "How
// the Amazon ECS deployment circuit breaker detects failures"). The
// deployment keeps its id, as real services show: the rollback's reason
// and its later "deployment completed" event name the id it rolled back to.
func (e *Emulator) rollBack(s *service, failed *deployment, at time.Time) {
	target := s.lastCompleted
	if target == nil || target == failed || target.rolloutState != rolloutCompleted {
		return
	}
	s.deployments = slices.DeleteFunc(s.deployments, func(d *deployment) bool { return d == target })
	failed.status = deploymentActive
	target.status = deploymentPrimary
	target.rolloutState = rolloutInProgress
	target.rolloutStateReason = fmt.Sprintf("ECS deployment circuit breaker: rolling back to deploymentId %s.", target.id)
	target.rolloutStart, target.updatedAt = at, at
	target.desired = s.desired
	s.deployments = append([]*deployment{target}, s.deployments...)
	s.taskDefinition = target.taskDefinition
	s.resetThrottle() // a new deployment launches unthrottled
	e.emit(s, at, fmt.Sprintf("(service %s) rolling back to deployment %s.", s.name, target.id))
}

// checkThrottle applies the service throttle logic to the launch failures
// since the last pass: once they reach the threshold in a row, ECS reports
// that the service cannot start tasks consistently and "begins to
// incrementally increase the time between retries" (Developer Guide,
// "Amazon ECS service event messages" and "Service throttle logic"). The
// threshold ECS uses is not documented; the circuit breaker's is used here.
// A deployment that FAILED launches nothing, so there is nothing to report.
func (e *Emulator) checkThrottle(s *service, at time.Time) {
	if s.unchecked == 0 {
		return
	}
	s.unchecked = 0
	if s.launchFailures < breakerThreshold(s.desired) || s.primary().rolloutState == rolloutFailed {
		return
	}
	e.notify(s, noticeImpaired, at, fmt.Sprintf("(service %s) is unable to consistently start tasks successfully.", s.name))
	if s.backoff == 0 {
		s.backoff = e.opts.SchedulerDelay
	} else {
		s.backoff = min(2*s.backoff, maxThrottle)
	}
	s.throttledUntil = at.Add(s.backoff)
}

// breakerThreshold is the documented circuit breaker failure threshold: half
// the desired count, rounded up, at least 3 and at most 200 (Developer
// Guide, "How the Amazon ECS deployment circuit breaker detects failures",
// BOUNDED_PERCENT with the default value 50).
func breakerThreshold(desired int) int {
	return min(max((desired+1)/2, 3), 200)
}

// stop stops n of d's tasks: pending ones first, since they serve nothing
// yet and simply go away, then the most recently launched running ones,
// which keep running for the service's stop delay. It returns the pending
// and the running tasks it stopped.
func (s *service) stop(d *deployment, n int, now time.Time) (pending, running []*task) {
	for i := len(d.tasks) - 1; i >= 0 && len(pending) < n; i-- {
		if t := d.tasks[i]; t.state == taskPending {
			pending = append(pending, t)
			d.tasks = slices.Delete(d.tasks, i, i+1)
		}
	}
	for i := len(d.tasks) - 1; i >= 0 && len(pending)+len(running) < n; i-- {
		if t := d.tasks[i]; t.state == taskRunning {
			t.state = taskStopping
			t.stopAt = now.Add(s.stopDelay)
			running = append(running, t)
		}
	}
	if len(pending)+len(running) > 0 {
		d.updatedAt = now
	}
	return pending, running
}

// launch places the tasks d is missing, as far as maximumPercent, the
// throttle and the cluster's capacity allow. It returns the tasks placed
// and, if some could not be, the placement failure event.
func (e *Emulator) launch(s *service, d *deployment, at time.Time) ([]*task, string) {
	need := d.desired - d.alive()
	if s.status != statusActive || d.rolloutState == rolloutFailed || need <= 0 {
		// Nothing to launch: whatever kept tasks from being placed is
		// resolved, and once no task is left to start, so is the run of
		// failures behind the throttle.
		s.clearNotice(noticePlacement)
		s.clearNotice(noticeBlocked)
		if s.count(taskPending) == 0 {
			s.resetThrottle()
		}
		return nil, ""
	}
	if at.Before(s.throttledUntil) {
		s.schedulePass(s.throttledUntil)
		return nil, ""
	}
	n := min(need, floorPercent(s.desired, s.maxPercent)-s.taskCount())
	if n <= 0 {
		// Only worth saying when nothing in flight will make room.
		if s.count(taskPending) == 0 && s.count(taskStopping) == 0 {
			e.notify(s, noticeBlocked, at, fmt.Sprintf("(service %s) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.", s.name))
		}
		return nil, ""
	}
	s.clearNotice(noticeBlocked)

	placed, reason := s.cluster.placeable(s, n)
	var failure string
	if placed < n {
		failure = fmt.Sprintf("(service %s) was unable to place a task%s For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", s.name, reason)
		e.recordLaunchFailures(s, d, n-placed)
		// ECS retries placement; capacity that comes back is used on the
		// next attempt.
		s.schedulePass(at.Add(e.opts.SchedulerDelay))
	} else {
		s.clearNotice(noticePlacement)
	}
	started := make([]*task, placed)
	for i := range started {
		started[i] = &task{id: newTaskID(), state: taskPending, launchedAt: at, failsToStart: s.failTaskStarts}
	}
	if placed > 0 {
		d.tasks = append(d.tasks, started...)
		d.updatedAt = at
	}
	return started, failure
}

// settle drops drained deployments, completes the rollout when the primary
// deployment alone runs the desired count, and reports the steady state.
func (e *Emulator) settle(s *service, at time.Time) {
	p := s.primary()
	kept := s.deployments[:1]
	for _, d := range s.deployments[1:] {
		// A failed deployment stays listed, drained, while the rollback away
		// from it runs, as DescribeServices shows during a rollback.
		if len(d.tasks) > 0 || (d.rolloutState == rolloutFailed && p.rolloutState == rolloutInProgress) {
			kept = append(kept, d)
		}
	}
	clear(s.deployments[len(kept):])
	s.deployments = kept

	if s.status == statusDraining {
		if s.taskCount() == 0 {
			s.status = statusInactive
		}
		return
	}
	settled := p.count(taskRunning) == p.desired && p.count(taskPending) == 0 && p.count(taskStopping) == 0
	for _, d := range s.deployments[1:] {
		settled = settled && len(d.tasks) == 0
	}
	if settled && p.rolloutState == rolloutInProgress {
		if !at.After(p.rolloutStart) {
			// A rollout completes on a pass after the one that started it.
			s.schedulePass(at.Add(e.opts.SchedulerDelay))
			settled = false
		} else {
			e.complete(s, p, at)
		}
	}
	if settled && p.rolloutState != rolloutFailed {
		e.notify(s, noticeSteady, at, fmt.Sprintf("(service %s) has reached a steady state.", s.name))
		// The scheduler reports the steady state periodically (Developer
		// Guide, "Amazon ECS service action events"), each time the
		// repeat interval has passed.
		s.schedulePass(s.notices[noticeSteady].at.Add(e.opts.EventRepeatInterval))
	} else {
		s.clearNotice(noticeSteady)
	}
}

// complete marks the primary deployment's rollout COMPLETED, which makes it
// the deployment a later circuit breaker rolls back to.
func (e *Emulator) complete(s *service, p *deployment, at time.Time) {
	p.rolloutState = rolloutCompleted
	p.rolloutStateReason = fmt.Sprintf("ECS deployment %s completed.", p.id)
	p.updatedAt = at
	p.hadRunning = true
	s.lastCompleted = p
	s.deployments = s.deployments[:1] // a failed deployment kept for the rollback has drained
	e.emit(s, at, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", s.name, p.id))
}

// startDeployment makes a new PRIMARY deployment of td; the previous ones
// become ACTIVE and drain as the new one's tasks come up. A new deployment
// also ends the throttle: "If you update your service to use a new task
// definition, your service returns to a normal, non-throttled state
// immediately" (Developer Guide, "Service throttle logic").
func (e *Emulator) startDeployment(s *service, td string, now time.Time) {
	for _, d := range s.deployments {
		d.status = deploymentActive
		d.updatedAt = now
	}
	d := &deployment{
		id:             newDeploymentID(),
		status:         deploymentPrimary,
		taskDefinition: td,
		launchType:     s.launchType,
		desired:        s.desired,
		createdAt:      now,
		updatedAt:      now,
		rolloutStart:   now,
	}
	if s.controller == ControllerECS {
		d.rolloutState = rolloutInProgress
		d.rolloutStateReason = fmt.Sprintf("ECS deployment %s in progress.", d.id)
	}
	s.deployments = append([]*deployment{d}, s.deployments...)
	s.taskDefinition = td
	s.resetThrottle()
}

// emit adds a service event, keeping the latest maxEvents.
func (e *Emulator) emit(s *service, at time.Time, msg string) {
	s.events = append(s.events, event{id: newUUID(), createdAt: at, message: msg})
	if over := len(s.events) - maxEvents; over > 0 {
		s.events = append(s.events[:0], s.events[over:]...)
	}
	e.log.Info("ecs service event", "service", s.arn, "message", msg)
}

// notify emits a condition event unless it duplicates the last one of its
// kind within EventRepeatInterval: "duplicate event messages are omitted
// until either the cause is resolved or six hours passes" (Developer Guide,
// "Viewing service event messages"). A different message of the same kind
// is no duplicate; clearing the notice when the cause goes away lets the
// next occurrence be reported at once.
func (e *Emulator) notify(s *service, n notice, at time.Time, msg string) {
	if last, ok := s.notices[n]; ok && last.message == msg && at.Sub(last.at) < e.opts.EventRepeatInterval {
		return
	}
	s.notices[n] = sentNotice{message: msg, at: at}
	e.emit(s, at, msg)
}

func taskList(tasks []*task) string {
	parts := make([]string, len(tasks))
	for i, t := range tasks {
		parts[i] = "(task " + t.id + ")"
	}
	return strings.Join(parts, " ")
}

// ECS rounds minimumHealthyPercent up and maximumPercent down.
func ceilPercent(n, pct int) int  { return (n*pct + 99) / 100 }
func floorPercent(n, pct int) int { return n * pct / 100 }
