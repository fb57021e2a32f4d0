package starter

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// hostileDir holds SNS events as Lambda would receive them, carrying notifications no
// CloudWatch alarm of this deployment wrote (and a few that it did, as controls).
// alarmHostileDir holds bare messages that break the parser's rules; the test wraps
// each in an SNS event.
const (
	hostileDir      = "testdata/hostile"
	alarmHostileDir = "../alarm/testdata/hostile"
)

// want is what must become of one record.
type want struct {
	outcome string
	field   string // a rejected record's field ("" when none is to blame)
	problem string // part of a rejected record's problem
	// execution is the start of the execution's name (service and minute) when one
	// is started or found to exist.
	execution string
}

func rejected(field, problem string) want {
	return want{outcome: Rejected, field: field, problem: problem}
}
func started(execution string) want   { return want{outcome: Started, execution: execution} }
func duplicate(execution string) want { return want{outcome: Duplicate, execution: execution} }

var ignored = want{outcome: Ignored}

// hostileEvents says, by hand, what the starter must make of each file of hostileDir: an
// outcome per record, or, for a payload that is no SNS event with records, the problem
// of the one log line it gets. The function runs in 123456789012, eu-west-2; the
// configuration also accepts 210987654321 in eu-west-1; the clock reads 10:10:00Z.
var hostileEvents = []struct {
	file    string
	records []want
	event   string
}{
	// Where the notification comes from.
	{file: "own-account.json", records: []want{started("prod-web-api-20261127T1001Z-")}},
	{file: "foreign-account.json", records: []want{rejected("AlarmArn", "account 999999999999 in eu-west-2 is neither this deployment's (123456789012 in eu-west-2) nor listed in alarmSources")}},
	{file: "foreign-region.json", records: []want{rejected("AlarmArn", "account 123456789012 in us-east-1 is neither")}},
	{file: "listed-source.json", records: []want{started("prod-checkout-20261127T1002Z-")}},
	{file: "listed-account-other-region.json", records: []want{rejected("AlarmArn", "account 210987654321 in us-east-1 is neither")}},
	{file: "listed-region-other-account.json", records: []want{rejected("AlarmArn", "account 999999999999 in eu-west-1 is neither")}},
	{file: "partition-mismatch.json", records: []want{rejected("AlarmArn", `partition "aws-us-gov", not this deployment's "aws"`)}},
	{file: "no-arn-own.json", records: []want{started("prod-checkout-20261127T1003Z-")}},
	{file: "no-arn-foreign-region.json", records: []want{rejected("Region", "account 123456789012 in us-east-1 is neither")}},
	{file: "no-arn-foreign-account.json", records: []want{rejected("AWSAccountId", "account 999999999999 in eu-west-2 is neither")}},
	{file: "no-origin.json", records: []want{rejected("AWSAccountId", "the notification names no account")}},
	{file: "no-region.json", records: []want{rejected("Region", "the notification names no Region")}},
	{file: "unknown-region-name.json", records: []want{rejected("Region", `"Moon (Tranquility Base)" is not a Region name`)}},
	{file: "foreign-ok-transition.json", records: []want{rejected("AlarmArn", "account 999999999999 in eu-west-2 is neither")}},

	// What it asks for.
	{file: "ok-transition.json", records: []want{ignored}},
	{file: "insufficient-data.json", records: []want{ignored}},
	{file: "unknown-alarm.json", records: []want{rejected("AlarmName", "no alarm of that name in the deployed scaling configuration")}},
	{file: "alarm-name-other-case.json", records: []want{rejected("AlarmName", "no alarm of that name")}},
	{file: "alarm-name-trailing-space.json", records: []want{rejected("AlarmName", "no alarm of that name")}},
	{file: "alarm-name-bidi-override.json", records: []want{rejected("AlarmName", "no alarm of that name")}},
	{file: "alarm-name-zero-width-space.json", records: []want{rejected("AlarmName", "no alarm of that name")}},
	{file: "alarm-name-255-chars.json", records: []want{started("prod-worker-20261127T1004Z-")}},

	// When it happened.
	{file: "future-6-minutes.json", records: []want{rejected("StateChangeTime", "is more than 5 minutes in the future: 2026-11-27T10:16:00Z")}},
	{file: "future-year-9999.json", records: []want{rejected("StateChangeTime", "is more than 5 minutes in the future: 9999-12-31T23:59:59Z")}},
	{file: "future-4-minutes.json", records: []want{started("prod-checkout-20261127T1014Z-")}},
	// A stale notification is only a hint: its execution reads the alarm as it is now.
	{file: "stale-2019.json", records: []want{started("prod-worker-20190311T1135Z-")}},

	// Several records in one event.
	{file: "redelivered-new-message-id.json", records: []want{started("prod-web-api-20261127T1005Z-"), duplicate("prod-web-api-20261127T1005Z-")}},
	{file: "two-alarms-one-service-one-minute.json", records: []want{started("prod-web-api-20261127T1006Z-"), duplicate("prod-web-api-20261127T1006Z-")}},
	{file: "mixed-batch.json", records: []want{
		rejected("", "unexpected end of input"),
		rejected("AlarmName", "no alarm of that name"),
		started("prod-worker-20261127T1007Z-"),
	}},

	// The SNS record.
	{file: "message-id-missing.json", records: []want{rejected("Sns.MessageId", "missing")}},
	{file: "message-id-300-bytes.json", records: []want{rejected("Sns.MessageId", "300 bytes long, more than 100")}},
	{file: "message-id-newline.json", records: []want{rejected("Sns.MessageId", "contains byte 0x0a at offset 13")}},
	{file: "event-source-sqs.json", records: []want{rejected("EventSource", `"aws:sqs", not aws:sns`)}},
	{file: "event-source-missing.json", records: []want{rejected("EventSource", `"", not aws:sns`)}},
	{file: "message-empty.json", records: []want{rejected("", "empty input, expected a JSON object")}},
	{file: "message-double-wrapped.json", records: []want{rejected("AlarmName", "missing")}},
	// A 200 KB reason is within SNS's limit, and none of it goes into the execution.
	{file: "message-reason-200k.json", records: []want{started("prod-checkout-20261127T1008Z-")}},
	// Fields CloudWatch may add later are ignored.
	{file: "message-extra-fields.json", records: []want{started("prod-worker-20261127T1009Z-")}},

	// Payloads that are no SNS event with records.
	{file: "event-not-json.json", event: "invalid character 'R' looking for beginning of value"},
	{file: "event-no-records.json", event: "no records"},
	{file: "event-null.json", event: "no records"},
	{file: "event-records-object.json", event: "cannot unmarshal object"},
	{file: "event-message-object.json", event: "cannot unmarshal object"},
	{file: "event-timestamp-prose.json", event: "yesterday"},
}

// acceptedMessages are the files of alarmHostileDir the parser accepts (numbers that are
// finite, or left out of the reason); the starter starts them like any notification.
// Every other file there must be rejected with the parser's field and problem.
var acceptedMessages = map[string]want{
	"reason-datapoints-sum-overflows.json": started("prod-web-api-20261127T0856Z-"),
	"reason-datapoint-overflows.json":      started("prod-web-api-20261127T0857Z-"),
	"reason-nan-datapoint.json":            started("prod-web-api-20261127T0858Z-"),
	"threshold-max-float.json":             started("prod-web-api-20261127T0859Z-"),
	"threshold-underflow.json":             started("prod-web-api-20261127T0900Z-"),
}

// TestHostileCorpus runs every file of both corpora through the real starter, with the
// real Step Functions client and the local endpoint: each record gets the outcome the
// table says and exactly one log line, and in the end the state machine has exactly
// the executions the started records asked for, with their inputs.
func TestHostileCorpus(t *testing.T) {
	srv := startEndpoint(t, holdASL)
	client := sfnClient(srv.URL())
	s, logs := newStarter(t, client, srv.StateMachineARN())
	ctx := invocation(t.Context(), ownFunctionARN)

	files, err := filepath.Glob(filepath.Join(hostileDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range hostileEvents {
		listed[c.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expected outcome in hostileEvents", f)
		}
	}

	// Every execution a record started: its name's start, alarm and message ID.
	type startedBy struct{ execution, alarm, messageID string }
	var starts []startedBy
	count := 0

	for _, c := range hostileEvents {
		payload := readFile(t, filepath.Join(hostileDir, c.file))
		if c.records == nil {
			count++
			out, err := s.Invoke(ctx, payload)
			if err != nil || string(out) != "null" {
				t.Errorf("%s: Invoke = %s, %v; want null, no error", c.file, out, err)
			}
			lines := logs.take(t)
			if len(lines) != 1 || lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["msg"].(string), "malformed SNS event") ||
				!strings.Contains(str(lines[0]["problem"]), c.event) {
				t.Errorf("%s: logged %v; want one ERROR line, malformed SNS event, problem containing %q", c.file, lines, c.event)
			}
			continue
		}
		var ev events.SNSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(ev.Records) != len(c.records) {
			t.Fatalf("%s has %d records, the table %d", c.file, len(ev.Records), len(c.records))
		}
		count += len(ev.Records)
		results, err := s.Process(ctx, ev)
		if err != nil {
			t.Errorf("%s: Process error %v; nothing here is worth a retry", c.file, err)
		}
		lines := logs.take(t)
		checkRecords(t, c.file, ev, c.records, results, lines)
		for i, w := range c.records {
			if w.outcome == Started {
				starts = append(starts, startedBy{w.execution, results[i].Alarm, ev.Records[i].SNS.MessageID})
			}
		}
	}

	messages, err := filepath.Glob(filepath.Join(alarmHostileDir, "*"))
	if err != nil || len(messages) == 0 {
		t.Fatalf("no messages in %s: %v", alarmHostileDir, err)
	}
	for _, f := range messages {
		name := filepath.Base(f)
		message := readFile(t, f)
		ev := events.SNSEvent{Records: []events.SNSEventRecord{{
			EventSource: "aws:sns", EventVersion: "1.0",
			SNS: events.SNSEntity{Type: "Notification", MessageID: "hostile-" + strings.TrimSuffix(name, ".json"), Message: string(message)},
		}}}
		w, ok := acceptedMessages[name]
		if !ok {
			// The parser's own table decides the field and the problem; here they must
			// reach the log unchanged.
			_, perr := alarm.Parse(message)
			var fe *alarm.FieldError
			if !errors.As(perr, &fe) {
				t.Errorf("%s: the parser accepts it, but it is not in acceptedMessages", name)
				continue
			}
			w = rejected(fe.Field, fe.Problem)
		}
		count++
		results, err := s.Process(ctx, ev)
		if err != nil {
			t.Errorf("%s: Process error %v", name, err)
		}
		checkRecords(t, name, ev, []want{w}, results, logs.take(t))
		if w.outcome == Started {
			starts = append(starts, startedBy{w.execution, results[0].Alarm, ev.Records[0].SNS.MessageID})
		}
	}
	if count < 50 {
		t.Errorf("the corpus has %d cases, want at least 50", count)
	}

	// Nothing but the started records reached Step Functions.
	var names []string
	var arns []string
	p := sfn.NewListExecutionsPaginator(client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(srv.StateMachineARN())})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			names = append(names, aws.ToString(e.Name))
			arns = append(arns, aws.ToString(e.ExecutionArn))
		}
	}
	if len(names) != len(starts) {
		t.Errorf("%d executions exist, want %d: %v", len(names), len(starts), names)
	}
	for _, st := range starts {
		i := slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, st.execution) })
		if i < 0 {
			t.Errorf("no execution named %s… among %v", st.execution, names)
			continue
		}
		out, err := client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arns[i])})
		if err != nil {
			t.Fatal(err)
		}
		var in workflow.Input
		if err := json.Unmarshal([]byte(aws.ToString(out.Input)), &in); err != nil {
			t.Fatal(err)
		}
		if in.Trigger.Source != workflow.SourceNotification || in.Trigger.Alarm != st.alarm || in.Trigger.MessageID != st.messageID {
			t.Errorf("execution %s has input %+v, want the notification of %s, message %s", names[i], in, st.alarm, st.messageID)
		}
	}
}

// checkRecords checks each record's Result and its one log line against the table.
func checkRecords(t *testing.T, file string, ev events.SNSEvent, wants []want, results []Result, lines []map[string]any) {
	t.Helper()
	if len(results) != len(wants) || len(lines) != len(wants) {
		t.Errorf("%s: %d results and %d log lines for %d records:\n%+v\n%v", file, len(results), len(lines), len(wants), results, lines)
		return
	}
	for i, w := range wants {
		r, line := results[i], lines[i]
		if r.Outcome != w.outcome {
			t.Errorf("%s record %d: outcome %s (%s: %s), want %s", file, i, r.Outcome, r.Field, r.Problem, w.outcome)
			continue
		}
		wantLevel := "INFO"
		if w.outcome == Rejected {
			wantLevel = "ERROR"
		}
		if line["level"] != wantLevel {
			t.Errorf("%s record %d: logged at %v, want %s: %v", file, i, line["level"], wantLevel, line)
		}
		if id := ev.Records[i].SNS.MessageID; len(id) <= maxMessageIDLength && line["messageId"] != id {
			t.Errorf("%s record %d: log line has messageId %v, want %q", file, i, line["messageId"], id)
		}
		switch w.outcome {
		case Rejected:
			if r.Field != w.field || !strings.Contains(r.Problem, w.problem) {
				t.Errorf("%s record %d: rejected for %q: %q; want %q: %q", file, i, r.Field, r.Problem, w.field, w.problem)
			}
			if str(line["field"]) != w.field || str(line["problem"]) != r.Problem {
				t.Errorf("%s record %d: log line names field %q, problem %q; want %q, %q", file, i, line["field"], line["problem"], w.field, r.Problem)
			}
			if r.Execution != "" {
				t.Errorf("%s record %d: rejected, yet execution %s", file, i, r.Execution)
			}
		case Started, Duplicate:
			if !strings.HasPrefix(r.Execution, w.execution) || line["execution"] != r.Execution {
				t.Errorf("%s record %d: execution %q (logged %v), want %s…", file, i, r.Execution, line["execution"], w.execution)
			}
		case Ignored:
			if r.Execution != "" {
				t.Errorf("%s record %d: ignored, yet execution %s", file, i, r.Execution)
			}
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
