package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/deploy"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/stack"
)

// TestFunctionTimeoutReachesTheWorkflowAsLambdaUnknown: ECS answers the stability check
// later than check-stability's deployed timeout, so the Runtime Interface Emulator ends
// every attempt at that timeout as Lambda would. The state machine sees Lambda.Unknown,
// with Lambda's Sandbox.Timedout payload in the cause, retries it by the rule that names
// it, and once those retries are spent records the scaling as Failed with the last
// attempt's error.
//
// The function gives its DescribeServices call the invocation's context, whose deadline
// is the timeout's instant: at that instant it fails the call and returns its own
// TransientError ("context deadline exceeded"), racing Lambda's timer. RIE, like Lambda,
// takes whichever comes first, mostly its timer. Both are names of the same Retry rule,
// so the attempts are the same; the history and the activity name the error that won.
//
// It takes the check's attempts times the function's timeout (5 × 10 s). It does not run
// in parallel: a fault is injected per operation, for every caller, and the scenarios
// that run in parallel poll DescribeServices too.
func TestFunctionTimeoutReachesTheWorkflowAsLambdaUnknown(t *testing.T) {
	skipShort(t)
	const service, function, state = "slow-ecs", "check-stability", "Check stability"
	timeout := deploy.Timeout(function)
	rule := retryRule(t, state, "Lambda.Unknown")
	if !slices.Contains(rule.ErrorEquals, "TransientError") {
		t.Fatalf("the rule that retries Lambda.Unknown in %q, %v, does not retry the function's own TransientError", state, rule.ErrorEquals)
	}
	attempts := 1 + rule.MaxAttempts
	createService(t, service, ecsemu.ServiceSpec{DesiredCount: 1})

	// CloudWatch reports the alarm in ALARM; the per-minute evaluation starts the
	// service's execution. Once that has set the desired count (it then waits before its
	// first check), ECS takes longer than the function may run to answer each of this
	// service's checks. The fault matches the service's name: the evaluation also starts
	// executions for other scenarios' services still in ALARM, and their checks must
	// neither meet the fault nor spend its uses.
	setAlarmQuietly(t, "slow-ecs-high", "ALARM")
	ctx, cancel := context.WithCancel(context.Background())
	injected := make(chan struct{})
	go func() {
		defer close(injected)
		for {
			if v, ok := st.ECS.Service(ref(service).Cluster, service); ok && v.DesiredCount != 1 {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
		st.ECS.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Match: `"` + service + `"`, Delay: timeout + time.Second, Times: attempts})
		injected <- struct{}{}
	}()
	names := evaluate(t, service)
	cancel()
	if _, ok := <-injected; !ok {
		t.Fatalf("the evaluation's executions %v never updated the service", names)
	}
	if len(names) != 1 {
		t.Fatalf("the evaluation started %v for %s, want one execution", names, service)
	}
	name := names[0]
	if status := describe(t, name).Status; status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s: %s, want FAILED", name, status)
	}
	if left := st.ECS.PendingFaults(); left != 0 {
		t.Errorf("%d of the %d slowed stability checks never reached ECS", left, attempts)
	}

	// The history: one entry into the check, every attempt ended at the function's
	// timeout, reported as Lambda.Unknown (or the function's own error, see above) and
	// retried, then the Catch.
	events, err := st.History(context.Background(), st.ExecutionARN(name))
	if err != nil {
		t.Fatal(err)
	}
	timedOut := regexp.MustCompile(`^The cause could not be determined because Lambda did not return an error type\. Returned payload: ` +
		regexp.QuoteMeta(`{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: `) + `[0-9a-f-]{36}` +
		regexp.QuoteMeta(fmt.Sprintf(` Error: Task timed out after %.2f seconds"}`, timeout.Seconds())) + `$`)
	entered := slices.IndexFunc(events, func(e sfntypes.HistoryEvent) bool {
		return e.Type == sfntypes.HistoryEventTypeTaskStateEntered && aws.ToString(e.StateEnteredEventDetails.Name) == state
	})
	if entered < 0 {
		t.Fatalf("the execution never entered %q: %v", state, namedEvents(events))
	}
	var (
		started          time.Time
		failures         []*sfntypes.LambdaFunctionFailedEventDetails
		unknown, ownErrs int
	)
	for _, e := range events[entered:] {
		if e.Type == sfntypes.HistoryEventTypeTaskStateExited {
			break
		}
		switch e.Type {
		case sfntypes.HistoryEventTypeLambdaFunctionScheduled:
			if r := aws.ToString(e.LambdaFunctionScheduledEventDetails.Resource); !strings.HasSuffix(r, ":function:stepscaler-"+function) {
				t.Errorf("event %d schedules %s, want %s", e.Id, r, function)
			}
		case sfntypes.HistoryEventTypeLambdaFunctionStarted:
			started = aws.ToTime(e.Timestamp)
		case sfntypes.HistoryEventTypeLambdaFunctionFailed:
			d := e.LambdaFunctionFailedEventDetails
			failures = append(failures, d)
			switch errName, cause := aws.ToString(d.Error), aws.ToString(d.Cause); {
			case errName == "Lambda.Unknown" && timedOut.MatchString(cause):
				unknown++
			case errName == "TransientError" && strings.Contains(cause, "context deadline exceeded"):
				ownErrs++
			default:
				t.Errorf("event %d: %s: %s", e.Id, errName, cause)
			}
			// The attempt ends at the deployed timeout (RIE then takes a moment to reset
			// the runtime), not before; the function's own deadline is the timeout's
			// instant cut to the millisecond.
			if took := aws.ToTime(e.Timestamp).Sub(started); took < timeout-10*time.Millisecond {
				t.Errorf("event %d: the attempt ended after %v, before the function's timeout of %v", e.Id, took, timeout)
			}
		}
	}
	if len(failures) != attempts || unknown == 0 {
		t.Fatalf("%d LambdaFunctionFailed events, %d of them Lambda.Unknown (%d the function's own error); want %d, Lambda.Unknown among them",
			len(failures), unknown, ownErrs, attempts)
	}
	t.Logf("%d attempts timed out as Lambda.Unknown, %d reported the function's own TransientError first", unknown, ownErrs)
	var want []string
	want = append(want, "TaskStateEntered "+state)
	for range attempts {
		want = append(want, "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed")
	}
	want = append(want, "TaskStateExited "+state, "TaskStateEntered Record failure")
	if got := namedEvents(events[entered:]); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("the check's history:\n%s\nwant it to begin:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// What the operator reads: the scaling Failed, with the last attempt's error as Step
	// Functions reported it, after the desired count had been set.
	last := failures[len(failures)-1]
	a := recorded(t, service, name)
	wantActivity(t, a, activity.StatusFailed, 1, 2, "")
	prefix := aws.ToString(last.Error) + ": "
	if aws.ToString(last.Error) == "Lambda.Unknown" {
		prefix += aws.ToString(last.Cause) // not JSON: quoted whole
	}
	if !strings.HasPrefix(a.StatusMessage, prefix) || !strings.HasSuffix(a.StatusMessage, "(desired count had been set to 2)") {
		t.Errorf("status message %q, want it to begin %q", a.StatusMessage, prefix)
	}
	out := describe(t, name)
	if aws.ToString(out.Error) != aws.ToString(last.Error) || aws.ToString(out.Cause) != a.StatusMessage {
		t.Errorf("execution error %q cause %q, want %s and the activity's status message", aws.ToString(out.Error), aws.ToString(out.Cause), aws.ToString(last.Error))
	}
	if d := desired(t, service); d != 2 {
		t.Errorf("desired %d, want 2: the update was made before the checks timed out", d)
	}
}

// retrier is a Retry rule of the definition.
type retrier struct {
	ErrorEquals []string
	MaxAttempts int
}

// retryRule is the Retry rule of the deployed definition's state that names errorName;
// it fails the test if there is none.
func retryRule(t *testing.T, state, errorName string) retrier {
	t.Helper()
	root, err := stack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "statemachine", "scale.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		States map[string]struct {
			Retry []struct {
				ErrorEquals []string
				MaxAttempts *int
			}
		}
	}
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatal(err)
	}
	for _, r := range def.States[state].Retry {
		if slices.Contains(r.ErrorEquals, errorName) {
			n := 3 // the Amazon States Language's default
			if r.MaxAttempts != nil {
				n = *r.MaxAttempts
			}
			return retrier{ErrorEquals: r.ErrorEquals, MaxAttempts: n}
		}
	}
	t.Fatalf("no Retry rule of %q names %s", state, errorName)
	return retrier{}
}

// namedEvents writes events as their type, followed by the state's name for state events.
func namedEvents(events []sfntypes.HistoryEvent) []string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e.Type)
		if d := e.StateEnteredEventDetails; d != nil {
			names[i] += " " + aws.ToString(d.Name)
		}
		if d := e.StateExitedEventDetails; d != nil {
			names[i] += " " + aws.ToString(d.Name)
		}
	}
	return names
}
