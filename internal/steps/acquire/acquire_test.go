package acquire_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/acquire"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/awstest"
)

// The step runs with the real DynamoDB client against kumo's DynamoDB, in process.

// web's longest stabilization timeout is 900 s, so its lease lasts 900 s + 10 min = 1500 s.
const leaseConfig = `{
  "services": [{
    "cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [
      {"alarmName": "web-high", "direction": "out", "stabilizationTimeoutSeconds": 900, "pollIntervalSeconds": 15},
      {"alarmName": "web-low", "direction": "in", "stabilizationTimeoutSeconds": 300}]
  }]
}`

const leaseSeconds = 1500

var web = scaling.ServiceRef{Cluster: "prod", Service: "web"}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { awstest.Main(m) }

type env struct {
	store *store.Store
	now   time.Time
	h     *acquire.Handler
}

func start(t *testing.T) *env {
	t.Helper()
	db, table := awstest.DynamoDB(t)
	cfg, err := config.Parse("lease.json", []byte(leaseConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	e := &env{store: store.New(db, table), now: t0}
	e.h = acquire.New(e.store, cfg, func() time.Time { return e.now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return e
}

func request(execution string) workflow.LeaseRequest {
	return workflow.LeaseRequest{Service: web, Execution: workflow.Execution{Name: execution, ID: "arn:aws:states:us-east-1:123456789012:execution:Scale:" + execution}}
}

func TestAcquire(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := t.Context()

	a, err := e.h.Acquire(ctx, request("exec-a"))
	if err != nil || !a.Acquired || a.Owner != "exec-a" {
		t.Fatalf("first acquire = %+v, %v; want acquired by exec-a", a, err)
	}
	st, err := e.store.State(ctx, web)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if st.LeaseOwner != "exec-a" || st.LeaseExpiresAt != t0.Unix()+leaseSeconds {
		t.Errorf("state = %+v, want exec-a's lease until %d (t0 + %d s)", st, t0.Unix()+leaseSeconds, leaseSeconds)
	}

	// Another execution, while exec-a holds it: refused, no error, the holder named.
	e.now = t0.Add(time.Minute)
	b, err := e.h.Acquire(ctx, request("exec-b"))
	if err != nil || b.Acquired || b.Owner != "exec-a" {
		t.Errorf("acquire while held = %+v, %v; want refused, held by exec-a", b, err)
	}

	// The holder again (a retried step): acquired, the lease extended from now.
	e.now = t0.Add(2 * time.Minute)
	again, err := e.h.Acquire(ctx, request("exec-a"))
	if err != nil || !again.Acquired || again.Owner != "exec-a" {
		t.Errorf("re-acquire by the holder = %+v, %v; want acquired", again, err)
	}
	if st, err := e.store.State(ctx, web); err != nil || st.LeaseExpiresAt != e.now.Unix()+leaseSeconds {
		t.Errorf("state = %+v, %v; want the lease extended to %d", st, err, e.now.Unix()+leaseSeconds)
	}

	// Just before the lease ends it still holds; once it has ended another may take it.
	e.now = t0.Add(2*time.Minute + leaseSeconds*time.Second - time.Second)
	if b, err := e.h.Acquire(ctx, request("exec-b")); err != nil || b.Acquired {
		t.Errorf("acquire a second before expiry = %+v, %v; want refused", b, err)
	}
	e.now = t0.Add(2*time.Minute + leaseSeconds*time.Second + time.Second)
	if b, err := e.h.Acquire(ctx, request("exec-b")); err != nil || !b.Acquired || b.Owner != "exec-b" {
		t.Errorf("acquire after expiry = %+v, %v; want acquired by exec-b", b, err)
	}
}

// The lease comes with the service's state item: cooldowns and suspensions for the plan.
func TestAcquireReturnsTheState(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := t.Context()
	if err := e.store.SetSuspended(ctx, web, scaling.In, true); err != nil {
		t.Fatalf("SetSuspended: %v", err)
	}
	a, err := e.h.Acquire(ctx, request("exec-a"))
	if err != nil || !a.Acquired || !a.State.SuspendedIn || a.State.SuspendedOut {
		t.Errorf("acquire = %+v, %v; want acquired with scale-in suspended", a, err)
	}
	b, err := e.h.Acquire(ctx, request("exec-b"))
	if err != nil || b.Acquired || !b.State.SuspendedIn || b.State.LeaseOwner != "exec-a" {
		t.Errorf("acquire while held = %+v, %v; want refused with the state as stored", b, err)
	}
}

func TestAcquireRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := t.Context()
	var invalid *steps.InvalidInputError
	if _, err := e.h.Acquire(ctx, request("")); !errors.As(err, &invalid) {
		t.Errorf("no execution name: %T %v, want InvalidInputError", err, err)
	}
	var notConfigured *steps.ServiceNotConfiguredError
	api := workflow.LeaseRequest{Service: scaling.ServiceRef{Cluster: "prod", Service: "api"}, Execution: workflow.Execution{Name: "exec-a"}}
	if _, err := e.h.Acquire(ctx, api); !errors.As(err, &notConfigured) {
		t.Errorf("unconfigured service: %T %v, want ServiceNotConfiguredError", err, err)
	}
	// Neither took a lease.
	for _, ref := range []scaling.ServiceRef{web, api.Service} {
		if st, err := e.store.State(ctx, ref); err != nil || st.LeaseOwner != "" {
			t.Errorf("state of %s = %+v, %v; want no lease", ref, st, err)
		}
	}
}

// closedPort is the URL of a local port that was just released: connecting is refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return url
}

// DynamoDB out of reach is a transient failure for the ASL to retry.
func TestAcquireUnreachable(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("lease.json", []byte(leaseConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	db := dynamodb.New(dynamodb.Options{Region: awstest.Region, BaseEndpoint: aws.String(closedPort(t)),
		Credentials: awstest.Credentials, RetryMaxAttempts: 1})
	h := acquire.New(store.New(db, "stepscaler"), cfg, func() time.Time { return t0 }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err = h.Acquire(t.Context(), request("exec-a"))
	var transient *steps.TransientError
	if !errors.As(err, &transient) {
		t.Errorf("Acquire with DynamoDB unreachable: %T %v, want TransientError", err, err)
	}
}
