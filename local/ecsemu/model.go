package ecsemu

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"iter"
	mrand "math/rand/v2"
	"strings"
	"time"
)

const (
	statusActive   = "ACTIVE"
	statusDraining = "DRAINING"
	statusInactive = "INACTIVE"

	deploymentPrimary = "PRIMARY"
	deploymentActive  = "ACTIVE"

	rolloutInProgress = "IN_PROGRESS"
	rolloutCompleted  = "COMPLETED"
	rolloutFailed     = "FAILED"

	launchFargate = "FARGATE"

	// maxEvents is how many service events ECS keeps and returns.
	maxEvents = 100
)

type taskState int

const (
	taskPending  taskState = iota // placed, not yet running
	taskRunning                   // running
	taskStopping                  // told to stop; ECS still counts it as running
)

type task struct {
	id           string
	state        taskState
	launchedAt   time.Time
	stopAt       time.Time
	failsToStart bool
}

type deployment struct {
	id                 string
	status             string // PRIMARY or ACTIVE; drained deployments are dropped
	taskDefinition     string
	launchType         string
	desired            int
	failedTasks        int
	rolloutState       string // empty for CODE_DEPLOY and EXTERNAL services
	rolloutStateReason string
	createdAt          time.Time
	updatedAt          time.Time
	// rolloutStart is when the current rollout began: the creation of the
	// deployment, or the moment the circuit breaker rolled back to it.
	rolloutStart time.Time
	// hadRunning records that a task of the deployment reached RUNNING. From
	// then on the circuit breaker no longer counts tasks that fail to start
	// (its stage 2), and failedTasks was reset to zero.
	hadRunning bool
	tasks      []*task
}

// evaluated reports whether the circuit breaker still counts the
// deployment's launch failures: its rollout is in progress and none of its
// tasks has run yet (the breaker's stage 1).
func (d *deployment) evaluated() bool {
	return d.rolloutState != rolloutCompleted && d.rolloutState != rolloutFailed && !d.hadRunning
}

func (d *deployment) count(st taskState) int {
	n := 0
	for _, t := range d.tasks {
		if t.state == st {
			n++
		}
	}
	return n
}

// alive counts the tasks the scheduler still wants: those not being stopped.
func (d *deployment) alive() int { return d.count(taskPending) + d.count(taskRunning) }

// reportedRunning is runningCount as ECS reports it: a task that is being
// stopped is still running until it has stopped.
func (d *deployment) reportedRunning() int { return d.count(taskRunning) + d.count(taskStopping) }

type cluster struct {
	name     string
	arn      string
	maxTasks int // negative: unlimited
	// instances are the ids of the registered container instances. DAEMON
	// services run one task on each; placement failure messages name one.
	instances []string
	// fargateUnavailable makes FARGATE placement fail for want of capacity.
	fargateUnavailable bool
	services           []*service
}

func (c *cluster) service(name string) *service {
	for _, s := range c.services {
		if s.name == name {
			return s
		}
	}
	return nil
}

// placeable is how many of n tasks of s the cluster can place now and, when
// that is fewer than n, the reason ECS gives, in its wording for the launch
// type.
func (c *cluster) placeable(s *service, n int) (int, string) {
	if s.launchType == launchFargate && c.fargateUnavailable {
		return 0, fargateCapacityReason
	}
	free := max(c.free(), 0)
	if free >= n {
		return n, ""
	}
	switch {
	case s.launchType == launchFargate:
		return free, fargateQuotaReason
	case len(c.instances) == 0:
		return free, " because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster."
	default:
		// The first instance stands for the closest match, so the message of a
		// persisting failure stays the same and its repeats are suppressed.
		return free, fmt.Sprintf(" because no container instance met all of its requirements. The closest matching (container-instance %s) has insufficient CPU units available.", c.instances[0])
	}
}

// Placement failure reasons of the FARGATE launch type. The first is
// Fargate running out of capacity, the second the account's task quota.
const (
	fargateCapacityReason = ". Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone."
	fargateQuotaReason    = ". Reason: You've reached the limit on the number of tasks you can run concurrently."
)

// free is how many more tasks the cluster can place. Every task holds its
// place from launch until it has stopped.
func (c *cluster) free() int {
	if c.maxTasks < 0 {
		return int(^uint(0) >> 1)
	}
	used := 0
	for _, s := range c.services {
		used += s.taskCount()
	}
	return c.maxTasks - used
}

type notice int

// Notices are the service events that report a condition rather than an
// action: ECS omits a duplicate of one until its cause is resolved or
// Options.EventRepeatInterval has passed.
const (
	noticeSteady    notice = iota // has reached a steady state
	noticePlacement               // was unable to place a task
	noticeImpaired                // is unable to consistently start tasks
	noticeBlocked                 // deployment configuration allows no progress
)

// sentNotice is the last message of a notice kind and when it was sent.
type sentNotice struct {
	message string
	at      time.Time
}

type event struct {
	id        string
	createdAt time.Time
	message   string
}

type service struct {
	cluster            *cluster
	name               string
	arn                string
	status             string
	desired            int
	taskDefinition     string
	launchType         string
	schedulingStrategy string
	controller         string
	circuitBreaker     wireCircuitBreaker
	minHealthyPercent  int
	maxPercent         int
	startDelay         time.Duration
	stopDelay          time.Duration
	failTaskStarts     bool
	createdAt          time.Time
	deployments        []*deployment // deployments[0] is the PRIMARY
	// lastCompleted is the most recent deployment that reached COMPLETED,
	// listed or already drained: the circuit breaker rolls back to it.
	lastCompleted *deployment
	events        []event // oldest first
	notices       map[notice]sentNotice

	// passAt is when the scheduler next looks at the service; zero: no pass
	// is due.
	passAt time.Time

	// The service throttle logic. launchFailures counts the tasks that failed
	// to start or could not be placed since a task last reached RUNNING;
	// unchecked counts those the scheduler has not looked at yet. Once the
	// failures reach the threshold, launches wait until throttledUntil, and
	// the wait (backoff) doubles with every further failed attempt.
	launchFailures int
	unchecked      int
	backoff        time.Duration
	throttledUntil time.Time
}

func (s *service) daemon() bool { return s.schedulingStrategy == SchedulingDaemon }

func (s *service) primary() *deployment { return s.deployments[0] }

func (s *service) count(st taskState) int {
	n := 0
	for _, d := range s.deployments {
		n += d.count(st)
	}
	return n
}

func (s *service) taskCount() int {
	n := 0
	for _, d := range s.deployments {
		n += len(d.tasks)
	}
	return n
}

// dueAt is when t next changes state on its own, if it ever does.
func (s *service) dueAt(t *task) (time.Time, bool) {
	switch t.state {
	case taskPending:
		delay := s.startDelay
		if t.failsToStart {
			// Failed tasks are replaced at once; the floor keeps a service with
			// no start delay from failing and relaunching in a tight loop.
			delay = max(delay, minFailDelay)
		}
		return t.launchedAt.Add(delay), true
	case taskStopping:
		return t.stopAt, true
	}
	return time.Time{}, false
}

func (s *service) clearNotice(n notice) { delete(s.notices, n) }

// schedulePass makes the scheduler look at s at the instant at, unless it
// is already due to look earlier.
func (s *service) schedulePass(at time.Time) {
	if s.passAt.IsZero() || at.Before(s.passAt) {
		s.passAt = at
	}
}

// resetThrottle returns the service to normal, unthrottled launching.
func (s *service) resetThrottle() {
	s.launchFailures, s.unchecked, s.backoff = 0, 0, 0
	s.throttledUntil = time.Time{}
	s.clearNotice(noticeImpaired)
}

// services yields every service of every cluster, in creation order.
func (e *Emulator) services() iter.Seq[*service] {
	return func(yield func(*service) bool) {
		for _, c := range e.clusterOrder {
			for _, s := range c.services {
				if !yield(s) {
					return
				}
			}
		}
	}
}

func (e *Emulator) clusterARN(name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", e.opts.Region, e.opts.AccountID, name)
}

func (e *Emulator) serviceARN(cluster, name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s", e.opts.Region, e.opts.AccountID, cluster, name)
}

// taskDefinitionARN expands a family or family:revision to the full ARN ECS
// reports. There is no task definition registry here, so an unversioned
// family stands for revision 1.
func (e *Emulator) taskDefinitionARN(td string) string {
	if strings.HasPrefix(td, "arn:") {
		return td
	}
	if !strings.Contains(td, ":") {
		td += ":1"
	}
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", e.opts.Region, e.opts.AccountID, td)
}

// resourceName takes a name or an ARN (cluster/name or the long
// service/cluster/name form) and returns the name.
func resourceName(id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id[strings.LastIndex(id, "/")+1:]
	}
	return id
}

// newDeploymentID mimics ECS's "ecs-svc/" followed by 19 digits.
func newDeploymentID() string {
	return fmt.Sprintf("ecs-svc/%d", 1_000_000_000_000_000_000+mrand.Int64N(8_000_000_000_000_000_000))
}

// newTaskID is a 32-hex-digit task id, the current ECS format. Container
// instance ids have the same form.
func newTaskID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// newUUID returns a random (version 4) UUID, the form of event and request ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
