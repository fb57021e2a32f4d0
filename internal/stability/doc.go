// Package stability judges whether an ECS service has settled after a scaling, from what
// DescribeServices reports. It is stricter than the SDK's ServicesStable waiter, which
// only compares runningCount with desiredCount and so calls a rolled-back deployment (or
// 0 == 0) stable, and it ends the wait as soon as ECS shows the scaling cannot take effect.
//
// The workflow calls NewWatch once UpdateService has returned and Check at every poll; the
// Watch carries the few counts the rule needs between checks. Scalable tells the planner
// which services ECS does not scale through desiredCount at all.
//
// # What ECS reports, and the signals used
//
// Sources are cited by title; the URLs are in testdata/SOURCES.md.
//
// Tasks ECS cannot place are not counted anywhere. A service that cannot place its new
// tasks reports desiredCount above runningCount with pendingCount 0 (captures: "Desired
// count: 2, Running count:0, Pending count:0" next to "unable to place a task" events in
// Shippable/support#4462; the Fargate capacity capture in testdata). So the counts alone
// cannot tell "blocked" from "not started yet".
//
// A deployment's failedTasks does not move either: it "resets to zero and stops being
// evaluated" once the deployment has a running task (API Reference, Deployment), which a
// service being scaled out already has, and it stayed 0 while tasks kept failing in
// aws/copilot-cli#1879. It is not used.
//
// The service events say it, once. ECS shows the 100 newest events and "duplicate event
// messages are omitted until either the cause is resolved or six hours passes"
// (Developer Guide, "Service event messages"): a step on a cluster that was already full
// may see no new event at all. The rule therefore reads the newest event of each kind,
// whenever it was stamped, and what came after it:
//
//   - PlacementFailed / CapacityUnavailable: the newest "was unable to place a task"
//     event (Fargate's "Capacity is unavailable at this time" is the latter) with no
//     "has started N tasks" or "has reached a steady state" event after it, while the
//     service still lacks tasks. Stamped after the update, it fails the step at once.
//     Stamped before, it fails the step only if the service was already short of tasks at
//     the update (the failure was live), no check has seen the running or pending count
//     rise since the update (no task was created), and two minutes have passed (the
//     scheduler starts tasks within seconds when it can).
//   - TasksFailingToStart: the newest "is unable to consistently start tasks
//     successfully" event (the service throttle logic: tasks keep going from PENDING to
//     STOPPED; Developer Guide, "Amazon ECS service throttle logic") with no steady state
//     after it. Throttled launches keep producing "has started" events, so here only a
//     steady state resolves it and the running count shows progress; otherwise as above.
//   - CircuitBreakerRollback / DeploymentFailed: any deployment with rolloutState FAILED
//     (the circuit breaker; "a deployment in a FAILED state doesn't launch any new
//     tasks", Developer Guide, "Deployment circuit breaker"), a PRIMARY whose
//     rolloutStateReason is "ECS deployment circuit breaker: rolling back to deploymentId
//     …", or, after the update, the events "deployment failed: tasks failed to start."
//     and "rolling back to deployment …". A rollback makes the last completed deployment
//     PRIMARY again (under its own id) and leaves the failed deployment ACTIVE, which a
//     rule reading only the PRIMARY misses. A rollback
//     already under way at the update fails the step too: the service is not settling on
//     the revision it was scaled on, and the next evaluation takes the scaling up again.
//   - ServiceNotActive: status other than ACTIVE (DRAINING, INACTIVE, or MISSING when
//     DescribeServices lists the service under failures).
//   - NotScalable: see Scalable.
//   - DesiredCountChanged (Overridden): desiredCount differs from the one this step set.
//
// Stable is: running == desired and pending == 0, and for the ECS controller one
// deployment, the PRIMARY, with rolloutState COMPLETED where reported (rolloutState is
// absent for Classic Load Balancer services and in responses older than December 2020).
// CODE_DEPLOY and EXTERNAL services report no deployments but task sets: there the PRIMARY
// task set must have computedDesiredCount = ceil(desiredCount × scale%), that many
// running, none pending, and stabilityStatus STEADY_STATE (API Reference, TaskSet).
//
// # What could misfire
//
// Tasks in PROVISIONING (capacity providers with managed scaling, waiting minutes for an
// instance) must not be called failed. Every task, a service's included, starts in
// PROVISIONING (Developer Guide, "Amazon ECS standalone tasks", Task workflow). Whether
// DescribeServices counts them in pendingCount is not documented, so the rule never
// fails on counts that stop moving: only an unresolved failure event fails a step. With
// managed scaling, tasks that find no capacity wait in PROVISIONING (10 to 30 minutes,
// per AWS's "Deep Dive on Amazon ECS Cluster Auto Scaling", quoted in
// aws/containers-roadmap#2381) instead of producing a placement failure, so no such event
// appears. What could still misfire: a placement failure from before managed scaling was
// turned on, still the newest event, on a service that was short at the update and whose
// new PROVISIONING tasks are neither counted as pending nor announced by a "has started"
// event within two minutes. Whether ECS announces PROVISIONING tasks with "has started"
// is not documented either.
//
// An identical failure ECS suppressed while the service was not short at the update (say
// it was steady, and the same message was posted within the last six hours) cannot be
// told from no failure: the step then waits for its deadline. A failure whose cause is
// resolved without a task starting (the cluster gains room while the service scheduler
// is in back-off, up to 27 minutes) fails the step although the next attempt would work;
// the next minute's evaluation takes it up again.
package stability
