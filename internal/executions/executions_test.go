package executions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/sfnlocal"
)

// The starter runs with the real Step Functions client against the local Step Functions
// endpoint, executing testdata/hold.asl.json: an execution started by a notification
// stays RUNNING for an hour, a scheduled one succeeds at once. One endpoint serves the
// package's tests; each test uses services of its own.

var shared struct {
	once   sync.Once
	srv    *sfnlocal.Server
	client *sfn.Client
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close the Step Functions endpoint:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func endpoint(t *testing.T) (*sfnlocal.Server, *sfn.Client) {
	t.Helper()
	shared.once.Do(func() {
		shared.srv, shared.err = sfnlocal.Start(context.Background(), sfnlocal.Options{Definition: "testdata/hold.asl.json"})
		if shared.err == nil {
			shared.client = sfn.New(sfn.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(shared.srv.URL()),
				Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
				RetryMaxAttempts: 1,
			})
		}
	})
	if shared.err != nil {
		t.Fatalf("start the local Step Functions endpoint: %v", shared.err)
	}
	return shared.srv, shared.client
}

var minute = time.Date(2026, 11, 27, 10, 7, 0, 0, time.UTC)

var runs atomic.Int64

// service is a service of the test's own: execution names stay taken on the shared
// endpoint, also when the tests run again (-count).
func service(name string) scaling.ServiceRef {
	return scaling.ServiceRef{Cluster: "prod", Service: fmt.Sprintf("%s-%d", name, runs.Add(1))}
}

func notification(svc scaling.ServiceRef, messageID string) workflow.Input {
	changed := minute.Add(-20 * time.Second)
	return workflow.Input{Service: svc, Trigger: workflow.Trigger{
		Source: workflow.SourceNotification, Minute: minute, Alarm: svc.Service + "-high", StateChangeTime: &changed, MessageID: messageID,
	}}
}

func scheduled(svc scaling.ServiceRef) workflow.Input {
	return workflow.Input{Service: svc, Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: minute.Add(30 * time.Second)}}
}

// named lists the state machine's executions of that name.
func named(t *testing.T, c *sfn.Client, arn, name string) []sfntypes.ExecutionListItem {
	t.Helper()
	var found []sfntypes.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		for _, e := range page.Executions {
			if aws.ToString(e.Name) == name {
				found = append(found, e)
			}
		}
	}
	return found
}

// StartExecution's name idempotency (API Reference): the same name and input while the
// execution runs returns it (no error, nothing new); the same name with another input is
// ExecutionAlreadyExists, which Start reports as a duplicate.
func TestStart(t *testing.T) {
	srv, c := endpoint(t)
	s := executions.NewStarter(c, srv.StateMachineARN())
	web := service("web")
	in := notification(web, "message-1")
	name := workflow.ExecutionName(web, minute)

	got, err := s.Start(t.Context(), in)
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	if got.Name != name || got.Duplicate {
		t.Errorf("first Start = %+v, want %s, not a duplicate", got, name)
	}
	list := named(t, c, srv.StateMachineARN(), name)
	if len(list) != 1 || list[0].Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("executions named %s = %+v, want one RUNNING", name, list)
	}
	desc, err := c.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: list[0].ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	var sent workflow.Input
	if err := json.Unmarshal([]byte(aws.ToString(desc.Input)), &sent); err != nil {
		t.Fatalf("decode the execution's input %s: %v", aws.ToString(desc.Input), err)
	}
	if sent.Service != web || sent.Trigger.Source != workflow.SourceNotification || !sent.Trigger.Minute.Equal(minute) ||
		sent.Trigger.MessageID != "message-1" || sent.Trigger.Alarm != web.Service+"-high" {
		t.Errorf("execution input = %+v, want %+v", sent, in)
	}

	// The same notification delivered again while the execution runs.
	again, err := s.Start(t.Context(), in)
	if err != nil {
		t.Fatalf("Start with the same input: %v", err)
	}
	if again.Name != name {
		t.Errorf("Start with the same input = %+v, want name %s", again, name)
	}
	if list := named(t, c, srv.StateMachineARN(), name); len(list) != 1 {
		t.Errorf("executions named %s = %d after the same start, want 1", name, len(list))
	}

	// Another trigger in the same minute: same name, other input.
	other, err := s.Start(t.Context(), notification(web, "message-2"))
	if err != nil {
		t.Fatalf("Start with another input: %v", err)
	}
	if other.Name != name || !other.Duplicate {
		t.Errorf("Start with another input = %+v, want a duplicate of %s", other, name)
	}
	if list := named(t, c, srv.StateMachineARN(), name); len(list) != 1 {
		t.Errorf("executions named %s = %d after a duplicate, want 1", name, len(list))
	}

	// The next minute is another execution.
	next := notification(web, "message-3")
	next.Trigger.Minute = minute.Add(time.Minute)
	n, err := s.Start(t.Context(), next)
	if err != nil || n.Duplicate || n.Name == name {
		t.Errorf("Start for the next minute = %+v, %v; want a new execution", n, err)
	}
}

// Started.Duplicate is documented as true when an execution of that name already
// existed, "the same notification delivered twice" first among the cases: Step
// Functions then started nothing. While the execution runs, StartExecution answers the
// same name and input with that execution (API Reference), whose start date shows it
// existed: SNS redelivers after seconds, more than the second Start allows for clocks.
func TestStartSameNotificationTwiceIsADuplicate(t *testing.T) {
	srv, c := endpoint(t)
	s := executions.NewStarter(c, srv.StateMachineARN())
	in := notification(service("checkout"), "message-1")
	if first, err := s.Start(t.Context(), in); err != nil || first.Duplicate {
		t.Fatalf("first Start = %+v, %v; want started", first, err)
	}
	time.Sleep(1100 * time.Millisecond)
	again, err := s.Start(t.Context(), in)
	if err != nil || !again.Duplicate {
		t.Errorf("the same notification again = %+v, %v; want a duplicate, no error", again, err)
	}
}

// A finished execution's name stays taken: the same input again is
// ExecutionAlreadyExists too ("names are unique for 90 days"), a duplicate.
func TestStartAfterTheExecutionEnded(t *testing.T) {
	srv, c := endpoint(t)
	s := executions.NewStarter(c, srv.StateMachineARN())
	in := scheduled(service("batch"))
	first, err := s.Start(t.Context(), in)
	if err != nil || first.Duplicate {
		t.Fatalf("first Start = %+v, %v; want started", first, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := named(t, c, srv.StateMachineARN(), first.Name)
		if len(list) == 1 && list[0].Status == sfntypes.ExecutionStatusSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s has not succeeded after 10s: %+v", first.Name, list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	again, err := s.Start(t.Context(), in)
	if err != nil || !again.Duplicate || again.Name != first.Name {
		t.Errorf("Start after the end = %+v, %v; want a duplicate of %s", again, err, first.Name)
	}
}

// Running lists the running executions' names, and not those that ended.
func TestRunning(t *testing.T) {
	srv, c := endpoint(t)
	s := executions.NewStarter(c, srv.StateMachineARN())
	var running []string
	for _, svc := range []string{"orders", "payments"} {
		got, err := s.Start(t.Context(), notification(service(svc), svc))
		if err != nil {
			t.Fatalf("Start %s: %v", svc, err)
		}
		running = append(running, got.Name)
	}
	done, err := s.Start(t.Context(), scheduled(service("reports")))
	if err != nil {
		t.Fatalf("Start reports: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(named(t, c, srv.StateMachineARN(), done.Name)) != 1 ||
		named(t, c, srv.StateMachineARN(), done.Name)[0].Status == sfntypes.ExecutionStatusRunning {
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running after 10s", done.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}

	names, err := s.Running(t.Context())
	if err != nil {
		t.Fatalf("Running: %v", err)
	}
	for _, n := range running {
		if !slices.Contains(names, n) {
			t.Errorf("Running = %v, missing %s", names, n)
		}
	}
	if slices.Contains(names, done.Name) {
		t.Errorf("Running lists %s, which has ended", done.Name)
	}
	// Every name it lists is of a running execution.
	for _, n := range names {
		list := named(t, c, srv.StateMachineARN(), n)
		if len(list) != 1 || list[0].Status != sfntypes.ExecutionStatusRunning {
			t.Errorf("Running lists %s, whose executions are %+v", n, list)
		}
	}
}

// Other failures are errors, not duplicates, with Step Functions' error inside.
func TestStartErrors(t *testing.T) {
	srv, c := endpoint(t)
	arn := srv.StateMachineARN() + "-missing"
	s := executions.NewStarter(c, arn)
	got, err := s.Start(t.Context(), notification(service("web"), "m"))
	var missing *sfntypes.StateMachineDoesNotExist
	if !errors.As(err, &missing) || got.Duplicate {
		t.Errorf("Start on %s = %+v, %v; want StateMachineDoesNotExist, no duplicate", arn, got, err)
	}
	if _, err := s.Running(t.Context()); !errors.As(err, &missing) {
		t.Errorf("Running on %s: %v, want StateMachineDoesNotExist", arn, err)
	}
}
