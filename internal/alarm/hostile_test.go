package alarm

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostileDir holds messages that no CloudWatch alarm wrote: each is the content of an
// SNS Message string as someone allowed to publish to the topic could send it. The
// starter's tests run every one of them through the starter as well.
const hostileDir = "testdata/hostile"

// hostileCase is what Parse must make of one file of hostileDir: refuse it, naming
// field (empty when the message as a whole is to blame) and a problem that contains
// problem; or accept it, and then check says what it must hold.
type hostileCase struct {
	file    string
	field   string
	problem string
	check   func(t *testing.T, n Notification)
}

// The expected outcomes are written by hand, from the rule each file breaks.
var hostileCases = []hostileCase{
	// Not JSON, or not one JSON object.
	{file: "not-json.json", problem: "malformed JSON at offset 1: invalid character 'A' looking for beginning of value"},
	{file: "empty.json", problem: "empty input, expected a JSON object"},
	{file: "whitespace-only.json", problem: "empty input, expected a JSON object"},
	{file: "truncated.json", problem: "unexpected end of input"},
	{file: "trailing-garbage.json", problem: "unexpected data after the top-level value"},
	{file: "two-objects.json", problem: "unexpected data after the top-level value"},
	{file: "top-level-array.json", problem: "not a JSON object (got an array)"},
	{file: "top-level-string.json", problem: "not a JSON object (got a string ("},
	{file: "top-level-null.json", problem: "not a JSON object (got null)"},
	{file: "single-quotes.json", problem: "malformed JSON at offset 2: invalid character '\\'' looking for beginning of object key string"},
	{file: "trailing-comma.json", problem: "invalid character '}' looking for beginning of object key string"},
	{file: "comment.json", problem: "malformed JSON at offset 1: invalid character '/' looking for beginning of value"},
	{file: "nan-literal.json", problem: "invalid character 'N' looking for beginning of value"},
	{file: "infinity-literal.json", problem: "invalid character 'I' looking for beginning of value"},
	{file: "hex-number.json", problem: "invalid character 'x' after object key:value pair"},
	{file: "leading-zero-number.json", problem: "invalid character '6' after object key:value pair"},
	{file: "raw-newline-in-string.json", problem: "invalid character '\\n' in string literal"},
	{file: "invalid-utf8.json", problem: "not valid UTF-8 (first invalid byte at offset 30)"},
	{file: "deep-nesting.json", problem: "exceeded max depth"},

	// Sizes and lengths.
	{file: "oversize.json", problem: "message is 263140 bytes, more than SNS's limit of 262144"},
	{file: "alarm-name-256-chars.json", field: "AlarmName", problem: "too long (256 characters, more than 255)"},
	{file: "alarm-name-10000-chars.json", field: "AlarmName", problem: "too long (10000 characters, more than 255)"},
	{file: "number-100000-digits.json", field: "Trigger.Threshold", problem: `not a finite number ("1000000000`},

	// Control characters in the name that logs and the execution input carry.
	{file: "alarm-name-newline.json", field: "AlarmName", problem: "contains a control character at byte 16"},
	{file: "alarm-name-nul.json", field: "AlarmName", problem: "contains a control character at byte 7"},
	{file: "alarm-name-ansi-escape.json", field: "AlarmName", problem: "contains a control character at byte 16"},
	{file: "alarm-name-c1-control.json", field: "AlarmName", problem: "contains a control character at byte 16"},

	// Wrong types.
	{file: "alarm-name-number.json", field: "AlarmName", problem: `expected a string, got a number ("42")`},
	{file: "alarm-name-array.json", field: "AlarmName", problem: "expected a string, got an array"},
	{file: "state-object.json", field: "NewStateValue", problem: "expected a string, got an object"},
	{file: "time-epoch-number.json", field: "StateChangeTime", problem: `expected a string, got a number ("1795773761")`},
	{file: "threshold-string.json", field: "Trigger.Threshold", problem: `expected a number, got a string ("80.0")`},
	{file: "period-boolean.json", field: "Trigger.Period", problem: "expected a number, got a boolean (true)"},
	{file: "trigger-string.json", field: "Trigger", problem: `expected an object, got a string ("CPUUtilization >= 80")`},
	{file: "dimensions-string.json", field: "Trigger.Dimensions", problem: `expected an array, got a string ("ServiceName=web-api")`},
	{file: "actions-object-element.json", field: "AlarmActions[0]", problem: "expected a string, got an object"},

	// Missing fields and values CloudWatch never writes.
	{file: "alarm-name-missing.json", field: "AlarmName", problem: "missing"},
	{file: "alarm-name-empty.json", field: "AlarmName", problem: "missing"},
	{file: "state-missing.json", field: "NewStateValue", problem: "missing"},
	{file: "state-lower-case.json", field: "NewStateValue", problem: `not an alarm state ("alarm")`},
	{file: "time-missing.json", field: "StateChangeTime", problem: "missing"},
	{file: "time-prose.json", field: "StateChangeTime", problem: `not a timestamp ("yesterday")`},
	{file: "time-year-zero.json", field: "StateChangeTime", problem: `out of range ("0000-01-01T00:00:00.000+0000")`},
	{file: "trigger-missing.json", field: "Trigger", problem: "missing; a metric alarm's notification has Trigger and a composite alarm's has AlarmRule"},
	{file: "trigger-and-alarm-rule.json", field: "AlarmRule", problem: "present alongside Trigger"},

	// Numbers that are not finite float64s, or out of range.
	{file: "threshold-overflow.json", field: "Trigger.Threshold", problem: `not a finite number ("1.8e308")`},
	{file: "threshold-negative-overflow.json", field: "Trigger.Threshold", problem: `not a finite number ("-1e309")`},
	{file: "period-overflow.json", field: "Trigger.Period", problem: `not a finite number ("1e999")`},
	{file: "evaluation-periods-huge-integer.json", field: "Trigger.EvaluationPeriods", problem: `too large ("99999999999999999999", more than 2147483647)`},
	{file: "period-negative.json", field: "Trigger.Period", problem: `negative ("-60")`},
	{file: "datapoints-to-alarm-fraction.json", field: "Trigger.DatapointsToAlarm", problem: `not a whole number ("2.5")`},

	// Identity: the account ID and the ARN must be well formed and agree.
	{file: "account-not-digits.json", field: "AWSAccountId", problem: `not a 12-digit account ID ("12345678901x")`},
	{file: "arn-other-alarm.json", field: "AlarmArn", problem: `alarm name "checkout-latency-high" does not match AlarmName "web-api-cpu-high"`},
	{file: "arn-account-disagrees.json", field: "AlarmArn", problem: `account "999999999999" does not match AWSAccountId "123456789012"`},
	{file: "arn-not-cloudwatch.json", field: "AlarmArn", problem: `not an ARN ("arn:aws:sns:eu-west-2:123456789012:stepscaler-alarms")`},
	{file: "arn-region-display-name.json", field: "AlarmArn", problem: `region "EU (London)" is not a region code`},

	// Duplicate keys: a reader keeping the first and one keeping the last disagree.
	{file: "duplicate-alarm-name.json", field: "AlarmName", problem: "appears twice in one object"},
	{file: "duplicate-account.json", field: "AWSAccountId", problem: "appears twice in one object"},
	{file: "duplicate-nested-key.json", field: "Trigger.Threshold", problem: "appears twice in one object"},

	// Accepted: every number is finite, though a sum of them need not be; what the
	// reason quotes that is not a finite number is left out.
	{file: "reason-datapoints-sum-overflows.json", check: func(t *testing.T, n Notification) {
		want := []Datapoint{
			{Value: 1.7e308, Time: time.Date(2026, 11, 27, 9, 59, 0, 0, time.UTC)},
			{Value: 1.7e308, Time: time.Date(2026, 11, 27, 9, 58, 0, 0, time.UTC)},
		}
		if !slices.Equal(n.Datapoints, want) {
			t.Errorf("Datapoints = %v, want %v", n.Datapoints, want)
		}
		if sum := n.Datapoints[0].Value + n.Datapoints[1].Value; !math.IsInf(sum, 1) {
			t.Errorf("the datapoints' sum = %g; this case is about a sum that overflows", sum)
		}
	}},
	{file: "reason-datapoint-overflows.json", check: func(t *testing.T, n Notification) {
		if n.Datapoints != nil || n.Threshold == nil || *n.Threshold != 80 {
			t.Errorf("Datapoints = %v, Threshold = %v; want none (1.8e308 is no float64) and the trigger's 80", n.Datapoints, n.Threshold)
		}
	}},
	{file: "reason-nan-datapoint.json", check: func(t *testing.T, n Notification) {
		if n.Datapoints != nil || n.Threshold == nil || *n.Threshold != 80 {
			t.Errorf("Datapoints = %v, Threshold = %v; want none and the trigger's 80", n.Datapoints, n.Threshold)
		}
	}},
	{file: "threshold-max-float.json", check: func(t *testing.T, n Notification) {
		if n.Threshold == nil || *n.Threshold != math.MaxFloat64 {
			t.Errorf("Threshold = %v, want the largest float64", n.Threshold)
		}
	}},
	{file: "threshold-underflow.json", check: func(t *testing.T, n Notification) {
		if n.Threshold == nil || *n.Threshold != 0 {
			t.Errorf("Threshold = %v, want 0 (1e-400 underflows)", n.Threshold)
		}
	}},
}

func TestHostileMessages(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(hostileDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range hostileCases {
		listed[c.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expected outcome in hostileCases", f)
		}
	}
	for _, c := range hostileCases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(hostileDir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			n, err := Parse(data)
			if c.check != nil {
				if err != nil {
					t.Fatalf("Parse: %v, want it accepted", err)
				}
				checkNotification(t, n)
				c.check(t, n)
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, %v; want a *FieldError", n.AlarmName, err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Problem, c.problem) {
				t.Errorf("Parse error: field %q, problem %q\nwant field %q, problem containing %q", fe.Field, fe.Problem, c.field, c.problem)
			}
			// A problem echoes at most a bounded piece of the input.
			if len(fe.Problem) > 300 {
				t.Errorf("problem is %d bytes long", len(fe.Problem))
			}
		})
	}
}
