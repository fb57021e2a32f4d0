package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// TestPresetResolvesToItsAlarms works the checkout service of everyField out by hand from
// the balanced preset's definition (package presets): a 75% target of 200 requests per
// task is 150; the alarms fire beyond the HPA's tolerance of 0.1, above 165 and below
// 135; the scale-out alarm is one breaching datapoint of three 10 s periods, the scale-in
// alarm two of two 30 s periods; the scale-out cooldown is the time the metric takes to
// show the new tasks: 45 s of start-up, the 30 s window and one 10 s evaluation, 85 s;
// the scale-in waits a minute and holds the highest recommendation of 5 minutes.
func TestPresetResolvesToItsAlarms(t *testing.T) {
	c, err := Parse("every-field.json", []byte(everyField))
	if err != nil {
		t.Fatal(err)
	}
	svc := c.Services[2]
	if svc.Service != "checkout" || len(svc.Alarms) != 2 {
		t.Fatalf("services[2] = %s with %d alarms, want checkout with the preset's two", svc.Service, len(svc.Alarms))
	}
	metric := func(period int, threshold float64, op string, evaluations, datapoints int) *Metric {
		return &Metric{Namespace: "Shop", MetricName: "RequestsPerTask", Dimensions: map[string]string{"Service": "checkout"},
			Statistic: "Average", PeriodSeconds: period, Threshold: threshold, ComparisonOperator: op,
			EvaluationPeriods: evaluations, DatapointsToAlarm: datapoints, TreatMissingData: "notBreaching"}
	}
	wantMetrics := map[string]*Metric{
		"checkout-out": metric(10, 165, "GreaterThanThreshold", 3, 1),
		"checkout-in":  metric(30, 135, "LessThanThreshold", 2, 2),
	}
	for _, a := range svc.Alarms {
		if a.PresetName() != "balanced" {
			t.Errorf("%s: PresetName() = %q, want balanced", a.AlarmName, a.PresetName())
		}
		if want, ok := wantMetrics[a.AlarmName]; !ok || !reflect.DeepEqual(a.Metric, want) {
			t.Errorf("%s: metric\n  %+v\nwant\n  %+v", a.AlarmName, a.Metric, want)
		}
	}

	common := scaling.Policy{MinCapacity: 2, MaxCapacity: 30, AdjustmentType: scaling.TargetRatio,
		TargetValue: 150, Tolerance: 0.1, MetricAggregationType: "Maximum",
		StabilizationTimeoutSeconds: 600, PollIntervalSeconds: 15}
	out := common
	out.AlarmName, out.Direction, out.CooldownSeconds = "checkout-out", scaling.Out, 85
	in := common
	in.AlarmName, in.Direction, in.CooldownSeconds, in.ScaleInStabilizationWindowSeconds = "checkout-in", scaling.In, 60, 300
	target, ok := c.Service(scaling.ServiceRef{Cluster: "prod", Service: "checkout"})
	if !ok || !reflect.DeepEqual(target.Policies, []scaling.Policy{out, in}) {
		t.Errorf("checkout's policies:\n  %+v\nwant\n  %+v", target.Policies, []scaling.Policy{out, in})
	}
	if got, ok := c.Lookup("checkout-in"); !ok || got.Service.Service != "checkout" {
		t.Errorf("Lookup(checkout-in) = %+v, %v: a notification of the preset's alarm must reach its service", got, ok)
	}
}

// TestPresetDefaults: left out, the target is the preset's own (70% for balanced), the
// start-up delay 60 s and the names stepscaler-<cluster>-<service>-out and -in. Worked
// by hand: a target of 70 on a capacity of 100; the scale-out cooldown 60 + 30 + 10 s.
func TestPresetDefaults(t *testing.T) {
	c, err := Parse("defaults.json", []byte(`{"services": [{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 8,
	  "alarms": [], "dryRun": true,
	  "preset": {"name": "balanced", "capacityPerTask": 100, "metric": {"namespace": "Web", "metricName": "CPU", "statistic": "Average"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	out, ok := c.Lookup("stepscaler-prod-web-out")
	if !ok {
		t.Fatalf("no alarm stepscaler-prod-web-out in %v", c.AlarmNames())
	}
	if p := out.Policy; p.TargetValue != 70 || p.CooldownSeconds != 100 || !p.DryRun || p.Direction != scaling.Out {
		t.Errorf("stepscaler-prod-web-out = %+v, want target 70, cooldown 100 s, the service's dry run", p)
	}
	if _, ok := c.Lookup("stepscaler-prod-web-in"); !ok {
		t.Errorf("no alarm stepscaler-prod-web-in in %v", c.AlarmNames())
	}
}

// TestPresetTargetIsTidy: 55% of 100 is 55 exactly in the policy and 60.5 and 49.5 in
// the alarms, not the float64 products 55.00000000000001 and 60.50000000000001.
func TestPresetTargetIsTidy(t *testing.T) {
	c, err := Parse("tidy.json", []byte(`{"services": [{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 8,
	  "alarms": [], "preset": {"name": "latency-first", "capacityPerTask": 100, "targetUtilizationPercent": 55,
	  "metric": {"namespace": "Web", "metricName": "CPU", "statistic": "Average"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Services[0].Alarms {
		want := map[string]float64{"stepscaler-prod-web-out": 60.5, "stepscaler-prod-web-in": 49.5}[a.AlarmName]
		if *a.TargetValue != 55 || a.Metric.Threshold != want {
			t.Errorf("%s: target %v, threshold %v; want 55 and %v", a.AlarmName, *a.TargetValue, a.Metric.Threshold, want)
		}
	}
}

// TestPresetRoundTrips: a parsed configuration written out gives the preset block, not
// the alarms it stands for, so it parses again to the same configuration (rather than to
// one whose preset collides with its own alarms).
func TestPresetRoundTrips(t *testing.T) {
	c, err := Parse("every-field.json", []byte(everyField))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "checkout-out") {
		t.Errorf("the written configuration lists the preset's alarms: %s", data)
	}
	again, err := Parse("written.json", data)
	if err != nil {
		t.Fatalf("the written configuration does not parse: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(again.Targets(), c.Targets()) {
		t.Errorf("written and parsed again, the targets differ:\n  %+v\nwant\n  %+v", again.Targets(), c.Targets())
	}
}

// TestPresetProblems: each mistake in a preset block is reported with its field, and a
// name the preset's alarms would take is refused wherever it is listed.
func TestPresetProblems(t *testing.T) {
	const metric = `"metric": {"namespace": "Web", "metricName": "CPU", "statistic": "Average"}`
	tests := []struct {
		name, services, field, problem string
	}{
		{"negative start-up", `{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [],
			"preset": {"name": "balanced", "capacityPerTask": 100, "startupSeconds": -1, ` + metric + `}}`,
			"services[0].preset.startupSeconds", "must be between 0 and 3600, got -1"},
		{"empty prefix", `{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [],
			"preset": {"name": "balanced", "capacityPerTask": 100, "alarmNamePrefix": "", ` + metric + `}}`,
			"services[0].preset.alarmNamePrefix", "must not be empty"},
		{"names too long", `{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [],
			"preset": {"name": "balanced", "capacityPerTask": 100, "alarmNamePrefix": "` + strings.Repeat("é", 252) + `", ` + metric + `}}`,
			"services[0].preset.alarmNamePrefix", "of 256 characters, beyond CloudWatch's 255"},
		{"taken by another service", `{"cluster": "prod", "service": "api", "minCapacity": 1, "maxCapacity": 5,
			"alarms": [{"alarmName": "stepscaler-prod-web-in", "direction": "in"}]},
			{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [],
			"preset": {"name": "cost-first", "capacityPerTask": 100, ` + metric + `}}`,
			"services[1].preset", `alarm "stepscaler-prod-web-in" is already configured at services[0].alarms[0].alarmName`},
		// 1.7e308 × 1.1 is beyond the largest float64, 1.8e308: the threshold overflows.
		{"capacity whose threshold overflows", `{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [],
			"preset": {"name": "balanced", "capacityPerTask": 1.7e308, "targetUtilizationPercent": 100, ` + metric + `}}`,
			"services[0].preset.capacityPerTask", "1.7e+308 makes alarm stepscaler-prod-web-out's target 1.7e+308 and threshold +Inf: too large"},
		// The preset's metric is checked as a metric block's.
		{"metric math with a duplicate id", `{"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [],
			"preset": {"name": "balanced", "capacityPerTask": 100,
			  "metric": {"expression": "a / b", "metrics": [{"id": "a", "namespace": "Web", "metricName": "Req", "statistic": "Sum"},
			                                               {"id": "a", "namespace": "Web", "metricName": "Tasks", "statistic": "Average"}]}}}`,
			"services[0].preset.metric.metrics[1].id", `duplicate id "a"`},
		{"max below one", `{"cluster": "prod", "service": "web", "minCapacity": 0, "maxCapacity": 0, "alarms": [],
			"preset": {"name": "balanced", "capacityPerTask": 100, ` + metric + `}}`,
			"services[0].maxCapacity", "must be between 1 and 5000, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkOneProblem(t, "preset.json", []byte(`{"services": [`+tt.services+`]}`),
				corpusExpectation{Field: tt.field, Problem: tt.problem})
		})
	}
}

// TestEveryPresetResolvesToListableAlarms: whatever valid values a preset block takes, the
// alarms it resolves to are ones the file could list itself: written out as listed
// alarms, they parse. Checked for every preset at the edges of every field.
func TestEveryPresetResolvesToListableAlarms(t *testing.T) {
	for _, name := range presets.Names() {
		for _, startup := range []int{0, 60, 3600} {
			for _, target := range []float64{0.5, 70, 100} {
				for _, bounds := range [][2]int{{0, 1}, {2, 20}, {5000, 5000}} {
					for _, capacity := range []float64{1e-9, 100, 1e300} {
						src := fmt.Sprintf(`{"services": [{"cluster": "prod", "service": "web", "minCapacity": %d, "maxCapacity": %d, "alarms": [],
						  "preset": {"name": %q, "capacityPerTask": %v, "targetUtilizationPercent": %v, "startupSeconds": %d,
						  "metric": {"namespace": "Web", "metricName": "CPU", "statistic": "Average"}}}]}`,
							bounds[0], bounds[1], name, capacity, target, startup)
						c, err := Parse("preset.json", []byte(src))
						if err != nil {
							t.Fatalf("%s: %v", src, err)
						}
						s := c.Services[0]
						listed := Service{Cluster: s.Cluster, Service: s.Service, MinCapacity: s.MinCapacity, MaxCapacity: s.MaxCapacity}
						for _, a := range s.Alarms {
							a.preset = "" // listed, not resolved: written out in full
							listed.Alarms = append(listed.Alarms, a)
						}
						data, err := json.Marshal(Config{Services: []Service{listed}})
						if err != nil {
							t.Fatal(err)
						}
						if _, err := Parse("listed.json", data); err != nil {
							t.Errorf("%s resolves to alarms the file could not list: %v", src, err)
						}
					}
				}
			}
		}
	}
}
