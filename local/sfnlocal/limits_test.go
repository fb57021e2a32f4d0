package sfnlocal

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The quotas of testdata/limits.asl.json's states: 256 KiB = 262,144 bytes of
// UTF-8 per task result and per state input (after Parameters) or output, and
// limitsMaxEvents history events (25,000 unless set).

func dataLimitCause(what string) string {
	return "The state/task '" + what + "' returned a result with a size exceeding the maximum number of bytes service limit."
}

// A Lambda result over the quota fails the task with States.DataLimitExceeded,
// which a Catch on States.ALL takes, even when ResultPath discards the result.
func TestTaskResultLimit(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t)
	for _, tc := range []struct {
		bytes  int
		char   string
		caught bool
	}{
		{262144, "x", false},
		{262145, "x", true},
		{262144, "é", false}, // 131,073 characters, 262,144 bytes
		{262146, "é", true},
	} {
		t.Run(fmt.Sprintf("%d-bytes-of-%s", tc.bytes, tc.char), func(t *testing.T) {
			t.Parallel()
			_, out := e.run(t, fmt.Sprintf(`{"mode":"result","behavior":"size","bytes":%d,"char":%q}`, tc.bytes, tc.char))
			if out.Status != types.ExecutionStatusSucceeded {
				t.Fatalf("status %s (error %q, cause %q)", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			events := e.history(t, aws.ToString(out.ExecutionArn))
			got := eventTypes(events)
			caught, _ := decodeJSON(t, out.Output)["error"].(map[string]any)
			if !tc.caught {
				if caught != nil || !containsRun(got, []string{"LambdaFunctionSucceeded", "TaskStateExited", "SucceedStateEntered"}) {
					t.Errorf("a result of %d bytes: caught %v, history %v", tc.bytes, caught, got)
				}
				return
			}
			if caught["Error"] != "States.DataLimitExceeded" || caught["Cause"] != dataLimitCause(workARN) {
				t.Errorf("caught %v, want States.DataLimitExceeded with cause %q", caught, dataLimitCause(workARN))
			}
			want := []string{"LambdaFunctionStarted", "LambdaFunctionFailed", "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
			if !slices.Equal(got[len(got)-len(want):], want) {
				t.Errorf("history %v, want it to end %v", got, want)
			}
			for _, ev := range events {
				if d := ev.LambdaFunctionFailedEventDetails; d != nil &&
					(aws.ToString(d.Error) != "States.DataLimitExceeded" || aws.ToString(d.Cause) != dataLimitCause(workARN)) {
					t.Errorf("LambdaFunctionFailed %q %q", aws.ToString(d.Error), aws.ToString(d.Cause))
				}
			}
		})
	}
}

// A state whose output (here its input with a result under the quota) is over
// the quota fails the execution where it stands: no TaskStateExited, and the
// state's Catch is not taken.
func TestStateOutputLimit(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t)
	// 200,000 bytes of result into an input of 50,000 or 70,000 bytes of pad.
	input := func(pad int) string {
		return fmt.Sprintf(`{"mode":"output","behavior":"size","bytes":200000,"pad":%q}`, strings.Repeat("p", pad))
	}
	if _, out := e.run(t, input(50000)); out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("output of about 250,000 bytes: %s (%q)", out.Status, aws.ToString(out.Cause))
	}
	name, out := e.run(t, input(70000))
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.DataLimitExceeded" ||
		aws.ToString(out.Cause) != dataLimitCause("Keep result") {
		t.Fatalf("output of about 270,000 bytes: %s error %q cause %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	events := e.history(t, aws.ToString(out.ExecutionArn))
	want := []string{"ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
		"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "ExecutionFailed"}
	if got := eventTypes(events); !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	if d := events[len(events)-1].ExecutionFailedEventDetails; d == nil || aws.ToString(d.Error) != "States.DataLimitExceeded" {
		t.Errorf("ExecutionFailed details %+v", d)
	}
	if n := len(e.work.callsFor(name)); n != 1 {
		t.Errorf("work function called %d times, want 1", n)
	}
}

// A task's input after Parameters over the quota fails the execution before
// the function is invoked.
func TestStateInputLimit(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t)
	// 140,000 bytes of pad, passed twice.
	name, out := e.run(t, fmt.Sprintf(`{"mode":"input","pad":%q}`, strings.Repeat("p", 140000)))
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.DataLimitExceeded" ||
		aws.ToString(out.Cause) != dataLimitCause("Pass the pad twice") {
		t.Fatalf("%s error %q cause %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	want := []string{"ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "TaskStateEntered", "ExecutionFailed"}
	if got := eventTypes(e.history(t, aws.ToString(out.ExecutionArn))); !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	if n := len(e.work.callsFor(name)); n != 0 {
		t.Errorf("work function called %d times, want 0", n)
	}
}

// A loop fails at the history's limit: the last event (number limitsMaxEvents)
// is the ExecutionFailed, and the loop's Catch never runs. By hand, for 40:
// events 1-3 are ExecutionStarted and the Choice, each pass of the loop is 5
// events (TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
// LambdaFunctionSucceeded, TaskStateExited), so passes 1-7 are events 4-38,
// pass 8 enters its Task as event 39 and its LambdaFunctionScheduled would be
// event 40: the function runs 7 times.
func TestHistoryLimit(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t)
	name, out := e.run(t, `{"mode":"loop"}`)
	wantCause := fmt.Sprintf("The execution reached the maximum number of history events (%d).", limitsMaxEvents)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" || aws.ToString(out.Cause) != wantCause {
		t.Fatalf("%s error %q cause %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	events := e.history(t, aws.ToString(out.ExecutionArn))
	if len(events) != limitsMaxEvents {
		t.Fatalf("%d events, want %d: %v", len(events), limitsMaxEvents, eventTypes(events))
	}
	last, before := events[limitsMaxEvents-1], events[limitsMaxEvents-2]
	if last.Id != limitsMaxEvents || last.Type != types.HistoryEventTypeExecutionFailed ||
		aws.ToString(last.ExecutionFailedEventDetails.Error) != "States.Runtime" || aws.ToString(last.ExecutionFailedEventDetails.Cause) != wantCause {
		t.Errorf("last event %d %s %+v", last.Id, last.Type, last.ExecutionFailedEventDetails)
	}
	if before.Type != types.HistoryEventTypeTaskStateEntered || aws.ToString(before.StateEnteredEventDetails.Name) != "Work forever" {
		t.Errorf("event %d: %s, want the loop's TaskStateEntered", before.Id, before.Type)
	}
	for _, ev := range events {
		if d := ev.StateEnteredEventDetails; d != nil && aws.ToString(d.Name) == "Caught" {
			t.Errorf("the Catch ran: %v", eventTypes(events))
		}
	}
	if n := len(e.work.callsFor(name)); n != 7 {
		t.Errorf("work function called %d times, want 7", n)
	}
	time.Sleep(200 * time.Millisecond) // the engine stopped: nothing more runs or is recorded
	if n := len(e.work.callsFor(name)); n != 7 {
		t.Errorf("work function called %d times after the failure, want 7", n)
	}
	if n := len(e.history(t, aws.ToString(out.ExecutionArn))); n != limitsMaxEvents {
		t.Errorf("%d events after the failure, want %d", n, limitsMaxEvents)
	}
}
