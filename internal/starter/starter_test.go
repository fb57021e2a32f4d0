package starter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/steps"
)

// event reads an SNS event of the corpus.
func event(t *testing.T, file string) events.SNSEvent {
	t.Helper()
	var ev events.SNSEvent
	if err := json.Unmarshal(readFile(t, filepath.Join(hostileDir, file)), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// Only what a retry may fix is returned to Lambda: throttling, a 5xx, a network error.
// Whatever else StartExecution answers is logged at ERROR and acknowledged, since Lambda
// would only retry it twice and then fill the on-failure queue with it.
func TestStartExecutionFailures(t *testing.T) {
	srv := startEndpoint(t, holdASL)
	proxy := newFaultProxy(t, srv.URL())
	tests := []struct {
		name  string
		fault fault
		want  string // Retry or Failed
	}{
		{"throttled", fault{http.StatusBadRequest, awsError("ThrottlingException", "Rate exceeded")}, Retry},
		{"service unavailable", fault{http.StatusServiceUnavailable, awsError("ServiceUnavailable", "Service Unavailable")}, Retry},
		{"internal error", fault{http.StatusInternalServerError, awsError("InternalFailure", "An internal error occurred")}, Retry},
		{"gateway page", fault{http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>"}, Retry},
		{"access denied", fault{http.StatusBadRequest, awsError("AccessDeniedException",
			"User: arn:aws:sts::123456789012:assumed-role/starter/x is not authorized to perform: states:StartExecution")}, Failed},
		{"validation", fault{http.StatusBadRequest, awsError("ValidationException", "1 validation error detected")}, Failed},
		{"invalid input", fault{http.StatusBadRequest, awsError("InvalidExecutionInput", "Invalid State Machine Execution Input")}, Failed},
		{"state machine deleting", fault{http.StatusBadRequest, awsError("StateMachineDeleting", "State Machine is being deleted")}, Failed},
		{"running executions quota", fault{http.StatusBadRequest, awsError("ExecutionLimitExceeded", "Execution limit exceeded")}, Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newStarter(t, sfnClient(proxy.srv.URL), srv.StateMachineARN())
			proxy.inject(tt.fault)
			results, err := s.Process(invocation(t.Context(), ownFunctionARN), event(t, "own-account.json"))
			checkFailure(t, results, err, logs.take(t), tt.want)
		})
	}

	t.Run("network error", func(t *testing.T) {
		s, logs := newStarter(t, sfnClient(closedPort(t)), srv.StateMachineARN())
		results, err := s.Process(invocation(t.Context(), ownFunctionARN), event(t, "own-account.json"))
		checkFailure(t, results, err, logs.take(t), Retry)
	})

	// A state machine that does not exist, as the real endpoint answers it.
	t.Run("no such state machine", func(t *testing.T) {
		s, logs := newStarter(t, sfnClient(srv.URL()), srv.StateMachineARN()+"-gone")
		results, err := s.Process(invocation(t.Context(), ownFunctionARN), event(t, "own-account.json"))
		checkFailure(t, results, err, logs.take(t), Failed)
	})
}

func checkFailure(t *testing.T, results []Result, err error, lines []map[string]any, want string) {
	t.Helper()
	if len(results) != 1 || results[0].Outcome != want || !strings.HasPrefix(results[0].Execution, "prod-web-api-20261127T1001Z-") {
		t.Errorf("results = %+v, want %s for prod-web-api-20261127T1001Z-…", results, want)
	}
	var transient *steps.TransientError
	switch want {
	case Retry:
		// The runtime reports the error's type name as errorType: a named one.
		if !errors.As(err, &transient) || fmt.Sprintf("%T", err) != "*steps.TransientError" {
			t.Errorf("error = %v (%T), want a *steps.TransientError", err, err)
		}
	case Failed:
		if err != nil {
			t.Errorf("error = %v, want none: no retry can fix it", err)
		}
	}
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || !strings.HasPrefix(str(lines[0]["msg"]), "start execution failed") ||
		lines[0]["messageId"] != "7d3f1e2a-0b9c-5d4e-8f6a-000000000001" || str(lines[0]["error"]) == "" {
		t.Errorf("logged %v, want one ERROR line with the message ID and the error", lines)
	}
}

// Lambda retries the whole event after an error. An event whose first notification
// started its execution and whose second was throttled starts only the second when it
// comes again: the first one's execution exists.
func TestRetriedEventStartsOnlyWhatFailed(t *testing.T) {
	srv := startEndpoint(t, holdASL)
	proxy := newFaultProxy(t, srv.URL())
	s, logs := newStarter(t, sfnClient(proxy.srv.URL), srv.StateMachineARN())
	ctx := invocation(t.Context(), ownFunctionARN)
	first, second := event(t, "own-account.json"), event(t, "listed-source.json")
	ev := events.SNSEvent{Records: append(first.Records, second.Records...)}

	proxy.inject(fault{}, fault{http.StatusBadRequest, awsError("ThrottlingException", "Rate exceeded")})
	results, err := s.Process(ctx, ev)
	var transient *steps.TransientError
	if !errors.As(err, &transient) || len(results) != 2 || results[0].Outcome != Started || results[1].Outcome != Retry {
		t.Fatalf("first delivery = %+v, %v; want started, then retry with a TransientError", results, err)
	}
	logs.take(t)

	// Step Functions returns a running execution for the same name and input; the
	// starter tells it from a new one by its start date, more than a second earlier
	// (Lambda's first retry comes about a minute later).
	time.Sleep(1100 * time.Millisecond)
	results, err = s.Process(ctx, ev)
	if err != nil || len(results) != 2 || results[0].Outcome != Duplicate || results[1].Outcome != Started {
		t.Fatalf("retried delivery = %+v, %v; want duplicate, then started", results, err)
	}
	list, err := sfnClient(srv.URL()).ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(srv.StateMachineARN())})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 2 {
		t.Errorf("%d executions, want 2", len(list.Executions))
	}
}

// The deployment's own account and Region come from the invoked function's ARN. Without
// one the starter cannot tell its own notifications from others, and takes none.
func TestOwnAccountAndRegionFromTheInvocation(t *testing.T) {
	srv := startEndpoint(t, holdASL)
	tests := []struct {
		name    string
		ctx     func(context.Context) context.Context
		want    string
		problem string
	}{
		{"function ARN", func(ctx context.Context) context.Context { return invocation(ctx, ownFunctionARN) }, Started, ""},
		{"alias ARN", func(ctx context.Context) context.Context { return invocation(ctx, ownFunctionARN+":live") }, Started, ""},
		{"another Region", func(ctx context.Context) context.Context {
			return invocation(ctx, "arn:aws:lambda:us-east-1:123456789012:function:stepscaler-starter")
		}, Rejected, "account 123456789012 in eu-west-2 is neither this deployment's (123456789012 in us-east-1)"},
		{"another account", func(ctx context.Context) context.Context {
			return invocation(ctx, "arn:aws:lambda:eu-west-2:012345678912:function:stepscaler-starter")
		}, Rejected, "is neither this deployment's (012345678912 in eu-west-2)"},
		{"no Lambda context", func(ctx context.Context) context.Context { return ctx }, Rejected, "the invocation carries no function ARN"},
		{"not a function ARN", func(ctx context.Context) context.Context {
			return invocation(ctx, "arn:aws:states:eu-west-2:123456789012:stateMachine:Scale")
		}, Rejected, "is not a Lambda function ARN"},
	}
	s, logs := newStarter(t, sfnClient(srv.URL()), srv.StateMachineARN())
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A minute of its own for each case, so that each starts an execution.
			ev := event(t, "own-account.json")
			ev.Records[0].SNS.Message = strings.Replace(ev.Records[0].SNS.Message, "10:01:30", fmt.Sprintf("10:%02d:30", i), 1)
			results, err := s.Process(tt.ctx(t.Context()), ev)
			lines := logs.take(t)
			if err != nil || len(results) != 1 || results[0].Outcome != tt.want || !strings.Contains(results[0].Problem, tt.problem) {
				t.Errorf("Process = %+v, %v; want %s, problem containing %q", results, err, tt.want, tt.problem)
			}
			if len(lines) != 1 {
				t.Errorf("%d log lines, want 1", len(lines))
			}
		})
	}
}

// lambda.Start hands the payload to Starter.Invoke as it is (the runtime builds the
// same handler with lambda.NewHandler): what does not decode is logged and answered,
// and a transient failure is the invocation's error.
func TestTheRuntimeCallsInvoke(t *testing.T) {
	s, logs := newStarter(t, sfnClient(closedPort(t)), "arn:aws:states:eu-west-2:123456789012:stateMachine:Scale")
	h := lambda.NewHandler(s)
	ctx := invocation(t.Context(), ownFunctionARN)

	out, err := h.Invoke(ctx, []byte(`{"Records": "not a list"}`))
	if err != nil || string(out) != "null" {
		t.Errorf("Invoke(undecodable) = %s, %v; want null and no error", out, err)
	}
	if lines := logs.take(t); len(lines) != 1 || lines[0]["requestId"] != "0f4f8c3e-request" {
		t.Errorf("logged %v, want one line with the request ID", lines)
	}

	out, err = h.Invoke(ctx, readFile(t, filepath.Join(hostileDir, "own-account.json")))
	var transient *steps.TransientError
	if !errors.As(err, &transient) {
		t.Errorf("Invoke(notification, Step Functions unreachable) = %s, %v; want a TransientError", out, err)
	}
}
