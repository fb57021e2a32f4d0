package alarm

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, b []byte) Notification {
	t.Helper()
	n, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return n
}

func ptr(f float64) *float64 { return &f }

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const londonTopic = "arn:aws:sns:eu-west-2:123456789012:stepscaler-alarms"

func TestParseMetricAlarm(t *testing.T) {
	got := mustParse(t, readTestdata(t, "metric-alarm.json"))
	want := Notification{
		AlarmName:        "web-api-cpu-high",
		AlarmDescription: "Scale out web-api when average CPU stays above 80% for three minutes",
		AccountID:        "123456789012",
		NewState:         StateAlarm,
		OldState:         StateOK,
		Reason:           "Threshold Crossed: 3 out of the last 3 datapoints [85.2 (27/11/26 10:01:00), 90.1 (27/11/26 10:00:00), 88.4 (27/11/26 09:59:00)] were greater than or equal to the threshold (80.0) (minimum 3 datapoints for OK -> ALARM transition).",
		StateChangeTime:  utc("2026-11-27T10:02:41.512Z"),
		RegionName:       "EU (London)",
		Region:           "eu-west-2",
		AlarmARN:         "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:web-api-cpu-high",
		Kind:             KindMetric,
		Trigger: &Trigger{
			MetricName:    "CPUUtilization",
			Namespace:     "AWS/ECS",
			StatisticType: "Statistic",
			Statistic:     "AVERAGE",
			Unit:          "Percent",
			Dimensions: []Dimension{
				{Name: "ClusterName", Value: "prod-cluster"},
				{Name: "ServiceName", Value: "web-api"},
			},
			Period:             60,
			EvaluationPeriods:  3,
			DatapointsToAlarm:  3,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			Threshold:          ptr(80),
			TreatMissingData:   "missing",
		},
		Datapoints: []Datapoint{
			{Value: 85.2, Time: utc("2026-11-27T10:01:00Z")},
			{Value: 90.1, Time: utc("2026-11-27T10:00:00Z")},
			{Value: 88.4, Time: utc("2026-11-27T09:59:00Z")},
		},
		Threshold:            ptr(80),
		ConfigurationUpdated: utc("2026-11-20T08:15:02.704Z"),
		AlarmActions:         []string{londonTopic},
	}
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		wantJSON, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("Parse mismatch\ngot:  %s\nwant: %s", gotJSON, wantJSON)
	}
}

// TestParseVariants checks what distinguishes each testdata message.
func TestParseVariants(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, n Notification)
	}{
		{"metric-alarm-null-unit.json", func(t *testing.T, n Notification) {
			eq(t, "Kind", n.Kind, KindMetric)
			eq(t, "AlarmDescription", n.AlarmDescription, "")
			eq(t, "Trigger.Unit", n.Trigger.Unit, "")
			eq(t, "Trigger.Statistic", n.Trigger.Statistic, "MAXIMUM")
			eq(t, "Region", n.Region, "us-east-1")
			eq(t, "OKActions", n.OKActions, []string{"arn:aws:sns:us-east-1:123456789012:stepscaler-alarms"})
			eq(t, "InsufficientDataActions", n.InsufficientDataActions, []string(nil))
			eq(t, "Threshold", *n.Threshold, 1000.0)
			eq(t, "Datapoints", len(n.Datapoints), 2)
		}},
		{"extended-statistic.json", func(t *testing.T, n Notification) {
			eq(t, "Kind", n.Kind, KindMetric)
			eq(t, "StatisticType", n.Trigger.StatisticType, "ExtendedStatistic")
			eq(t, "ExtendedStatistic", n.Trigger.ExtendedStatistic, "p90")
			eq(t, "Statistic", n.Trigger.Statistic, "")
			eq(t, "EvaluateLowSampleCountPercentile", n.Trigger.EvaluateLowSampleCountPercentile, "evaluate")
			eq(t, "DatapointsToAlarm", n.Trigger.DatapointsToAlarm, int64(2))
			eq(t, "Threshold", *n.Threshold, 0.5)
			eq(t, "Datapoints", n.Datapoints, []Datapoint{
				{Value: 0.734, Time: utc("2026-11-27T10:04:00Z")},
				{Value: 0.612, Time: utc("2026-11-27T10:02:00Z")},
			})
			eq(t, "Region", n.Region, "eu-west-1")
		}},
		{"metric-math.json", func(t *testing.T, n Notification) {
			eq(t, "Kind", n.Kind, KindMetricMath)
			eq(t, "MetricName", n.Trigger.MetricName, "")
			eq(t, "len(Metrics)", len(n.Trigger.Metrics), 3)
			eq(t, "Metrics[0]", n.Trigger.Metrics[0], MetricDataQuery{
				ID: "e1", Expression: "requests / MAX([tasks, 1])", Label: "Requests per task", ReturnData: true,
			})
			eq(t, "Metrics[2]", n.Trigger.Metrics[2], MetricDataQuery{
				ID: "tasks",
				MetricStat: &MetricStat{
					Metric: Metric{
						Namespace:  "ECS/ContainerInsights",
						MetricName: "RunningTaskCount",
						Dimensions: []Dimension{{Name: "ClusterName", Value: "prod-cluster"}, {Name: "ServiceName", Value: "web-api"}},
					},
					Period: 60, Stat: "Average", Unit: "Count",
				},
			})
			eq(t, "Threshold", *n.Threshold, 1000.0)
			eq(t, "Datapoints", n.Datapoints, []Datapoint{{Value: 1318.5, Time: utc("2026-11-27T10:10:00Z")}})
			eq(t, "Region", n.Region, "eu-central-1")
		}},
		{"anomaly-detection.json", func(t *testing.T, n Notification) {
			eq(t, "Kind", n.Kind, KindMetricMath)
			eq(t, "ThresholdMetricID", n.Trigger.ThresholdMetricID, "ad1")
			eq(t, "Trigger.Threshold", n.Trigger.Threshold, (*float64)(nil))
			eq(t, "Threshold", n.Threshold, (*float64)(nil))
			eq(t, "Datapoints", n.Datapoints, []Datapoint{{Value: 15230, Time: utc("2026-11-27T10:15:00Z")}})
		}},
		{"composite-alarm.json", func(t *testing.T, n Notification) {
			eq(t, "Kind", n.Kind, KindComposite)
			eq(t, "Trigger", n.Trigger, (*Trigger)(nil))
			eq(t, "AlarmRule", n.AlarmRule, `(ALARM("web-api-cpu-high") OR ALARM("web-api-p90-latency")) AND NOT ALARM("web-api-maintenance")`)
			eq(t, "TriggeringChildren", n.TriggeringChildren, []Child{{
				ARN:       "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:web-api-cpu-high",
				State:     StateAlarm,
				Timestamp: utc("2026-11-27T10:02:41.512Z"),
			}})
			eq(t, "Threshold", n.Threshold, (*float64)(nil))
			eq(t, "Datapoints", n.Datapoints, []Datapoint(nil))
			eq(t, "OKActions", n.OKActions, []string{londonTopic})
		}},
		{"legacy-2019.json", func(t *testing.T, n Notification) {
			eq(t, "Kind", n.Kind, KindMetric)
			eq(t, "AlarmARN", n.AlarmARN, "")
			eq(t, "Region", n.Region, "us-east-1")
			eq(t, "RegionName", n.RegionName, "US East (N. Virginia)")
			eq(t, "AccountID", n.AccountID, "123456789012")
			eq(t, "TreatMissingData", n.Trigger.TreatMissingData, "missing")
			eq(t, "DatapointsToAlarm", n.Trigger.DatapointsToAlarm, int64(0))
			eq(t, "ConfigurationUpdated", n.ConfigurationUpdated, time.Time{})
			eq(t, "AlarmActions", n.AlarmActions, []string(nil))
			eq(t, "Datapoints", n.Datapoints, []Datapoint{{Value: 72.44166666666666, Time: utc("2019-03-11T11:34:00Z")}})
			eq(t, "StateChangeTime", n.StateChangeTime, utc("2019-03-11T11:35:03.662Z"))
		}},
		{"ok-state.json", func(t *testing.T, n Notification) {
			eq(t, "NewState", n.NewState, StateOK)
			eq(t, "OldState", n.OldState, StateAlarm)
			eq(t, "Threshold", *n.Threshold, 20.0)
			eq(t, "Datapoints", n.Datapoints, []Datapoint{{Value: 42.7, Time: utc("2026-11-27T10:20:00Z")}})
		}},
		{"insufficient-data.json", func(t *testing.T, n Notification) {
			eq(t, "NewState", n.NewState, StateInsufficientData)
			eq(t, "Datapoints", n.Datapoints, []Datapoint(nil))
			eq(t, "Threshold", *n.Threshold, 75.0) // from Trigger; the reason has none
			eq(t, "InsufficientDataActions", n.InsufficientDataActions, []string{londonTopic})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tt.check(t, mustParse(t, readTestdata(t, tt.file)))
		})
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// baseMessage is a valid metric alarm message as a map, for tests to break.
func baseMessage() map[string]any {
	return map[string]any{
		"AlarmName":       "web-api-cpu-high",
		"AWSAccountId":    "123456789012",
		"NewStateValue":   "ALARM",
		"NewStateReason":  "Threshold Crossed: 1 out of the last 1 datapoints [85.2 (27/11/26 10:01:00)] was greater than the threshold (80.0) (minimum 1 datapoint for OK -> ALARM transition).",
		"StateChangeTime": "2026-11-27T10:02:41.512+0000",
		"Region":          "EU (London)",
		"AlarmArn":        "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:web-api-cpu-high",
		"OldStateValue":   "OK",
		"Trigger": map[string]any{
			"MetricName":         "CPUUtilization",
			"Namespace":          "AWS/ECS",
			"Statistic":          "AVERAGE",
			"Period":             60,
			"EvaluationPeriods":  1,
			"ComparisonOperator": "GreaterThanThreshold",
			"Threshold":          80.0,
		},
	}
}

func encode(t testing.TB, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// raw marks a JSON fragment to splice into a message verbatim, for values
// json.Marshal cannot produce (1e999, out-of-range numbers as written).
type raw string

func (r raw) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestParseErrors(t *testing.T) {
	with := func(f func(m map[string]any)) []byte {
		m := baseMessage()
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		return b
	}
	set := func(key string, v any) []byte {
		return with(func(m map[string]any) {
			if v == nil {
				delete(m, key)
			} else {
				m[key] = v
			}
		})
	}
	trig := func(key string, v any) []byte {
		return with(func(m map[string]any) {
			tr := m["Trigger"].(map[string]any)
			if v == nil {
				delete(tr, key)
			} else {
				tr[key] = v
			}
		})
	}
	composite := func(f func(m map[string]any)) []byte {
		return with(func(m map[string]any) {
			delete(m, "Trigger")
			m["AlarmRule"] = `ALARM("a")`
			f(m)
		})
	}
	query := func(q ...map[string]any) []byte {
		return with(func(m map[string]any) {
			tr := m["Trigger"].(map[string]any)
			delete(tr, "MetricName")
			var qs []any
			for _, x := range q {
				qs = append(qs, x)
			}
			tr["Metrics"] = qs
		})
	}
	long := strings.Repeat("x", MaxAlarmNameLength+1)

	tests := []struct {
		name    string
		in      []byte
		field   string
		problem string
	}{
		{"empty", []byte(""), "", "empty input, expected a JSON object"},
		{"whitespace", []byte(" \n"), "", "empty input, expected a JSON object"},
		{"array", []byte(`[{"AlarmName":"a"}]`), "", "not a JSON object (got an array)"},
		{"null", []byte(`null`), "", "not a JSON object (got null)"},
		{"string", []byte(`"{}"`), "", `not a JSON object (got a string ("{}"))`},
		{"syntax", []byte(`{"AlarmName" "x"}`), "", "malformed JSON at offset 14: invalid character '\"' after object key"},
		{"truncated", []byte(`{"AlarmName":`), "", "malformed JSON at offset 13: unexpected end of input"},
		{"trailing", []byte(`{"AlarmName":"a"} {}`), "", "malformed JSON at offset 18: unexpected data after the top-level value"},
		{"too big", []byte(`{"AlarmName":"` + strings.Repeat("x", MaxMessageSize) + `"}`), "", "message is 262160 bytes, more than SNS's limit of 262144"},

		{"name missing", set("AlarmName", nil), "AlarmName", "missing"},
		{"name null", set("AlarmName", raw("null")), "AlarmName", "missing"},
		{"name empty", set("AlarmName", ""), "AlarmName", "missing"},
		{"name number", set("AlarmName", 42), "AlarmName", `expected a string, got a number ("42")`},
		{"name object", set("AlarmName", map[string]any{}), "AlarmName", "expected a string, got an object"},
		{"name too long", set("AlarmName", long), "AlarmName", "too long (256 characters, more than 255)"},
		{"name control", set("AlarmName", "web\napi"), "AlarmName", `contains a control character at byte 3 ("web\napi")`},
		{"name C1 control", set("AlarmName", "web\u0085api"), "AlarmName", `contains a control character at byte 3 ("web\u0085api")`},

		{"state missing", set("NewStateValue", nil), "NewStateValue", "missing"},
		{"state lower case", set("NewStateValue", "alarm"), "NewStateValue", `not an alarm state ("alarm"); want OK, ALARM or INSUFFICIENT_DATA`},
		{"state bool", set("NewStateValue", true), "NewStateValue", "expected a string, got a boolean (true)"},
		{"old state", set("OldStateValue", "WARN"), "OldStateValue", `not an alarm state ("WARN"); want OK, ALARM or INSUFFICIENT_DATA`},

		{"time missing", set("StateChangeTime", nil), "StateChangeTime", "missing"},
		{"time prose", set("StateChangeTime", "yesterday"), "StateChangeTime", `not a timestamp ("yesterday")`},
		{"time epoch number", set("StateChangeTime", 1764237761), "StateChangeTime", `expected a string, got a number ("1764237761")`},
		{"time year 1", set("StateChangeTime", "0001-01-01T00:00:00Z"), "StateChangeTime", `out of range ("0001-01-01T00:00:00Z")`},
		{"time past 9999", set("StateChangeTime", "9999-12-31T23:00:00-0500"), "StateChangeTime", `out of range ("9999-12-31T23:00:00-0500")`},
		{"config time", set("AlarmConfigurationUpdatedTimestamp", "2026-13-01T00:00:00.000+0000"), "AlarmConfigurationUpdatedTimestamp", `not a timestamp ("2026-13-01T00:00:00.000+0000")`},

		{"account", set("AWSAccountId", "EXAMPLE"), "AWSAccountId", `not a 12-digit account ID ("EXAMPLE")`},
		{"arn not arn", set("AlarmArn", "web-api-cpu-high"), "AlarmArn", `not an ARN ("web-api-cpu-high")`},
		{"arn sns", set("AlarmArn", "arn:aws:sns:eu-west-2:123456789012:alarm:web-api-cpu-high"), "AlarmArn", `not a CloudWatch ARN (service "sns")`},
		{"arn resource", set("AlarmArn", "arn:aws:cloudwatch:eu-west-2:123456789012:dashboard:web-api-cpu-high"), "AlarmArn", `not an alarm ARN (resource type "dashboard")`},
		{"arn partition", set("AlarmArn", "arn:azure:cloudwatch:eu-west-2:123456789012:alarm:web-api-cpu-high"), "AlarmArn", `unknown partition "azure"`},
		{"arn region", set("AlarmArn", "arn:aws:cloudwatch:EU (London):123456789012:alarm:web-api-cpu-high"), "AlarmArn", `region "EU (London)" is not a region code`},
		{"arn empty region", set("AlarmArn", "arn:aws:cloudwatch::123456789012:alarm:web-api-cpu-high"), "AlarmArn", `region "" is not a region code`},
		{"arn account", set("AlarmArn", "arn:aws:cloudwatch:eu-west-2:ACCOUNT:alarm:web-api-cpu-high"), "AlarmArn", `account "ACCOUNT" is not a 12-digit account ID`},
		{"arn name", set("AlarmArn", "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:other"), "AlarmArn", `alarm name "other" does not match AlarmName "web-api-cpu-high"`},
		{"arn account mismatch", set("AlarmArn", "arn:aws:cloudwatch:eu-west-2:210987654321:alarm:web-api-cpu-high"), "AlarmArn", `account "210987654321" does not match AWSAccountId "123456789012"`},

		{"actions not array", set("AlarmActions", "arn:aws:sns:eu-west-2:123456789012:t"), "AlarmActions", `expected an array, got a string ("arn:aws:sns:eu-west-2:123456789012:t")`},
		{"actions element", set("OKActions", []any{"arn:aws:sns:eu-west-2:123456789012:t", 7}), "OKActions[1]", `expected a string, got a number ("7")`},

		{"trigger missing", set("Trigger", nil), "Trigger", "missing; a metric alarm's notification has Trigger and a composite alarm's has AlarmRule"},
		{"trigger string", set("Trigger", "CPUUtilization > 80"), "Trigger", `expected an object, got a string ("CPUUtilization > 80")`},
		{"trigger empty", set("Trigger", map[string]any{}), "Trigger", "has neither MetricName nor Metrics"},
		{"trigger and rule", set("AlarmRule", `ALARM("a")`), "AlarmRule", "present alongside Trigger; an alarm is either a metric alarm or a composite alarm"},
		{"period string", trig("Period", "60"), "Trigger.Period", `expected a number, got a string ("60")`},
		{"period negative", trig("Period", -60), "Trigger.Period", `negative ("-60")`},
		{"period fraction", trig("Period", 60.5), "Trigger.Period", `not a whole number ("60.5")`},
		{"period huge", trig("Period", raw("1e999")), "Trigger.Period", `not a finite number ("1e999")`},
		{"period big", trig("Period", raw("4294967296")), "Trigger.Period", `too large ("4294967296", more than 2147483647)`},
		{"evaluation periods", trig("EvaluationPeriods", raw("1.5")), "Trigger.EvaluationPeriods", `not a whole number ("1.5")`},
		{"datapoints to alarm", trig("DatapointsToAlarm", raw("-1")), "Trigger.DatapointsToAlarm", `negative ("-1")`},
		{"threshold infinite", trig("Threshold", raw("1e999")), "Trigger.Threshold", `not a finite number ("1e999")`},
		{"threshold negative infinite", trig("Threshold", raw("-1e400")), "Trigger.Threshold", `not a finite number ("-1e400")`},
		{"threshold string", trig("Threshold", "80.0"), "Trigger.Threshold", `expected a number, got a string ("80.0")`},
		{"dimensions object", trig("Dimensions", map[string]any{"name": "ServiceName"}), "Trigger.Dimensions", "expected an array, got an object"},
		{"dimension string", trig("Dimensions", []any{map[string]any{"name": "a", "value": "b"}, "ServiceName=web"}), "Trigger.Dimensions[1]", `expected an object, got a string ("ServiceName=web")`},
		{"dimension value number", trig("Dimensions", []any{map[string]any{"name": "a", "value": 1}}), "Trigger.Dimensions[0].value", `expected a string, got a number ("1")`},
		{"metrics and name", trig("Metrics", []any{map[string]any{"Id": "e1", "Expression": "m1"}}), "Trigger.Metrics", "present alongside Trigger.MetricName; an alarm watches either one metric or a metric-math expression"},
		{"query id", query(map[string]any{"Expression": "m1*2"}), "Trigger.Metrics[0].Id", "missing"},
		{"query both", query(map[string]any{"Id": "e1", "Expression": "m1*2"}, map[string]any{"Id": "m1", "Expression": "m1", "MetricStat": map[string]any{}}), "Trigger.Metrics[1]", "has both Expression and MetricStat"},
		{"query neither", query(map[string]any{"Id": "e1", "Label": "x"}), "Trigger.Metrics[0]", "has neither Expression nor MetricStat"},
		{"query return data", query(map[string]any{"Id": "e1", "Expression": "1", "ReturnData": "true"}), "Trigger.Metrics[0].ReturnData", `expected a boolean, got a string ("true")`},
		{"query metric stat period", query(map[string]any{"Id": "m1", "MetricStat": map[string]any{"Period": 0.5}}), "Trigger.Metrics[0].MetricStat.Period", `not a whole number ("0.5")`},
		{"query metric name", query(map[string]any{"Id": "m1", "MetricStat": map[string]any{"Metric": map[string]any{"MetricName": []any{}}}}), "Trigger.Metrics[0].MetricStat.Metric.MetricName", "expected a string, got an array"},

		{"child state", composite(func(m map[string]any) {
			m["TriggeringChildren"] = []any{map[string]any{"Arn": "x", "State": map[string]any{"Value": "ALARM"}}, map[string]any{"Arn": "y", "State": map[string]any{"Value": "BROKEN"}}}
		}), "TriggeringChildren[1].State.Value", `not an alarm state ("BROKEN"); want OK, ALARM or INSUFFICIENT_DATA`},
		{"child time", composite(func(m map[string]any) {
			m["TriggeringChildren"] = []any{map[string]any{"Arn": "x", "State": map[string]any{"Value": "ALARM", "Timestamp": "soon"}}}
		}), "TriggeringChildren[0].State.Timestamp", `not a timestamp ("soon")`},
		{"children not array", composite(func(m map[string]any) { m["TriggeringChildren"] = map[string]any{} }), "TriggeringChildren", "expected an array, got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tt.field || fe.Problem != tt.problem {
				t.Errorf("Parse error\n field %q problem %q\nwant\n field %q problem %q", fe.Field, fe.Problem, tt.field, tt.problem)
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	m := baseMessage()
	m["StateChangeTime"] = "yesterday"
	_, err := Parse(encode(t, m))
	if got, want := err.Error(), `alarm notification: StateChangeTime: not a timestamp ("yesterday")`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = Parse([]byte(`{`))
	if got, want := err.Error(), "alarm notification: malformed JSON at offset 1: unexpected end of input"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestMalformedJSONUnwrapsSyntaxError(t *testing.T) {
	_, err := Parse([]byte(`{"AlarmName":"a",}`))
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		t.Fatalf("error %v does not wrap a *json.SyntaxError", err)
	}
	if syn.Offset != 18 {
		t.Errorf("Offset = %d, want 18", syn.Offset)
	}
}

// A long hostile value must not be echoed whole into the error.
func TestErrorQuotesAreBounded(t *testing.T) {
	m := baseMessage()
	m["StateChangeTime"] = strings.Repeat("9", 100000)
	_, err := Parse(encode(t, m))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error = %.300q (%d bytes), want a short one", err, len(err.Error()))
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		check func(t *testing.T, n Notification)
	}{
		{"RFC 3339 Z", func(m map[string]any) { m["StateChangeTime"] = "2026-11-27T10:02:41Z" }, func(t *testing.T, n Notification) {
			eq(t, "StateChangeTime", n.StateChangeTime, utc("2026-11-27T10:02:41Z"))
		}},
		{"RFC 3339 offset", func(m map[string]any) { m["StateChangeTime"] = "2026-11-27T11:02:41.5+01:00" }, func(t *testing.T, n Notification) {
			eq(t, "StateChangeTime", n.StateChangeTime, utc("2026-11-27T10:02:41.5Z"))
		}},
		{"CloudWatch offset", func(m map[string]any) { m["StateChangeTime"] = "2026-11-27T05:02:41.512-0500" }, func(t *testing.T, n Notification) {
			eq(t, "StateChangeTime", n.StateChangeTime, utc("2026-11-27T10:02:41.512Z"))
			eq(t, "Location", n.StateChangeTime.Location(), time.UTC)
		}},
		{"name of 255 characters", func(m map[string]any) {
			name := strings.Repeat("é", MaxAlarmNameLength)
			m["AlarmName"] = name
			m["AlarmArn"] = "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:" + name
		}, func(t *testing.T, n Notification) {
			eq(t, "len(AlarmName)", len([]rune(n.AlarmName)), MaxAlarmNameLength)
		}},
		{"name with colons", func(m map[string]any) {
			m["AlarmName"] = "TargetTracking-service/prod:web-api-AlarmHigh-1a2b"
			m["AlarmArn"] = "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:TargetTracking-service/prod:web-api-AlarmHigh-1a2b"
		}, func(t *testing.T, n Notification) {
			eq(t, "Region", n.Region, "eu-west-2")
		}},
		{"no account, taken from ARN", func(m map[string]any) { delete(m, "AWSAccountId") }, func(t *testing.T, n Notification) {
			eq(t, "AccountID", n.AccountID, "123456789012")
		}},
		{"null description and unit", func(m map[string]any) {
			m["AlarmDescription"] = nil
			m["Trigger"].(map[string]any)["Unit"] = nil
		}, func(t *testing.T, n Notification) {
			eq(t, "AlarmDescription", n.AlarmDescription, "")
			eq(t, "Unit", n.Trigger.Unit, "")
		}},
		{"unknown fields ignored", func(m map[string]any) { m["SomethingNew"] = []any{1, 2} }, func(t *testing.T, n Notification) {
			eq(t, "AlarmName", n.AlarmName, "web-api-cpu-high")
		}},
		{"capitalised dimension keys", func(m map[string]any) {
			m["Trigger"].(map[string]any)["Dimensions"] = []any{map[string]any{"Name": "ServiceName", "Value": "web-api"}}
		}, func(t *testing.T, n Notification) {
			eq(t, "Dimensions", n.Trigger.Dimensions, []Dimension{{Name: "ServiceName", Value: "web-api"}})
		}},
		{"integral float period", func(m map[string]any) { m["Trigger"].(map[string]any)["Period"] = raw("6e1") }, func(t *testing.T, n Notification) {
			eq(t, "Period", n.Trigger.Period, int64(60))
		}},
		{"tiny threshold underflows to zero", func(m map[string]any) { m["Trigger"].(map[string]any)["Threshold"] = raw("1e-400") }, func(t *testing.T, n Notification) {
			eq(t, "Threshold", *n.Threshold, 0.0)
		}},
		{"threshold from reason when trigger has none", func(m map[string]any) { delete(m["Trigger"].(map[string]any), "Threshold") }, func(t *testing.T, n Notification) {
			eq(t, "Trigger.Threshold", n.Trigger.Threshold, (*float64)(nil))
			eq(t, "Threshold", *n.Threshold, 80.0)
		}},
		{"trigger threshold wins over reason", func(m map[string]any) { m["Trigger"].(map[string]any)["Threshold"] = 80.25 }, func(t *testing.T, n Notification) {
			eq(t, "Threshold", *n.Threshold, 80.25)
		}},
		{"unusual reason", func(m map[string]any) { m["NewStateReason"] = "Set by operator [ticket 42] at (noon)" }, func(t *testing.T, n Notification) {
			eq(t, "Datapoints", n.Datapoints, []Datapoint(nil))
			eq(t, "Threshold", *n.Threshold, 80.0)
		}},
		{"null reason", func(m map[string]any) { m["NewStateReason"] = nil }, func(t *testing.T, n Notification) {
			eq(t, "Reason", n.Reason, "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseMessage()
			tt.edit(m)
			tt.check(t, mustParse(t, encode(t, m)))
		})
	}
}

func TestStateValid(t *testing.T) {
	for _, s := range []State{StateOK, StateAlarm, StateInsufficientData} {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, s := range []State{"", "ok", "Alarm", "INSUFFICIENT DATA"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true", s)
		}
	}
}

func TestNormalizeTreatMissingData(t *testing.T) {
	for in, want := range map[string]string{
		"missing":                     "missing",
		"notBreaching":                "notBreaching",
		"- TreatMissingData: missing": "missing",
		"- TreatMissingData:                    breaching": "breaching",
		"  ignore ": "ignore",
		"":          "",
	} {
		if got := normalizeTreatMissingData(in); got != want {
			t.Errorf("normalizeTreatMissingData(%q) = %q, want %q", in, got, want)
		}
	}
}

var testdataMessages = []string{
	"metric-alarm.json",
	"metric-alarm-null-unit.json",
	"extended-statistic.json",
	"metric-math.json",
	"anomaly-detection.json",
	"composite-alarm.json",
	"legacy-2019.json",
	"ok-state.json",
	"insufficient-data.json",
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, file := range testdataMessages {
		t.Run(file, func(t *testing.T) {
			n := mustParse(t, readTestdata(t, file))
			b, err := Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			again := mustParse(t, b)
			if !reflect.DeepEqual(n, again) {
				t.Errorf("Parse(Marshal(n)) != n\nmarshalled: %s", b)
			}
		})
	}
}

// Marshal should write what CloudWatch writes, not merely something Parse
// accepts: compare the current-format testdata message field by field.
func TestMarshalMatchesCloudWatchFormat(t *testing.T) {
	in := readTestdata(t, "metric-alarm.json")
	out, err := Marshal(mustParse(t, in))
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(in, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Marshal output differs from the CloudWatch message\ngot:  %s\nwant: %s", out, in)
	}
}

func TestMarshalKeepsSubMillisecondTime(t *testing.T) {
	n := mustParse(t, encode(t, baseMessage()))
	n.StateChangeTime = utc("2026-11-27T10:02:41.123456789Z")
	b, err := Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"2026-11-27T10:02:41.123456789+0000"`) {
		t.Errorf("Marshal wrote %s", b)
	}
	eq(t, "StateChangeTime", mustParse(t, b).StateChangeTime, n.StateChangeTime)
}

func BenchmarkParse(b *testing.B) {
	msg := readTestdata(b, "metric-alarm.json")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}
