package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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
		CooldownSeconds: 60, StabilizationTimeoutSeconds: DefaultStabilizationTimeoutSeconds, PollIntervalSeconds: DefaultPollIntervalSeconds,
		AdjustmentType: scaling.ChangeInCapacity}
	if !ok || !reflect.DeepEqual(high.Policy, want) || high.Service != (scaling.ServiceRef{Cluster: "prod", Service: "web"}) {
		t.Errorf("Lookup(web-high) = %+v, %v; want %+v", high, ok, want)
	}
	low, _ := c.Lookup("web-low")
	if low.Policy.Adjustment != DefaultAdjustment || low.Policy.CooldownSeconds != DefaultCooldownSeconds {
		t.Errorf("defaults not applied: %+v", low.Policy)
	}
	svc, ok := c.Service(scaling.ServiceRef{Cluster: "prod", Service: "web"})
	if !ok || len(svc.Policies) != 2 || !reflect.DeepEqual(svc.Policies[0], want) || svc.Policies[1].AlarmName != "web-low" {
		t.Errorf("Service(prod/web) = %+v, %v; want both policies in file order", svc, ok)
	}
	if _, ok := c.Service(scaling.ServiceRef{Cluster: "prod", Service: "api"}); ok {
		t.Error("Service found a service the config does not list")
	}
	if _, ok := c.Lookup("WEB-HIGH"); ok {
		t.Error("alarm names are case-sensitive in CloudWatch")
	}
	if n := len(c.Targets()); n != 2 {
		t.Errorf("Targets() = %d, want 2", n)
	}
}

const everyField = `{
  "services": [{
    "cluster": "prod", "service": "web", "minCapacity": 2, "maxCapacity": 40, "dryRun": true,
    "alarms": [
      {"alarmName": "web-cpu-high", "direction": "out", "metricAggregationType": "Maximum",
       "stepAdjustments": [
         {"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 10, "scalingAdjustment": 1},
         {"metricIntervalLowerBound": 10, "metricIntervalUpperBound": null, "scalingAdjustment": 3}
       ]},
      {"alarmName": "web-rps-high", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 1000,
       "scaleLimit": {"maxTasks": 4, "maxPercent": 100}, "scaleOutLeadSeconds": 90},
      {"alarmName": "web-rps-low", "direction": "in", "adjustmentType": "TargetRatio", "targetValue": 1000, "tolerance": 0.2,
       "scaleInStabilizationWindowSeconds": 300},
      {"alarmName": "web-cpu-low", "direction": "in", "adjustmentType": "PercentChangeInCapacity", "adjustment": 25,
       "minAdjustmentMagnitude": 2},
      {"alarmName": "web-night", "direction": "in", "adjustmentType": "ExactCapacity", "adjustment": 0}
    ]
  }, {
    "cluster": "prod", "service": "api", "minCapacity": 1, "maxCapacity": 4,
    "alarms": [{"alarmName": "api-high", "direction": "out", "adjustmentType": "PercentChangeInCapacity",
      "stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": 0}, {"metricIntervalLowerBound": 0, "scalingAdjustment": 50}]}]
  }, {
    "cluster": "prod", "service": "checkout", "minCapacity": 2, "maxCapacity": 30, "alarms": [],
    "preset": {"name": "balanced", "capacityPerTask": 200, "targetUtilizationPercent": 75, "startupSeconds": 45,
      "alarmNamePrefix": "checkout",
      "metric": {"namespace": "Shop", "metricName": "RequestsPerTask", "dimensions": {"Service": "checkout"}, "statistic": "Average"}}
  }]
}`

// TestLookupFillsNewPolicyFields checks that each alarm entry fills its Policy: the
// adjustment type's own fields and no others, the service's dryRun, and the metric
// aggregation of the policies that size from the metric.
func TestLookupFillsNewPolicyFields(t *testing.T) {
	c, err := Parse("every-field.json", []byte(everyField))
	if err != nil {
		t.Fatal(err)
	}
	common := scaling.Policy{MinCapacity: 2, MaxCapacity: 40, DryRun: true, CooldownSeconds: DefaultCooldownSeconds,
		StabilizationTimeoutSeconds: DefaultStabilizationTimeoutSeconds, PollIntervalSeconds: DefaultPollIntervalSeconds}
	ten := 10.0
	zero := 0.0
	steps := common
	steps.AlarmName, steps.Direction, steps.AdjustmentType = "web-cpu-high", scaling.Out, scaling.ChangeInCapacity
	steps.MetricAggregationType = "Maximum"
	steps.StepAdjustments = []scaling.StepAdjustment{
		{MetricIntervalLowerBound: &zero, MetricIntervalUpperBound: &ten, ScalingAdjustment: 1},
		{MetricIntervalLowerBound: &ten, ScalingAdjustment: 3},
	}
	ratio := common
	ratio.AlarmName, ratio.Direction, ratio.AdjustmentType = "web-rps-high", scaling.Out, scaling.TargetRatio
	ratio.TargetValue, ratio.Tolerance = 1000, DefaultTolerance
	ratio.ScaleLimit = &scaling.ScaleLimit{MaxTasks: 4, MaxPercent: 100}
	ratio.MetricAggregationType = DefaultMetricAggregationType
	ratio.ScaleOutLeadSeconds = 90
	ratioIn := common
	ratioIn.AlarmName, ratioIn.Direction, ratioIn.AdjustmentType = "web-rps-low", scaling.In, scaling.TargetRatio
	ratioIn.TargetValue, ratioIn.Tolerance = 1000, 0.2
	ratioIn.MetricAggregationType = DefaultMetricAggregationType
	ratioIn.ScaleInStabilizationWindowSeconds = 300
	pct := common
	pct.AlarmName, pct.Direction, pct.AdjustmentType = "web-cpu-low", scaling.In, scaling.PercentChangeInCapacity
	pct.Adjustment, pct.MinAdjustmentMagnitude = 25, 2
	exact := common
	exact.AlarmName, exact.Direction, exact.AdjustmentType = "web-night", scaling.In, scaling.ExactCapacity
	for _, want := range []scaling.Policy{steps, ratio, ratioIn, pct, exact} {
		got, ok := c.Lookup(want.AlarmName)
		if !ok || !reflect.DeepEqual(got.Policy, want) {
			t.Errorf("Lookup(%s).Policy =\n  %+v\nwant\n  %+v", want.AlarmName, got.Policy, want)
		}
	}
	api, _ := c.Lookup("api-high")
	if api.Policy.DryRun || api.Policy.MetricAggregationType != "Average" || len(api.Policy.StepAdjustments) != 2 {
		t.Errorf("api-high = %+v, want no dry run, the Average aggregation, two steps", api.Policy)
	}

	// The policy shares nothing with the config: changing one leaves the other.
	*steps.StepAdjustments[0].MetricIntervalLowerBound = -1
	got, _ := c.Lookup("web-cpu-high")
	*got.Policy.StepAdjustments[0].MetricIntervalUpperBound = 99
	if again, _ := c.Lookup("web-cpu-high"); *again.Policy.StepAdjustments[0].MetricIntervalUpperBound != 10 {
		t.Error("Lookup hands out pointers into the config")
	}
}

// alarmConfig is a valid configuration around one alarm entry's extra fields.
func alarmConfig(fields string) string {
	return `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 20,
		"alarms": [{"alarmName": "x", "direction": "out"` + fields + `}]}]}`
}

// alarmsConfig is a valid configuration around a list of alarm entries.
func alarmsConfig(alarms string) string {
	return `{"services": [{"cluster": "a", "service": "web", "minCapacity": 0, "maxCapacity": 100, "alarms": [` + alarms + `]}]}`
}

// steps is a stepAdjustments field over the given step objects.
func steps(list ...string) string {
	return `, "stepAdjustments": [` + strings.Join(list, ", ") + `]`
}

func TestValidationOfAdjustments(t *testing.T) {
	const at = "services[0].alarms[0]"
	tests := []struct {
		name, fields, field, problem string
	}{
		{"unknown adjustment type", `, "adjustmentType": "Bogus"`, at + ".adjustmentType", "must be one of"},
		{"percent without adjustment", `, "adjustmentType": "PercentChangeInCapacity"`, at + ".adjustment", "required with PercentChangeInCapacity"},
		{"percent of zero", `, "adjustmentType": "PercentChangeInCapacity", "adjustment": 0`, at + ".adjustment", "between 1 and 1000"},
		{"percent too large", `, "adjustmentType": "PercentChangeInCapacity", "adjustment": 1001`, at + ".adjustment", "between 1 and 1000"},
		{"exact without adjustment", `, "adjustmentType": "ExactCapacity"`, at + ".adjustment", "required with ExactCapacity"},
		{"exact negative", `, "adjustmentType": "ExactCapacity", "adjustment": -1`, at + ".adjustment", "between 0 and 5000"},
		{"adjustment and steps", `, "adjustment": 2` + steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 1}`), at + ".adjustment", "not both"},
		{"empty steps", `, "stepAdjustments": []`, at + ".stepAdjustments", "at least one step"},
		{"min magnitude with change in capacity", `, "minAdjustmentMagnitude": 2`, at + ".minAdjustmentMagnitude", "applies only to PercentChangeInCapacity"},
		{"min magnitude with exact capacity", `, "adjustmentType": "ExactCapacity", "adjustment": 3, "minAdjustmentMagnitude": 2`, at + ".minAdjustmentMagnitude", "adjustmentType is ExactCapacity"},
		{"min magnitude of zero", `, "adjustmentType": "PercentChangeInCapacity", "adjustment": 10, "minAdjustmentMagnitude": 0`, at + ".minAdjustmentMagnitude", "between 1 and 5000"},

		{"step gap", steps(`{"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 10, "scalingAdjustment": 1}`,
			`{"metricIntervalLowerBound": 20, "scalingAdjustment": 2}`), at + ".stepAdjustments[1].metricIntervalLowerBound", "leaves a gap after services[0].alarms[0].stepAdjustments[0], which ends at 10"},
		{"step overlap", steps(`{"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 10, "scalingAdjustment": 1}`,
			`{"metricIntervalLowerBound": 5, "scalingAdjustment": 2}`), at + ".stepAdjustments[1].metricIntervalLowerBound", "5 overlaps services[0].alarms[0].stepAdjustments[0], which ends at 10"},
		{"overlap with an open upper bound", steps(`{"metricIntervalLowerBound": 20, "scalingAdjustment": 3}`,
			`{"metricIntervalLowerBound": 30, "metricIntervalUpperBound": 40, "scalingAdjustment": 2}`), at + ".stepAdjustments[1].metricIntervalLowerBound", "which has no upper bound"},
		{"overlap found whatever the order", steps(`{"metricIntervalLowerBound": 10, "scalingAdjustment": 2}`,
			`{"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 15, "scalingAdjustment": 1}`), at + ".stepAdjustments[0].metricIntervalLowerBound", "10 overlaps services[0].alarms[0].stepAdjustments[1], which ends at 15"},
		{"two open lower bounds", steps(`{"metricIntervalUpperBound": -10, "scalingAdjustment": 3}`,
			`{"metricIntervalUpperBound": 0, "scalingAdjustment": 1}`), at + ".stepAdjustments[1].metricIntervalLowerBound", "only one step may leave the lower bound null"},
		{"two open upper bounds", steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 1}`,
			`{"metricIntervalLowerBound": 10, "metricIntervalUpperBound": null, "scalingAdjustment": 3}`), at + ".stepAdjustments[1].metricIntervalUpperBound", "only one step may leave the upper bound null"},
		{"both bounds null", steps(`{"scalingAdjustment": 1}`), at + ".stepAdjustments[0]", "can't both be null"},
		{"upper not above lower", steps(`{"metricIntervalLowerBound": 10, "metricIntervalUpperBound": 10, "scalingAdjustment": 1}`),
			at + ".stepAdjustments[0].metricIntervalUpperBound", "greater than metricIntervalLowerBound (10)"},
		{"negative lower bound needs an open lower bound", steps(`{"metricIntervalLowerBound": -10, "scalingAdjustment": 1}`),
			at + ".stepAdjustments[0].metricIntervalLowerBound", "is negative, so one step must leave its lower bound null"},
		{"positive upper bound needs an open upper bound", steps(`{"metricIntervalLowerBound": 0, "metricIntervalUpperBound": 10, "scalingAdjustment": 1}`),
			at + ".stepAdjustments[0].metricIntervalUpperBound", "is positive, so one step must leave its upper bound null"},
		{"missing scaling adjustment", steps(`{"metricIntervalLowerBound": 0}`), at + ".stepAdjustments[0].scalingAdjustment", "required"},
		{"step against the direction", steps(`{"metricIntervalUpperBound": 0, "scalingAdjustment": -2}`),
			at + ".stepAdjustments[0].scalingAdjustment", "-2 removes tasks, which contradicts direction out"},
		{"percent step too large", `, "adjustmentType": "PercentChangeInCapacity"` + steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 2000}`),
			at + ".stepAdjustments[0].scalingAdjustment", "at most 1000 percent"},
		{"every step zero", steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 0}`), at + ".stepAdjustments", "would never scale"},
		{"more than 20 steps", steps(manySteps(21)...), at + ".stepAdjustments", "at most 20 step adjustments"},
		{"unknown step field", steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 1, "cooldown": 5}`), at + ".stepAdjustments[0].cooldown", "unknown field"},

		{"target ratio without target", `, "adjustmentType": "TargetRatio"`, at + ".targetValue", "required with TargetRatio"},
		{"target value zero", `, "adjustmentType": "TargetRatio", "targetValue": 0`, at + ".targetValue", "positive number"},
		{"target value negative", `, "adjustmentType": "TargetRatio", "targetValue": -5`, at + ".targetValue", "positive number"},
		{"target ratio with adjustment", `, "adjustmentType": "TargetRatio", "targetValue": 5, "adjustment": 2`, at + ".adjustment", "does not apply to TargetRatio"},
		{"target ratio with steps", `, "adjustmentType": "TargetRatio", "targetValue": 5` + steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 1}`),
			at + ".stepAdjustments", "does not apply to TargetRatio"},
		{"tolerance of 1", `, "adjustmentType": "TargetRatio", "targetValue": 5, "tolerance": 1`, at + ".tolerance", "at least 0 and below 1"},
		{"negative tolerance", `, "adjustmentType": "TargetRatio", "targetValue": 5, "tolerance": -0.1`, at + ".tolerance", "at least 0 and below 1"},
		{"target value without target ratio", `, "targetValue": 5`, at + ".targetValue", "applies only to TargetRatio"},
		{"tolerance without target ratio", `, "tolerance": 0.2`, at + ".tolerance", "applies only to TargetRatio"},
		{"scale limit without target ratio", `, "scaleLimit": {"maxTasks": 2}`, at + ".scaleLimit", "applies only to TargetRatio"},
		{"empty scale limit", `, "adjustmentType": "TargetRatio", "targetValue": 5, "scaleLimit": {}`, at + ".scaleLimit", "give maxTasks, maxPercent or both"},
		{"scale limit of zero tasks", `, "adjustmentType": "TargetRatio", "targetValue": 5, "scaleLimit": {"maxTasks": 0}`, at + ".scaleLimit.maxTasks", "between 1 and 5000"},
		{"scale limit percent too large", `, "adjustmentType": "TargetRatio", "targetValue": 5, "scaleLimit": {"maxPercent": 5000}`, at + ".scaleLimit.maxPercent", "between 1 and 1000"},

		{"aggregation of a simple step", `, "metricAggregationType": "Maximum"`, at + ".metricAggregationType", "applies only to stepAdjustments and TargetRatio"},
		{"unknown aggregation", `, "adjustmentType": "TargetRatio", "targetValue": 5, "metricAggregationType": "Median"`, at + ".metricAggregationType", "must be one of [Average Minimum Maximum]"},
		{"maxSteps was removed", `, "maxSteps": 3`, at + ".maxSteps", "no longer used, remove it"},
		{"maxDurationSeconds was removed", `, "maxDurationSeconds": 900`, at + ".maxDurationSeconds", "no longer used, remove it"},
		// 601 s at 2 s is 301 checks, one more than MaxStabilityChecks (300); 600 s is 300.
		{"too many stability checks", `, "stabilizationTimeoutSeconds": 601, "pollIntervalSeconds": 2`, at + ".stabilizationTimeoutSeconds",
			"allows 301 stability checks at pollIntervalSeconds 2; at most 300 are allowed"},
		{"dry run belongs to the service", `, "dryRun": true`, at + ".dryRun", "unknown field"},
		{"composite alarm with steps", `, "alarmType": "composite"` + steps(`{"metricIntervalLowerBound": 0, "scalingAdjustment": 1}`),
			at + ".stepAdjustments", "a composite alarm has no metric to size a step from"},
		{"composite alarm with TargetRatio", `, "alarmType": "composite", "adjustmentType": "TargetRatio", "targetValue": 5`,
			at + ".adjustmentType", "a composite alarm has none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectProblem(t, alarmConfig(tt.fields), tt.field, tt.problem)
		})
	}
	if _, err := Parse("ok.json", []byte(alarmConfig(steps(manySteps(20)...)))); err != nil {
		t.Errorf("20 contiguous steps: %v", err)
	}
}

// TestSignedStepAdjustments: step adjustments are signed as AAS writes them, "A positive
// value adds to the current capacity while a negative number removes from the current
// capacity. For exact capacity, you must specify a non-negative value" (StepAdjustment,
// AAS API Reference); the planner gets magnitudes. The scale-in policy is the one of AAS's
// worked example ("Step scaling policies for Application Auto Scaling"): lower bound -10,
// upper 0, adjustment 0; -20, -10, -10; null, -20, -30.
func TestSignedStepAdjustments(t *testing.T) {
	aasScaleIn := `{"alarmName": "cpu-low", "direction": "in", "adjustmentType": "PercentChangeInCapacity", "stepAdjustments": [
		{"metricIntervalLowerBound": -10, "metricIntervalUpperBound": 0, "scalingAdjustment": 0},
		{"metricIntervalLowerBound": -20, "metricIntervalUpperBound": -10, "scalingAdjustment": -10},
		{"metricIntervalUpperBound": -20, "scalingAdjustment": -30}]}`
	c, err := Parse("signed.json", []byte(alarmsConfig(aasScaleIn)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.Lookup("cpu-low")
	var magnitudes []int
	for _, st := range got.Policy.StepAdjustments {
		magnitudes = append(magnitudes, st.ScalingAdjustment)
	}
	if !reflect.DeepEqual(magnitudes, []int{0, 10, 30}) || got.Policy.Direction != scaling.In {
		t.Errorf("policy steps %v direction %s, want magnitudes [0 10 30] scaling in", magnitudes, got.Policy.Direction)
	}
	// The file keeps the sign it was given.
	if adj := *c.Services[0].Alarms[0].StepAdjustments[2].ScalingAdjustment; adj != -30 {
		t.Errorf("the configuration's step reads %d, want -30 as written", adj)
	}
	exactIn, err := Parse("exact.json", []byte(alarmsConfig(`{"alarmName": "idle", "direction": "in", "adjustmentType": "ExactCapacity",
		"stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": 1}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := exactIn.Lookup("idle"); p.Policy.StepAdjustments[0].ScalingAdjustment != 1 {
		t.Errorf("ExactCapacity step = %+v, want 1: an exact capacity is not signed", p.Policy.StepAdjustments[0])
	}

	const at = "services[0].alarms[0].stepAdjustments"
	tests := []struct{ name, alarm, field, problem string }{
		{"a scale-in step that adds", `{"alarmName": "x", "direction": "in", "stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": 10}]}`,
			at + "[0].scalingAdjustment", "10 adds tasks, which contradicts direction in"},
		{"the fix is spelt out", `{"alarmName": "x", "direction": "in", "stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": 10}]}`,
			at + "[0].scalingAdjustment", "write -10"},
		{"a negative exact capacity", `{"alarmName": "x", "direction": "in", "adjustmentType": "ExactCapacity", "stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": -1}]}`,
			at + "[0].scalingAdjustment", "ExactCapacity sets a capacity, which is 0 or more, got -1"},
		{"a scale-in percentage too large", `{"alarmName": "x", "direction": "in", "adjustmentType": "PercentChangeInCapacity", "stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": -2000}]}`,
			at + "[0].scalingAdjustment", "must be at least -1000 percent, got -2000"},
		{"scale-in steps all zero", `{"alarmName": "x", "direction": "in", "stepAdjustments": [{"metricIntervalUpperBound": 0, "scalingAdjustment": 0}]}`,
			at, "would never scale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { expectProblem(t, alarmsConfig(tt.alarm), tt.field, tt.problem) })
	}
}

// manySteps is n contiguous steps from (-inf, 0] up to [n-2, +inf).
func manySteps(n int) []string {
	list := []string{`{"metricIntervalUpperBound": 0, "scalingAdjustment": 0}`}
	for i := 0; i < n-2; i++ {
		list = append(list, fmt.Sprintf(`{"metricIntervalLowerBound": %d, "metricIntervalUpperBound": %d, "scalingAdjustment": %d}`, i, i+1, i+1))
	}
	return append(list, fmt.Sprintf(`{"metricIntervalLowerBound": %d, "scalingAdjustment": %d}`, n-2, n))
}

func expectProblem(t *testing.T, config, field, problem string) {
	t.Helper()
	_, err := Parse("bad.json", []byte(config))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse() error = %v, want *config.Error", err)
	}
	if ce.File != "bad.json" || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("error does not name the file: %v", err)
	}
	for _, p := range ce.Problems {
		if p.Field == field && strings.Contains(p.Message, problem) {
			return
		}
	}
	t.Errorf("problems %+v lack %s: …%s…", ce.Problems, field, problem)
}

func TestValidationNamesFieldAndProblem(t *testing.T) {
	tests := []struct {
		name, json, field, problem string
	}{
		{"not JSON", `{"services": [`, "(file)", "empty or truncated"},
		{"syntax error has a line", "{\n \"services\": [}\n", "(file)", "line 2"},
		{"unknown field", `{"services": [], "extra": 1}`, "extra", "unknown field"},
		{"wrong type", `{"services": [{"cluster": "a", "service": "b", "minCapacity": "1"}]}`, "services[0].minCapacity", `expected an integer, got string "1"`},
		{"number beyond float64", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 1e400}]}]}`,
			"services[0].alarms[0].targetValue", "number 1e400 is out of range"},
		{"key a dot would make ambiguous", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "metric": {"namespace": "AWS/ECS", "metricName": "CPUUtilization", "statistic": "Average", "dimensions": {"Cluster.Name": ""}, "periodSeconds": 60, "threshold": 1, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1}}]}]}`,
			`services[0].alarms[0].metric.dimensions["Cluster.Name"]`, "must be 1-1024 characters, got 0"},
		{"no services", `{"services": []}`, "services", "at least one service"},
		{"bad cluster name", `{"services": [{"cluster": "a b", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].cluster", "letters, numbers"},
		{"max below min", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 3, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].maxCapacity", "below minCapacity"},
		{"negative min", `{"services": [{"cluster": "a", "service": "web", "minCapacity": -1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`, "services[0].minCapacity", "between 0 and 5000"},
		{"no alarms", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": []}]}`, "services[0].alarms", "at least one alarm"},
		{"bad direction", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "up"}]}]}`, "services[0].alarms[0].direction", `"up"`},
		{"zero adjustment", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out", "adjustment": 0}]}]}`, "services[0].alarms[0].adjustment", "between 1"},
		{"control character in alarm name", `{"services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x\u0007", "direction": "out"}]}]}`, "services[0].alarms[0].alarmName", "ASCII control characters"},
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
			expectProblem(t, tt.json, tt.field, tt.problem)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.json")); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("Load(missing) = %v, want an error naming the file", err)
	}
}

func TestAlarmSources(t *testing.T) {
	c, err := Parse("sources.json", []byte(`{"alarmSources": [{"accountId": "111122223333", "region": "eu-west-2"}], "services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		account, region string
		want            bool
	}{
		{"123456789012", "us-east-1", true},  // the deployment's own
		{"111122223333", "eu-west-2", true},  // listed
		{"111122223333", "us-east-1", false}, // listed account, other Region
		{"444455556666", "us-east-1", false}, // another account
	}
	for _, tt := range tests {
		if got := c.AcceptsAlarmsFrom(tt.account, tt.region, "123456789012", "us-east-1"); got != tt.want {
			t.Errorf("AcceptsAlarmsFrom(%s, %s) = %v, want %v", tt.account, tt.region, got, tt.want)
		}
	}
	expectProblem(t, `{"alarmSources": [{"accountId": "1111", "region": "eu west"}], "services": [{"cluster": "a", "service": "web", "minCapacity": 1, "maxCapacity": 2, "alarms": [{"alarmName": "x", "direction": "out"}]}]}`,
		"alarmSources[0].accountId", "12 digits")
}

// TestServiceTargetWatch: a change an alarm decided is watched as its policy says; one the
// bounds made (no alarm) as long as the longest policy and as often as the most frequent:
// 900 s every 15 s for policies of 600 s/15 s and 900 s/30 s.
func TestServiceTargetWatch(t *testing.T) {
	c, err := Parse("watch.json", []byte(`{"services": [{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 9,
	  "alarms": [{"alarmName": "high", "direction": "out", "stabilizationTimeoutSeconds": 600, "pollIntervalSeconds": 15},
	             {"alarmName": "low", "direction": "in", "stabilizationTimeoutSeconds": 900, "pollIntervalSeconds": 30}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	target, _ := c.Service(scaling.ServiceRef{Cluster: "prod", Service: "web"})
	for _, tt := range []struct {
		alarm         string
		timeout, poll int
		ok            bool
	}{{"high", 600, 15, true}, {"low", 900, 30, true}, {"", 900, 15, true}, {"other", 0, 0, false}} {
		if timeout, poll, ok := target.Watch(tt.alarm); timeout != tt.timeout || poll != tt.poll || ok != tt.ok {
			t.Errorf("alarm %q: watched %d s every %d s (%v), want %d every %d (%v)", tt.alarm, timeout, poll, ok, tt.timeout, tt.poll, tt.ok)
		}
	}
}
