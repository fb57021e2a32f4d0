package ecsemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// operation is one ECS API action: the throttling bucket it draws from
// (nil: not throttled) and its handler, which runs with Emulator.mu held
// after the scheduler has been advanced to now.
type operation struct {
	bucket *tokenBucket
	handle func(e *Emulator, body []byte, now time.Time) (any, error)
}

func (e *Emulator) operations(now time.Time) map[string]operation {
	bucket := func(l RateLimit) *tokenBucket {
		if e.opts.Unthrottled {
			return nil
		}
		return newTokenBucket(l, now)
	}
	// Operations of one category share one bucket, as in ECS.
	serviceReads := bucket(e.opts.ServiceReads)
	serviceWrites := bucket(e.opts.ServiceWrites)
	clusterReads := bucket(e.opts.ClusterReads)
	return map[string]operation{
		// No cluster write quota is verified here; CreateCluster is not throttled.
		"CreateCluster":    {nil, handler((*Emulator).createCluster)},
		"DescribeClusters": {clusterReads, handler((*Emulator).describeClusters)},
		"CreateService":    {serviceWrites, handler((*Emulator).createServiceAPI)},
		"UpdateService":    {serviceWrites, handler((*Emulator).updateService)},
		"DeleteService":    {serviceWrites, handler((*Emulator).deleteService)},
		"DescribeServices": {serviceReads, handler((*Emulator).describeServices)},
		"ListServices":     {serviceReads, handler((*Emulator).listServices)},
	}
}

// handler adapts a typed operation to the generic signature, decoding the
// request body into In.
func handler[In, Out any](f func(*Emulator, *In, time.Time) (Out, error)) func(*Emulator, []byte, time.Time) (any, error) {
	return func(e *Emulator, body []byte, now time.Time) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, &apiError{Type: "SerializationException", Message: "Unable to parse request body: " + err.Error()}
			}
		}
		return f(e, &in, now)
	}
}

// serveAPI answers one ECS API request.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	requestID := newUUID()
	start := time.Now()
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok || op == "" {
		writeAPIError(w, requestID, &apiError{Type: "UnknownOperationException", Message: "Unknown operation " + r.Header.Get("X-Amz-Target")})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeAPIError(w, requestID, &apiError{Type: "SerializationException", Message: "Unable to read request body."})
		return
	}
	out, err := e.call(op, r.Header.Get("Authorization"), body)
	var aerr *apiError
	switch {
	case err == nil:
		writeAPIResponse(w, requestID, out)
	case errors.As(err, &aerr):
		writeAPIError(w, requestID, aerr)
	default:
		e.log.Error("ecsemu: internal error", "op", op, "err", err)
		aerr = &apiError{Type: "ServerException", Message: "Internal error."}
		writeAPIError(w, requestID, aerr)
	}
	attrs := []any{"op", op, "requestId", requestID, "duration", time.Since(start)}
	if aerr != nil {
		attrs = append(attrs, "error", aerr.Type)
	}
	e.log.Debug("ecs request", attrs...)
}

// call runs one request: it is counted, then checked in the order a client
// would meet the failures: authentication, injected faults, throttling,
// and finally the operation itself.
func (e *Emulator) call(op, authorization string, body []byte) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.Count(op)
	// Signatures are not checked, but an unsigned request is an error in
	// ECS and almost certainly a misconfigured client here.
	if authorization == "" {
		return nil, &apiError{Type: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
	}
	o, ok := e.ops[op]
	if !ok {
		return nil, &apiError{Type: "UnknownOperationException", Message: "Unknown operation " + op}
	}
	if f, fail := e.faults.Take(op, body); fail {
		return nil, &apiError{Type: f.Error, Message: f.Message}
	}
	// After Take: a fault's Delay lets time pass and other requests run.
	now := e.now()
	if o.bucket != nil && !o.bucket.allow(now) {
		return nil, errThrottled()
	}
	e.advance(now)
	return o.handle(e, body, now)
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func validName(name string) bool { return namePattern.MatchString(name) }

func validLaunchType(lt string) bool {
	return slices.Contains([]string{"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}, lt)
}

func validController(c string) bool {
	return slices.Contains([]string{ControllerECS, ControllerCodeDeploy, ControllerExternal}, c)
}

func validSchedulingStrategy(st string) bool {
	return st == SchedulingReplica || st == SchedulingDaemon
}

// checkDaemon rejects what the DAEMON strategy does not support: "Tasks
// using the Fargate launch type or the CODE_DEPLOY or EXTERNAL deployment
// controller types don't support the DAEMON scheduling strategy" (API
// Reference, CreateService). The messages are our own wording.
func checkDaemon(strategy, launchType, controller string) *apiError {
	if strategy != SchedulingDaemon {
		return nil
	}
	if launchType == launchFargate {
		return invalidParameter("The daemon scheduling strategy is not supported with the FARGATE launch type.")
	}
	if controller != ControllerECS {
		return invalidParameter("The daemon scheduling strategy is only supported with the ECS deployment controller.")
	}
	return nil
}

func checkPercents(minHealthy, maxPercent int) *apiError {
	if minHealthy < 0 || minHealthy > 100 {
		return invalidParameter("minimumHealthyPercent must be between 0 and 100.")
	}
	if maxPercent < 100 {
		return invalidParameter("maximumPercent must be at least 100.")
	}
	return nil
}

// cluster resolves the cluster member of a request: a name or an ARN,
// "default" when absent.
func (e *Emulator) cluster(id string) (*cluster, error) {
	name := "default"
	if id != "" {
		name = resourceName(id)
	}
	c, ok := e.clusters[name]
	if !ok {
		return nil, errClusterNotFound()
	}
	return c, nil
}

// activeService resolves the cluster and service members of a write
// request; the service must exist and be ACTIVE.
func (e *Emulator) activeService(clusterID, serviceID string) (*service, error) {
	c, err := e.cluster(clusterID)
	if err != nil {
		return nil, err
	}
	s := c.service(resourceName(serviceID))
	if s == nil {
		return nil, errServiceNotFound()
	}
	if s.status != statusActive {
		return nil, errServiceNotActive()
	}
	return s, nil
}

func wireClusterOf(c *cluster) wireCluster {
	w := wireCluster{ClusterArn: c.arn, ClusterName: c.name, Status: statusActive, RegisteredContainerInstancesCount: len(c.instances)}
	for _, s := range c.services {
		w.RunningTasksCount += s.count(taskRunning) + s.count(taskStopping)
		w.PendingTasksCount += s.count(taskPending)
		if s.status == statusActive {
			w.ActiveServicesCount++
		}
	}
	return w
}

func (e *Emulator) createCluster(in *createClusterInput, _ time.Time) (*createClusterOutput, error) {
	name := in.ClusterName
	if name == "" {
		name = "default"
	}
	if !validName(name) {
		return nil, invalidParameter("Cluster name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
	}
	// Creating an existing cluster returns it, as ECS does.
	return &createClusterOutput{Cluster: wireClusterOf(e.addCluster(name))}, nil
}

func (e *Emulator) describeClusters(in *describeClustersInput, _ time.Time) (*describeClustersOutput, error) {
	ids := in.Clusters
	if len(ids) == 0 {
		ids = []string{"default"}
	}
	if len(ids) > 100 {
		return nil, invalidParameter("clusters can have at most 100 items.")
	}
	out := &describeClustersOutput{Clusters: []wireCluster{}, Failures: []wireFailure{}}
	for _, id := range ids {
		name := resourceName(id)
		if c, ok := e.clusters[name]; ok {
			out.Clusters = append(out.Clusters, wireClusterOf(c))
		} else {
			out.Failures = append(out.Failures, wireFailure{Arn: e.clusterARN(name), Reason: "MISSING"})
		}
	}
	return out, nil
}

func (e *Emulator) createServiceAPI(in *createServiceInput, now time.Time) (*serviceOutput, error) {
	c, err := e.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if !validName(in.ServiceName) {
		return nil, invalidParameter("Service name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
	}
	switch old := c.service(in.ServiceName); {
	case old == nil || old.status == statusInactive:
	case old.status == statusDraining:
		return nil, invalidParameter("Unable to Start a service that is still Draining.")
	default:
		return nil, invalidParameter("Creation of service was not idempotent.")
	}
	spec := ServiceSpec{
		TaskDefinition:     in.TaskDefinition,
		LaunchType:         in.LaunchType,
		SchedulingStrategy: in.SchedulingStrategy,
	}
	if spec.SchedulingStrategy != "" && !validSchedulingStrategy(spec.SchedulingStrategy) {
		return nil, invalidParameter("schedulingStrategy should be one of [REPLICA, DAEMON].")
	}
	if spec.SchedulingStrategy == SchedulingDaemon && in.DesiredCount != nil {
		return nil, errDaemonDesiredCount()
	}
	if in.DesiredCount != nil {
		spec.DesiredCount = *in.DesiredCount
	}
	if spec.DesiredCount < 0 {
		return nil, invalidParameter("Desired count must be greater than or equal to 0.")
	}
	if in.DeploymentController != nil {
		spec.DeploymentController = in.DeploymentController.Type
	}
	if dc := in.DeploymentConfiguration; dc != nil {
		if dc.DeploymentCircuitBreaker != nil {
			spec.CircuitBreaker = CircuitBreaker(*dc.DeploymentCircuitBreaker)
		}
		spec.MinimumHealthyPercent = dc.MinimumHealthyPercent
		spec.MaximumPercent = dc.MaximumPercent
	}
	if spec.LaunchType != "" && !validLaunchType(spec.LaunchType) {
		return nil, invalidParameter("launchType should be one of [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES].")
	}
	if spec.DeploymentController != "" && !validController(spec.DeploymentController) {
		return nil, invalidParameter("deploymentController.type should be one of [ECS, CODE_DEPLOY, EXTERNAL].")
	}
	if err := checkDaemon(spec.SchedulingStrategy, valueOrString(spec.LaunchType, "EC2"), valueOrString(spec.DeploymentController, ControllerECS)); err != nil {
		return nil, err
	}
	if err := checkPercents(valueOr(spec.MinimumHealthyPercent, 100), valueOr(spec.MaximumPercent, 200)); err != nil {
		return nil, err
	}
	cfg, err := e.serviceConfig(spec)
	if err != nil {
		return nil, fmt.Errorf("create service %s: %w", in.ServiceName, err) // validated above: a bug if reached
	}
	if cfg.daemon() {
		cfg.desired = len(c.instances)
	}
	s := e.addService(c, in.ServiceName, cfg, now)
	e.requestPass(s, now)
	return &serviceOutput{Service: wireServiceOf(s)}, nil
}

func valueOrString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func valueOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func (e *Emulator) describeServices(in *describeServicesInput, _ time.Time) (*describeServicesOutput, error) {
	if len(in.Services) == 0 {
		return nil, invalidParameter("Services cannot be empty.")
	}
	if len(in.Services) > 10 {
		return nil, invalidParameter("services can have at most 10 items.")
	}
	c, err := e.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &describeServicesOutput{Services: []wireService{}, Failures: []wireFailure{}}
	for _, id := range in.Services {
		name := resourceName(id)
		if s := c.service(name); s != nil {
			out.Services = append(out.Services, wireServiceOf(s))
		} else {
			out.Failures = append(out.Failures, wireFailure{Arn: e.serviceARN(c.name, name), Reason: "MISSING"})
		}
	}
	return out, nil
}

// updateService changes the desired count, which never starts a deployment,
// and starts a new deployment on forceNewDeployment or a new task definition.
// The scheduler acts on the change after the call has returned.
func (e *Emulator) updateService(in *updateServiceInput, now time.Time) (*serviceOutput, error) {
	s, err := e.activeService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if s.daemon() && in.DesiredCount != nil {
		return nil, errDaemonDesiredCount()
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, invalidParameter("Desired count must be greater than or equal to 0.")
	}
	td := s.primary().taskDefinition
	if in.TaskDefinition != "" {
		td = e.taskDefinitionARN(in.TaskDefinition)
	}
	redeploy := in.ForceNewDeployment || td != s.primary().taskDefinition
	if redeploy && s.controller == ControllerCodeDeploy {
		return nil, invalidParameter("Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
	}
	if redeploy && s.controller == ControllerExternal {
		return nil, invalidParameter("Unable to update task definition on services with an EXTERNAL deployment controller. Use task sets to trigger a new deployment.")
	}
	minHealthy, maxPercent, breaker := s.minHealthyPercent, s.maxPercent, s.circuitBreaker
	if dc := in.DeploymentConfiguration; dc != nil {
		minHealthy = valueOr(dc.MinimumHealthyPercent, minHealthy)
		maxPercent = valueOr(dc.MaximumPercent, maxPercent)
		if dc.DeploymentCircuitBreaker != nil {
			breaker = *dc.DeploymentCircuitBreaker
		}
		if err := checkPercents(minHealthy, maxPercent); err != nil {
			return nil, err
		}
	}
	// Validated: apply.
	s.minHealthyPercent, s.maxPercent, s.circuitBreaker = minHealthy, maxPercent, breaker
	if in.DesiredCount != nil {
		s.desired = *in.DesiredCount
		// The deployment's desired count follows at once, before any task is
		// launched, as DescribeServices shows right after a scale-out.
		s.primary().desired = s.desired
	}
	if redeploy {
		e.startDeployment(s, td, now)
	}
	e.requestPass(s, now)
	return &serviceOutput{Service: wireServiceOf(s)}, nil
}

func (e *Emulator) deleteService(in *deleteServiceInput, now time.Time) (*serviceOutput, error) {
	s, err := e.activeService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	// "force ... It's only necessary to use this if the service uses the
	// REPLICA scheduling strategy." (API Reference, DeleteService)
	if s.desired > 0 && !s.daemon() && (in.Force == nil || !*in.Force) {
		return nil, invalidParameter("The service cannot be stopped while it is scaled above 0.")
	}
	// A deleted service drains: its tasks stop, then it becomes INACTIVE.
	s.status = statusDraining
	s.desired = 0
	s.primary().desired = 0
	e.requestPass(s, now)
	return &serviceOutput{Service: wireServiceOf(s)}, nil
}

func (e *Emulator) listServices(in *listServicesInput, _ time.Time) (*listServicesOutput, error) {
	c, err := e.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	limit := valueOr(in.MaxResults, 10)
	if limit < 1 || limit > 100 {
		return nil, invalidParameter("maxResults must be between 1 and 100.")
	}
	var arns []string
	for _, s := range c.services {
		if s.status != statusInactive && (in.LaunchType == "" || in.LaunchType == s.launchType) &&
			(in.SchedulingStrategy == "" || in.SchedulingStrategy == s.schedulingStrategy) {
			arns = append(arns, s.arn)
		}
	}
	// The token is the offset of the next page: opaque to clients, and
	// stable enough for an emulator.
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(arns) {
			return nil, invalidParameter("Invalid nextToken.")
		}
		start = n
	}
	end := min(start+limit, len(arns))
	out := &listServicesOutput{ServiceArns: append([]string{}, arns[start:end]...)}
	if end < len(arns) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}
