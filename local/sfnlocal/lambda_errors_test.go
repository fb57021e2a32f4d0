package sfnlocal

import (
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// unknownCause is how Step Functions quotes Lambda's payload for an error
// Lambda reports itself (see server.mjs for the captures).
const unknownCause = "The cause could not be determined because Lambda did not return an error type. Returned payload: "

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Each way a function fails under RIE reaches the state machine as it would
// from Lambda. test.asl.json retries Lambda.ServiceException twice,
// Lambda.Unknown once and nothing else, so the number of invocations tells
// which rule matched.
func TestLambdaFailuresAsStepFunctionsSeesThem(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	for _, tc := range []struct {
		behavior string
		calls    int    // 2: retried once by the Lambda.Unknown rule
		error    string // the error of every attempt and of the execution
		// cause of the attempt whose RIE request id is given
		cause func(requestID string) string
	}{
		{
			// RIE: HTTP 200 "Task timed out after 3.00 seconds".
			behavior: "timeout", calls: 2, error: "Lambda.Unknown",
			cause: func(id string) string {
				return unknownCause + `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ` + id + ` Error: Task timed out after 3.00 seconds"}`
			},
		},
		{
			// RIE: HTTP 502 with Lambda's Runtime.ExitError payload.
			behavior: "crash", calls: 2, error: "Lambda.Unknown",
			cause: func(id string) string { return unknownCause + rieExitError(id) },
		},
		{
			// An error payload without a type (X-Amz-Function-Error, no errorType).
			behavior: "untyped", calls: 2, error: "Lambda.Unknown",
			cause: func(string) string { return unknownCause + `{"errorMessage":"no type"}` },
		},
		{
			// RIE: HTTP 502 with the error aws-lambda-go reported before exiting:
			// the function's own error, not retried.
			behavior: "panic", calls: 1, error: "string",
			cause: func(string) string { return panicPayload },
		},
		{
			// RIE: HTTP 200 with the error the function returned.
			behavior: "unexpected", calls: 1, error: "Unexpected",
			cause: func(string) string {
				return `{"errorMessage":"nobody catches this","errorType":"Unexpected","stackTrace":["work.go:1"]}`
			},
		},
	} {
		t.Run(tc.behavior, func(t *testing.T) {
			t.Parallel()
			name, out := e.run(t, `{"behavior":"`+tc.behavior+`"}`)
			calls := e.work.callsFor(name)
			if len(calls) != tc.calls {
				t.Fatalf("work function called %d times, want %d", len(calls), tc.calls)
			}
			last := calls[len(calls)-1]
			if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != tc.error || aws.ToString(out.Cause) != tc.cause(last.requestID) {
				t.Errorf("execution %s\n error %q\n cause %q\nwant error %q\n cause %q", out.Status,
					aws.ToString(out.Error), aws.ToString(out.Cause), tc.error, tc.cause(last.requestID))
			}
			events := e.history(t, aws.ToString(out.ExecutionArn))
			var failures []*types.LambdaFunctionFailedEventDetails
			for _, ev := range events {
				if ev.LambdaFunctionFailedEventDetails != nil {
					failures = append(failures, ev.LambdaFunctionFailedEventDetails)
				}
			}
			if len(failures) != len(calls) {
				t.Fatalf("%d LambdaFunctionFailed events for %d invocations: %v", len(failures), len(calls), eventTypes(events))
			}
			seen := map[string]bool{}
			for i, f := range failures {
				id := calls[i].requestID
				if !uuidPattern.MatchString(id) || seen[id] {
					t.Errorf("invocation %d: request id %q, want a fresh UUID", i+1, id)
				}
				seen[id] = true
				if aws.ToString(f.Error) != tc.error || aws.ToString(f.Cause) != tc.cause(id) {
					t.Errorf("LambdaFunctionFailed %d: error %q cause %q", i+1, aws.ToString(f.Error), aws.ToString(f.Cause))
				}
			}
			got := eventTypes(events)
			if want := []string{"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", "ExecutionFailed"}; !slices.Equal(got[len(got)-4:], want) {
				t.Errorf("history ends %v, want %v", got, want)
			}
		})
	}
}

// A function that timed out once is retried by the rule that names
// Lambda.Unknown, and the execution goes on.
func TestLambdaUnknownRetried(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	name, out := e.run(t, `{"behavior":"timeoutonce"}`)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s (error %q, cause %q)", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if n := len(e.work.callsFor(name)); n != 2 {
		t.Errorf("work function called %d times, want 2", n)
	}
	want := []string{"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
		"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited"}
	if got := eventTypes(e.history(t, aws.ToString(out.ExecutionArn))); !containsRun(got, want) {
		t.Errorf("history %v lacks %v", got, want)
	}
}

// RIE failing to run an invocation itself, as it does while it resets the
// runtime after a timeout, is no answer of the function's: the endpoint sends
// the invocation again, and the history shows one.
func TestInvocationResentWhileRIEResets(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	name, out := e.run(t, `{"behavior":"sandboxonce"}`)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s (error %q, cause %q)", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if n := len(e.work.callsFor(name)); n != 2 {
		t.Errorf("work function called %d times, want 2", n)
	}
	want := []string{"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited"}
	if got := eventTypes(e.history(t, aws.ToString(out.ExecutionArn))); !containsRun(got, want) || slices.Contains(got, "LambdaFunctionFailed") {
		t.Errorf("history %v, want one invocation: %v", got, want)
	}
}
