package service

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var observed = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func mustParse(t *testing.T, doc string) ([]Snapshot, []Failure) {
	t.Helper()
	snaps, failures, err := ParseDescribeServices([]byte(doc), observed)
	if err != nil {
		t.Fatalf("ParseDescribeServices: %v", err)
	}
	return snaps, failures
}

// TestParseCircuitBreakerDocument checks every field against the document, read by eye.
func TestParseCircuitBreakerDocument(t *testing.T) {
	data, err := os.ReadFile("../stability/testdata/circuit-breaker-rollback.json")
	if err != nil {
		t.Fatal(err)
	}
	snaps, failures := mustParse(t, string(data))
	if len(snaps) != 1 || len(failures) != 0 {
		t.Fatalf("%d services, %d failures; want 1 and 0", len(snaps), len(failures))
	}
	s := snaps[0]
	at := func(v string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		return ts.UTC()
	}
	if s.ARN != "arn:aws:ecs:us-west-1:827478161993:service/devops-g3-cluster/devops-g3-inventory" || s.Name != "devops-g3-inventory" ||
		s.Status != "ACTIVE" || s.DesiredCount != 1 || s.RunningCount != 0 || s.PendingCount != 1 ||
		s.SchedulingStrategy != "REPLICA" || s.LaunchType != "FARGATE" || s.DeploymentController != "ECS" ||
		s.TaskDefinition != "arn:aws:ecs:us-west-1:827478161993:task-definition/devops-g3-inventory:4" || !s.ObservedAt.Equal(observed) {
		t.Errorf("service fields: %+v", s)
	}
	failed := Deployment{
		ID: "ecs-svc/1571272475813219068", Status: "ACTIVE",
		TaskDefinition: "arn:aws:ecs:us-west-1:827478161993:task-definition/devops-g3-inventory:5",
		RolloutState:   "FAILED", RolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
		DesiredCount: 1, FailedTasks: 3,
		CreatedAt: at("2026-07-22T19:42:20.512Z"), UpdatedAt: at("2026-07-22T19:45:52.148Z"),
	}
	if len(s.Deployments) != 2 || !reflect.DeepEqual(s.Deployments[1], failed) {
		t.Errorf("deployments[1] = %+v\nwant %+v", s.Deployments, failed)
	}
	if len(s.Events) != 7 || s.Events[1].Message != "(service devops-g3-inventory) rolling back to deployment ecs-svc/1675294001379389663." ||
		!s.Events[1].CreatedAt.Equal(at("2026-07-22T19:45:52.149Z")) || s.Events[1].ID != "0e7a3b52-9f1c-4d68-b2e4-58c9a1f3d70b" {
		t.Errorf("events: %+v", s.Events)
	}
}

func TestParseTaskSet(t *testing.T) {
	data, err := os.ReadFile("../stability/testdata/aws-cli-external-task-set.json")
	if err != nil {
		t.Fatal(err)
	}
	snaps, _ := mustParse(t, string(data))
	want := TaskSet{
		ID: "ecs-svc/9223370479726415095", Status: "PRIMARY",
		TaskDefinition:       "arn:aws:ecs:us-west-2:123456789012:task-definition/sample-fargate:2",
		ComputedDesiredCount: 1, ScalePercent: 50, StabilityStatus: "STABILIZING",
		StabilityStatusAt: time.UnixMilli(1557129279914).UTC(),
		CreatedAt:         time.UnixMilli(1557128360711).UTC(),
		UpdatedAt:         time.UnixMilli(1557129412653).UTC(),
	}
	if got := snaps[0].TaskSets; len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("task sets = %+v\nwant %+v", got, want)
	}
	if snaps[0].DeploymentController != "EXTERNAL" || len(snaps[0].Deployments) != 0 || snaps[0].Deployments == nil {
		t.Errorf("controller %q, deployments %#v; want EXTERNAL and an empty list", snaps[0].DeploymentController, snaps[0].Deployments)
	}
}

// TestTimestampForms: the API's epoch seconds (also in exponent form, as captured wire
// output shows: "createdAt":1.619719924711E9), AWS CLI v2's ISO 8601 with an offset, and
// UTC, all name the same instant at millisecond precision.
func TestTimestampForms(t *testing.T) {
	want := time.Date(2021, 4, 29, 18, 12, 4, 711_000_000, time.UTC)
	for _, v := range []string{`1619719924.711`, `1.619719924711E9`, `"2021-04-29T18:12:04.711000+00:00"`, `"2021-04-29T20:12:04.711000+02:00"`, `"2021-04-29T18:12:04.711Z"`} {
		snaps, _ := mustParse(t, `{"services":[{"events":[{"id":"e","createdAt":`+v+`,"message":"m"}]}]}`)
		if got := snaps[0].Events[0].CreatedAt; !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("createdAt %s read as %s, want %s in UTC", v, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		doc, path, problem string
	}{
		{``, "", "the document is empty"},
		{`{"services": [`, "", "not valid JSON"},
		{`{"services": []} {}`, "", "unexpected data after the JSON document"},
		{`[]`, "", "want a JSON object, got an array"},
		{`{"serviceArns": []}`, "", `neither "services" nor "failures"`},
		{`{"services": {}}`, "services", "want an array, got an object"},
		{`{"services": [3]}`, "services[0]", "want an object, got the number 3"},
		{`{"services": [{"status": 1}]}`, "services[0].status", "want a string, got the number 1"},
		{`{"services": [{"desiredCount": "3"}]}`, "services[0].desiredCount", `want an integer, got the string "3"`},
		{`{"services": [{"runningCount": 1.5}]}`, "services[0].runningCount", "want a 32-bit integer, got 1.5"},
		{`{"services": [{"pendingCount": 2147483648}]}`, "services[0].pendingCount", "want a 32-bit integer, got 2147483648"},
		{`{"services": [{"deployments": [{"createdAt": "yesterday"}]}]}`, "services[0].deployments[0].createdAt", `want epoch seconds or an ISO 8601 timestamp such as 2020-04-06T15:28:18.298000+02:00, got "yesterday"`},
		{`{"services": [{"deployments": [{}, {"updatedAt": true}]}]}`, "services[0].deployments[1].updatedAt", "want epoch seconds or an ISO 8601 timestamp, got a boolean"},
		{`{"services": [{"events": [{"createdAt": 1e300}]}]}`, "services[0].events[0].createdAt", "epoch seconds 1e300 are out of range"},
		{`{"services": [{"taskSets": [{"scale": {"value": "50"}}]}]}`, "services[0].taskSets[0].scale.value", `want a number, got the string "50"`},
		{`{"services": [{"taskSets": [{"scale": 50}]}]}`, "services[0].taskSets[0].scale", "want an object, got the number 50"},
		{`{"services": [{"deploymentController": "ECS"}]}`, "services[0].deploymentController", `want an object, got the string "ECS"`},
		{`{"services": [], "failures": [{"reason": ["MISSING"]}]}`, "failures[0].reason", "want a string, got an array"},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			snaps, failures, err := ParseDescribeServices([]byte(tt.doc), observed)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *ParseError", err, err)
			}
			if pe.Path != tt.path || !strings.Contains(pe.Problem, tt.problem) {
				t.Errorf("error at %q: %q; want at %q containing %q", pe.Path, pe.Problem, tt.path, tt.problem)
			}
			if !strings.HasPrefix(err.Error(), "DescribeServices response: ") || (tt.path != "" && !strings.Contains(err.Error(), tt.path+": ")) {
				t.Errorf("message %q does not name the document and the path", err)
			}
			if snaps != nil || failures != nil {
				t.Errorf("returned %v and %v with the error", snaps, failures)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	// Null reads as absent, unknown fields are ignored, and a document with only
	// failures is a DescribeServices response.
	snaps, failures := mustParse(t, `{"services":[{"serviceArn":"a","status":null,"newField":{"x":[1]},"deployments":null}],"failures":[{"arn":"b","reason":"MISSING","detail":null}]}`)
	if len(snaps) != 1 || snaps[0].Status != "" || snaps[0].Deployments == nil || len(snaps[0].Deployments) != 0 {
		t.Errorf("snapshots %+v", snaps)
	}
	if !reflect.DeepEqual(failures, []Failure{{ARN: "b", Reason: "MISSING"}}) {
		t.Errorf("failures %+v", failures)
	}
	if snaps, failures := mustParse(t, `{"failures":[]}`); len(snaps) != 0 || len(failures) != 0 {
		t.Errorf("empty response read as %v, %v", snaps, failures)
	}
}

func TestForPayloadKeepsTheNewestEvents(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Snapshot{ARN: "svc", Deployments: []Deployment{{ID: "d"}}, TaskSets: []TaskSet{{ID: "t"}}}
	// 100 events, as many as ECS returns, oldest first to show ForPayload does not trust order.
	for i := range 100 {
		s.Events = append(s.Events, Event{ID: strconv.Itoa(i), CreatedAt: start.Add(time.Duration(i) * time.Minute), Message: strings.Repeat("x", 300)})
	}
	p := s.ForPayload()
	var ids []string
	for _, e := range p.Events {
		ids = append(ids, e.ID)
	}
	if want := []string{"99", "98", "97", "96", "95"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("kept events %v, want %v", ids, want)
	}
	if len(s.Events) != 100 || s.Events[0].ID != "0" {
		t.Error("ForPayload changed the original snapshot")
	}
	p.Deployments[0].ID, p.TaskSets[0].ID = "changed", "changed"
	if s.Deployments[0].ID != "d" || s.TaskSets[0].ID != "t" {
		t.Error("ForPayload shares slices with the original")
	}
	if (Snapshot{}).ForPayload().Events != nil {
		t.Error("no events should stay nil")
	}
}

func TestControllerDefaultsToECS(t *testing.T) {
	for in, want := range map[string]string{"": "ECS", "ECS": "ECS", "CODE_DEPLOY": "CODE_DEPLOY", "EXTERNAL": "EXTERNAL"} {
		if got := (Snapshot{DeploymentController: in}).Controller(); got != want {
			t.Errorf("Controller() of %q = %q, want %q", in, got, want)
		}
	}
}

func TestDeploymentInProgress(t *testing.T) {
	tests := []struct {
		s    Snapshot
		want bool
	}{
		{Snapshot{}, false},
		{Snapshot{Deployments: []Deployment{{Status: "PRIMARY", RolloutState: "COMPLETED"}}}, false},
		{Snapshot{Deployments: []Deployment{{Status: "PRIMARY", RolloutState: "IN_PROGRESS"}}}, true},
		{Snapshot{Deployments: []Deployment{{Status: "PRIMARY"}, {Status: "ACTIVE"}}}, true},
		{Snapshot{TaskSets: []TaskSet{{Status: "PRIMARY", StabilityStatus: "STABILIZING"}}}, false},
		{Snapshot{TaskSets: []TaskSet{{Status: "PRIMARY"}, {Status: "ACTIVE"}}}, true},
	}
	for i, tt := range tests {
		if got := tt.s.DeploymentInProgress(); got != tt.want {
			t.Errorf("%d: DeploymentInProgress() = %v, want %v", i, got, tt.want)
		}
	}
}

// TestPure keeps the package free of anything but the standard library.
func TestPure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(strings.SplitN(path, "/", 2)[0], ".") {
				t.Errorf("%s imports %s; package service is standard library only", f, path)
			}
		}
	}
}

func ExampleParseDescribeServices() {
	doc := `{"services":[{"serviceName":"web","status":"ACTIVE","desiredCount":2,"runningCount":1,"pendingCount":1,
	  "deployments":[{"id":"ecs-svc/1","status":"PRIMARY","rolloutState":"IN_PROGRESS","createdAt":"2026-11-28T11:59:00.000000+00:00"}]}],
	  "failures":[{"arn":"arn:aws:ecs:us-west-2:123456789012:service/default/old","reason":"MISSING"}]}`
	snaps, failures, err := ParseDescribeServices([]byte(doc), time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := snaps[0].Primary()
	fmt.Println(snaps[0].Name, snaps[0].RunningCount, "of", snaps[0].DesiredCount, p.RolloutState, p.CreatedAt.Format(time.RFC3339))
	fmt.Println(failures[0].Reason)
	// Output:
	// web 1 of 2 IN_PROGRESS 2026-11-28T11:59:00Z
	// MISSING
}
