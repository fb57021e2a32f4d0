package ecsemu_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// These tests talk to the emulator with the real aws-sdk-go-v2 ECS client,
// over HTTP, on the real clock.

const (
	account = "123456789012"
	region  = "us-east-1"
)

var (
	deploymentIDPattern = regexp.MustCompile(`^ecs-svc/\d{19}$`)
	uuidPattern         = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	taskRef             = `\(task [0-9a-f]{32}\)`
)

func newClient(endpoint string, optFns ...func(*ecs.Options)) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		// The SDK's standard retryer, with backoff short enough for tests.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond }),
	}, optFns...)
}

// noRetries makes the client give up after one attempt.
func noRetries(o *ecs.Options) { o.Retryer = aws.NopRetryer{} }

func start(t *testing.T, opts ecsemu.Options) (*ecsemu.Emulator, *ecs.Client) {
	t.Helper()
	t.Parallel()
	emu, err := ecsemu.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return emu, newClient(emu.URL())
}

func seed(t *testing.T, emu *ecsemu.Emulator, name string, spec ecsemu.ServiceSpec) {
	t.Helper()
	if err := emu.CreateService("default", name, spec); err != nil {
		t.Fatalf("seed %s: %v", name, err)
	}
}

func describe(t *testing.T, client *ecs.Client, name string) types.Service {
	t.Helper()
	out, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: []string{name}})
	if err != nil {
		t.Fatalf("DescribeServices %s: %v", name, err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("DescribeServices %s: services %d, failures %+v", name, len(out.Services), out.Failures)
	}
	return out.Services[0]
}

func update(t *testing.T, client *ecs.Client, in *ecs.UpdateServiceInput) types.Service {
	t.Helper()
	out, err := client.UpdateService(context.Background(), in)
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	return *out.Service
}

// eventually polls cond until it holds, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func messages(s types.Service) []string {
	out := make([]string, len(s.Events))
	for i, ev := range s.Events {
		out[i] = aws.ToString(ev.Message)
	}
	return out
}

func countMatching(s types.Service, substr string) int {
	n := 0
	for _, m := range messages(s) {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestDescribeServicesDecodesEveryField(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	before := time.Now().Add(-time.Second)
	seed(t, emu, "web", ecsemu.ServiceSpec{
		DesiredCount:   2,
		TaskDefinition: "web:7",
		CircuitBreaker: ecsemu.CircuitBreaker{Enable: true, Rollback: true},
	})

	s := describe(t, client, "web")
	checks := []struct {
		field     string
		got, want any
	}{
		{"serviceArn", aws.ToString(s.ServiceArn), "arn:aws:ecs:us-east-1:" + account + ":service/default/web"},
		{"serviceName", aws.ToString(s.ServiceName), "web"},
		{"clusterArn", aws.ToString(s.ClusterArn), "arn:aws:ecs:us-east-1:" + account + ":cluster/default"},
		{"status", aws.ToString(s.Status), "ACTIVE"},
		{"desiredCount", s.DesiredCount, int32(2)},
		{"runningCount", s.RunningCount, int32(2)},
		{"pendingCount", s.PendingCount, int32(0)},
		{"launchType", s.LaunchType, types.LaunchTypeEc2},
		{"taskDefinition", aws.ToString(s.TaskDefinition), "arn:aws:ecs:us-east-1:" + account + ":task-definition/web:7"},
		{"schedulingStrategy", s.SchedulingStrategy, types.SchedulingStrategyReplica},
		{"deploymentController", s.DeploymentController.Type, types.DeploymentControllerTypeEcs},
		{"circuitBreaker", *s.DeploymentConfiguration.DeploymentCircuitBreaker, types.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
		{"maximumPercent", aws.ToInt32(s.DeploymentConfiguration.MaximumPercent), int32(200)},
		{"minimumHealthyPercent", aws.ToInt32(s.DeploymentConfiguration.MinimumHealthyPercent), int32(100)},
		{"deployments", len(s.Deployments), 1},
		{"events", len(s.Events), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
	if s.CreatedAt == nil || s.CreatedAt.Before(before) || s.CreatedAt.After(time.Now()) {
		t.Errorf("createdAt = %v, want about now", s.CreatedAt)
	}
	if t.Failed() {
		t.FailNow()
	}

	d := s.Deployments[0]
	if !deploymentIDPattern.MatchString(aws.ToString(d.Id)) {
		t.Errorf("deployment id %q, want ecs-svc/ and 19 digits", aws.ToString(d.Id))
	}
	if aws.ToString(d.Status) != "PRIMARY" || d.RolloutState != types.DeploymentRolloutStateCompleted ||
		aws.ToString(d.RolloutStateReason) != "ECS deployment "+aws.ToString(d.Id)+" completed." {
		t.Errorf("deployment status %q rollout %q reason %q, want a completed PRIMARY",
			aws.ToString(d.Status), d.RolloutState, aws.ToString(d.RolloutStateReason))
	}
	if d.DesiredCount != 2 || d.RunningCount != 2 || d.PendingCount != 0 || d.FailedTasks != 0 || d.LaunchType != types.LaunchTypeEc2 {
		t.Errorf("deployment counts %+v, want desired 2 running 2", d)
	}
	if aws.ToString(d.TaskDefinition) != aws.ToString(s.TaskDefinition) || d.CreatedAt == nil || d.UpdatedAt == nil {
		t.Errorf("deployment taskDefinition %q createdAt %v updatedAt %v", aws.ToString(d.TaskDefinition), d.CreatedAt, d.UpdatedAt)
	}

	ev := s.Events[0]
	if got := aws.ToString(ev.Message); got != "(service web) has reached a steady state." {
		t.Errorf("event = %q, want the steady state", got)
	}
	if !uuidPattern.MatchString(aws.ToString(ev.Id)) {
		t.Errorf("event id %q, want a UUID", aws.ToString(ev.Id))
	}
	if ev.CreatedAt == nil || ev.CreatedAt.Before(before) {
		t.Errorf("event createdAt %v, want about now", ev.CreatedAt)
	}
}

func TestDescribeServicesReportsMissingServices(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	ghost := "arn:aws:ecs:us-east-1:" + account + ":service/default/ghost"
	out, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster:  aws.String("arn:aws:ecs:us-east-1:" + account + ":cluster/default"),
		Services: []string{"arn:aws:ecs:us-east-1:" + account + ":service/default/web", ghost},
	})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if len(out.Services) != 1 || aws.ToString(out.Services[0].ServiceName) != "web" {
		t.Errorf("services = %+v, want web", out.Services)
	}
	if len(out.Failures) != 1 || aws.ToString(out.Failures[0].Arn) != ghost || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("failures = %+v, want %s MISSING", out.Failures, ghost)
	}
}

func TestDescribeServicesAcceptsAtMostTen(t *testing.T) {
	_, client := start(t, ecsemu.Options{})
	names := make([]string, 11)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%d", i)
	}
	if _, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: names[:10]}); err != nil {
		t.Fatalf("10 services: %v", err)
	}
	_, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: names})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Fatalf("11 services: err = %v, want InvalidParameterException", err)
	}
}

func TestErrorsDecodeToSDKTypes(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	seed(t, emu, "gone", ecsemu.ServiceSpec{DesiredCount: 0})
	if _, err := client.DeleteService(context.Background(), &ecs.DeleteServiceInput{Service: aws.String("gone")}); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}
	ctx := context.Background()
	cases := []struct {
		name   string
		call   func() error
		target func(error) bool
	}{
		{"unknown cluster", func() error {
			_, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
			return err
		}, func(err error) bool { var e *types.ClusterNotFoundException; return errors.As(err, &e) }},
		{"unknown service", func() error {
			_, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("nope"), DesiredCount: aws.Int32(1)})
			return err
		}, func(err error) bool { var e *types.ServiceNotFoundException; return errors.As(err, &e) }},
		{"negative desired count", func() error {
			_, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(-1)})
			return err
		}, func(err error) bool { var e *types.InvalidParameterException; return errors.As(err, &e) }},
		{"deleted service", func() error {
			_, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("gone"), DesiredCount: aws.Int32(1)})
			return err
		}, func(err error) bool { var e *types.ServiceNotActiveException; return errors.As(err, &e) }},
		{"create with minimumHealthyPercent over 100", func() error {
			_, err := client.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("x"),
				DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(150)}})
			return err
		}, isInvalidParameter},
		{"create with a bad launch type", func() error {
			_, err := client.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("x"), LaunchType: "LAMBDA"})
			return err
		}, isInvalidParameter},
		{"create in unknown cluster", func() error {
			_, err := client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("nope"), ServiceName: aws.String("x")})
			return err
		}, func(err error) bool { var e *types.ClusterNotFoundException; return errors.As(err, &e) }},
	}
	for _, c := range cases {
		if err := c.call(); !c.target(err) {
			t.Errorf("%s: err = %v (%T), want the typed ECS error", c.name, err, err)
		}
	}
	// The message survives decoding, worded as ECS words it.
	_, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("nope")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorMessage() != "Service not found." {
		t.Errorf("ServiceNotFound message = %v, want %q", err, "Service not found.")
	}
}

func TestInjectedThrottlingIsRetriedBySDK(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	emu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: ecsemu.Throttling, Times: 2})
	describe(t, client, "web")
	if got := emu.Calls("DescribeServices"); got != 3 {
		t.Errorf("DescribeServices calls = %d, want 3 (two throttled attempts and a success)", got)
	}
	// Only the named operation was affected.
	if got := emu.Calls("UpdateService"); got != 0 {
		t.Errorf("UpdateService calls = %d, want 0", got)
	}
}

// A fault's Delay holds the request (here past the client's own deadline,
// as a Lambda function's runs out) while the emulator serves other requests;
// without an Error the held request is then answered as usual.
func TestInjectedDelay(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	const delay = 300 * time.Millisecond
	emu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Delay: delay, Times: 2})

	// The first use: the client gives up before the answer.
	ctx, cancel := context.WithTimeout(context.Background(), delay/3)
	defer cancel()
	begin := time.Now()
	_, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Services: []string{"web"}}, noRetries)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DescribeServices past the client's deadline: %v, want context.DeadlineExceeded", err)
	}
	// Meanwhile the emulator answers other operations at once.
	if _, err := client.ListServices(context.Background(), &ecs.ListServicesInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > delay*2/3 {
		t.Errorf("ListServices answered %v after the held request began, want well within its %v delay", took, delay)
	}
	// The second use: a late but complete answer.
	begin = time.Now()
	if got := describe(t, client, "web").DesiredCount; got != 1 {
		t.Errorf("desiredCount = %d, want 1", got)
	}
	if took := time.Since(begin); took < delay {
		t.Errorf("the delayed DescribeServices answered after %v, want at least %v", took, delay)
	}
	// Spent: the next one is not held.
	begin = time.Now()
	describe(t, client, "web")
	if took := time.Since(begin); took >= delay {
		t.Errorf("a third DescribeServices took %v", took)
	}
	if got := emu.Calls("DescribeServices"); got != 3 {
		t.Errorf("DescribeServices calls = %d, want 3", got)
	}

	// Over the control API, with an error after the delay.
	if status := controlCall(t, emu, "POST", "/_emulator/faults", `{"operation":"UpdateService","error":"ServerException","delay":"100ms"}`, nil); status != http.StatusCreated {
		t.Fatalf("inject a delayed fault: status %d", status)
	}
	begin = time.Now()
	_, err = client.UpdateService(context.Background(), &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(2)}, noRetries)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != ecsemu.ServerError || time.Since(begin) < 100*time.Millisecond {
		t.Errorf("UpdateService after %v: %v, want ServerException after 100ms", time.Since(begin), err)
	}
	if status := controlCall(t, emu, "POST", "/_emulator/faults", `{"operation":"UpdateService","delay":"later"}`, nil); status != http.StatusBadRequest {
		t.Errorf("a delay that is no duration: status %d, want 400", status)
	}
}

func TestRetriesGiveUpAfterMaxAttempts(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	emu.InjectFault(ecsemu.Fault{Operation: "UpdateService", Error: ecsemu.Throttling, Times: 5})
	_, err := client.UpdateService(context.Background(), &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(2)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" || apiErr.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("err = %v, want ThrottlingException: Rate exceeded", err)
	}
	if got := emu.Calls("UpdateService"); got != retry.DefaultMaxAttempts {
		t.Errorf("UpdateService calls = %d, want %d attempts", got, retry.DefaultMaxAttempts)
	}
	if got := describe(t, client, "web").DesiredCount; got != 1 {
		t.Errorf("desiredCount = %d after throttled updates, want 1", got)
	}
}

func TestServerErrorIsRetriedButClientErrorIsNot(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	emu.InjectFault(ecsemu.Fault{Operation: "UpdateService", Error: ecsemu.ServerError})
	update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(2)})
	if got := emu.Calls("UpdateService"); got != 2 {
		t.Errorf("UpdateService calls = %d, want 2 (a 500 and a success)", got)
	}

	emu.InjectFault(ecsemu.Fault{Error: ecsemu.ServiceNotFound})
	_, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: []string{"web"}})
	var notFound *types.ServiceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("err = %v, want the injected ServiceNotFoundException", err)
	}
	if got := emu.Calls("DescribeServices"); got != 1 {
		t.Errorf("DescribeServices calls = %d, want 1: client errors are not retried", got)
	}
}

func TestTokenBucketThrottlesBursts(t *testing.T) {
	emu, _ := start(t, ecsemu.Options{
		ServiceReads:  ecsemu.RateLimit{Burst: 3, PerSecond: 0.01},
		ServiceWrites: ecsemu.RateLimit{Burst: 1, PerSecond: 0.01},
	})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	once := newClient(emu.URL(), noRetries)
	ctx := context.Background()
	in := &ecs.DescribeServicesInput{Services: []string{"web"}}
	for i := range 3 {
		if _, err := once.DescribeServices(ctx, in); err != nil {
			t.Fatalf("read %d within the burst: %v", i+1, err)
		}
	}
	_, err := once.ListServices(ctx, &ecs.ListServicesInput{}) // same bucket as DescribeServices
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" || apiErr.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("read past the burst: err = %v, want ThrottlingException: Rate exceeded", err)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("throttled status = %v, want 400", err)
	}
	// Writes draw from their own bucket.
	if _, err := once.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(1)}); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if _, err := once.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(1)}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Fatalf("second write: err = %v, want ThrottlingException", err)
	}
	if got := emu.Calls(""); got != 6 {
		t.Errorf("calls = %d, want 6, throttled ones included", got)
	}
}

func TestScaleOutTasksPendThenRun(t *testing.T) {
	const delay = 150 * time.Millisecond
	emu, client := start(t, ecsemu.Options{TaskStartDelay: delay, SchedulerDelay: 50 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	before := describe(t, client, "web").Deployments[0]

	s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(3)})
	returned := time.Now()
	// The call records the desired count; the scheduler launches afterwards.
	if s.DesiredCount != 3 || s.RunningCount != 1 || s.PendingCount != 0 {
		t.Errorf("after update: desired %d running %d pending %d, want 3, 1, 0", s.DesiredCount, s.RunningCount, s.PendingCount)
	}
	if len(s.Deployments) != 1 || aws.ToString(s.Deployments[0].Id) != aws.ToString(before.Id) {
		t.Fatalf("deployments %+v, want the same single deployment %s", s.Deployments, aws.ToString(before.Id))
	}
	if d := s.Deployments[0]; d.DesiredCount != 3 || d.PendingCount != 0 || d.RolloutState != types.DeploymentRolloutStateCompleted {
		t.Errorf("deployment %+v, want its desired count to follow the service and its rollout to stay COMPLETED", d)
	}

	eventually(t, "2 pending tasks", func() bool {
		s = describe(t, client, "web")
		return s.PendingCount == 2
	})
	started := regexp.MustCompile(`^\(service web\) has started 2 tasks: ` + taskRef + ` ` + taskRef + `\.$`)
	if ev := s.Events[0]; !started.MatchString(aws.ToString(ev.Message)) || !ev.CreatedAt.After(returned) {
		t.Errorf("newest event %q at %v, want %s after the call returned at %v", aws.ToString(ev.Message), ev.CreatedAt, started, returned)
	}

	eventually(t, "3 running tasks", func() bool {
		s = describe(t, client, "web")
		return s.RunningCount == 3
	})
	if elapsed := time.Since(returned); elapsed < delay {
		t.Errorf("tasks ran after %v, before the %v start delay", elapsed, delay)
	}
	if s.PendingCount != 0 || messages(s)[0] != "(service web) has reached a steady state." {
		t.Errorf("pending %d, newest event %q, want 0 and a steady state", s.PendingCount, messages(s)[0])
	}
}

func TestScaleInTasksStopAfterDelay(t *testing.T) {
	const delay = 150 * time.Millisecond
	emu, client := start(t, ecsemu.Options{TaskStopDelay: delay, SchedulerDelay: 50 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 3})
	s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(1)})
	if s.DesiredCount != 1 || s.RunningCount != 3 {
		t.Errorf("after update: desired %d running %d, want 1 and 3", s.DesiredCount, s.RunningCount)
	}
	stopped := regexp.MustCompile(`^\(service web\) has stopped 2 running tasks: ` + taskRef + ` ` + taskRef + `\.$`)
	eventually(t, "the surplus tasks to be told to stop", func() bool {
		s = describe(t, client, "web")
		return stopped.MatchString(messages(s)[0])
	})
	// A stopping task still counts as running.
	if s.RunningCount != 3 {
		t.Errorf("running %d while stopping, want 3", s.RunningCount)
	}
	eventually(t, "1 running task", func() bool { return describe(t, client, "web").RunningCount == 1 })
}

// The path "a step's tasks cannot be placed": the placement failure is an
// event the scheduler writes after UpdateService has returned, so a caller
// that trusts only events newer than its call sees it.
func TestPlacementFailureEventComesAfterTheCallReturned(t *testing.T) {
	emu, client := start(t, ecsemu.Options{SchedulerDelay: 250 * time.Millisecond, TaskStartDelay: 50 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	if err := emu.SetCapacity("default", 2); err != nil {
		t.Fatal(err)
	}
	s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(4)})
	returned := time.Now()
	if countMatching(s, "unable to place a task") != 0 {
		t.Fatalf("UpdateService response events %q: the scheduler must not have acted yet", messages(s))
	}

	const want = "(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	var placement types.ServiceEvent
	eventually(t, "the placement failure event", func() bool {
		s = describe(t, client, "web")
		for _, ev := range s.Events {
			if aws.ToString(ev.Message) == want {
				placement = ev
				return true
			}
		}
		return false
	})
	if placement.CreatedAt == nil || !placement.CreatedAt.After(returned) {
		t.Errorf("placement event created at %v, want after the call returned at %v", placement.CreatedAt, returned)
	}
	eventually(t, "the placed task to run", func() bool { s = describe(t, client, "web"); return s.RunningCount == 2 })
	// Tasks that were never placed are not pending, and a completed
	// deployment does not count them as failed tasks.
	d := s.Deployments[0]
	if s.DesiredCount != 4 || s.PendingCount != 0 || d.PendingCount != 0 || d.FailedTasks != 0 || d.RolloutState != types.DeploymentRolloutStateCompleted {
		t.Errorf("desired %d pending %d, deployment %+v, want 4, 0 and a COMPLETED deployment with no pending or failed tasks", s.DesiredCount, s.PendingCount, d)
	}
	if countMatching(s, "has reached a steady state") != 1 {
		t.Errorf("events %q: a service below its desired count must not report a new steady state", messages(s))
	}
}

func TestFargateCapacityUnavailableOverTheWire(t *testing.T) {
	emu, client := start(t, ecsemu.Options{SchedulerDelay: 50 * time.Millisecond, TaskStartDelay: 50 * time.Millisecond})
	seed(t, emu, "api", ecsemu.ServiceSpec{DesiredCount: 1, LaunchType: "FARGATE"})
	if err := emu.SetFargateCapacity("default", false); err != nil {
		t.Fatal(err)
	}
	update(t, client, &ecs.UpdateServiceInput{Service: aws.String("api"), DesiredCount: aws.Int32(2)})
	returned := time.Now()
	const want = "(service api) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	var s types.Service
	eventually(t, "the capacity event", func() bool { s = describe(t, client, "api"); return countMatching(s, want) == 1 })
	if ev := s.Events[0]; aws.ToString(ev.Message) != want || !ev.CreatedAt.After(returned) || s.PendingCount != 0 {
		t.Errorf("newest event %q at %v, pending %d; want %q after %v and nothing pending", aws.ToString(ev.Message), ev.CreatedAt, s.PendingCount, want, returned)
	}
	if err := emu.SetFargateCapacity("default", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the task to be placed and run once capacity is back", func() bool {
		s = describe(t, client, "api")
		return s.RunningCount == 2 && messages(s)[0] == "(service api) has reached a steady state."
	})
	if countMatching(s, "unable to place a task") != 1 {
		t.Errorf("events %q, want the capacity failure reported once", messages(s))
	}
}

func TestFailedRolloutTripsCircuitBreaker(t *testing.T) {
	emu, client := start(t, ecsemu.Options{TaskStartDelay: 30 * time.Millisecond, SchedulerDelay: 30 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 2, CircuitBreaker: ecsemu.CircuitBreaker{Enable: true}})
	if err := emu.FailRollouts("default", "web", true); err != nil {
		t.Fatal(err)
	}
	s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), ForceNewDeployment: true})
	if len(s.Deployments) != 2 || s.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress {
		t.Fatalf("deployments %+v, want a new PRIMARY IN_PROGRESS", s.Deployments)
	}
	id := aws.ToString(s.Deployments[0].Id)

	eventually(t, "the rollout to fail", func() bool {
		s = describe(t, client, "web")
		return s.Deployments[0].RolloutState == types.DeploymentRolloutStateFailed
	})
	primary, old := s.Deployments[0], s.Deployments[1]
	if got, want := aws.ToString(primary.RolloutStateReason), "ECS deployment circuit breaker: tasks failed to start."; got != want {
		t.Errorf("rolloutStateReason = %q, want %q", got, want)
	}
	if primary.FailedTasks < 3 || primary.RunningCount != 0 {
		t.Errorf("primary failed %d running %d, want at least the threshold of 3 failures and none running", primary.FailedTasks, primary.RunningCount)
	}
	if want := "(service web) (deployment " + id + ") deployment failed: tasks failed to start."; countMatching(s, want) != 1 {
		t.Errorf("events %q lack %q", messages(s), want)
	}
	if aws.ToString(old.Status) != "ACTIVE" || old.RunningCount != 2 || s.RunningCount != 2 {
		t.Errorf("old deployment %+v, service running %d: the old tasks must keep running", old, s.RunningCount)
	}

	// A FAILED deployment launches nothing more.
	time.Sleep(100 * time.Millisecond)
	after := describe(t, client, "web").Deployments[0]
	if after.FailedTasks != primary.FailedTasks || after.PendingCount != 0 {
		t.Errorf("after failing: failed %d→%d pending %d, want no more launches", primary.FailedTasks, after.FailedTasks, after.PendingCount)
	}
}

func TestCodeDeployServiceReportsNoDeployments(t *testing.T) {
	_, client := start(t, ecsemu.Options{TaskStartDelay: 30 * time.Millisecond, SchedulerDelay: 30 * time.Millisecond})
	ctx := context.Background()
	out, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName:          aws.String("bluegreen"),
		DesiredCount:         aws.Int32(1),
		TaskDefinition:       aws.String("bluegreen:1"),
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeCodeDeploy},
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if out.Service.DeploymentController.Type != types.DeploymentControllerTypeCodeDeploy || len(out.Service.Deployments) != 0 {
		t.Errorf("controller %v deployments %+v, want CODE_DEPLOY and none", out.Service.DeploymentController.Type, out.Service.Deployments)
	}
	eventually(t, "the task to run", func() bool { return describe(t, client, "bluegreen").RunningCount == 1 })
	if d := describe(t, client, "bluegreen").Deployments; len(d) != 0 {
		t.Errorf("deployments %+v, want none", d)
	}
	_, err = client.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("bluegreen"), ForceNewDeployment: true})
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("forceNewDeployment on CODE_DEPLOY: err = %v, want InvalidParameterException", err)
	}
	if s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("bluegreen"), DesiredCount: aws.Int32(2)}); s.DesiredCount != 2 {
		t.Errorf("desiredCount = %d, want 2: scaling works under any controller", s.DesiredCount)
	}

	out, err = client.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName:          aws.String("external"),
		DesiredCount:         aws.Int32(1),
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeExternal},
	})
	if err != nil {
		t.Fatalf("CreateService EXTERNAL: %v", err)
	}
	if d := out.Service.Deployments; len(d) != 1 || d[0].RolloutState != "" || d[0].RolloutStateReason != nil {
		t.Errorf("EXTERNAL deployments %+v, want one without rolloutState", d)
	}
}

func TestDesiredCountOnlyUpdateKeepsDeployment(t *testing.T) {
	emu, client := start(t, ecsemu.Options{TaskStartDelay: 30 * time.Millisecond, TaskStopDelay: 30 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 2, TaskDefinition: "web:1"})
	id := aws.ToString(describe(t, client, "web").Deployments[0].Id)
	for _, in := range []*ecs.UpdateServiceInput{
		{Service: aws.String("web"), DesiredCount: aws.Int32(3)},
		// The same task definition again is no change either.
		{Service: aws.String("web"), DesiredCount: aws.Int32(1), TaskDefinition: aws.String("web:1")},
	} {
		s := update(t, client, in)
		if len(s.Deployments) != 1 || aws.ToString(s.Deployments[0].Id) != id {
			t.Errorf("deployments %+v, want still only %s", s.Deployments, id)
		}
	}
}

func TestForceNewDeploymentRollsOut(t *testing.T) {
	emu, client := start(t, ecsemu.Options{TaskStartDelay: 50 * time.Millisecond, TaskStopDelay: 50 * time.Millisecond, SchedulerDelay: 30 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 2, TaskDefinition: "web:1"})
	old := aws.ToString(describe(t, client, "web").Deployments[0].Id)

	s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), ForceNewDeployment: true})
	if len(s.Deployments) != 2 {
		t.Fatalf("deployments %+v, want 2", s.Deployments)
	}
	primary, prev := s.Deployments[0], s.Deployments[1]
	id := aws.ToString(primary.Id)
	if id == old || aws.ToString(primary.Status) != "PRIMARY" || primary.RolloutState != types.DeploymentRolloutStateInProgress ||
		aws.ToString(primary.RolloutStateReason) != "ECS deployment "+id+" in progress." {
		t.Errorf("new deployment %+v, want a new PRIMARY in progress", primary)
	}
	if aws.ToString(prev.Id) != old || aws.ToString(prev.Status) != "ACTIVE" {
		t.Errorf("old deployment %+v, want %s ACTIVE", prev, old)
	}

	eventually(t, "the rollout to complete", func() bool {
		s = describe(t, client, "web")
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
	if aws.ToString(s.Deployments[0].Id) != id || s.RunningCount != 2 {
		t.Errorf("deployment %s running %d, want %s with 2", aws.ToString(s.Deployments[0].Id), s.RunningCount, id)
	}
	got := messages(s)
	if want := []string{"(service web) has reached a steady state.", "(service web) (deployment " + id + ") deployment completed."}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("newest events %q, want %q", got[:2], want)
	}

	// A new task definition is a new deployment too.
	s = update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	want := "arn:aws:ecs:us-east-1:" + account + ":task-definition/web:2"
	if len(s.Deployments) != 2 || aws.ToString(s.Deployments[0].TaskDefinition) != want || aws.ToString(s.TaskDefinition) != want {
		t.Errorf("after new task definition: deployments %+v, taskDefinition %q", s.Deployments, aws.ToString(s.TaskDefinition))
	}
}

func TestCreateServiceAndClustersOverTheWire(t *testing.T) {
	_, client := start(t, ecsemu.Options{TaskStartDelay: 30 * time.Millisecond, SchedulerDelay: 30 * time.Millisecond})
	ctx := context.Background()
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	out, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster:        aws.String("prod"),
		ServiceName:    aws.String("api"),
		TaskDefinition: aws.String("api"),
		DesiredCount:   aws.Int32(2),
		LaunchType:     types.LaunchTypeFargate,
		DeploymentConfiguration: &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true},
			MinimumHealthyPercent:    aws.Int32(50),
		},
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	s := *out.Service
	// The scheduler places the tasks after the call: none are pending yet.
	if s.PendingCount != 0 || len(s.Events) != 0 || s.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress ||
		aws.ToInt32(s.DeploymentConfiguration.MinimumHealthyPercent) != 50 || s.LaunchType != types.LaunchTypeFargate ||
		s.SchedulingStrategy != types.SchedulingStrategyReplica {
		t.Errorf("created service %+v, want nothing pending yet, rolling out, minimumHealthyPercent 50, FARGATE, REPLICA", s)
	}
	if got := aws.ToString(s.TaskDefinition); got != "arn:aws:ecs:us-east-1:"+account+":task-definition/api:1" {
		t.Errorf("taskDefinition = %q, want the family resolved to revision 1", got)
	}

	in := &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"api"}}
	eventually(t, "the first rollout to complete", func() bool {
		d, err := client.DescribeServices(ctx, in)
		if err != nil {
			t.Fatalf("DescribeServices: %v", err)
		}
		s = d.Services[0]
		return s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
	got := messages(s)
	if len(got) != 3 || !strings.HasPrefix(got[2], "(service api) has started 2 tasks: ") ||
		!strings.Contains(got[1], ") deployment completed.") || got[0] != "(service api) has reached a steady state." {
		t.Errorf("events %q, want started, deployment completed, steady state (newest first)", got)
	}

	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")}); !isInvalidParameter(err) {
		t.Errorf("second CreateService: err = %v, want InvalidParameterException", err)
	}

	clusters, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod", "staging"}})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if len(clusters.Clusters) != 1 || aws.ToString(clusters.Clusters[0].ClusterName) != "prod" ||
		clusters.Clusters[0].RunningTasksCount != 2 || clusters.Clusters[0].ActiveServicesCount != 1 {
		t.Errorf("clusters %+v, want prod with 2 running tasks and 1 service", clusters.Clusters)
	}
	if len(clusters.Failures) != 1 || aws.ToString(clusters.Failures[0].Reason) != "MISSING" ||
		aws.ToString(clusters.Failures[0].Arn) != "arn:aws:ecs:us-east-1:"+account+":cluster/staging" {
		t.Errorf("failures %+v, want staging MISSING", clusters.Failures)
	}
}

func isInvalidParameter(err error) bool {
	var e *types.InvalidParameterException
	return errors.As(err, &e)
}

func TestListServicesPaginates(t *testing.T) {
	emu, client := start(t, ecsemu.Options{})
	for _, name := range []string{"a", "b", "c"} {
		seed(t, emu, name, ecsemu.ServiceSpec{DesiredCount: 1})
	}
	p := ecs.NewListServicesPaginator(client, &ecs.ListServicesInput{MaxResults: aws.Int32(2)})
	var pages [][]string
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		pages = append(pages, page.ServiceArns)
	}
	arn := func(n string) string { return "arn:aws:ecs:us-east-1:" + account + ":service/default/" + n }
	if len(pages) != 2 || len(pages[0]) != 2 || len(pages[1]) != 1 ||
		pages[0][0] != arn("a") || pages[0][1] != arn("b") || pages[1][0] != arn("c") {
		t.Errorf("pages = %q, want [a b] [c]", pages)
	}
	if _, err := client.ListServices(context.Background(), &ecs.ListServicesInput{MaxResults: aws.Int32(101)}); !isInvalidParameter(err) {
		t.Errorf("maxResults 101: err = %v, want InvalidParameterException", err)
	}
}

func TestDeleteServiceDrainsToInactive(t *testing.T) {
	emu, client := start(t, ecsemu.Options{TaskStopDelay: 50 * time.Millisecond, SchedulerDelay: 30 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 2})
	ctx := context.Background()
	if _, err := client.DeleteService(ctx, &ecs.DeleteServiceInput{Service: aws.String("web")}); !isInvalidParameter(err) {
		t.Fatalf("delete without force: err = %v, want InvalidParameterException", err)
	}
	out, err := client.DeleteService(ctx, &ecs.DeleteServiceInput{Service: aws.String("web"), Force: aws.Bool(true)})
	if err != nil {
		t.Fatalf("DeleteService: %v", err)
	}
	if aws.ToString(out.Service.Status) != "DRAINING" || out.Service.DesiredCount != 0 {
		t.Errorf("status %q desired %d, want DRAINING and 0", aws.ToString(out.Service.Status), out.Service.DesiredCount)
	}
	eventually(t, "the service to become INACTIVE", func() bool {
		return aws.ToString(describe(t, client, "web").Status) == "INACTIVE"
	})
}

func TestRejectsUnsignedAndUnknownRequests(t *testing.T) {
	emu, _ := start(t, ecsemu.Options{})
	post := func(target, auth string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, emu.URL()+"/", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}
	for _, c := range []struct{ target, auth, want string }{
		{"AmazonEC2ContainerServiceV20141113.ListServices", "", "MissingAuthenticationTokenException"},
		{"AmazonEC2ContainerServiceV20141113.RunTask", "AWS4-HMAC-SHA256 Credential=AKID/x", "UnknownOperationException"},
		{"DynamoDB_20120810.ListTables", "AWS4-HMAC-SHA256 Credential=AKID/x", "UnknownOperationException"},
	} {
		resp, body := post(c.target, c.auth)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-Errortype") != c.want ||
			!strings.Contains(body, `"__type":"`+c.want+`"`) {
			t.Errorf("%s: status %d type %q body %s, want 400 %s", c.target, resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body, c.want)
		}
	}
}

func TestHandlerCanBeEmbedded(t *testing.T) {
	t.Parallel()
	emu, err := ecsemu.New(ecsemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	if emu.URL() != "" {
		t.Errorf("URL() = %q for an emulator that does not listen", emu.URL())
	}
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	if s := describe(t, newClient(srv.URL), "web"); s.RunningCount != 1 {
		t.Errorf("running %d, want 1", s.RunningCount)
	}
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	if _, err := ecsemu.New(ecsemu.Options{ServiceReads: ecsemu.RateLimit{Burst: 0, PerSecond: 5}}); err == nil {
		t.Error("New accepted a bucket that can never hold a token")
	}
}

// The Lambda binaries build their client with config.LoadDefaultConfig; the
// service-specific endpoint variable is enough to point them here.
func TestDefaultConfigReachesEmulatorThroughEnvironment(t *testing.T) {
	emu, err := ecsemu.Start(ecsemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ECS":        emu.URL(),
		"AWS_REGION":                  region,
		"AWS_ACCESS_KEY_ID":           "AKID",
		"AWS_SECRET_ACCESS_KEY":       "SECRET",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	if s := describe(t, ecs.NewFromConfig(cfg), "web"); s.RunningCount != 1 {
		t.Errorf("running %d, want 1", s.RunningCount)
	}
	if got := emu.Calls("DescribeServices"); got != 1 {
		t.Errorf("DescribeServices calls = %d, want 1", got)
	}
}

func TestCircuitBreakerRollbackOverTheWire(t *testing.T) {
	emu, client := start(t, ecsemu.Options{SchedulerDelay: 300 * time.Millisecond, TaskStartDelay: 10 * time.Millisecond})
	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 2, TaskDefinition: "web:1",
		CircuitBreaker: ecsemu.CircuitBreaker{Enable: true, Rollback: true}})
	stable := describe(t, client, "web").Deployments[0]
	stableID := aws.ToString(stable.Id)
	if err := emu.FailRollouts("default", "web", true); err != nil {
		t.Fatal(err)
	}
	s := update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String("web:2")})
	failingID := aws.ToString(s.Deployments[0].Id)

	// The rollback shows until the scheduler's next pass finds it settled.
	eventually(t, "the rollback", func() bool {
		s = describe(t, client, "web")
		return aws.ToString(s.Deployments[0].Id) == stableID
	})
	if len(s.Deployments) != 2 {
		t.Fatalf("deployments %+v, want the rollback and the failed deployment", s.Deployments)
	}
	primary, failed := s.Deployments[0], s.Deployments[1]
	if aws.ToString(primary.Status) != "PRIMARY" || primary.RolloutState != types.DeploymentRolloutStateInProgress ||
		aws.ToString(primary.RolloutStateReason) != "ECS deployment circuit breaker: rolling back to deploymentId "+stableID+"." ||
		aws.ToString(primary.TaskDefinition) != aws.ToString(stable.TaskDefinition) || primary.RunningCount != 2 {
		t.Errorf("primary %+v, want %s rolling back, on %s, running 2", primary, stableID, aws.ToString(stable.TaskDefinition))
	}
	if aws.ToString(failed.Id) != failingID || aws.ToString(failed.Status) != "ACTIVE" || failed.RolloutState != types.DeploymentRolloutStateFailed ||
		aws.ToString(failed.RolloutStateReason) != "ECS deployment circuit breaker: tasks failed to start." || failed.FailedTasks < 3 {
		t.Errorf("failed deployment %+v, want %s ACTIVE FAILED with at least 3 failed tasks", failed, failingID)
	}
	if s.DesiredCount != 2 || aws.ToString(s.TaskDefinition) != aws.ToString(stable.TaskDefinition) {
		t.Errorf("service desired %d task definition %q, want 2 and the rolled-back %q", s.DesiredCount, aws.ToString(s.TaskDefinition), aws.ToString(stable.TaskDefinition))
	}
	if got, want := messages(s)[:2], []string{
		"(service web) rolling back to deployment " + stableID + ".",
		"(service web) (deployment " + failingID + ") deployment failed: tasks failed to start.",
	}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("newest events %q, want %q", got, want)
	}

	eventually(t, "the rollback to complete", func() bool {
		s = describe(t, client, "web")
		return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
	if d := s.Deployments[0]; aws.ToString(d.Id) != stableID || aws.ToString(d.RolloutStateReason) != "ECS deployment "+stableID+" completed." {
		t.Errorf("deployment %+v, want %s completed", d, stableID)
	}
	if got, want := messages(s)[:2], []string{
		"(service web) has reached a steady state.",
		"(service web) (deployment " + stableID + ") deployment completed.",
	}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("newest events %q, want %q", got, want)
	}
}

func TestDaemonServiceOverTheWire(t *testing.T) {
	emu, client := start(t, ecsemu.Options{SchedulerDelay: 20 * time.Millisecond, TaskStartDelay: 20 * time.Millisecond})
	if err := emu.SetContainerInstances("default", 3); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const daemonDesired = "The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again"
	isDaemonDesired := func(err error) bool {
		var invalid *types.InvalidParameterException
		return errors.As(err, &invalid) && invalid.ErrorMessage() == daemonDesired
	}

	_, err := client.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("agent"),
		SchedulingStrategy: types.SchedulingStrategyDaemon, DesiredCount: aws.Int32(3)})
	if !isDaemonDesired(err) {
		t.Errorf("CreateService DAEMON with a desired count: err = %v, want InvalidParameterException %q", err, daemonDesired)
	}
	_, err = client.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("agent"),
		SchedulingStrategy: types.SchedulingStrategyDaemon, LaunchType: types.LaunchTypeFargate})
	if !isInvalidParameter(err) {
		t.Errorf("CreateService DAEMON on FARGATE: err = %v, want InvalidParameterException", err)
	}

	out, err := client.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("agent"), SchedulingStrategy: types.SchedulingStrategyDaemon})
	if err != nil {
		t.Fatalf("CreateService DAEMON: %v", err)
	}
	if s := out.Service; s.SchedulingStrategy != types.SchedulingStrategyDaemon || s.DesiredCount != 3 ||
		aws.ToInt32(s.DeploymentConfiguration.MaximumPercent) != 100 || aws.ToInt32(s.DeploymentConfiguration.MinimumHealthyPercent) != 0 {
		t.Errorf("created %s desired %d percents %d/%d, want DAEMON with one task per instance (3), 0/100",
			s.SchedulingStrategy, s.DesiredCount, aws.ToInt32(s.DeploymentConfiguration.MinimumHealthyPercent), aws.ToInt32(s.DeploymentConfiguration.MaximumPercent))
	}
	eventually(t, "a task on each instance", func() bool { return describe(t, client, "agent").RunningCount == 3 })

	_, err = client.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("agent"), DesiredCount: aws.Int32(5)})
	if !isDaemonDesired(err) {
		t.Errorf("UpdateService DAEMON with a desired count: err = %v, want InvalidParameterException %q", err, daemonDesired)
	}
	if s := describe(t, client, "agent"); s.DesiredCount != 3 {
		t.Errorf("desired %d after the refused update, want 3", s.DesiredCount)
	}

	seed(t, emu, "web", ecsemu.ServiceSpec{DesiredCount: 1})
	if s := describe(t, client, "web"); s.SchedulingStrategy != types.SchedulingStrategyReplica {
		t.Errorf("replica service schedulingStrategy = %q, want REPLICA", s.SchedulingStrategy)
	}
	list, err := client.ListServices(ctx, &ecs.ListServicesInput{SchedulingStrategy: types.SchedulingStrategyDaemon})
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	if len(list.ServiceArns) != 1 || !strings.HasSuffix(list.ServiceArns[0], "/agent") {
		t.Errorf("DAEMON services %q, want only agent", list.ServiceArns)
	}
	clusters, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if got := clusters.Clusters[0].RegisteredContainerInstancesCount; got != 3 {
		t.Errorf("registeredContainerInstancesCount = %d, want 3", got)
	}
	// force is "only necessary ... if the service uses the REPLICA scheduling
	// strategy" (API Reference, DeleteService).
	if _, err := client.DeleteService(ctx, &ecs.DeleteServiceInput{Service: aws.String("agent")}); err != nil {
		t.Errorf("DeleteService DAEMON without force: %v", err)
	}
}
