package ecsemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// controlCall sends one control API request and decodes the JSON reply
// into out (if not nil), returning the status.
func controlCall(t *testing.T, emu *ecsemu.Emulator, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, emu.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

func TestControlAPI(t *testing.T) {
	emu, client := start(t, ecsemu.Options{SchedulerDelay: 20 * time.Millisecond})

	var v ecsemu.ServiceView
	status := controlCall(t, emu, "POST", "/_emulator/services",
		`{"name":"web","desiredCount":2,"taskStartDelay":"40ms","circuitBreaker":{"enable":true}}`, &v)
	if status != http.StatusCreated || v.RunningCount != 2 || v.ARN != "arn:aws:ecs:us-east-1:123456789012:service/default/web" || !v.CircuitBreaker.Enable {
		t.Fatalf("seed: status %d view %+v", status, v)
	}
	if status := controlCall(t, emu, "POST", "/_emulator/services", `{"name":"web"}`, nil); status != http.StatusConflict {
		t.Errorf("seeding twice: status %d, want 409", status)
	}
	if status := controlCall(t, emu, "POST", "/_emulator/services", `{"name":"x","desiredCuont":1}`, nil); status != http.StatusBadRequest {
		t.Errorf("misspelt field: status %d, want 400", status)
	}

	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/default/capacity", `{"maxTasks":3}`, nil); status != http.StatusOK {
		t.Fatalf("capacity: status %d", status)
	}
	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/nope/capacity", `{"maxTasks":3}`, nil); status != http.StatusNotFound {
		t.Errorf("capacity of a missing cluster: status %d, want 404", status)
	}

	if status := controlCall(t, emu, "POST", "/_emulator/faults", `{"operation":"DescribeServices","error":"ThrottlingException","times":1}`, nil); status != http.StatusCreated {
		t.Fatalf("fault: status %d", status)
	}
	describe(t, client, "web") // retried past the fault
	var calls map[string]int
	if status := controlCall(t, emu, "GET", "/_emulator/calls", "", &calls); status != http.StatusOK || calls["DescribeServices"] != 2 {
		t.Errorf("calls: status %d %v, want DescribeServices 2", status, calls)
	}

	// Scale beyond capacity with a start delay too long to wait for.
	status = controlCall(t, emu, "PATCH", "/_emulator/services/default/web", `{"taskStartDelay":"1h"}`, &v)
	if status != http.StatusOK {
		t.Fatalf("patch: status %d", status)
	}
	update(t, client, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(5)})
	time.Sleep(100 * time.Millisecond)
	if status := controlCall(t, emu, "GET", "/_emulator/services/default/web", "", &v); status != http.StatusOK {
		t.Fatalf("get: status %d", status)
	}
	if v.DesiredCount != 5 || v.RunningCount != 2 || v.PendingCount != 1 || !v.HasEvent("was unable to place a task") {
		t.Errorf("view %+v, want desired 5, running 2, 1 pending (capacity 3), a placement event", v)
	}

	// Fargate capacity and container instances, per cluster.
	status = controlCall(t, emu, "POST", "/_emulator/services", `{"name":"api","launchType":"FARGATE","desiredCount":0}`, &v)
	if status != http.StatusCreated || v.LaunchType != "FARGATE" || v.SchedulingStrategy != "REPLICA" {
		t.Fatalf("seed api: status %d view %+v", status, v)
	}
	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/default/capacity", `{"maxTasks":-1}`, nil); status != http.StatusOK {
		t.Fatalf("capacity: status %d", status)
	}
	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/default/fargate", `{"available":false}`, nil); status != http.StatusOK {
		t.Fatalf("fargate: status %d", status)
	}
	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/default/fargate", `{}`, nil); status != http.StatusBadRequest {
		t.Errorf("fargate without available: status %d, want 400", status)
	}
	update(t, client, &ecs.UpdateServiceInput{Service: aws.String("api"), DesiredCount: aws.Int32(1)})
	eventually(t, "the Fargate capacity event", func() bool {
		controlCall(t, emu, "GET", "/_emulator/services/default/api", "", &v)
		return v.HasEvent("Reason: Capacity is unavailable at this time.")
	})
	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/default/instances", `{"count":2}`, nil); status != http.StatusOK {
		t.Fatalf("instances: status %d", status)
	}
	if status := controlCall(t, emu, "PUT", "/_emulator/clusters/nope/instances", `{"count":2}`, nil); status != http.StatusNotFound {
		t.Errorf("instances of a missing cluster: status %d, want 404", status)
	}
	status = controlCall(t, emu, "POST", "/_emulator/services", `{"name":"agent","schedulingStrategy":"DAEMON"}`, &v)
	if status != http.StatusCreated || v.SchedulingStrategy != "DAEMON" || v.DesiredCount != 2 || v.RunningCount != 2 {
		t.Errorf("seed daemon: status %d view %+v, want DAEMON with a task on each of 2 instances", status, v)
	}
	if status := controlCall(t, emu, "POST", "/_emulator/services", `{"name":"bad","schedulingStrategy":"DAEMON","desiredCount":2}`, nil); status != http.StatusBadRequest {
		t.Errorf("daemon seed with a desired count: status %d, want 400", status)
	}

	status = controlCall(t, emu, "PATCH", "/_emulator/services/default/web", `{"failRollouts":true}`, nil)
	if status != http.StatusOK {
		t.Fatalf("patch failRollouts: status %d", status)
	}
	if status := controlCall(t, emu, "GET", "/_emulator/services/default/ghost", "", nil); status != http.StatusNotFound {
		t.Errorf("missing service: status %d, want 404", status)
	}
	if status := controlCall(t, emu, "GET", "/_emulator/nothing", "", nil); status != http.StatusNotFound {
		t.Errorf("unknown route: status %d, want 404", status)
	}
}
