package describe_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/describe"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// The step runs with the real ECS client against the local ECS emulator.

const ecsConfig = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5,
     "alarms": [{"alarmName": "web-high", "direction": "out"}]},
    {"cluster": "prod", "service": "ghost", "minCapacity": 1, "maxCapacity": 5,
     "alarms": [{"alarmName": "ghost-high", "direction": "out"}]},
    {"cluster": "nowhere", "service": "web", "minCapacity": 1, "maxCapacity": 5,
     "alarms": [{"alarmName": "nowhere-high", "direction": "out"}]}
  ]
}`

var (
	web     = scaling.ServiceRef{Cluster: "prod", Service: "web"}
	ghost   = scaling.ServiceRef{Cluster: "prod", Service: "ghost"}
	nowhere = scaling.ServiceRef{Cluster: "nowhere", Service: "web"}
)

// observedAt is the handler's clock.
var observedAt = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type env struct {
	emu     *ecsemu.Emulator
	client  *ecs.Client
	handler *describe.Handler
}

func start(t *testing.T) *env {
	t.Helper()
	emu := awstest.StartECS(t, ecsemu.Options{SchedulerDelay: time.Millisecond, TaskStartDelay: -1, TaskStopDelay: -1})
	if err := emu.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	client := awstest.ECS(emu.URL())
	cfg, err := config.Parse("ecs.json", []byte(ecsConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	return &env{emu: emu, client: client, handler: describe.New(client, cfg, func() time.Time { return observedAt })}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	e := start(t)
	view, ok := e.emu.Service("prod", "web")
	if !ok {
		t.Fatal("service prod/web not in the emulator")
	}
	before := e.emu.Calls("DescribeServices")
	s, err := e.handler.Describe(t.Context(), workflow.DescribeRequest{Service: web})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if n := e.emu.Calls("DescribeServices") - before; n != 1 {
		t.Errorf("DescribeServices requests = %d, want 1", n)
	}
	if s.Name != "web" || s.ARN != view.ARN || s.Status != service.StatusActive ||
		s.DesiredCount != 2 || s.RunningCount != 2 || s.PendingCount != 0 || !s.ObservedAt.Equal(observedAt) {
		t.Errorf("snapshot = %+v, want web (%s) ACTIVE, 2 desired, 2 running, observed at %s", s, view.ARN, observedAt)
	}
	p, ok := s.Primary()
	if len(s.Deployments) != 1 || !ok || p.RolloutState != service.RolloutCompleted || p.DesiredCount != 2 {
		t.Errorf("deployments = %+v, want one PRIMARY COMPLETED deployment of 2", s.Deployments)
	}
}

// waitEvents waits until the emulator reports at least n events for prod/web.
func (e *env) waitEvents(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v, _ := e.emu.Service("prod", "web"); len(v.Events) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d service events after 5s", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// DescribeServices returns up to 100 events; the snapshot that travels in the
// execution's state keeps the newest service.PayloadEvents, newest first. Service, which
// the stability check uses, keeps them all.
func TestDescribeTrimsEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	// Each scale-out adds "has started 1 tasks" and, once it runs, a new steady state.
	for desired := 3; desired <= 6; desired++ {
		if _, err := e.client.UpdateService(t.Context(), &ecs.UpdateServiceInput{
			Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(int32(desired)),
		}); err != nil {
			t.Fatalf("UpdateService to %d: %v", desired, err)
		}
		e.waitEvents(t, 2*(desired-2)+1)
	}
	out, err := e.client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	all := out.Services[0].Events
	if len(all) <= service.PayloadEvents {
		t.Fatalf("ECS reports %d events, need more than %d for the test", len(all), service.PayloadEvents)
	}

	s, err := e.handler.Describe(t.Context(), workflow.DescribeRequest{Service: web})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if len(s.Events) != service.PayloadEvents {
		t.Fatalf("Describe kept %d events, want %d", len(s.Events), service.PayloadEvents)
	}
	for i, ev := range s.Events {
		want := all[i] // ECS lists events newest first
		if ev.ID != aws.ToString(want.Id) || ev.Message != aws.ToString(want.Message) || !ev.CreatedAt.Equal(aws.ToTime(want.CreatedAt)) {
			t.Errorf("event %d = %+v, want ECS's %d-th newest %q", i, ev, i+1, aws.ToString(want.Message))
		}
		if i > 0 && ev.CreatedAt.After(s.Events[i-1].CreatedAt) {
			t.Errorf("event %d is newer than event %d: not newest first", i, i-1)
		}
	}

	whole, err := describe.Service(t.Context(), e.client, web, observedAt)
	if err != nil {
		t.Fatalf("Service: %v", err)
	}
	if len(whole.Events) != len(all) {
		t.Errorf("Service kept %d events, want all %d", len(whole.Events), len(all))
	}
}

// A service ECS reports MISSING, and a service of a cluster that does not exist, are
// both a ServiceNotFoundError naming the service.
func TestDescribeNotFound(t *testing.T) {
	t.Parallel()
	e := start(t)

	// What ECS answers in each case, so both paths of the handler are taken.
	out, err := e.client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"ghost"}})
	if err != nil || len(out.Services) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Fatalf("DescribeServices prod/ghost = %+v, %v; want a MISSING failure", out, err)
	}
	_, err = e.client.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("nowhere"), Services: []string{"web"}})
	var noCluster *ecstypes.ClusterNotFoundException
	if !errors.As(err, &noCluster) {
		t.Fatalf("DescribeServices nowhere/web error = %v, want ClusterNotFoundException", err)
	}

	for _, ref := range []scaling.ServiceRef{ghost, nowhere} {
		_, err := e.handler.Describe(t.Context(), workflow.DescribeRequest{Service: ref})
		var notFound *steps.ServiceNotFoundError
		if !errors.As(err, &notFound) || notFound.Service != ref.String() {
			t.Errorf("Describe %s error = %T %v, want ServiceNotFoundError for %s", ref, err, err, ref)
		}
	}
}

func TestDescribeNotConfigured(t *testing.T) {
	t.Parallel()
	e := start(t)
	before := e.emu.Calls("")
	_, err := e.handler.Describe(t.Context(), workflow.DescribeRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "api"}})
	var notConfigured *steps.ServiceNotConfiguredError
	if !errors.As(err, &notConfigured) {
		t.Errorf("Describe prod/api error = %T %v, want ServiceNotConfiguredError", err, err)
	}
	if n := e.emu.Calls("") - before; n != 0 {
		t.Errorf("ECS requests = %d, want none for a service the configuration does not list", n)
	}
}

// invoke runs the handler as the Lambda runtime does: the JSON input in, the JSON output
// or the error document out.
func invoke(t *testing.T, h *describe.Handler, input string) *messages.InvokeResponse {
	t.Helper()
	//lint:ignore SA1019 Function is the library's exported way to invoke a handler as the runtime does.
	fn := lambda.NewFunction(lambda.NewHandler(h.Describe))
	resp := &messages.InvokeResponse{}
	deadline := time.Now().Add(time.Minute)
	req := &messages.InvokeRequest{Payload: []byte(input), Deadline: messages.InvokeRequest_Timestamp{Seconds: deadline.Unix()}}
	if err := fn.Invoke(req, resp); err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return resp
}

// Through the Lambda runtime: the snapshot comes out as JSON the next states read, and a
// throttled DescribeServices is reported as a TransientError, which the ASL retries.
func TestDescribeAsALambdaFunction(t *testing.T) {
	t.Parallel()
	e := start(t)
	resp := invoke(t, e.handler, `{"service": {"cluster": "prod", "service": "web"}}`)
	if resp.Error != nil {
		t.Fatalf("invoke: %+v", *resp.Error)
	}
	var out struct {
		Name         string          `json:"name"`
		Status       string          `json:"status"`
		DesiredCount *int            `json:"desiredCount"`
		Events       []service.Event `json:"events"`
	}
	if err := json.Unmarshal(resp.Payload, &out); err != nil {
		t.Fatalf("decode the output %s: %v", resp.Payload, err)
	}
	if out.Name != "web" || out.Status != "ACTIVE" || out.DesiredCount == nil || *out.DesiredCount != 2 || len(out.Events) > service.PayloadEvents {
		t.Errorf("output = %s, want web ACTIVE with desiredCount 2 and at most %d events", resp.Payload, service.PayloadEvents)
	}

	e.emu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: ecsemu.Throttling})
	resp = invoke(t, e.handler, `{"service": {"cluster": "prod", "service": "web"}}`)
	if resp.Error == nil || resp.Error.Type != "TransientError" {
		t.Errorf("throttled: error %+v, want errorType TransientError", resp.Error)
	}
	resp = invoke(t, e.handler, `{"service": {"cluster": "prod", "service": "ghost"}}`)
	if resp.Error == nil || resp.Error.Type != "ServiceNotFoundError" {
		t.Errorf("missing service: error %+v, want errorType ServiceNotFoundError", resp.Error)
	}
	resp = invoke(t, e.handler, `{"service": {"cluster": "prod"}}`)
	if resp.Error == nil || resp.Error.Type != "InvalidInputError" {
		t.Errorf("no service name: error %+v, want errorType InvalidInputError", resp.Error)
	}
}

// Errors ECS answers that are not about the service are classified for the ASL.
func TestDescribeErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, tt := range []struct {
		fault     string
		transient bool
	}{
		{ecsemu.Throttling, true},
		{ecsemu.ServerError, true},
		{ecsemu.AccessDenied, false},
	} {
		e.emu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: tt.fault})
		_, err := e.handler.Describe(context.Background(), workflow.DescribeRequest{Service: web})
		var transient *steps.TransientError
		var callErr *steps.AWSCallError
		switch {
		case tt.transient && !errors.As(err, &transient):
			t.Errorf("%s: %T %v, want TransientError", tt.fault, err, err)
		case !tt.transient && !errors.As(err, &callErr):
			t.Errorf("%s: %T %v, want AWSCallError", tt.fault, err, err)
		}
	}
}
