package starter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/sfnlocal"
)

// The fuzz target shares one local Step Functions endpoint per process (each fuzz worker
// is a process of its own), closed when the process's tests end.
var fuzzEndpoint struct {
	once   sync.Once
	srv    *sfnlocal.Server
	client *sfn.Client
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fuzzEndpoint.srv != nil {
		if err := fuzzEndpoint.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close the local Step Functions endpoint:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func sharedEndpoint(t testing.TB) (*sfnlocal.Server, *sfn.Client) {
	t.Helper()
	fuzzEndpoint.once.Do(func() {
		fuzzEndpoint.srv, fuzzEndpoint.err = sfnlocal.Start(context.Background(), sfnlocal.Options{
			Definition: doneASL, Region: "eu-west-2", Account: "123456789012", Name: "Scale",
		})
		if fuzzEndpoint.err == nil {
			fuzzEndpoint.client = sfnClient(fuzzEndpoint.srv.URL())
		}
	})
	if fuzzEndpoint.err != nil {
		t.Fatalf("start the local Step Functions endpoint: %v", fuzzEndpoint.err)
	}
	return fuzzEndpoint.srv, fuzzEndpoint.client
}

// wrap puts an alarm message into an SNS event as SNS delivers it to Lambda.
func wrap(message []byte) []byte {
	b, err := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{
		EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{Type: "Notification", MessageID: "95df01b4-ee98-5cb9-9903-4c221d41eb5e", Message: string(message)},
	}}})
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzInvoke feeds the starter arbitrary invocation payloads, seeded with both hostile
// corpora (but the files over 64 KiB) and the captured notifications, and checks its contract with Lambda against
// the local Step Functions endpoint:
//
//   - it never panics and never returns an error: the endpoint is up, so nothing here
//     is transient, and nothing else may be retried;
//   - every record gets exactly one Result and one log line, with its message ID, at
//     ERROR exactly when it is rejected; a payload that is no SNS event with records
//     gets one ERROR line;
//   - an execution is started (or found to exist) only for an SNS record with a sane
//     message ID carrying a notification the parser accepts, of an ALARM transition, of
//     a configured alarm, from an accepted account and Region, dated at most five
//     minutes ahead; it is the alarm's service's execution for that minute;
//   - Step Functions accepts every request the starter makes (no Failed outcome: the
//     execution's name and input are always valid);
//   - what the parser refuses is rejected with the parser's field and problem.
func FuzzInvoke(f *testing.F) {
	for _, dir := range []string{hostileDir, alarmHostileDir, "../alarm/testdata"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil || len(files) == 0 {
			f.Fatalf("no seeds in %s: %v", dir, err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			// The fuzzer mutates and minimizes a 256 KiB input slowly; TestHostileCorpus
			// runs the few files larger than this.
			if len(data) > 64*1024 {
				continue
			}
			if dir == hostileDir {
				f.Add(data)
			} else {
				f.Add(wrap(data))
			}
		}
	}
	cfg := testConfig(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		srv, client := sharedEndpoint(t)
		s, logs := newStarter(t, client, srv.StateMachineARN())
		// Bounded as a Lambda invocation is (the starter's timeout is 10 s).
		ctx, cancel := context.WithTimeout(invocation(context.Background(), ownFunctionARN), 10*time.Second)
		defer cancel()

		var ev events.SNSEvent
		if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
			out, err := s.Invoke(ctx, payload)
			if err != nil || string(out) != "null" {
				t.Fatalf("Invoke = %s, %v; want null, no error", out, err)
			}
			if lines := logs.take(t); len(lines) != 1 || lines[0]["level"] != "ERROR" || str(lines[0]["problem"]) == "" {
				t.Fatalf("logged %v; want one ERROR line with a problem", lines)
			}
			return
		}
		results, err := s.Process(ctx, ev)
		if err != nil {
			t.Fatalf("Process error: %v", err)
		}
		lines := logs.take(t)
		if len(results) != len(ev.Records) || len(lines) != len(ev.Records) {
			t.Fatalf("%d results and %d log lines for %d records", len(results), len(lines), len(ev.Records))
		}
		for i, rec := range ev.Records {
			r, line := results[i], lines[i]
			if (line["level"] == "ERROR") != (r.Outcome == Rejected) {
				t.Fatalf("record %d: %s logged at %v", i, r.Outcome, line["level"])
			}
			if id := rec.SNS.MessageID; checkMessageID(id) == "" && line["messageId"] != id {
				t.Fatalf("record %d: logged messageId %v, want %q", i, line["messageId"], id)
			}
			if len(str(line["problem"])) > 2*maxProblemLength {
				t.Fatalf("record %d: a problem of %d bytes", i, len(str(line["problem"])))
			}
			n, perr := alarm.Parse([]byte(rec.SNS.Message))
			var fe *alarm.FieldError
			if errors.As(perr, &fe) && checkMessageID(rec.SNS.MessageID) == "" && rec.EventSource == "aws:sns" &&
				(r.Outcome != Rejected || r.Field != fe.Field || r.Problem != fe.Problem) {
				t.Fatalf("record %d: the parser refuses it (%v), the starter says %+v", i, perr, r)
			}
			switch r.Outcome {
			case Rejected:
				if r.Problem == "" || r.Execution != "" {
					t.Fatalf("record %d: rejected as %+v", i, r)
				}
			case Ignored:
				if perr != nil || n.NewState == alarm.StateAlarm || r.Execution != "" {
					t.Fatalf("record %d: ignored %+v (parse error %v, state %s)", i, r, perr, n.NewState)
				}
			case Started, Duplicate:
				if rec.EventSource != "aws:sns" || checkMessageID(rec.SNS.MessageID) != "" || perr != nil || n.NewState != alarm.StateAlarm {
					t.Fatalf("record %d: %s from a record or message that should not start anything", i, r.Outcome)
				}
				target, ok := cfg.Lookup(n.AlarmName)
				if !ok || n.AccountID == "" || n.Region == "" || !cfg.AcceptsAlarmsFrom(n.AccountID, n.Region, "123456789012", "eu-west-2") {
					t.Fatalf("record %d: %s for alarm %q of %q in %q", i, r.Outcome, n.AlarmName, n.AccountID, n.Region)
				}
				if n.StateChangeTime.After(clock.Add(maxClockSkew)) {
					t.Fatalf("record %d: %s for a transition at %s", i, r.Outcome, n.StateChangeTime)
				}
				if want := workflow.ExecutionName(target.Service, n.StateChangeTime); r.Execution != want {
					t.Fatalf("record %d: execution %s, want %s", i, r.Execution, want)
				}
			default:
				t.Fatalf("record %d: outcome %s (%s): Step Functions refused what the starter sent", i, r.Outcome, strings.TrimSpace(str(line["error"])))
			}
		}
	})
}
