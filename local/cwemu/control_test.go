package cwemu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

func control(t *testing.T, e *env, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.emu.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: decode: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// The control API drives the emulator from another process: publish AWS service
// metrics, evaluate at a given time, inject faults, count calls.
func TestControlAPI(t *testing.T) {
	e := start(t, cwemu.Options{})
	in := cpuAlarm("ecs-cpu")
	in.Namespace, in.EvaluationPeriods = aws.String("AWS/ECS"), aws.Int32(1)
	e.putAlarm(t, in)

	status, out := control(t, e, "POST", "/_emulator/metrics",
		`[{"namespace":"AWS/ECS","metricName":"CPUUtilization","dimensions":[{"name":"ServiceName","value":"web"}],"timestamp":"2026-11-27T09:58:00Z","value":97,"unit":"Percent"}]`)
	if status != http.StatusCreated || out["published"] != 1.0 {
		t.Errorf("metrics: %d %v", status, out)
	}
	status, out = control(t, e, "POST", "/_emulator/evaluate", `{"time":"2026-11-27T09:59:30Z"}`)
	if status != http.StatusOK || out["evaluatedAt"] != "2026-11-27T09:59:30Z" {
		t.Errorf("evaluate: %d %v", status, out)
	}
	if a := e.metricAlarm(t, "ecs-cpu"); a.StateValue != types.StateValueAlarm {
		t.Errorf("after evaluate: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}

	status, _ = control(t, e, "POST", "/_emulator/faults", `{"operation":"DescribeAlarms","error":"Throttling","times":1}`)
	if status != http.StatusCreated {
		t.Errorf("faults: %d", status)
	}
	_, err := newClient(e.emu.URL(), region, noRetries).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	wantAPIError(t, err, "Throttling", 400, noTarget)

	status, out = control(t, e, "GET", "/_emulator/calls", "")
	if status != http.StatusOK || out["DescribeAlarms"] != 2.0 || out["PutMetricAlarm"] != 1.0 {
		t.Errorf("calls: %d %v", status, out)
	}

	for _, bad := range []struct{ method, path, body string }{
		{"POST", "/_emulator/metrics", `[{"namespace":"AWS/ECS","metricName":"CPUUtilization","timestamp":"2026-10-01T00:00:00Z","value":1}]`},
		{"POST", "/_emulator/evaluate", `{"when":"2026-11-27T09:59:30Z"}`},
		{"GET", "/_emulator/nothing", ""},
	} {
		if status, out := control(t, e, bad.method, bad.path, bad.body); status < 400 || out["error"] == nil {
			t.Errorf("%s %s: %d %v, want an error", bad.method, bad.path, status, out)
		}
	}
}
