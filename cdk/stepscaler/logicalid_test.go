package stepscaler

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// TestRemovingAnAlarmChangesNothingElse synthesizes the example configuration, then the
// same without its first created alarm and with the services and the remaining alarms in
// reverse order. The removed alarm's resource disappears and its ARN leaves the lists that
// named it (the topic policy, DescribeAlarms); every other resource keeps its logical id,
// and its properties, metadata and dependencies are otherwise the same. With construct ids
// numbered by position, the alarms after the removed one would all have been renamed, and
// CloudFormation would have replaced them while their names were still taken.
func TestRemovingAnAlarmChangesNothingElse(t *testing.T) {
	synthesized(t) // shares the jsii runtime
	before := loadExample(t)
	var removed string
	for _, s := range before.Services {
		for _, a := range s.Alarms {
			if a.Metric != nil && removed == "" {
				removed = a.AlarmName
			}
		}
	}
	after := *before
	after.Services = nil
	for _, s := range slices.Backward(before.Services) {
		var alarms []config.Alarm
		for _, a := range slices.Backward(s.Alarms) {
			if a.AlarmName != removed {
				alarms = append(alarms, a)
			}
		}
		s.Alarms = alarms
		after.Services = append(after.Services, s)
	}
	if created := createdAlarms(&after); len(created) < 2 {
		t.Fatalf("the example leaves %d created alarms after removing %s; the test needs at least 2 to mean anything", len(created), removed)
	}

	_, a := synthesizeConfig(t, before, Operator{})
	_, b := synthesizeConfig(t, &after, Operator{})
	removedArn := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + removed
	resA, resB := a["Resources"].(map[string]any), b["Resources"].(map[string]any)

	var gone []string
	for id := range resA {
		if _, ok := resB[id]; !ok {
			gone = append(gone, id)
		}
	}
	for id, r := range resA {
		rb, ok := resB[id]
		if !ok {
			continue
		}
		if r.(map[string]any)["Type"] == "AWS::CloudWatch::Dashboard" {
			// The dashboard lists the alarm in its service's alarm status widget, by the
			// removed resource's ARN, inside the body's text: it loses that entry and
			// nothing else.
			if len(gone) == 1 {
				before := dashboardBody(t, r.(map[string]any))
				dropAlarm(before, "{GetAtt:"+gone[0]+".Arn}")
				if after := dashboardBody(t, rb.(map[string]any)); !reflect.DeepEqual(before, after) {
					t.Errorf("the dashboard changed beyond the removed alarm:\n  before %v\n  after  %v", before, after)
				}
			}
			continue
		}
		if want := withoutValue(r, removedArn); !reflect.DeepEqual(want, rb) {
			t.Errorf("%s changed:\n  before %s\n  after  %s", id, render(want), render(rb))
		}
	}
	for id := range resB {
		if _, ok := resA[id]; !ok {
			t.Errorf("new resource %s after removing an alarm", id)
		}
	}
	if len(gone) != 1 {
		t.Fatalf("resources gone: %v, want only the alarm %s", gone, removed)
	}
	if r := resA[gone[0]].(map[string]any); r["Type"] != "AWS::CloudWatch::Alarm" || r["Properties"].(map[string]any)["AlarmName"] != removed {
		t.Errorf("the resource gone is %s (%v), not the alarm %s", gone[0], r["Type"], removed)
	}
	if !reflect.DeepEqual(a["Outputs"], b["Outputs"]) {
		t.Errorf("outputs changed:\n  before %s\n  after  %s", render(a["Outputs"]), render(b["Outputs"]))
	}
}

func createdAlarms(cfg *config.Config) []string {
	var names []string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.Metric != nil {
				names = append(names, a.AlarmName)
			}
		}
	}
	return names
}

// withoutValue is v with every list element that renders as drop removed.
func withoutValue(v any, drop string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = withoutValue(e, drop)
		}
		return out
	case []any:
		out := []any{}
		for _, e := range x {
			if render(e) != drop {
				out = append(out, withoutValue(e, drop))
			}
		}
		return out
	}
	return v
}

// webCPUHighHash is the first 8 hex digits of sha256("stepscaler-web-cpu-high"), as
// `printf %s stepscaler-web-cpu-high | sha256sum` prints them, upper-cased.
const webCPUHighHash = "94E011AD"

// TestAlarmConstructIDs: an id depends on the name alone, keeps its letters and digits,
// and names that differ only in what is dropped still get different ids.
func TestAlarmConstructIDs(t *testing.T) {
	// The whole id, with the first 8 hex digits of the name's SHA-256 (sha256sum).
	if got, want := alarmConstructID("stepscaler-web-cpu-high"), "ConfiguredAlarmStepscalerWebCpuHigh"+webCPUHighHash; got != want {
		t.Errorf("alarmConstructID = %s, want %s", got, want)
	}
	tests := map[string]string{
		"api_high":         "ConfiguredAlarmApiHigh",
		"p99 latency > 2s": "ConfiguredAlarmP99Latency2s",
		"Ünïcode-alarm":    "ConfiguredAlarmNCodeAlarm",
	}
	for name, prefix := range tests {
		id := alarmConstructID(name)
		if len(id) != len(prefix)+8 || id[:len(prefix)] != prefix {
			t.Errorf("alarmConstructID(%q) = %s, want %s followed by 8 hex digits", name, id, prefix)
		}
	}
	if alarmConstructID("api-high") == alarmConstructID("api_high") {
		t.Error("api-high and api_high share a construct id")
	}
	long := alarmConstructID("a" + strings.Repeat("b", 300))
	if len(long) > len("ConfiguredAlarm")+alarmIDWords+8 {
		t.Errorf("a 301-character name gives a %d-character id", len(long))
	}
	cfg := &config.Config{Services: []config.Service{{Alarms: []config.Alarm{
		{AlarmName: "same", Metric: &config.Metric{}}, {AlarmName: "same", Metric: &config.Metric{}},
	}}}}
	if err := checkAlarmIDs(cfg); err == nil {
		t.Error("checkAlarmIDs accepted two alarms with one construct id")
	}
}

// dashboardBody is a dashboard resource's body, rendered and decoded.
func dashboardBody(t *testing.T, r map[string]any) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(render(r["Properties"].(map[string]any)["DashboardBody"])), &body); err != nil {
		t.Fatalf("dashboard body: %v", err)
	}
	return body
}

// dropAlarm removes an alarm ARN from every alarm status widget of a decoded body.
func dropAlarm(body map[string]any, arn string) {
	for _, w := range body["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		if alarms, ok := props["alarms"].([]any); ok {
			props["alarms"] = slices.DeleteFunc(alarms, func(a any) bool { return a == arn })
		}
	}
}
