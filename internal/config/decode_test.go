package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestEveryProblemAtOnce gives a file one mistake in each of several entries: every one
// is reported, in file order, with its full path. In the alarm whose adjustmentType has
// the wrong type, the rules that read adjustmentType are not applied: targetValue would
// otherwise be reported as belonging to TargetRatio only, a consequence, not a mistake.
func TestEveryProblemAtOnce(t *testing.T) {
	const file = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 3,
     "alarms": [
       {"alarmName": "web-high", "direction": "out", "cooldownSeconds": "60"},
       {"alarmName": "web-low", "direction": "down"},
       {"alarmName": "web-ratio", "direction": "out", "adjustmentType": 4, "targetValue": 50}
     ]},
    {"cluster": "prod", "service": "api", "minCapacity": 4, "maxCapacity": 2,
     "alarms": [{"alarmName": "api-high", "direction": "out", "Adjustment": 2}]}
  ],
  "alarmSource": []
}`
	_, err := Parse("several.json", []byte(file))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse() = %v, want a *config.Error", err)
	}
	want := []Problem{
		{"services[0].alarms[0].cooldownSeconds", `expected an integer, got string "60"`},
		{"services[0].alarms[2].adjustmentType", "expected a string, got number 4"},
		{"services[1].alarms[0].Adjustment", "unknown field; did you mean adjustment?"},
		{"alarmSource", "unknown field; did you mean alarmSources?"},
		{"services[0].alarms[1].direction", `must be "out" or "in", got "down"`},
		{"services[1].maxCapacity", "must not be below minCapacity (4), got 2"},
	}
	if len(ce.Problems) != len(want) {
		t.Fatalf("problems:\n%swant %d", formatProblems(ce.Problems), len(want))
	}
	for i, w := range want {
		if p := ce.Problems[i]; p.Field != w.Field || !strings.HasPrefix(p.Message, w.Message) {
			t.Errorf("problem %d = %s: %s; want %s: %s…", i, p.Field, p.Message, w.Field, w.Message)
		}
	}
}

// TestIntegersAsJSONSchemaReadsThem: an integer is a number without a fractional part,
// however it is written, as JSON Schema's "integer" type has it; anything else is not.
func TestIntegersAsJSONSchemaReadsThem(t *testing.T) {
	for _, n := range []string{"4", "4.0", "4e0", "0.4e1"} {
		c, err := Parse("ints.json", []byte(`{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": `+n+`,
			"alarms": [{"alarmName": "x", "direction": "out"}]}]}`))
		if err != nil || c.Services[0].MaxCapacity != 4 {
			t.Errorf("maxCapacity %s: %v, want 4", n, err)
		}
	}
	for n, problem := range map[string]string{
		"4.5":                  "expected an integer, got number 4.5",
		"1e100":                "number 1e100 is out of range",
		"99999999999999999999": "number 99999999999999999999 is out of range",
		"true":                 "expected an integer, got true",
		"[4]":                  "expected an integer, got an array",
	} {
		expectProblem(t, `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": `+n+`,
			"alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].maxCapacity", problem)
	}
}

// TestNullStepBoundIsInfinite: the step bounds are the only fields where null is a value
// (an infinite bound, as in Application Auto Scaling); elsewhere it is refused.
func TestNullStepBoundIsInfinite(t *testing.T) {
	c, err := Parse("null-bound.json", []byte(alarmConfig(steps(`{"metricIntervalLowerBound": 0, "metricIntervalUpperBound": null, "scalingAdjustment": 2}`))))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Services[0].Alarms[0].StepAdjustments[0]; s.MetricIntervalUpperBound != nil || *s.MetricIntervalLowerBound != 0 {
		t.Errorf("step = %+v, want [0, +inf)", s)
	}
	expectProblem(t, alarmConfig(`, "adjustment": null`), "services[0].alarms[0].adjustment", "must not be null")
	expectProblem(t, alarmConfig(`, "scaleLimit": null, "adjustmentType": "TargetRatio", "targetValue": 5`), "services[0].alarms[0].scaleLimit", "must not be null")
}

// TestAlarmNamesCountCharacters: CloudWatch's 255 is characters; 200 characters of
// two bytes each were refused when bytes were counted.
func TestAlarmNamesCountCharacters(t *testing.T) {
	name := strings.Repeat("é", 200)
	c, err := Parse("utf8.json", []byte(`{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2,
		"alarms": [{"alarmName": "`+name+`", "direction": "out"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(name); !ok {
		t.Errorf("Lookup of the 200-character name failed")
	}
	// A C1 control character is not an ASCII control character: CloudWatch takes it.
	if _, err := Parse("c1.json", []byte(alarmsConfig(`{"alarmName": "x\u0085", "direction": "out"}`))); err != nil {
		t.Errorf("alarm name with U+0085: %v", err)
	}
}

func TestMayHaveCompositeAlarms(t *testing.T) {
	tests := []struct {
		name, alarms string
		want         bool
	}{
		// An alarm without a metric block is an existing alarm, a metric alarm unless
		// declared otherwise: the grant on "*" is not needed for it.
		{"existing metric alarm", `{"alarmName": "x", "direction": "out"}`, false},
		{"declared metric alarm", `{"alarmName": "x", "alarmType": "metric", "direction": "out"}`, false},
		{"declared composite alarm", `{"alarmName": "x", "direction": "out"}, {"alarmName": "y", "alarmType": "composite", "direction": "in"}`, true},
	}
	for _, tt := range tests {
		c, err := Parse(tt.name, []byte(alarmsConfig(tt.alarms)))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := c.MayHaveCompositeAlarms(); got != tt.want {
			t.Errorf("%s: MayHaveCompositeAlarms() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCompositeAlarmPolicy: a composite alarm scales by a simple or exact step, as any
// alarm whose policy does not read the metric.
func TestCompositeAlarmPolicy(t *testing.T) {
	c, err := Parse("composite.json", []byte(alarmsConfig(`{"alarmName": "busy", "alarmType": "composite", "direction": "out", "adjustment": 3}`)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Lookup("busy")
	if got.Policy.Adjustment != 3 || got.Policy.SizesFromMetric() {
		t.Errorf("policy = %+v, want a simple step of 3", got.Policy)
	}
}

// TestPathsOfAwkwardKeys: a key a dot would make ambiguous is quoted in the path.
func TestPathsOfAwkwardKeys(t *testing.T) {
	for key, want := range map[string]string{
		"ClusterName":  "m.dimensions.ClusterName",
		"Cluster.Name": `m.dimensions["Cluster.Name"]`,
		"":             `m.dimensions[""]`,
		"$schema":      "m.dimensions.$schema",
	} {
		if got := member("m.dimensions", key); got != want {
			t.Errorf("member(%q) = %s, want %s", key, got, want)
		}
	}
}

// TestFieldsOfConfig checks the required and nullable fields the decoding reads from
// the struct tags against the list the documentation and the schema give.
func TestFieldsOfConfig(t *testing.T) {
	want := map[string][]string{
		"Config":               {"services"},
		"AlarmSource":          {"accountId", "region"},
		"Service":              {"cluster", "service", "minCapacity", "maxCapacity", "alarms"},
		"Alarm":                {"alarmName", "direction"},
		"StepAdjustment":       {"scalingAdjustment", "nullable metricIntervalLowerBound", "nullable metricIntervalUpperBound"},
		"ScaleLimit":           nil,
		"Metric":               {"periodSeconds", "threshold", "comparisonOperator", "evaluationPeriods"},
		"MetricQuery":          {"id", "namespace", "metricName", "statistic"},
		"ScheduledAction":      {"scheduledActionName", "schedule", "scalableTargetAction"},
		"ScalableTargetAction": nil,
	}
	for _, v := range []any{Config{}, AlarmSource{}, Service{}, Alarm{}, StepAdjustment{}, ScaleLimit{}, Metric{}, MetricQuery{},
		ScheduledAction{}, ScalableTargetAction{}} {
		typ := reflect.TypeOf(v)
		var got []string
		for _, f := range fieldsOf(typ) {
			switch {
			case f.required:
				got = append(got, f.name)
			case f.nullable:
				got = append(got, "nullable "+f.name)
			}
		}
		if !sameSet(got, want[typ.Name()]) {
			t.Errorf("%s: required and nullable fields %v, want %v", typ.Name(), got, want[typ.Name()])
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]bool{}
	for _, s := range a {
		in[s] = true
	}
	for _, s := range b {
		if !in[s] {
			return false
		}
	}
	return true
}
