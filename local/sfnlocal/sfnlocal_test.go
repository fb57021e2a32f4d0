package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

func TestStartDescribeSucceeded(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	input := `{"behavior":"ok","n":7}`
	name, out := e.run(t, input)

	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s (error %q, cause %q), want SUCCEEDED", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if aws.ToString(out.Name) != name || aws.ToString(out.StateMachineArn) != e.srv.StateMachineARN() {
		t.Errorf("name %q / state machine %q", aws.ToString(out.Name), aws.ToString(out.StateMachineArn))
	}
	if aws.ToString(out.Input) != input || out.InputDetails == nil || !out.InputDetails.Included {
		t.Errorf("input %q, details %+v", aws.ToString(out.Input), out.InputDetails)
	}
	if out.StartDate == nil || out.StopDate == nil || out.StopDate.Before(*out.StartDate) {
		t.Errorf("start %v stop %v", out.StartDate, out.StopDate)
	}
	if out.Error != nil || out.Cause != nil {
		t.Errorf("unexpected error/cause %q %q", aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	output := decodeJSON(t, out.Output)
	workOut, _ := output["work"].(map[string]any)
	if output["n"] != 7.0 || output["behavior"] != "ok" || workOut["ok"] != true || workOut["attempt"] != 1.0 {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	if out.OutputDetails == nil || !out.OutputDetails.Included {
		t.Errorf("outputDetails %+v", out.OutputDetails)
	}
	if n := len(e.work.callsFor(name)); n != 1 {
		t.Errorf("work function called %d times, want 1", n)
	}
}

func TestContextObjectReachesTask(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	name := uniqueName(t)
	started := e.start(t, name, `{"behavior":"ok"}`)
	if out := e.waitDone(t, aws.ToString(started.ExecutionArn)); out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s", out.Status)
	}
	calls := e.work.callsFor(name)
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	body := calls[0].body
	want := map[string]any{
		"executionName":    name,
		"executionId":      aws.ToString(started.ExecutionArn),
		"startTime":        started.StartDate.UTC().Format("2006-01-02T15:04:05.000Z"),
		"roleArn":          "arn:aws:iam::123456789012:role/StepscalerLocal",
		"stateMachineId":   e.srv.StateMachineARN(),
		"stateMachineName": "StepscalerTest",
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("task input %s = %v, want %v", k, body[k], v)
		}
	}
	if p, _ := body["payload"].(map[string]any); p["behavior"] != "ok" {
		t.Errorf("payload %v", body["payload"])
	}
	wantARN := "arn:aws:states:us-east-1:123456789012:execution:StepscalerTest:" + name
	if aws.ToString(started.ExecutionArn) != wantARN {
		t.Errorf("execution ARN %s, want %s", aws.ToString(started.ExecutionArn), wantARN)
	}
}

func TestFunctionErrorCaught(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	name, out := e.run(t, `{"behavior":"boom"}`)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s (error %q)", out.Status, aws.ToString(out.Error))
	}
	output := decodeJSON(t, out.Output)
	caught, _ := output["error"].(map[string]any)
	// The Cause is the function's whole error payload as a JSON string.
	if caught["Error"] != "Boom" || caught["Cause"] != boomPayload {
		t.Errorf("caught error at $.error = %v, want Error Boom, Cause %s", output["error"], boomPayload)
	}
	if rec, _ := output["recovered"].(map[string]any); rec["recovered"] != true {
		t.Errorf("recovered = %v", output["recovered"])
	}
	if n := len(e.recover.callsFor(name)); n != 1 {
		t.Errorf("recover function called %d times, want 1", n)
	}

	events := e.history(t, aws.ToString(out.ExecutionArn))
	var failed *types.LambdaFunctionFailedEventDetails
	for i, ev := range events {
		if ev.Type == types.HistoryEventTypeLambdaFunctionFailed {
			failed = ev.LambdaFunctionFailedEventDetails
			if i+2 >= len(events) || events[i+1].Type != types.HistoryEventTypeTaskStateExited ||
				aws.ToString(events[i+2].StateEnteredEventDetails.Name) != "Recover" {
				t.Errorf("LambdaFunctionFailed not followed by TaskStateExited and Recover: %v", eventTypes(events))
			}
		}
	}
	if failed == nil || aws.ToString(failed.Error) != "Boom" || aws.ToString(failed.Cause) != boomPayload {
		t.Fatalf("LambdaFunctionFailed details %+v in %v", failed, eventTypes(events))
	}
}

// boomPayload is what the stand-in function answers for behavior "boom".
const boomPayload = `{"errorMessage":"it went boom","errorType":"Boom","stackTrace":["work.go:1"]}`

// An endpoint that fails itself (RIE's HTTP 500) is the Lambda service failing:
// Lambda.ServiceException, which the definition retries as such.
func TestServiceExceptionRetried(t *testing.T) {
	t.Parallel()
	// The Retry for Lambda.ServiceException waits 2 s; the fast server's retry
	// override replaces that with 10 ms.
	for _, tc := range []struct {
		kind           string
		env            func(*testing.T) *env
		minGap, maxGap time.Duration
	}{
		{"real-interval", realEnv, 1900 * time.Millisecond, 10 * time.Second},
		{"retry-override", fastEnv, 0, time.Second},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			e := tc.env(t)
			name, out := e.run(t, `{"behavior":"500once"}`)
			if out.Status != types.ExecutionStatusSucceeded {
				t.Fatalf("status %s (error %q, cause %q)", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			calls := e.work.callsFor(name)
			if len(calls) != 2 {
				t.Fatalf("work function called %d times, want 2", len(calls))
			}
			if gap := calls[1].start.Sub(calls[0].end); gap < tc.minGap || gap > tc.maxGap {
				t.Errorf("retry after %v, want between %v and %v", gap, tc.minGap, tc.maxGap)
			}
			events := e.history(t, aws.ToString(out.ExecutionArn))
			got := eventTypes(events)
			want := []string{"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed",
				"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited"}
			if !containsRun(got, want) {
				t.Fatalf("history %v lacks %v", got, want)
			}
			for _, ev := range events {
				if ev.Type == types.HistoryEventTypeLambdaFunctionFailed {
					if d := ev.LambdaFunctionFailedEventDetails; aws.ToString(d.Error) != "Lambda.ServiceException" || !strings.Contains(aws.ToString(d.Cause), "HTTP 500") {
						t.Errorf("LambdaFunctionFailed %q %q", aws.ToString(d.Error), aws.ToString(d.Cause))
					}
				}
			}
		})
	}
}

func TestCustomErrorRetried(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	name, out := e.run(t, `{"behavior":"transient2"}`)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s (error %q)", out.Status, aws.ToString(out.Error))
	}
	if n := len(e.work.callsFor(name)); n != 3 {
		t.Errorf("work function called %d times, want 3", n)
	}
	var errs []string
	for _, ev := range e.history(t, aws.ToString(out.ExecutionArn)) {
		if d := ev.LambdaFunctionFailedEventDetails; d != nil {
			errs = append(errs, aws.ToString(d.Error)+": "+decodeJSON(t, d.Cause)["errorMessage"].(string))
		}
	}
	if want := []string{"Transient: attempt 1", "Transient: attempt 2"}; !slices.Equal(errs, want) {
		t.Errorf("LambdaFunctionFailed events %v, want %v", errs, want)
	}
	if work, _ := decodeJSON(t, out.Output)["work"].(map[string]any); work["attempt"] != 3.0 {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	t.Run("fail-state", func(t *testing.T) {
		t.Parallel()
		name, out := e.run(t, `{"mode":"fail","behavior":"ok"}`)
		if out.Status != types.ExecutionStatusFailed {
			t.Fatalf("status %s, want FAILED", out.Status)
		}
		if aws.ToString(out.Error) != "Stepscaler.TestFailure" || aws.ToString(out.Cause) != "mode was fail" {
			t.Errorf("error %q cause %q", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		if out.Output != nil || out.StopDate == nil {
			t.Errorf("output %v stopDate %v", out.Output, out.StopDate)
		}
		if n := len(e.work.callsFor(name)); n != 0 {
			t.Errorf("work function called %d times, want 0", n)
		}
		events := e.history(t, aws.ToString(out.ExecutionArn))
		want := []string{"ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "FailStateEntered", "ExecutionFailed"}
		if got := eventTypes(events); !slices.Equal(got, want) {
			t.Fatalf("history %v, want %v", got, want)
		}
		d := events[len(events)-1].ExecutionFailedEventDetails
		if d == nil || aws.ToString(d.Error) != "Stepscaler.TestFailure" || aws.ToString(d.Cause) != "mode was fail" {
			t.Errorf("ExecutionFailed details %+v", d)
		}
	})
	t.Run("uncaught-function-error", func(t *testing.T) {
		t.Parallel()
		_, out := e.run(t, `{"behavior":"unexpected"}`)
		if out.Status != types.ExecutionStatusFailed {
			t.Fatalf("status %s, want FAILED", out.Status)
		}
		want := `{"errorMessage":"nobody catches this","errorType":"Unexpected","stackTrace":["work.go:1"]}`
		if aws.ToString(out.Error) != "Unexpected" || aws.ToString(out.Cause) != want {
			t.Errorf("error %q cause %q", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		got := eventTypes(e.history(t, aws.ToString(out.ExecutionArn)))
		if !slices.Equal(got[len(got)-2:], []string{"LambdaFunctionFailed", "ExecutionFailed"}) {
			t.Errorf("history %v", got)
		}
	})
}

func TestNameIdempotency(t *testing.T) {
	t.Parallel()
	t.Run("running", func(t *testing.T) {
		t.Parallel()
		e := realEnv(t) // real waits keep the execution RUNNING
		name := uniqueName(t)
		input := `{"mode":"wait","waitSeconds":30,"behavior":"ok"}`
		first := e.start(t, name, input)
		second := e.start(t, name, input)
		if aws.ToString(second.ExecutionArn) != aws.ToString(first.ExecutionArn) || !second.StartDate.Equal(*first.StartDate) {
			t.Errorf("second start returned %s @%v, want %s @%v", aws.ToString(second.ExecutionArn), second.StartDate, aws.ToString(first.ExecutionArn), first.StartDate)
		}
		if n := strings.Count(strings.Join(eventTypes(e.history(t, aws.ToString(first.ExecutionArn))), ","), "ExecutionStarted"); n != 1 {
			t.Errorf("%d ExecutionStarted events", n)
		}
		_, err := e.client.StartExecution(t.Context(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(e.srv.StateMachineARN()),
			Name:            aws.String(name),
			Input:           aws.String(`{"mode":"wait","waitSeconds":31}`),
		})
		wantAPIError[*types.ExecutionAlreadyExists](t, err)

		if _, err := e.client.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: first.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		_, err = e.client.StartExecution(t.Context(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(e.srv.StateMachineARN()),
			Name:            aws.String(name),
			Input:           aws.String(input),
		})
		wantAPIError[*types.ExecutionAlreadyExists](t, err)
	})
	t.Run("finished", func(t *testing.T) {
		t.Parallel()
		e := fastEnv(t)
		input := `{"behavior":"ok"}`
		name, out := e.run(t, input)
		if out.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("status %s", out.Status)
		}
		_, err := e.client.StartExecution(t.Context(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(e.srv.StateMachineARN()),
			Name:            aws.String(name),
			Input:           aws.String(input),
		})
		ae := wantAPIError[*types.ExecutionAlreadyExists](t, err)
		if !strings.Contains(ae.ErrorMessage(), aws.ToString(out.ExecutionArn)) {
			t.Errorf("message %q does not name the execution", ae.ErrorMessage())
		}
	})
}

func TestExecutionNames(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	start := func(name string) error {
		_, err := e.client.StartExecution(t.Context(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(e.srv.StateMachineARN()),
			Name:            aws.String(name),
			Input:           aws.String(`{"behavior":"ok"}`),
		})
		return err
	}
	for _, bad := range []string{
		"has space", "tab\there", "new\nline", "a<b", "a>b", "a{b", "a}b", "a[b", "a]b", "a?b", "a*b",
		`a"b`, "a#b", "a%b", `a\b`, "a^b", "a|b", "a~b", "a`b", "a$b", "a&b", "a,b", "a;b", "a:b", "a/b",
		"nul\x00", "ctl\x1f", "del\x7f", "c1\u0085", "c1\u009f", "nbsp\u00a0",
	} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			wantAPIError[*types.InvalidName](t, start(bad))
		})
	}
	// Length limits are model constraints: AWS answers ValidationException.
	for _, bad := range []string{"", strings.Repeat("x", 81)} {
		wantAPIError[*types.ValidationException](t, start(bad))
	}
	suffix := nameSeq.Add(1)
	for _, good := range []string{
		fmt.Sprintf("%s%d", strings.Repeat("y", 70), 1000000000+suffix),
		fmt.Sprintf("ünïcödé-名前-%d", suffix),
		fmt.Sprintf("dots.dashes-under_scores+plus=eq@at(paren)'%d", suffix),
	} {
		if err := start(good); err != nil {
			t.Errorf("StartExecution(%q): %v", good, err)
		}
	}
	// Without a name the server picks a UUID.
	out, err := e.client.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(e.srv.StateMachineARN()),
	})
	if err != nil {
		t.Fatal(err)
	}
	desc := e.waitDone(t, aws.ToString(out.ExecutionArn))
	if len(aws.ToString(desc.Name)) != 36 || aws.ToString(desc.Input) != "{}" {
		t.Errorf("generated name %q, input %q", aws.ToString(desc.Name), aws.ToString(desc.Input))
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	ctx := t.Context()
	smARN := e.srv.StateMachineARN()
	unknownExec := strings.Replace(smARN, ":stateMachine:", ":execution:", 1) + ":does-not-exist"
	otherSM := strings.TrimSuffix(smARN, "StepscalerTest") + "Other"

	_, err := e.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(unknownExec)})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = e.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(unknownExec)})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = e.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(unknownExec)})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = e.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
	wantAPIError[*types.InvalidArn](t, err)

	_, err = e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(otherSM)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = e.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(otherSM)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = e.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(otherSM)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(unknownExec)})
	wantAPIError[*types.InvalidArn](t, err)

	_, err = e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN), Input: aws.String(`{"unterminated":`)})
	wantAPIError[*types.InvalidExecutionInput](t, err)
	big := `{"pad":"` + strings.Repeat("x", 256*1024) + `"}`
	_, err = e.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN), Input: aws.String(big)})
	wantAPIError[*types.ValidationException](t, err)

	// An operation the server does not implement.
	_, err = e.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("nope")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
		t.Errorf("CreateActivity: %v", err)
	}

	// The wire format itself.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL()+"/", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.NoSuchThing")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body.Type != "UnknownOperationException" || body.Message == "" ||
		resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Errorf("raw error response: %d %+v %v", resp.StatusCode, body, resp.Header)
	}
}

func TestExecutionHistory(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	_, out := e.run(t, `{"behavior":"boom"}`)
	arn := aws.ToString(out.ExecutionArn)
	events := e.history(t, arn)

	want := []string{
		"ExecutionStarted",
		"ChoiceStateEntered", "ChoiceStateExited",
		"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed", "TaskStateExited",
		"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
		"SucceedStateEntered", "SucceedStateExited",
		"ExecutionSucceeded",
	}
	if got := eventTypes(events); !slices.Equal(got, want) {
		t.Fatalf("history\n got %v\nwant %v", got, want)
	}
	for i, ev := range events {
		if ev.Id != int64(i+1) || ev.PreviousEventId != int64(i) {
			t.Errorf("event %d: id %d previous %d", i, ev.Id, ev.PreviousEventId)
		}
		if ev.Timestamp == nil || ev.Timestamp.Before(out.StartDate.Add(-time.Millisecond)) || ev.Timestamp.After(out.StopDate.Add(time.Millisecond)) {
			t.Errorf("event %d timestamp %v outside [%v, %v]", ev.Id, ev.Timestamp, out.StartDate, out.StopDate)
		}
		if i > 0 && ev.Timestamp.Before(*events[i-1].Timestamp) {
			t.Errorf("event %d timestamp %v before the previous one", ev.Id, ev.Timestamp)
		}
	}
	if d := events[0].ExecutionStartedEventDetails; d == nil || aws.ToString(d.Input) != `{"behavior":"boom"}` || aws.ToString(d.RoleArn) == "" {
		t.Errorf("ExecutionStarted details %+v", d)
	}
	if d := events[3].StateEnteredEventDetails; aws.ToString(d.Name) != "Work" || aws.ToString(d.Input) != `{"behavior":"boom"}` {
		t.Errorf("TaskStateEntered details %+v", d)
	}
	sched := events[4].LambdaFunctionScheduledEventDetails
	if sched == nil || aws.ToString(sched.Resource) != workARN || !strings.Contains(aws.ToString(sched.Input), `"executionName":`) {
		t.Errorf("LambdaFunctionScheduled details %+v", sched)
	}
	if d := events[6].LambdaFunctionFailedEventDetails; aws.ToString(d.Error) != "Boom" {
		t.Errorf("LambdaFunctionFailed details %+v", d)
	}
	if d := events[7].StateExitedEventDetails; aws.ToString(d.Name) != "Work" || !strings.Contains(aws.ToString(d.Output), `"Error":"Boom"`) {
		t.Errorf("TaskStateExited details %+v", d)
	}
	if d := events[9].LambdaFunctionScheduledEventDetails; aws.ToString(d.Resource) != recoverARN {
		t.Errorf("second LambdaFunctionScheduled resource %q", aws.ToString(d.Resource))
	}
	if d := events[11].LambdaFunctionSucceededEventDetails; !strings.Contains(aws.ToString(d.Output), `"recovered":true`) {
		t.Errorf("LambdaFunctionSucceeded details %+v", d)
	}
	if d := events[15].ExecutionSucceededEventDetails; aws.ToString(d.Output) != aws.ToString(out.Output) {
		t.Errorf("ExecutionSucceeded output %q, DescribeExecution output %q", aws.ToString(d.Output), aws.ToString(out.Output))
	}

	ids := func(evs []types.HistoryEvent) []int64 {
		var r []int64
		for _, ev := range evs {
			r = append(r, ev.Id)
		}
		return r
	}
	// Pages, both directions.
	for _, reverse := range []bool{false, true} {
		var got []types.HistoryEvent
		var token *string
		pages := 0
		for {
			page, err := e.client.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{
				ExecutionArn: aws.String(arn), MaxResults: 5, ReverseOrder: reverse, NextToken: token,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Events) > 5 {
				t.Fatalf("page of %d events with maxResults 5", len(page.Events))
			}
			pages++
			got = append(got, page.Events...)
			if token = page.NextToken; token == nil {
				break
			}
		}
		wantIDs := ids(events)
		if reverse {
			slices.Reverse(wantIDs)
		}
		if !slices.Equal(ids(got), wantIDs) || pages != 4 {
			t.Errorf("reverse=%v: %d pages, ids %v, want %v", reverse, pages, ids(got), wantIDs)
		}
	}
	// Without execution data.
	page, err := e.client.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := page.Events[0].ExecutionStartedEventDetails; d == nil || d.Input != nil || aws.ToString(d.RoleArn) == "" {
		t.Errorf("ExecutionStarted without data: %+v", d)
	}
	if d := page.Events[3].StateEnteredEventDetails; d == nil || d.Input != nil || aws.ToString(d.Name) != "Work" {
		t.Errorf("TaskStateEntered without data: %+v", d)
	}
	_, err = e.client.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(arn), NextToken: aws.String("garbage"),
	})
	wantAPIError[*types.InvalidToken](t, err)
}

func TestWaitOverride(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	begin := time.Now()
	name, out := e.run(t, `{"mode":"wait","waitSeconds":30,"behavior":"ok"}`)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s (error %q)", out.Status, aws.ToString(out.Error))
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("a 30 s Wait took %v with the override", d)
	}
	got := eventTypes(e.history(t, aws.ToString(out.ExecutionArn)))
	if !containsRun(got, []string{"WaitStateEntered", "WaitStateExited", "TaskStateEntered"}) {
		t.Errorf("history %v", got)
	}
	if n := len(e.work.callsFor(name)); n != 1 {
		t.Errorf("work called %d times", n)
	}
}

func TestStopExecution(t *testing.T) {
	t.Parallel()
	e := realEnv(t)
	if want := "arn:aws:states:us-east-1:123456789012:stateMachine:Scale"; e.srv.StateMachineARN() != want {
		t.Errorf("default state machine ARN %s, want %s", e.srv.StateMachineARN(), want)
	}
	name := uniqueName(t)
	started := e.start(t, name, `{"mode":"wait","waitSeconds":30,"behavior":"ok"}`)
	arn := aws.ToString(started.ExecutionArn)

	// The real server really waits: after it has entered the Wait state the
	// execution stays RUNNING.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := eventTypes(e.history(t, arn))
		if got[len(got)-1] == "WaitStateEntered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached the Wait state: %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	desc, err := e.client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != types.ExecutionStatusRunning || desc.StopDate != nil {
		t.Fatalf("status %s stopDate %v during a 30 s Wait", desc.Status, desc.StopDate)
	}

	stop, err := e.client.StopExecution(t.Context(), &sfn.StopExecutionInput{
		ExecutionArn: aws.String(arn), Error: aws.String("Test.Stop"), Cause: aws.String("stopped by the test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if stop.StopDate == nil || stop.StopDate.Before(*started.StartDate) {
		t.Fatalf("stopDate %v", stop.StopDate)
	}
	desc, err = e.client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != types.ExecutionStatusAborted || !desc.StopDate.Equal(*stop.StopDate) ||
		aws.ToString(desc.Error) != "Test.Stop" || aws.ToString(desc.Cause) != "stopped by the test" {
		t.Errorf("after stop: %s stop %v error %q cause %q", desc.Status, desc.StopDate, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
	time.Sleep(200 * time.Millisecond)
	events := e.history(t, arn)
	last := events[len(events)-1]
	if last.Type != types.HistoryEventTypeExecutionAborted || aws.ToString(last.ExecutionAbortedEventDetails.Error) != "Test.Stop" {
		t.Errorf("history %v, last %+v", eventTypes(events), last.ExecutionAbortedEventDetails)
	}
	if n := len(e.work.callsFor(name)); n != 0 {
		t.Errorf("work function called %d times after the execution was aborted", n)
	}
	// Stopping again changes nothing.
	again, err := e.client.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil || !again.StopDate.Equal(*stop.StopDate) {
		t.Errorf("second StopExecution: %v, %v", again, err)
	}
}

func TestConcurrentExecutionsAreSerializedPerEndpoint(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	const n = 5
	names := make([]string, n)
	arns := make([]string, n)
	starts := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		names[i] = uniqueName(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
				StateMachineArn: aws.String(e.srv.StateMachineARN()),
				Name:            aws.String(names[i]),
				Input:           aws.String(`{"behavior":"slow"}`),
			})
			if err != nil {
				t.Error(err)
				return
			}
			arns[i], starts[i] = aws.ToString(out.ExecutionArn), *out.StartDate
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var calls []invocation
	for i := range n {
		if out := e.waitDone(t, arns[i]); out.Status != types.ExecutionStatusSucceeded {
			t.Errorf("%s: %s", names[i], out.Status)
		}
		c := e.work.callsFor(names[i])
		if len(c) != 1 {
			t.Fatalf("%s: %d calls", names[i], len(c))
		}
		calls = append(calls, c[0])
	}
	slices.SortFunc(calls, func(a, b invocation) int { return a.start.Compare(b.start) })
	// The executions did run at the same time: all started before the first
	// invocation returned ...
	for i := range n {
		if !starts[i].Before(calls[0].end) {
			t.Errorf("execution %d started at %v, after the first invocation ended at %v", i, starts[i], calls[0].end)
		}
	}
	// ... yet the endpoint saw one invocation at a time.
	for i := 1; i < n; i++ {
		if calls[i].start.Before(calls[i-1].end) {
			t.Errorf("invocation %d started at %v before invocation %d ended at %v", i, calls[i].start, i-1, calls[i-1].end)
		}
	}
	if m := e.work.maxConcurrent(); m != 1 {
		t.Errorf("endpoint saw %d concurrent invocations", m)
	}
}

func TestListExecutions(t *testing.T) {
	t.Parallel()
	t.Run("finished", func(t *testing.T) {
		t.Parallel()
		e := fastEnv(t)
		var mine []string
		for range 3 {
			_, out := e.run(t, `{"behavior":"ok"}`)
			mine = append(mine, aws.ToString(out.ExecutionArn))
		}
		slices.Reverse(mine) // newest first

		var listed []types.ExecutionListItem
		p := sfn.NewListExecutionsPaginator(e.client, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(e.srv.StateMachineARN()),
			StatusFilter:    types.ExecutionStatusSucceeded,
			MaxResults:      2,
		})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Executions) > 2 {
				t.Fatalf("page of %d with maxResults 2", len(page.Executions))
			}
			pages++
			listed = append(listed, page.Executions...)
		}
		if pages < 2 {
			t.Errorf("%d pages", pages)
		}
		seen := map[string]bool{}
		var got []string
		for i, it := range listed {
			arn := aws.ToString(it.ExecutionArn)
			if seen[arn] {
				t.Errorf("%s listed twice", arn)
			}
			seen[arn] = true
			if it.Status != types.ExecutionStatusSucceeded || it.StartDate == nil || it.StopDate == nil ||
				aws.ToString(it.StateMachineArn) != e.srv.StateMachineARN() || !strings.HasSuffix(arn, ":"+aws.ToString(it.Name)) {
				t.Errorf("item %+v", it)
			}
			if i > 0 && it.StartDate.After(*listed[i-1].StartDate) {
				t.Errorf("not newest first at %d", i)
			}
			if slices.Contains(mine, arn) {
				got = append(got, arn)
			}
		}
		if !slices.Equal(got, mine) {
			t.Errorf("listed %v, want %v", got, mine)
		}
	})
	t.Run("running", func(t *testing.T) {
		t.Parallel()
		e := realEnv(t)
		out := e.start(t, uniqueName(t), `{"mode":"wait","waitSeconds":30,"behavior":"ok"}`)
		arn := aws.ToString(out.ExecutionArn)
		list := func(status types.ExecutionStatus) bool {
			res, err := e.client.ListExecutions(t.Context(), &sfn.ListExecutionsInput{
				StateMachineArn: aws.String(e.srv.StateMachineARN()), StatusFilter: status,
			})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, it := range res.Executions {
				if it.Status != status {
					t.Errorf("filter %s listed %s", status, it.Status)
				}
				found = found || aws.ToString(it.ExecutionArn) == arn
			}
			return found
		}
		if !list(types.ExecutionStatusRunning) || list(types.ExecutionStatusAborted) {
			t.Errorf("running execution not listed (only) as RUNNING")
		}
		if _, err := e.client.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		if list(types.ExecutionStatusRunning) || !list(types.ExecutionStatusAborted) {
			t.Errorf("stopped execution not listed (only) as ABORTED")
		}
	})
}

func TestDescribeStateMachine(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	out, err := e.client.DescribeStateMachine(t.Context(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(e.srv.StateMachineARN())})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.StateMachineARN() != "arn:aws:states:us-east-1:123456789012:stateMachine:StepscalerTest" ||
		aws.ToString(out.StateMachineArn) != e.srv.StateMachineARN() || aws.ToString(out.Name) != "StepscalerTest" ||
		out.Status != types.StateMachineStatusActive || out.Type != types.StateMachineTypeStandard ||
		aws.ToString(out.RoleArn) == "" || out.CreationDate == nil {
		t.Errorf("DescribeStateMachine: %+v", out)
	}
	def := aws.ToString(out.Definition)
	if strings.Contains(def, "${") || !strings.Contains(def, workARN) || !strings.Contains(def, recoverARN) || !json.Valid([]byte(def)) {
		t.Errorf("definition not substituted: %s", def)
	}
}

// ---------------------------------------------------------------------------
// Launcher.

func TestUnreachableLambdaAndShutdown(t *testing.T) {
	t.Parallel()
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + l.Addr().String()
	l.Close()

	const fn = "arn:aws:lambda:eu-west-1:210987654321:function:Gone"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv, err := Start(ctx, Options{
		Definition:    "testdata/unreachable.asl.json",
		Substitutions: map[string]string{"FunctionArn": fn},
		Lambdas:       map[string]string{fn: deadURL},
		Region:        "eu-west-1",
		Account:       "210987654321",
		Name:          "Unreachable",
		Log:           &serverLog,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if want := "arn:aws:states:eu-west-1:210987654321:stateMachine:Unreachable"; srv.StateMachineARN() != want {
		t.Errorf("ARN %s, want %s", srv.StateMachineARN(), want)
	}
	e := &env{srv: srv, client: newClient(srv.URL())}
	_, out := e.run(t, `{}`)
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "Lambda.ServiceException" {
		t.Fatalf("status %s error %q cause %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	want := []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStartFailed", "ExecutionFailed"}
	if got := eventTypes(e.history(t, aws.ToString(out.ExecutionArn))); !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}

	// Cancelling Start's context stops the server (through Close: SIGTERM).
	cancel()
	select {
	case <-srv.done:
	case <-time.After(10 * time.Second):
		t.Fatal("server still running 10 s after its context was cancelled")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Post(srv.URL(), "application/x-amz-json-1.0", nil); err == nil {
		t.Errorf("server still answers after it was stopped")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	root, err := findRoot("")
	if err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(t.TempDir(), "invalid.asl.json")
	os.WriteFile(invalid, []byte(`{"StartAt":"Missing","States":{"Only":{"Type":"Succeed"}}}`), 0o644)
	noModules := t.TempDir()
	os.MkdirAll(filepath.Join(noModules, "local", "sfn"), 0o755)
	os.WriteFile(filepath.Join(noModules, filepath.FromSlash(ServerScript)), nil, 0o644)
	lambdas := map[string]string{workARN: "http://127.0.0.1:1", recoverARN: "http://127.0.0.1:1"}

	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"no-node-modules", Options{Root: noModules, Definition: testASL}, []string{"npm ci", "aws-local-stepfunctions"}},
		{"missing-definition", Options{Root: root, Definition: "testdata/nope.json"}, []string{"nope.json"}},
		{"placeholder-left", Options{Root: root, Definition: testASL, Substitutions: map[string]string{"WorkFunctionArn": workARN}, Lambdas: lambdas},
			[]string{"${RecoverFunctionArn}", "exited before it was ready"}},
		{"task-without-endpoint", Options{Root: root, Definition: testASL, Substitutions: substitutions, Lambdas: map[string]string{workARN: "http://127.0.0.1:1"}},
			[]string{"Recover (" + recoverARN + ")"}},
		{"invalid-definition", Options{Root: root, Definition: invalid}, []string{"invalid state machine definition"}},
		{"bad-flag-value", Options{Root: root, Definition: testASL, Substitutions: substitutions, Lambdas: lambdas, Account: "12"}, []string{"--account"}},
		{"history-limit-too-small", Options{Root: root, Definition: testASL, Substitutions: substitutions, Lambdas: lambdas, MaxHistoryEvents: 1}, []string{"--max-history-events"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log syncBuffer
			tc.o.Log = &log
			srv, err := Start(t.Context(), tc.o)
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// The Log writer receives the server's stderr as JSON lines.
func TestServerLog(t *testing.T) {
	t.Parallel()
	e := fastEnv(t)
	name, out := e.run(t, `{"behavior":"ok"}`)
	if out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("status %s", out.Status)
	}
	var states []string
	for _, line := range strings.Split(serverLog.String(), "\n") {
		var rec struct{ Execution, State, Event, Status string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Execution == name {
			states = append(states, rec.Event+":"+rec.State+":"+rec.Status)
		}
	}
	want := []string{"ExecutionStarted::RUNNING", "ChoiceStateEntered:Route:RUNNING", "TaskStateEntered:Work:RUNNING",
		"SucceedStateEntered:Done:RUNNING", "ExecutionSucceeded:Done:SUCCEEDED"}
	if !slices.Equal(states, want) {
		t.Errorf("log lines for %s: %v, want %v", name, states, want)
	}
}
