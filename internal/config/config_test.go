package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

const valid = `{
  "services": [{
    "cluster": "prod", "service": "web", "minCapacity": 2, "maxCapacity": 10,
    "alarms": [
      {"alarmName": "web-high", "direction": "out", "adjustment": 3, "cooldownSeconds": 60},
      {"alarmName": "web-low", "direction": "in"}
    ]
  }]
}`

func TestLookupAppliesDefaults(t *testing.T) {
	c, err := Parse("valid.json", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	high, ok := c.Lookup("web-high")
	want := scaling.Policy{AlarmName: "web-high", MinCapacity: 2, MaxCapacity: 10, Direction: scaling.Out, Adjustment: 3,
		CooldownSeconds: 60, StabilizationTimeoutSeconds: DefaultStabilizationTimeoutSeconds, PollIntervalSeconds: DefaultPollIntervalSeconds}
	if !ok || high.Policy != want || high.Service != (scaling.ServiceRef{Cluster: "prod", Service: "web"}) {
		t.Errorf("Lookup(web-high) = %+v, %v; want %+v", high, ok, want)
	}
	low, _ := c.Lookup("web-low")
	if low.Policy.Adjustment != DefaultAdjustment || low.Policy.CooldownSeconds != DefaultCooldownSeconds {
		t.Errorf("defaults not applied: %+v", low.Policy)
	}
	if _, ok := c.Lookup("WEB-HIGH"); ok {
		t.Error("alarm names are case-sensitive in CloudWatch")
	}
	if n := len(c.Targets()); n != 2 {
		t.Errorf("Targets() = %d, want 2", n)
	}
}

func TestValidationNamesFieldAndProblem(t *testing.T) {
	tests := []struct {
		name, json, field, problem string
	}{
		{"not JSON", `{"services": [`, "(file)", "empty or truncated"},
		{"syntax error has a line", "{\n \"services\": [}\n", "(file)", "line 2"},
		{"unknown field", `{"services": [], "extra": 1}`, "extra", "unknown field"},
		{"wrong type", `{"services": [{"cluster": "a", "service": "b", "minCapacity": "1"}]}`, "services.minCapacity", "expected int"},
		{"no services", `{"services": []}`, "services", "at least one service"},
		{"bad cluster name", `{"services": [{"cluster": "a b", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].cluster", "letters, numbers"},
		{"max below min", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 3, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].maxCapacity", "below minCapacity"},
		{"negative min", `{"services": [{"cluster": "a", "service": "web", "minCapacity": -1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].minCapacity", "between 0 and 5000"},
		{"no alarms", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": []}]}`, "services[0].alarms", "at least one alarm"},
		{"bad direction", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "up"}]}]}`, "services[0].alarms[0].direction", `"up"`},
		{"zero adjustment", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "adjustment": 0}]}]}`, "services[0].alarms[0].adjustment", "between 1"},
		{"control character in alarm name", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x\u0007", "direction": "out"}]}]}`, "services[0].alarms[0].alarmName", "printable"},
		{"poll longer than timeout", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "stabilizationTimeoutSeconds": 10, "pollIntervalSeconds": 30}]}]}`, "services[0].alarms[0].pollIntervalSeconds", "longer than"},
		{"duplicate alarm", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}, {"alarmName": "x", "direction": "in"}]}]}`, "services[0].alarms[1].alarmName", "already configured"},
		{"duplicate service", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}, {"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "y", "direction": "out"}]}]}`, "services[1]", "already configured"},
		{"metric without a metric", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "metric": {"periodSeconds": 60, "threshold": 1, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1}}]}]}`, "services[0].alarms[0].metric", "give namespace"},
		{"metric bad period", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "metric": {"namespace": "AWS/ECS", "metricName": "CPUUtilization", "statistic": "Average", "periodSeconds": 45, "threshold": 1, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1}}]}]}`, "services[0].alarms[0].metric.periodSeconds", "multiple of 60"},
		{"metric bad statistic", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "metric": {"namespace": "AWS/ECS", "metricName": "CPUUtilization", "statistic": "Mean", "periodSeconds": 60, "threshold": 1, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1}}]}]}`, "services[0].alarms[0].metric.statistic", "percentile"},
		{"datapoints above periods", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "metric": {"namespace": "AWS/ECS", "metricName": "CPUUtilization", "statistic": "p99", "periodSeconds": 60, "threshold": 1, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 2, "datapointsToAlarm": 3}}]}]}`, "services[0].alarms[0].metric.datapointsToAlarm", "between 1 and evaluationPeriods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.json", []byte(tt.json))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse() error = %v, want *config.Error", err)
			}
			if ce.File != "bad.json" || !strings.Contains(err.Error(), "bad.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			for _, p := range ce.Problems {
				if p.Field == tt.field && strings.Contains(p.Message, tt.problem) {
					return
				}
			}
			t.Errorf("problems %+v lack %s: …%s…", ce.Problems, tt.field, tt.problem)
		})
	}
}

// TestShippedConfigsAgreeWithSchema checks every config in the repository against both
// the Go validation and the JSON Schema editors use, and that the two reject the same
// broken files.
func TestShippedConfigsAgreeWithSchema(t *testing.T) {
	schema := jsonschema.MustCompile(filepath.Join("..", "..", "config", "stepscaler.schema.json"))
	files := []string{
		filepath.Join("..", "..", "config", "stepscaler.json"),
		filepath.Join("..", "..", "local", "demo", "stepscaler.json"),
		filepath.Join("..", "..", "local", "stack", "testdata", "scenarios.json"),
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("Load(%s): %v", f, err)
		}
		if err := validateSchema(schema, f); err != nil {
			t.Errorf("schema rejects %s: %v", f, err)
		}
	}
	for _, bad := range []string{
		`{"services": []}`,
		`{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "up"}]}]}`,
		`{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "cooldownSeconds": -1}]}]}`,
		`{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "extra": true, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`,
	} {
		path := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, goErr := Load(path)
		schemaErr := validateSchema(schema, path)
		if goErr == nil || schemaErr == nil {
			t.Errorf("%s: Go validation %v, schema %v; want both to reject", bad, goErr, schemaErr)
		}
	}
}

func validateSchema(s *jsonschema.Schema, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return s.Validate(v)
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.json")); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("Load(missing) = %v, want an error naming the file", err)
	}
}
