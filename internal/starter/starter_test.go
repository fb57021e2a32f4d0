package starter

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/executions"
)

// newStarter returns a starter whose Step Functions client points at a port nobody
// listens on: any call fails as a network error, the transient kind.
func newStarter(t *testing.T) (*Starter, *bytes.Buffer) {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "..", "local", "demo", "stepscaler.json"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(closed), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	var logs bytes.Buffer
	ex := executions.NewStarter(client, "arn:aws:states:us-east-1:000000000000:stateMachine:Scale")
	return New(cfg, ex, time.Now, slog.New(slog.NewJSONHandler(&logs, nil))), &logs
}

func snsEvent(t *testing.T, messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{SNS: events.SNSEntity{MessageID: string(rune('a' + i)), Message: m}})
	}
	return ev
}

func demoMessage(t *testing.T, mutate func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "local", "demo", "alarm-sns-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Records[0].SNS.Message), &m); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(m)
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// Notifications that ask for nothing, or cannot be acted on, are logged once and dropped
// without calling Step Functions (the client here would fail) and without an error, so
// neither SNS nor Lambda retries them.
func TestDropsWhatItCannotActOn(t *testing.T) {
	s, logs := newStarter(t)
	ok := demoMessage(t, func(m map[string]any) { m["NewStateValue"], m["OldStateValue"] = "OK", "ALARM" })
	unknown := demoMessage(t, func(m map[string]any) {
		m["AlarmName"] = "nobody-configured-this"
		m["AlarmArn"] = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:nobody-configured-this"
	})
	future := demoMessage(t, func(m map[string]any) {
		m["StateChangeTime"] = time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000+0000")
	})
	results, err := s.Process(context.Background(), snsEvent(t, ok, unknown, `{"AlarmName": 42}`, "not json", future))
	if err != nil {
		t.Fatalf("Process() error = %v, want none", err)
	}
	want := []string{Ignored, Rejected, Rejected, Rejected, Rejected}
	for i, r := range results {
		if r.Outcome != want[i] || r.Execution != "" {
			t.Errorf("result %d = %+v, want %s and no execution", i, r, want[i])
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want one per notification:\n%s", len(lines), logs)
	}
	var malformed map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &malformed); err != nil {
		t.Fatal(err)
	}
	if malformed["level"] != "ERROR" || malformed["field"] != "AlarmName" || malformed["problem"] == "" {
		t.Errorf("malformed notification logged as %v, want an ERROR naming the field and the problem", malformed)
	}
	var dated map[string]any
	if err := json.Unmarshal([]byte(lines[4]), &dated); err != nil {
		t.Fatal(err)
	}
	if dated["field"] != "StateChangeTime" || !strings.Contains(dated["problem"].(string), "in the future") {
		t.Errorf("future-dated notification logged as %v, want StateChangeTime named", dated)
	}
}

// A Step Functions failure is returned, so Lambda retries the delivery (and its
// on-failure destination keeps it); the execution name is already decided.
func TestReturnsStartFailures(t *testing.T) {
	s, logs := newStarter(t)
	results, err := s.Process(context.Background(), snsEvent(t, demoMessage(t, nil)))
	if err == nil {
		t.Fatal("Process() = nil error, want the StartExecution failure")
	}
	// Named for the service and the minute of the transition (2026-11-27T10:03:12Z in the
	// demo notification).
	if len(results) != 1 || !strings.HasPrefix(results[0].Execution, "demo-web-20261127T1003Z-") {
		t.Errorf("results = %+v", results)
	}
	if !strings.Contains(logs.String(), "start execution failed") {
		t.Errorf("no log line for the failure:\n%s", logs)
	}
}
