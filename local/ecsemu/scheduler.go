package ecsemu

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The service scheduler. All of it runs under Emulator.mu.
//
// Tasks carry the instant of their next state change, so the scheduler does
// not depend on being called on time: advance replays every change that fell
// due, in time order and at its own instant. The background ticker only keeps
// the log and the events current while nobody is asking.

const (
	// minFailDelay is the shortest time a task that fails to start spends
	// pending (see service.dueAt).
	minFailDelay = 10 * time.Millisecond

	// tickInterval is how often the background ticker advances the scheduler.
	tickInterval = 20 * time.Millisecond
)

// advance brings every service up to now.
func (e *Emulator) advance(now time.Time) {
	for {
		at, ok := e.nextDue(now)
		if !ok {
			break
		}
		for s := range e.services() {
			e.fire(s, at)
		}
		// All services reconcile, not only those whose tasks changed: a task
		// that stopped may have freed cluster capacity another service needs.
		for s := range e.services() {
			e.reconcile(s, at)
		}
	}
	for s := range e.services() {
		e.reconcile(s, now)
	}
}

// nextDue is the earliest task state change due at or before now.
func (e *Emulator) nextDue(now time.Time) (time.Time, bool) {
	var next time.Time
	found := false
	for s := range e.services() {
		for _, d := range s.deployments {
			for _, t := range d.tasks {
				if due, ok := s.dueAt(t); ok && !due.After(now) && (!found || due.Before(next)) {
					next, found = due, true
				}
			}
		}
	}
	return next, found
}

// fire applies the task state changes of s due at or before at.
func (e *Emulator) fire(s *service, at time.Time) {
	for _, d := range s.deployments {
		failed := false
		kept := d.tasks[:0]
		for _, t := range d.tasks {
			due, ok := s.dueAt(t)
			if !ok || due.After(at) {
				kept = append(kept, t)
				continue
			}
			d.updatedAt = at
			switch {
			case t.state == taskPending && t.failsToStart:
				d.failedTasks++
				failed = true
			case t.state == taskPending:
				t.state = taskRunning
				s.clearNotice(noticeImpaired)
				kept = append(kept, t)
			}
			// A stopping task has stopped: it is dropped.
		}
		clear(d.tasks[len(kept):])
		d.tasks = kept
		if failed {
			e.checkFailures(s, d, at)
		}
	}
}

// checkFailures applies the deployment circuit breaker once a deployment's
// failed tasks reach the threshold. ECS applies the breaker only while a
// deployment is rolling out; a service without it, or one whose tasks fail
// after its deployment completed, keeps retrying and reports that it cannot
// start tasks consistently.
func (e *Emulator) checkFailures(s *service, d *deployment, at time.Time) {
	if d.failedTasks < breakerThreshold(s.desired) {
		return
	}
	if s.circuitBreaker.Enable && d == s.primary() && d.rolloutState == rolloutInProgress {
		d.rolloutState = rolloutFailed
		d.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
		e.emit(s, at, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", s.name, d.id))
		return
	}
	if d.rolloutState != rolloutFailed {
		e.notify(s, noticeImpaired, at, fmt.Sprintf("(service %s) is unable to consistently start tasks successfully.", s.name))
	}
}

// breakerThreshold is the documented circuit breaker failure threshold: half
// the desired count (rounded up here), at least 3 and at most 200.
func breakerThreshold(desired int) int {
	return min(max((desired+1)/2, 3), 200)
}

// reconcile is one pass of the service scheduler over s at now: it stops
// what is surplus, drains older deployments, launches what is missing, and
// records what became of the deployment.
func (e *Emulator) reconcile(s *service, now time.Time) {
	if s.status == statusInactive {
		return
	}
	primary := s.primary()
	primary.desired = s.desired

	var stopped []*task
	if surplus := primary.alive() - primary.desired; surplus > 0 {
		stopped = append(stopped, s.stop(primary, surplus, now)...)
	}

	// Older deployments give way as the primary's tasks come up, never taking
	// the service below minimumHealthyPercent. Their pending tasks are never
	// worth starting.
	canStop := s.count(taskRunning) - ceilPercent(s.desired, s.minHealthyPercent)
	for _, d := range s.deployments[1:] {
		running := min(max(canStop, 0), d.count(taskRunning))
		stopped = append(stopped, s.stop(d, d.count(taskPending)+running, now)...)
		canStop -= running
		d.desired = d.alive()
	}

	started := e.launch(s, primary, now)
	if len(started) > 0 {
		e.emit(s, now, fmt.Sprintf("(service %s) has started %d tasks: %s.", s.name, len(started), taskList(started)))
	}
	if len(stopped) > 0 {
		e.emit(s, now, fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", s.name, len(stopped), taskList(stopped)))
	}
	e.settle(s, now)
}

// stop stops n of d's tasks: pending ones first, since they serve nothing
// yet and simply go away, then the most recently launched running ones,
// which keep running for the service's stop delay.
func (s *service) stop(d *deployment, n int, now time.Time) []*task {
	var stopped []*task
	for i := len(d.tasks) - 1; i >= 0 && len(stopped) < n; i-- {
		if t := d.tasks[i]; t.state == taskPending {
			stopped = append(stopped, t)
			d.tasks = slices.Delete(d.tasks, i, i+1)
		}
	}
	for i := len(d.tasks) - 1; i >= 0 && len(stopped) < n; i-- {
		if t := d.tasks[i]; t.state == taskRunning {
			t.state = taskStopping
			t.stopAt = now.Add(s.stopDelay)
			stopped = append(stopped, t)
		}
	}
	if len(stopped) > 0 {
		d.updatedAt = now
	}
	return stopped
}

// launch places the tasks d is missing, as far as maximumPercent and the
// cluster's capacity allow, and returns them.
func (e *Emulator) launch(s *service, d *deployment, now time.Time) []*task {
	need := d.desired - d.alive()
	if s.status != statusActive || d.rolloutState == rolloutFailed || need <= 0 {
		s.clearNotice(noticePlacement)
		s.clearNotice(noticeBlocked)
		return nil
	}
	n := min(need, floorPercent(s.desired, s.maxPercent)-s.taskCount())
	if n <= 0 {
		// Only worth saying when nothing in flight will make room.
		if s.count(taskPending) == 0 && s.count(taskStopping) == 0 {
			e.notify(s, noticeBlocked, now, fmt.Sprintf("(service %s) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.", s.name))
		}
		return nil
	}
	s.clearNotice(noticeBlocked)
	if free := s.cluster.free(); free < n {
		n = max(free, 0)
		e.notify(s, noticePlacement, now, s.placementFailure())
	} else {
		s.clearNotice(noticePlacement)
	}
	started := make([]*task, n)
	for i := range started {
		started[i] = &task{id: newTaskID(), state: taskPending, launchedAt: now, failsToStart: s.failTaskStarts}
	}
	if n > 0 {
		d.tasks = append(d.tasks, started...)
		d.updatedAt = now
	}
	return started
}

// placementFailure is the event ECS gives when it cannot place a task, in
// the wording for the service's launch type.
func (s *service) placementFailure() string {
	if s.launchType == "FARGATE" {
		return fmt.Sprintf("(service %s) was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", s.name)
	}
	return fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", s.name)
}

// settle drops drained deployments, completes the rollout when the primary
// deployment alone runs the desired count, and reports the steady state.
func (e *Emulator) settle(s *service, now time.Time) {
	kept := s.deployments[:1]
	for _, d := range s.deployments[1:] {
		if len(d.tasks) > 0 {
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
	p := s.primary()
	settled := len(s.deployments) == 1 && p.count(taskRunning) == p.desired &&
		p.count(taskPending) == 0 && p.count(taskStopping) == 0
	if settled && p.rolloutState == rolloutInProgress {
		p.rolloutState = rolloutCompleted
		p.rolloutStateReason = fmt.Sprintf("ECS deployment %s completed.", p.id)
		p.updatedAt = now
		e.emit(s, now, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", s.name, p.id))
	}
	if settled && p.rolloutState != rolloutFailed {
		e.notify(s, noticeSteady, now, fmt.Sprintf("(service %s) has reached a steady state.", s.name))
	} else {
		s.clearNotice(noticeSteady)
	}
}

// startDeployment makes a new PRIMARY deployment of td; the previous ones
// become ACTIVE and drain as the new one's tasks come up.
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
	}
	if s.controller == ControllerECS {
		d.rolloutState = rolloutInProgress
		d.rolloutStateReason = fmt.Sprintf("ECS deployment %s in progress.", d.id)
	}
	s.deployments = append([]*deployment{d}, s.deployments...)
	s.taskDefinition = td
}

// emit adds a service event, keeping the latest maxEvents.
func (e *Emulator) emit(s *service, at time.Time, msg string) {
	s.events = append(s.events, event{id: newUUID(), createdAt: at, message: msg})
	if over := len(s.events) - maxEvents; over > 0 {
		s.events = append(s.events[:0], s.events[over:]...)
	}
	e.log.Info("ecs service event", "service", s.arn, "message", msg)
}

// notify emits an event that ECS does not repeat while its cause persists,
// unless EventRepeatInterval has passed since it last did. Clearing the
// notice when the cause goes away lets the next occurrence be reported at
// once.
func (e *Emulator) notify(s *service, n notice, at time.Time, msg string) {
	if last, ok := s.notices[n]; ok && at.Sub(last) < e.opts.EventRepeatInterval {
		return
	}
	s.notices[n] = at
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
