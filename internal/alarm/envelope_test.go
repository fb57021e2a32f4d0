package alarm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMessagesTestdata(t *testing.T) {
	tests := []struct {
		file string
		want string // testdata file holding the message inside
	}{
		{"sns-lambda-event.json", "metric-alarm.json"},
		{"sns-http-envelope.json", "ok-state.json"},
		{"metric-alarm.json", "metric-alarm.json"},
		{"composite-alarm.json", "composite-alarm.json"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			msgs, err := Messages(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1", len(msgs))
			}
			got := mustParse(t, []byte(msgs[0]))
			want := mustParse(t, readTestdata(t, tt.want))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("message inside %s parses differently from %s", tt.file, tt.want)
			}
		})
	}
}

// envelopeOf wraps msg the way SNS does for HTTP and SQS deliveries.
func envelopeOf(msg string) map[string]any {
	return map[string]any{
		"Type":      "Notification",
		"MessageId": "b3a0f5d2-7c4e-5f18-9d6a-2e8c41b7f0a5",
		"TopicArn":  londonTopic,
		"Message":   msg,
		"Timestamp": "2026-11-27T10:02:41.598Z",
	}
}

func TestMessagesShapes(t *testing.T) {
	m1 := string(encode(t, baseMessage()))
	other := baseMessage()
	other["NewStateValue"] = "OK"
	m2 := string(encode(t, other))

	tests := []struct {
		name string
		in   any
		want []string
	}{
		{"bare message", baseMessage(), nil}, // want is the input itself
		{"SNS event with two records", map[string]any{"Records": []any{
			map[string]any{"EventSource": "aws:sns", "Sns": envelopeOf(m1)},
			map[string]any{"EventSource": "aws:sns", "Sns": envelopeOf(m2)},
		}}, []string{m1, m2}},
		{"single SNS record", map[string]any{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": envelopeOf(m1)}, []string{m1}},
		{"SNS record without EventSource", map[string]any{"Sns": envelopeOf(m1)}, []string{m1}},
		{"SNS envelope", envelopeOf(m1), []string{m1}},
		{"envelope without Type", map[string]any{"Message": m1}, []string{m1}},
		{"SQS event of SNS envelopes", map[string]any{"Records": []any{
			map[string]any{"eventSource": "aws:sqs", "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d", "body": string(encode(t, envelopeOf(m1)))},
		}}, []string{m1}},
		{"SQS event with raw message delivery", map[string]any{"Records": []any{
			map[string]any{"eventSource": "aws:sqs", "body": m2},
		}}, []string{m2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := encode(t, tt.in.(map[string]any))
			want := tt.want
			if want == nil {
				want = []string{string(in)}
			}
			got, err := Messages(in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Messages = %q, want %q", got, want)
			}
		})
	}
}

// A hand-edited capture with the message as an object rather than a string
// still yields a message that parses to the same notification.
func TestMessagesObjectMessage(t *testing.T) {
	env := map[string]any{"Type": "Notification", "Message": json.RawMessage(readTestdata(t, "metric-alarm.json"))}
	msgs, err := Messages(encode(t, env))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if !reflect.DeepEqual(mustParse(t, []byte(msgs[0])), mustParse(t, readTestdata(t, "metric-alarm.json"))) {
		t.Errorf("object message parses differently: %s", msgs[0])
	}
}

func TestMessagesErrors(t *testing.T) {
	m1 := string(encode(t, baseMessage()))
	tests := []struct {
		name    string
		in      string
		field   string
		problem string
	}{
		{"not JSON", `Records: []`, "", "malformed JSON at offset 1: invalid character 'R' looking for beginning of value"},
		{"array", `[]`, "", "not a JSON object (got an array)"},
		{"unrecognised", `{"Hello":"world"}`, "", "not an alarm message, SNS event, SNS record or SNS envelope (it has none of AlarmName, Records, Sns or Message)"},
		{"no records", `{"Records":[]}`, "Records", "empty"},
		{"records null", `{"Records":null}`, "Records", "empty"},
		{"records object", `{"Records":{}}`, "Records", "expected an array, got an object"},
		{"record string", `{"Records":["x"]}`, "Records[0]", `expected an object, got a string ("x")`},
		{"S3 record", `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`, "Records[0].eventSource", `not an SNS or SQS record ("aws:s3")`},
		{"SNS record without Sns", `{"Records":[{"EventSource":"aws:sns"}]}`, "Records[0].Sns", "missing"},
		{"second record broken", `{"Records":[{"Sns":{"Message":` + quoteJSON(m1) + `}},{"Sns":{"Message":""}}]}`, "Records[1].Sns.Message", "empty"},
		{"message number", `{"Sns":{"Message":42}}`, "Sns.Message", `expected a string, got a number ("42")`},
		{"message null", `{"Type":"Notification","Message":null}`, "Message", "missing"},
		{"subscription confirmation", `{"Type":"SubscriptionConfirmation","Message":"You have chosen to subscribe to the topic","SubscribeURL":"https://example.com/"}`, "Type", `"SubscriptionConfirmation", not a Notification`},
		{"SQS record without body", `{"Records":[{"eventSource":"aws:sqs"}]}`, "Records[0].body", "missing"},
		{"SQS body not JSON", `{"Records":[{"eventSource":"aws:sqs","body":"hello"}]}`, "Records[0].body", "malformed JSON at offset 1: invalid character 'h' looking for beginning of value"},
		{"SQS body unrecognised", `{"Records":[{"eventSource":"aws:sqs","body":"{\"a\":1}"}]}`, "Records[0].body", "not an alarm message, SNS event, SNS record or SNS envelope (it has none of AlarmName, Records, Sns or Message)"},
		{"too big", `{"Message":"` + strings.Repeat("x", MaxEnvelopeSize) + `"}`, "", "input is 6291470 bytes, more than the limit of 6291456"},
		{"duplicate key", `{"Records":[{"EventSource":"aws:sns","EventSource":"aws:sqs","Sns":{}}]}`, "Records[0].EventSource", "appears twice in one object; a JSON object's keys must be unique"},
		{"SQS body duplicate key", `{"Records":[{"eventSource":"aws:sqs","body":"{\"Message\":\"a\",\"Message\":\"b\"}"}]}`, "Records[0].body.Message", "appears twice in one object; a JSON object's keys must be unique"},
		{"invalid UTF-8", "{\"Message\":\"\xff\"}", "", "not valid UTF-8 (first invalid byte at offset 12)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Messages([]byte(tt.in))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Messages error = %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tt.field || fe.Problem != tt.problem {
				t.Errorf("Messages error\n field %q problem %q\nwant\n field %q problem %q", fe.Field, fe.Problem, tt.field, tt.problem)
			}
		})
	}
}

// SQS bodies could nest events inside events; the nesting is bounded.
func TestMessagesNestingBounded(t *testing.T) {
	in := string(encode(t, baseMessage()))
	for range maxNesting + 2 {
		in = string(encode(t, map[string]any{"Records": []any{map[string]any{"eventSource": "aws:sqs", "body": in}}}))
	}
	_, err := Messages([]byte(in))
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.Problem, "nested more than") {
		t.Errorf("Messages error = %v, want a nesting error", err)
	}
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
