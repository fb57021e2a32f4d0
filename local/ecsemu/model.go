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
	tasks              []*task
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
	services []*service
}

func (c *cluster) service(name string) *service {
	for _, s := range c.services {
		if s.name == name {
			return s
		}
	}
	return nil
}

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

// Notices are the service events ECS does not repeat while their cause
// persists (see Options.EventRepeatInterval).
const (
	noticeSteady notice = iota
	noticePlacement
	noticeImpaired
	noticeBlocked
)

type event struct {
	id        string
	createdAt time.Time
	message   string
}

type service struct {
	cluster           *cluster
	name              string
	arn               string
	status            string
	desired           int
	taskDefinition    string
	launchType        string
	controller        string
	circuitBreaker    wireCircuitBreaker
	minHealthyPercent int
	maxPercent        int
	startDelay        time.Duration
	stopDelay         time.Duration
	failTaskStarts    bool
	createdAt         time.Time
	deployments       []*deployment // deployments[0] is the PRIMARY
	events            []event       // oldest first
	notices           map[notice]time.Time
}

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

// newTaskID is a 32-hex-digit task id, the current ECS format.
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
