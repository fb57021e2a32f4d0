package stability

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

var since = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

const placement = "(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 5d4c) has insufficient CPU units available."

func at(d time.Duration) time.Time { return since.Add(d) }

func ev(d time.Duration, msg string) service.Event {
	return service.Event{ID: msg[:10], CreatedAt: at(d), Message: msg}
}

// svc is an ACTIVE rolling-update service with one deployment in the given rollout state.
func svc(desired, running, pending int, rollout string, events ...service.Event) service.Snapshot {
	return service.Snapshot{
		Status: "ACTIVE", DesiredCount: desired, RunningCount: running, PendingCount: pending,
		Deployments: []service.Deployment{{ID: "ecs-svc/1", Status: "PRIMARY", RolloutState: rollout,
			DesiredCount: desired, RunningCount: running, PendingCount: pending}},
		Events: events,
	}
}

func counts(desired, running, pending int) service.Snapshot {
	return service.Snapshot{Status: "ACTIVE", DesiredCount: desired, RunningCount: running, PendingCount: pending}
}

func TestCheck(t *testing.T) {
	deadline := at(10 * time.Minute)
	rollback := svc(4, 2, 1, "IN_PROGRESS")
	rollback.Deployments = []service.Deployment{
		{ID: "ecs-svc/7", Status: "PRIMARY", RolloutState: "IN_PROGRESS", RolloutStateReason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/7."},
		{ID: "ecs-svc/8", Status: "ACTIVE", RolloutState: "FAILED", RolloutStateReason: "ECS deployment circuit breaker: tasks failed to start."},
	}
	// As captured mid-rollback: the failed deployment not yet marked FAILED.
	rollbackUnmarked := svc(4, 2, 1, "IN_PROGRESS")
	rollbackUnmarked.Deployments = []service.Deployment{
		{ID: "ecs-svc/7", Status: "PRIMARY", RolloutState: "IN_PROGRESS", RolloutStateReason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/7."},
		{ID: "ecs-svc/8", Status: "ACTIVE", RolloutState: "IN_PROGRESS", RolloutStateReason: "ECS deployment ecs-svc/8 in progress."},
	}
	primaryFailed := svc(4, 2, 0, "FAILED")
	primaryFailed.Deployments[0].RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
	taskSet := func(computed, running, pending int, stability string) service.Snapshot {
		s := counts(4, running, pending)
		s.DeploymentController = "CODE_DEPLOY"
		s.Deployments = []service.Deployment{}
		s.TaskSets = []service.TaskSet{{ID: "ecs-svc/9", Status: "PRIMARY", ComputedDesiredCount: computed,
			RunningCount: running, PendingCount: pending, ScalePercent: 100, StabilityStatus: stability}}
		return s
	}
	external := func(scale float64, computed int) service.Snapshot {
		s := taskSet(computed, computed, 0, "STEADY_STATE")
		s.DeploymentController = "EXTERNAL"
		s.TaskSets[0].ScalePercent = scale
		return s
	}
	daemon := svc(4, 4, 0, "COMPLETED")
	daemon.SchedulingStrategy = "DAEMON"

	tests := []struct {
		name   string
		before service.Snapshot
		snap   service.Snapshot
		now    time.Time
		status Status
		cause  Cause
		reason string // substring
	}{
		// Stable
		{"stable", counts(2, 2, 0), svc(4, 4, 0, "COMPLETED"), at(time.Minute), Stable, CauseSteadyState, "4 of 4 tasks running, deployment ecs-svc/1 COMPLETED"},
		{"stable without rolloutState (old response, Classic Load Balancer)", counts(2, 2, 0), svc(4, 4, 0, ""), at(time.Minute), Stable, CauseSteadyState, "rolloutState not reported"},
		{"stable at the deadline is stable", counts(2, 2, 0), svc(4, 4, 0, "COMPLETED"), deadline.Add(time.Second), Stable, CauseSteadyState, ""},
		{"no deployments reported: counts decide", counts(2, 2, 0), counts(4, 4, 0), at(time.Minute), Stable, CauseSteadyState, "4 of 4"},
		{"CODE_DEPLOY task set steady", counts(2, 2, 0), taskSet(4, 4, 0, "STEADY_STATE"), at(time.Minute), Stable, CauseSteadyState, "task set ecs-svc/9: 4 of 4 tasks running, STEADY_STATE"},
		{"EXTERNAL task set at 30% of 4 rounds 1.2 up to 2", counts(2, 2, 0), external(30, 2), at(time.Minute), Stable, CauseSteadyState, ""},
		// InProgress
		{"tasks pending", counts(2, 2, 0), svc(4, 2, 2, "COMPLETED"), at(time.Minute), InProgress, "", "2 of 4 tasks running, 2 pending"},
		{"running matches but rollout in progress", counts(2, 2, 0), svc(4, 4, 0, "IN_PROGRESS"), at(time.Minute), InProgress, "", "deployment ecs-svc/1 IN_PROGRESS"},
		{"two deployments", counts(2, 2, 0), func() service.Snapshot {
			s := svc(4, 4, 0, "COMPLETED")
			s.Deployments = append(s.Deployments, service.Deployment{ID: "ecs-svc/0", Status: "ACTIVE", RolloutState: "COMPLETED"})
			return s
		}(), at(time.Minute), InProgress, "", "2 deployments"},
		{"no PRIMARY", counts(2, 2, 0), func() service.Snapshot {
			s := svc(4, 4, 0, "COMPLETED")
			s.Deployments[0].Status = "ACTIVE"
			return s
		}(), at(time.Minute), InProgress, "", "no PRIMARY deployment"},
		{"task set still reports the old computed count", counts(2, 2, 0), taskSet(2, 2, 0, "STEADY_STATE"), at(time.Minute), InProgress, "", "computedDesiredCount 2, not yet 4"},
		{"task set stabilizing", counts(2, 2, 0), taskSet(4, 3, 1, "STABILIZING"), at(time.Minute), InProgress, "", "task set ecs-svc/9 STABILIZING"},
		{"EXTERNAL task set at 30% of 4 reporting 1", counts(2, 2, 0), external(30, 1), at(time.Minute), InProgress, "", "computedDesiredCount 1, not yet 2 (30% of 4)"},
		{"CODE_DEPLOY without a PRIMARY task set", counts(2, 2, 0), func() service.Snapshot {
			s := taskSet(4, 4, 0, "STEADY_STATE")
			s.TaskSets[0].Status = "ACTIVE"
			return s
		}(), at(time.Minute), InProgress, "", "no PRIMARY task set"},
		// TimedOut
		{"deadline passed", counts(2, 2, 0), svc(4, 3, 1, "COMPLETED"), deadline, TimedOut, CauseTimeout, "not stable by 2026-11-27T12:10:00Z: 3 of 4 tasks running, 1 pending"},
		// Failed: service
		{"service draining", counts(2, 2, 0), service.Snapshot{Status: "DRAINING", DesiredCount: 4}, at(time.Minute), Failed, CauseServiceNotActive, "DRAINING"},
		{"service missing", counts(2, 2, 0), service.Snapshot{Status: "MISSING"}, at(time.Minute), Failed, CauseServiceNotActive, "MISSING"},
		{"status unknown", counts(2, 2, 0), service.Snapshot{}, at(time.Minute), Failed, CauseServiceNotActive, "unknown"},
		{"DAEMON", counts(4, 4, 0), daemon, at(time.Minute), Failed, CauseNotScalable, "DAEMON"},
		// Overridden
		{"someone else changed desiredCount", counts(2, 2, 0), svc(5, 2, 0, "COMPLETED"), at(time.Minute), Overridden, CauseDesiredCountChanged, "desiredCount is now 5, not the 4"},
		{"an override wins over an old placement failure", counts(2, 2, 0), svc(3, 2, 0, "COMPLETED", ev(30*time.Second, placement)), at(time.Minute), Overridden, CauseDesiredCountChanged, ""},
		// Failed: deployments
		{"circuit breaker rolled back", counts(2, 2, 0), rollback, at(time.Minute), Failed, CauseCircuitBreakerRollback, "deployment ecs-svc/8 FAILED: ECS deployment circuit breaker: tasks failed to start.; PRIMARY ecs-svc/7: ECS deployment circuit breaker: rolling back"},
		{"rollback before the failed deployment is marked", counts(2, 2, 0), rollbackUnmarked, at(time.Minute), Failed, CauseCircuitBreakerRollback, "rolling back to deploymentId ecs-svc/7"},
		{"PRIMARY failed without rollback", counts(2, 2, 0), primaryFailed, at(time.Minute), Failed, CauseDeploymentFailed, "deployment ecs-svc/1 FAILED: ECS deployment circuit breaker: tasks failed to start."},
		{"rollback finished between checks: the events remain", counts(2, 2, 0), svc(4, 4, 0, "COMPLETED",
			ev(40*time.Second, "(service web) rolling back to deployment ecs-svc/7."),
			ev(39*time.Second, "(service web) (deployment ecs-svc/8) deployment failed: tasks failed to start.")), at(2 * time.Minute), Failed, CauseCircuitBreakerRollback, "rolling back to deployment ecs-svc/7"},
		{"deployment failed event after the update", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(40*time.Second, "(service web) (deployment ecs-svc/8) deployment failed: tasks failed to start.")), at(time.Minute), Failed, CauseDeploymentFailed, "deployment failed"},
		{"a rollback from before the update is history", counts(2, 2, 0), svc(4, 2, 2, "COMPLETED",
			ev(-time.Hour, "(service web) rolling back to deployment ecs-svc/7.")), at(time.Minute), InProgress, "", ""},
		// Failed: placement, fresh
		{"placement failure after the update", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED", ev(20*time.Second, placement)), at(30 * time.Second), Failed, CausePlacementFailed, `ECS at 2026-11-27T12:00:20Z: "(service web) was unable to place a task`},
		{"placement failure stamped within the clock skew", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED", ev(-3*time.Second, placement)), at(30 * time.Second), Failed, CausePlacementFailed, ""},
		{"Fargate capacity after the update", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(20*time.Second, "(service web) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone.")), at(30 * time.Second), Failed, CauseCapacityUnavailable, "Capacity is unavailable"},
		{"quota after the update", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(20*time.Second, "(service web) was unable to place a task. Reason: You've reached the limit on the number of vCPUs you can run concurrently")), at(30 * time.Second), Failed, CausePlacementFailed, "vCPUs"},
		{"task-set service placement failure", counts(2, 2, 0), func() service.Snapshot {
			s := taskSet(4, 2, 0, "STABILIZING")
			s.Events = []service.Event{ev(20*time.Second, "(service web, taskSet ecs-svc/9) was unable to place a task because no container instance met all of its requirements.")}
			return s
		}(), at(30 * time.Second), Failed, CausePlacementFailed, "taskSet ecs-svc/9"},
		{"placement failure resolved by a start", counts(2, 2, 0), svc(4, 2, 2, "COMPLETED",
			ev(40*time.Second, "(service web) has started 2 tasks: (task 1a) (task 2b)."), ev(20*time.Second, placement)), at(time.Minute), InProgress, "", "2 pending"},
		{"placement failure after a partial start", counts(2, 2, 0), svc(4, 3, 0, "COMPLETED",
			ev(25*time.Second, placement), ev(20*time.Second, "(service web) has started 1 tasks: (task 1a).")), at(time.Minute), Failed, CausePlacementFailed, ""},
		{"placement failure after the service got its tasks", counts(2, 2, 0), svc(4, 4, 0, "COMPLETED", ev(20*time.Second, placement)), at(time.Minute), Stable, CauseSteadyState, ""},
		{"AZ rebalancing message is not a placement failure", counts(2, 2, 0), svc(4, 2, 2, "COMPLETED",
			ev(20*time.Second, "(service web) is unable to place a task in Availability Zone us-east-1a because no container instance met all of its requirements.")), at(time.Minute), InProgress, "", ""},
		// Failed: placement, suppressed
		{"earlier placement failure not repeated, short at the update, nothing started", counts(3, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(-time.Hour, placement), ev(-2*time.Hour, "(service web) has reached a steady state.")), at(2 * time.Minute), Failed, CausePlacementFailed, "no task has started since desiredCount was set to 4 at 2026-11-27T12:00:00Z"},
		{"same, within the confirmation window", counts(3, 2, 0), svc(4, 2, 0, "COMPLETED", ev(-time.Hour, placement)), at(90 * time.Second), InProgress, "", "failing at 2026-11-27T12:02:00Z if no task starts"},
		{"same, but not short at the update (history)", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED", ev(-time.Hour, placement)), at(5 * time.Minute), InProgress, "", "2 of 4 tasks running"},
		{"same, but a start after it resolved it", counts(3, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(-30*time.Minute, "(service web) has started 1 tasks: (task 3c)."), ev(-time.Hour, placement)), at(5 * time.Minute), InProgress, "", ""},
		// Failed: throttled launches
		{"unable to consistently start tasks after the update", counts(2, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(50*time.Second, "(service web) is unable to consistently start tasks successfully."),
			ev(40*time.Second, "(service web) has started 2 tasks: (task 1a) (task 2b).")), at(time.Minute), Failed, CauseTasksFailingToStart, "is unable to consistently start tasks successfully"},
		{"earlier throttling, starts since, running unchanged", counts(3, 2, 0), svc(4, 2, 0, "COMPLETED",
			ev(time.Minute, "(service web) has started 1 tasks: (task 4d)."),
			ev(-time.Hour, "(service web) is unable to consistently start tasks successfully.")), at(3 * time.Minute), Failed, CauseTasksFailingToStart, "no more tasks are running than when desiredCount was set to 4"},
		{"earlier throttling resolved by a steady state", counts(3, 2, 0), svc(4, 2, 1, "COMPLETED",
			ev(-10*time.Minute, "(service web) has reached a steady state."),
			ev(-time.Hour, "(service web) is unable to consistently start tasks successfully.")), at(3 * time.Minute), InProgress, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWatch(tt.before, 4, since, deadline, 15)
			got := Check(tt.snap, w, tt.now)
			if got.Status != tt.status || got.Cause != tt.cause {
				t.Fatalf("Check() = %s/%q (%s), want %s/%q", got.Status, got.Cause, got.Reason, tt.status, tt.cause)
			}
			if got.Reason == "" || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", got.Reason, tt.reason)
			}
			if got.Checks != 1 || got.DesiredCount != 4 || !got.Since.Equal(since) || !got.Deadline.Equal(deadline) || got.PollSeconds != 15 {
				t.Errorf("Check changed the watch's parameters: %+v", got)
			}
		})
	}
}

// TestScaleToZero: 0 == 0 is stable only when zero is what the step asked for.
func TestScaleToZero(t *testing.T) {
	w := NewWatch(counts(2, 2, 0), 0, since, at(10*time.Minute), 15)
	if got := Check(svc(0, 0, 0, "COMPLETED"), w, at(time.Minute)); got.Status != Stable || !strings.Contains(got.Reason, "0 of 0") {
		t.Errorf("asked for 0: %s (%s)", got.Status, got.Reason)
	}
	w = NewWatch(counts(2, 2, 0), 2, since, at(10*time.Minute), 15)
	if got := Check(svc(0, 0, 0, "COMPLETED"), w, at(time.Minute)); got.Status != Overridden {
		t.Errorf("asked for 2, found 0: %s (%s)", got.Status, got.Reason)
	}
}

// TestCheckRemembersCreatedTasks: a suppressed failure is confirmed only while no check has
// seen the counts rise since the update. Tasks that started and then stopped between checks
// leave only the counts a check happened to see.
func TestCheckRemembersCreatedTasks(t *testing.T) {
	old := ev(-time.Hour, placement)
	w := NewWatch(counts(3, 2, 0), 4, since, at(10*time.Minute), 15)
	w = Check(svc(4, 2, 1, "COMPLETED", old), w, at(15*time.Second)) // a task is pending: ECS created it
	if w.Status != InProgress || !w.ProgressAt.Equal(at(15*time.Second)) {
		t.Fatalf("after a pending task: %s, progressAt %s", w.Status, w.ProgressAt)
	}
	w = Check(svc(4, 2, 0, "COMPLETED", old), w, at(3*time.Minute)) // it is gone again
	if w.Status != InProgress {
		t.Errorf("a task was created since the update, so the old failure is not confirmed: got %s (%s)", w.Status, w.Reason)
	}
	if w.Checks != 2 || w.Last != (Counts{Desired: 4, Running: 2, Pending: 0}) || w.AtUpdate != (Counts{Desired: 3, Running: 2, Pending: 0}) {
		t.Errorf("watch state %+v", w)
	}
}

func TestNewWatch(t *testing.T) {
	w := NewWatch(counts(2, 2, 0), 4, since.In(time.FixedZone("CET", 3600)), at(10*time.Minute), 30)
	want := Watch{DesiredCount: 4, Since: since, Deadline: at(10 * time.Minute), PollSeconds: 30,
		Verdict:  Verdict{Status: InProgress, Reason: "desiredCount set to 4, not checked yet"},
		AtUpdate: Counts{Desired: 2, Running: 2}, Last: Counts{Desired: 2, Running: 2}, ProgressAt: since}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("NewWatch() = %+v\nwant %+v", w, want)
	}
}

// TestWatchJSON pins the shape the state machine relies on: $.watch.pollSeconds for the
// Wait state, $.watch.status for the Choice, and the verdict beside them.
func TestWatchJSON(t *testing.T) {
	w := Check(svc(4, 2, 2, "COMPLETED"), NewWatch(counts(2, 2, 0), 4, since, at(10*time.Minute), 15), at(15*time.Second))
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"desiredCount":4,"since":"2026-11-27T12:00:00Z","deadline":"2026-11-27T12:10:00Z","pollSeconds":15,` +
		`"status":"InProgress","reason":"2 of 4 tasks running, 2 pending","cause":"",` +
		`"atUpdate":{"desired":2,"running":2,"pending":0},"last":{"desired":4,"running":2,"pending":2},` +
		`"progressAt":"2026-11-27T12:00:15Z","checks":1}`
	if string(data) != want {
		t.Errorf("JSON:\n%s\nwant\n%s", data, want)
	}
	var back Watch
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, w) {
		t.Errorf("round trip: %v, %+v", err, back)
	}
}

func TestScalable(t *testing.T) {
	tests := []struct {
		name   string
		s      service.Snapshot
		ok     bool
		reason string
	}{
		{"replica", service.Snapshot{SchedulingStrategy: "REPLICA"}, true, ""},
		{"strategy not reported (old response)", service.Snapshot{}, true, ""},
		{"daemon", service.Snapshot{SchedulingStrategy: "DAEMON"}, false, "DAEMON"},
		{"CODE_DEPLOY with a task set", service.Snapshot{DeploymentController: "CODE_DEPLOY", TaskSets: []service.TaskSet{{Status: "PRIMARY"}}}, true, ""},
		{"EXTERNAL without task sets", service.Snapshot{DeploymentController: "EXTERNAL"}, false, "EXTERNAL and the service has no task set"},
		{"ECS without deployments", service.Snapshot{DeploymentController: "ECS"}, true, ""},
	}
	for _, tt := range tests {
		ok, reason := Scalable(tt.s)
		if ok != tt.ok || !strings.Contains(reason, tt.reason) || (ok != (reason == "")) {
			t.Errorf("%s: Scalable() = %v, %q; want %v, %q", tt.name, ok, reason, tt.ok, tt.reason)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := map[string]eventKind{
		"(service web) has reached a steady state.":                                                                                                                             steadyState,
		"(service web) has started 2 tasks: (task a) (task b).":                                                                                                                 tasksStarted,
		"(service web, taskSet ecs-svc/1) has started 1 tasks: (task a).":                                                                                                       tasksStarted,
		"service web was unable to place a task because no container instance met all of its requirements.":                                                                     placementFailed,
		"(service web) was unable to place a task. Reason: ResourceInitializationError: unable to pull secrets":                                                                 placementFailed,
		"(service web) was unable to place a task. The reason for failure is Capacity is unavailable at this time. Please try again later or in a different availability zone.": capacityUnavailable,
		"(service web) is unable to consistently start tasks successfully.":                                                                                                     startImpaired,
		"(service web) (deployment ecs-svc/1) deployment failed: tasks failed to start.":                                                                                        deploymentFailed,
		"(service web) rolling back to deployment ecs-svc/0.":                                                                                                                   rollingBack,
		"(service web) has stopped 1 running tasks: (task a).":                                                                                                                  otherEvent,
		"(service web) (deployment ecs-svc/1) deployment completed.":                                                                                                            otherEvent,
		"(service web) is unable to place a task in Availability Zone us-east-1a because no container ...":                                                                      otherEvent,
	}
	for msg, want := range tests {
		if got := classify(msg); got != want {
			t.Errorf("classify(%q) = %d, want %d", msg, got, want)
		}
	}
}
