package pacing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/middleware"

	"github.com/stepscaler/stepscaler/internal/pacing"
)

// server answers every ECS request with an empty DescribeServices result, after
// throttling the first `throttle` requests, and notes when each request arrived.
type server struct {
	mu       sync.Mutex
	arrivals []time.Time
	throttle int
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.arrivals = append(s.arrivals, time.Now())
	throttled := len(s.arrivals) <= s.throttle
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if throttled {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
		return
	}
	w.Write([]byte(`{"services":[],"failures":[]}`))
}

func (s *server) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrivals)
}

func (s *server) gaps() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(s.arrivals); i++ {
		gaps = append(gaps, s.arrivals[i].Sub(s.arrivals[i-1]))
	}
	return gaps
}

func client(t *testing.T, s *server, p *pacing.Limiter, attempts int) *ecs.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return ecs.New(ecs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: attempts,
		APIOptions:       []func(*middleware.Stack) error{p.APIOption},
	})
}

func describe(ctx context.Context, c *ecs.Client) error {
	_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
	return err
}

// At 20 calls a second, calls are at least 50 ms apart: the limiter may only slow
// them down, so this lower bound holds however loaded the machine is.
func TestCallsAreSpaced(t *testing.T) {
	s := &server{}
	c := client(t, s, pacing.New(20), 1)
	for range 4 {
		if err := describe(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	for i, g := range s.gaps() {
		if g < 45*time.Millisecond { // 50 ms less the limiter's clock granularity
			t.Errorf("call %d came %v after the one before, want at least 50ms", i+2, g)
		}
	}
}

// The SDK's own retry of a throttled call waits its turn like any call.
func TestRetriesAreSpaced(t *testing.T) {
	s := &server{throttle: 1}
	c := client(t, s, pacing.New(5), 2)
	if err := describe(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	gaps := s.gaps()
	if len(gaps) != 1 || gaps[0] < 190*time.Millisecond {
		t.Errorf("gaps between attempts = %v, want one of at least 200ms", gaps)
	}
}

// A call that could go only after the invocation's deadline is not made: the step fails
// at once with a DeferredError, which the state machine retries, instead of running out
// of time.
func TestCallPastTheDeadlineIsDeferred(t *testing.T) {
	s := &server{}
	c := client(t, s, pacing.New(1), 1)
	if err := describe(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := describe(ctx, c)
	var deferred *pacing.DeferredError
	if !errors.As(err, &deferred) || deferred.Operation != "DescribeServices" {
		t.Fatalf("second call = %v, want a DeferredError for DescribeServices", err)
	}
	if ctx.Err() != nil {
		t.Errorf("the call waited until the deadline; it should have been refused at once")
	}
	if n := s.requests(); n != 1 {
		t.Errorf("requests made = %d, want 1", n)
	}
}

func TestNilLimiterDoesNotPace(t *testing.T) {
	var p *pacing.Limiter = pacing.New(0)
	if p != nil || p.Interval() != 0 {
		t.Fatalf("New(0) = %v, want nil, unpaced", p)
	}
	if err := p.Wait(t.Context(), "UpdateService"); err != nil {
		t.Fatal(err)
	}
	s := &server{}
	if err := describe(t.Context(), client(t, s, p, 1)); err != nil {
		t.Fatal(err)
	}
}
