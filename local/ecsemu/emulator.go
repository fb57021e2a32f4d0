// Package ecsemu is an in-process emulator of the Amazon ECS API, for tests
// and local runs that must never reach AWS.
//
// It speaks the real wire protocol (awsJson1_1), so the unmodified
// aws-sdk-go-v2 ECS client works against it, and it runs a small service
// scheduler on the real clock that, as ECS's, acts after the API call has
// returned: tasks are pending for a start delay before they run, deployments
// roll out and complete, cluster and Fargate capacity run out, tasks that
// keep failing are throttled, rollouts fail, trip the circuit breaker and
// roll back, DAEMON services follow the container instances, and requests
// are throttled by the documented token buckets. Tests steer it through the Go API below or,
// from another process, through the HTTP control API under /_emulator/.
//
// See README.md for what is emulated, what is not, and the sources.
package ecsemu

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/stepscaler/stepscaler/local/emulator"
)

// Options configure an Emulator. The zero value is usable.
type Options struct {
	// Addr is the address Start listens on. Default "127.0.0.1:0".
	Addr string
	// Region and AccountID appear in ARNs. Defaults "us-east-1" and
	// "123456789012".
	Region    string
	AccountID string

	// TaskStartDelay is how long a new task stays pending before it runs.
	// Zero selects 2s; a negative value means tasks run at once.
	TaskStartDelay time.Duration
	// TaskStopDelay is how long a task told to stop keeps running. Zero
	// selects 1s; a negative value means tasks stop at once.
	TaskStopDelay time.Duration
	// EventRepeatInterval is how long ECS withholds a repeat of the same
	// service event (placement failures, steady state) while its cause
	// persists. Zero selects the documented six hours.
	EventRepeatInterval time.Duration
	// SchedulerDelay is how long after an API call the service scheduler
	// acts on it (launches, stops, writes events), and how long it waits
	// before retrying a placement. Zero selects 1s; a negative value selects
	// the shortest, one millisecond: the scheduler never acts within the call
	// itself, so its events are always stamped after the call's moment.
	SchedulerDelay time.Duration

	// Throttling buckets, per emulator (that is, per account and Region).
	// The zero RateLimit selects the documented quota.
	ServiceReads  RateLimit // DescribeServices, ListServices: burst 100, 20/s
	ServiceWrites RateLimit // CreateService, UpdateService, DeleteService: burst 50, 5/s
	ClusterReads  RateLimit // DescribeClusters: burst 50, 20/s
	// Unthrottled turns the buckets off.
	Unthrottled bool

	// Logger receives request and service event logs. Default: discarded.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	o.TaskStartDelay = delayOrDefault(o.TaskStartDelay, 2*time.Second)
	o.TaskStopDelay = delayOrDefault(o.TaskStopDelay, time.Second)
	if o.EventRepeatInterval <= 0 {
		o.EventRepeatInterval = 6 * time.Hour
	}
	switch {
	case o.SchedulerDelay == 0:
		o.SchedulerDelay = time.Second
	case o.SchedulerDelay < time.Millisecond:
		o.SchedulerDelay = time.Millisecond // ECS stamps events in milliseconds
	}
	o.ServiceReads = o.ServiceReads.orDefault(defaultServiceReads)
	o.ServiceWrites = o.ServiceWrites.orDefault(defaultServiceWrites)
	o.ClusterReads = o.ClusterReads.orDefault(defaultClusterReads)
	for name, l := range map[string]RateLimit{"ServiceReads": o.ServiceReads, "ServiceWrites": o.ServiceWrites, "ClusterReads": o.ClusterReads} {
		if err := l.validate(); err != nil {
			return o, fmt.Errorf("ecsemu: options %s: %w", name, err)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// delayOrDefault reads the delay conventions of Options and ServiceSpec:
// zero means the default, negative means none.
func delayOrDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Emulator is an emulated ECS endpoint for one account and Region. It is
// safe for concurrent use.
type Emulator struct {
	opts    Options
	log     *slog.Logger
	clock   func() time.Time
	handler http.Handler
	ops     map[string]operation

	mu           sync.Mutex
	lastNow      time.Time
	clusters     map[string]*cluster
	clusterOrder []*cluster
	faults       *emulator.Faults // shares mu

	server    *emulator.Server // nil if New made the Emulator
	ticking   bool
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New returns an Emulator that is not listening; serve its Handler. The
// "default" cluster exists from the start. Call Close to stop its scheduler.
func New(opts Options) (*Emulator, error) {
	e, err := newEmulator(opts, time.Now)
	if err != nil {
		return nil, err
	}
	e.ticking = true
	go e.tick()
	return e, nil
}

// Start returns an Emulator listening on opts.Addr; its endpoint is URL.
func Start(opts Options) (*Emulator, error) {
	e, err := New(opts)
	if err != nil {
		return nil, err
	}
	if e.server, err = emulator.Serve("ecsemu", e.opts.Addr, e.handler, e.log); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// newEmulator builds an Emulator on the given clock, without the background
// ticker, so that tests can step time themselves.
func newEmulator(opts Options, clock func() time.Time) (*Emulator, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		opts:     opts,
		log:      opts.Logger,
		clock:    clock,
		clusters: map[string]*cluster{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	e.faults = emulator.NewFaults(&e.mu, faultCodes)
	e.ops = e.operations(clock())
	e.handler = e.routes()
	e.addCluster("default")
	return e, nil
}

// URL is the endpoint to give the SDK as BaseEndpoint, or "" if the
// Emulator was made by New.
func (e *Emulator) URL() string { return e.server.URL() }

// Handler serves both the ECS API and the control API.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Close stops the scheduler and, if Start made the Emulator, the server.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		close(e.stop)
		if e.ticking {
			<-e.done
		}
		e.closeErr = e.server.Close()
	})
	return e.closeErr
}

// tick advances the scheduler in the background so that events and logs
// appear on time even when nobody is polling.
func (e *Emulator) tick() {
	defer close(e.done)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.mu.Lock()
			e.advance(e.now())
			e.mu.Unlock()
		}
	}
}

// now reads the clock, never going back in time, and must be called with
// mu held.
func (e *Emulator) now() time.Time {
	t := e.clock()
	if t.Before(e.lastNow) {
		t = e.lastNow
	}
	e.lastNow = t
	return t
}

// Errors of the Go control API.
var (
	ErrClusterNotFound = errors.New("cluster not found")
	ErrServiceNotFound = errors.New("service not found")
	ErrServiceExists   = errors.New("service already exists")
	ErrInvalidSpec     = errors.New("invalid service spec")
)

// Deployment controller types for ServiceSpec.DeploymentController.
const (
	ControllerECS        = "ECS"
	ControllerCodeDeploy = "CODE_DEPLOY"
	ControllerExternal   = "EXTERNAL"
)

// Scheduling strategies for ServiceSpec.SchedulingStrategy.
const (
	SchedulingReplica = "REPLICA"
	// SchedulingDaemon runs one task on each container instance registered in
	// the cluster (see SetContainerInstances); its desired count follows
	// them and cannot be set.
	SchedulingDaemon = "DAEMON"
)

// CircuitBreaker is a service's deployment circuit breaker setting.
type CircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// ServiceSpec seeds a service through CreateService. Its zero value (plus a
// DesiredCount) is a steady ECS service on the EC2 launch type.
type ServiceSpec struct {
	// DesiredCount must be zero for a DAEMON service, whose desired count is
	// the number of container instances in the cluster.
	DesiredCount int
	// RunningCount tasks are already running when the service is created;
	// nil means the desired count. The seeded deployment has COMPLETED, so a
	// RunningCount other than the desired count is a scaling action in
	// flight.
	RunningCount *int
	// SchedulingStrategy is REPLICA (default) or DAEMON. DAEMON services
	// cannot use the FARGATE launch type or the CODE_DEPLOY and EXTERNAL
	// deployment controllers.
	SchedulingStrategy string
	// TaskDefinition is a family, family:revision or ARN. Default the
	// service name, revision 1.
	TaskDefinition string
	// LaunchType is EC2 (default), FARGATE, EXTERNAL or MANAGED_INSTANCES.
	LaunchType string
	// DeploymentController is ECS (default), CODE_DEPLOY or EXTERNAL.
	DeploymentController string
	CircuitBreaker       CircuitBreaker
	// MinimumHealthyPercent and MaximumPercent default to 100 and 200.
	MinimumHealthyPercent *int
	MaximumPercent        *int
	// TaskStartDelay and TaskStopDelay override the Options for this
	// service, with the same conventions.
	TaskStartDelay time.Duration
	TaskStopDelay  time.Duration
	// FailRollouts makes the tasks the service launches fail to start; see
	// Emulator.FailRollouts.
	FailRollouts bool
}

// CreateCluster creates a cluster, if it does not exist yet.
func (e *Emulator) CreateCluster(name string) error {
	if !validName(name) {
		return fmt.Errorf("ecsemu: create cluster %q: %w", name, errBadName)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.addCluster(name)
	return nil
}

// CreateService seeds a service, creating its cluster if need be.
func (e *Emulator) CreateService(clusterName, name string, spec ServiceSpec) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.advance(now)
	if err := e.createService(clusterName, name, spec, now); err != nil {
		return fmt.Errorf("ecsemu: create service %s/%s: %w", clusterName, name, err)
	}
	return nil
}

var errBadName = fmt.Errorf("%w: names have 1 to 255 letters, digits, hyphens and underscores", ErrInvalidSpec)

func (e *Emulator) createService(clusterName, name string, spec ServiceSpec, now time.Time) error {
	if !validName(clusterName) || !validName(name) {
		return errBadName
	}
	if spec.DesiredCount < 0 || (spec.RunningCount != nil && *spec.RunningCount < 0) {
		return fmt.Errorf("%w: negative task count", ErrInvalidSpec)
	}
	cfg, err := e.serviceConfig(spec)
	if err != nil {
		return err
	}
	c := e.addCluster(clusterName)
	if old := c.service(name); old != nil && old.status != statusInactive {
		return ErrServiceExists
	}
	if cfg.daemon() {
		cfg.desired = len(c.instances)
	}
	running := cfg.desired
	if spec.RunningCount != nil {
		running = *spec.RunningCount
	}
	s := e.addService(c, name, cfg, now)
	d := s.primary()
	for range running {
		d.tasks = append(d.tasks, &task{id: newTaskID(), state: taskRunning, launchedAt: now})
	}
	d.hadRunning = true
	if d.rolloutState != "" {
		d.rolloutState = rolloutCompleted
		d.rolloutStateReason = fmt.Sprintf("ECS deployment %s completed.", d.id)
		s.lastCompleted = d
	}
	// A seed is not an API call: the scheduler takes it up at once.
	e.pass(s, now)
	return nil
}

// serviceConfig validates spec and fills in its defaults, returning the
// service it describes, not yet attached to a cluster.
func (e *Emulator) serviceConfig(spec ServiceSpec) (*service, error) {
	s := &service{
		status:             statusActive,
		desired:            spec.DesiredCount,
		launchType:         spec.LaunchType,
		schedulingStrategy: spec.SchedulingStrategy,
		controller:         spec.DeploymentController,
		circuitBreaker:     wireCircuitBreaker(spec.CircuitBreaker),
		minHealthyPercent:  100,
		maxPercent:         200,
		startDelay:         delayOrDefault(spec.TaskStartDelay, e.opts.TaskStartDelay),
		stopDelay:          delayOrDefault(spec.TaskStopDelay, e.opts.TaskStopDelay),
		failTaskStarts:     spec.FailRollouts,
		taskDefinition:     spec.TaskDefinition,
	}
	if s.launchType == "" {
		s.launchType = "EC2"
	}
	if !validLaunchType(s.launchType) {
		return nil, fmt.Errorf("%w: launch type %q", ErrInvalidSpec, s.launchType)
	}
	if s.controller == "" {
		s.controller = ControllerECS
	}
	if !validController(s.controller) {
		return nil, fmt.Errorf("%w: deployment controller %q", ErrInvalidSpec, s.controller)
	}
	if s.schedulingStrategy == "" {
		s.schedulingStrategy = SchedulingReplica
	}
	if !validSchedulingStrategy(s.schedulingStrategy) {
		return nil, fmt.Errorf("%w: scheduling strategy %q", ErrInvalidSpec, s.schedulingStrategy)
	}
	if err := checkDaemon(s.schedulingStrategy, s.launchType, s.controller); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidSpec, err.Message)
	}
	if s.daemon() {
		if spec.DesiredCount != 0 {
			return nil, fmt.Errorf("%w: %s", ErrInvalidSpec, errDaemonDesiredCount().Message)
		}
		// The documented defaults for a DAEMON service (API Reference,
		// DeploymentConfiguration).
		s.minHealthyPercent, s.maxPercent = 0, 100
	}
	if spec.MinimumHealthyPercent != nil {
		s.minHealthyPercent = *spec.MinimumHealthyPercent
	}
	if spec.MaximumPercent != nil {
		s.maxPercent = *spec.MaximumPercent
	}
	if err := checkPercents(s.minHealthyPercent, s.maxPercent); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidSpec, err.Message)
	}
	return s, nil
}

// addService attaches cfg to c as service name, with its first deployment
// (rolling out, with no tasks yet), replacing an INACTIVE namesake.
func (e *Emulator) addService(c *cluster, name string, cfg *service, now time.Time) *service {
	s := cfg
	s.cluster = c
	s.name = name
	s.arn = e.serviceARN(c.name, name)
	s.createdAt = now
	s.notices = map[notice]sentNotice{}
	if s.taskDefinition == "" {
		s.taskDefinition = name
	}
	e.startDeployment(s, e.taskDefinitionARN(s.taskDefinition), now)
	for i, old := range c.services {
		if old.name == name {
			c.services[i] = s
			return s
		}
	}
	c.services = append(c.services, s)
	return s
}

func (e *Emulator) addCluster(name string) *cluster {
	if c, ok := e.clusters[name]; ok {
		return c
	}
	c := &cluster{name: name, arn: e.clusterARN(name), maxTasks: -1}
	e.clusters[name] = c
	e.clusterOrder = append(e.clusterOrder, c)
	return c
}

// lookup finds a service for the Go control API.
func (e *Emulator) lookup(clusterName, name string) (*service, error) {
	c, ok := e.clusters[clusterName]
	if !ok {
		return nil, fmt.Errorf("ecsemu: cluster %q: %w", clusterName, ErrClusterNotFound)
	}
	s := c.service(name)
	if s == nil {
		return nil, fmt.Errorf("ecsemu: service %s/%s: %w", clusterName, name, ErrServiceNotFound)
	}
	return s, nil
}

// Service returns a snapshot of a service, as DescribeServices would show
// it now.
func (e *Emulator) Service(clusterName, name string) (ServiceView, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.now())
	s, err := e.lookup(clusterName, name)
	if err != nil {
		return ServiceView{}, false
	}
	return viewOf(s), true
}

// SetTaskStartDelay changes how long the service's tasks stay pending,
// including tasks already pending. A huge delay keeps the service from ever
// stabilizing; zero or less starts them at once.
func (e *Emulator) SetTaskStartDelay(clusterName, name string, d time.Duration) error {
	return e.update(clusterName, name, func(s *service) { s.startDelay = max(d, 0) })
}

// FailRollouts makes the tasks the service launches from now on fail to
// start (or start normally again). Failed tasks count in the deployment's
// failedTasks and are replaced. With the circuit breaker enabled, a rolling
// out deployment whose failures reach the threshold becomes FAILED and
// launches no more tasks; without it, ECS keeps retrying.
func (e *Emulator) FailRollouts(clusterName, name string, fail bool) error {
	return e.update(clusterName, name, func(s *service) { s.failTaskStarts = fail })
}

// update applies a control change to a service. Such changes act on the
// service's tasks, which the scheduler notices when they next change state.
func (e *Emulator) update(clusterName, name string, change func(*service)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.advance(now)
	s, err := e.lookup(clusterName, name)
	if err != nil {
		return err
	}
	change(s)
	e.advance(now) // changes may already be due, e.g. after a shorter delay
	return nil
}

// SetCapacity limits how many tasks the cluster can hold at once, across
// its services; tasks beyond it are not placed and the service reports the
// placement failure. A negative maxTasks removes the limit (the default).
// Services waiting for room take it on their next placement attempt.
func (e *Emulator) SetCapacity(clusterName string, maxTasks int) error {
	return e.updateCluster(clusterName, func(c *cluster, _ time.Time) { c.maxTasks = maxTasks })
}

// SetFargateCapacity makes Fargate capacity available (the default) or not
// in the cluster. While it is unavailable, FARGATE services place no task
// and report "Capacity is unavailable at this time"; when it comes back they
// place their tasks on their next attempt, as ECS retries placement. EC2
// services are not affected.
func (e *Emulator) SetFargateCapacity(clusterName string, available bool) error {
	return e.updateCluster(clusterName, func(c *cluster, _ time.Time) { c.fargateUnavailable = !available })
}

// SetContainerInstances registers n container instances in the cluster
// (none at first), replacing those registered before. DAEMON services run
// one task on each, so their desired count becomes n; the count also shows
// in DescribeClusters, and EC2 placement failures name the closest matching
// instance instead of reporting that the cluster has none.
func (e *Emulator) SetContainerInstances(clusterName string, n int) error {
	if n < 0 {
		return fmt.Errorf("ecsemu: container instances %d: %w", n, ErrInvalidSpec)
	}
	return e.updateCluster(clusterName, func(c *cluster, now time.Time) {
		for len(c.instances) < n {
			c.instances = append(c.instances, newTaskID())
		}
		c.instances = c.instances[:n]
		// The daemon scheduler follows the instances.
		for _, s := range c.services {
			if s.daemon() && s.status == statusActive {
				e.requestPass(s, now)
			}
		}
	})
}

func (e *Emulator) updateCluster(clusterName string, change func(*cluster, time.Time)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.advance(now)
	c, ok := e.clusters[clusterName]
	if !ok {
		return fmt.Errorf("ecsemu: cluster %q: %w", clusterName, ErrClusterNotFound)
	}
	change(c, now)
	return nil
}
