// Package statemachine holds the Scale workflow's definition, scale.asl.json. These tests
// check the rules the design sets for it; the workflow scenarios run it.
package statemachine

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/deploy"
)

type retry struct {
	ErrorEquals     []string
	JitterStrategy  string
	IntervalSeconds float64
	BackoffRate     float64
	MaxAttempts     int
	MaxDelaySeconds float64
}

type state struct {
	Type     string
	Resource string
	Next     string
	Default  string
	Retry    []retry
	Catch    []struct {
		ErrorEquals []string
		Next        string
	}
	Choices        []struct{ Next string }
	SecondsPath    string
	TimeoutSeconds int
}

func load(t *testing.T) (raw []byte, def struct {
	StartAt string
	States  map[string]state
}) {
	t.Helper()
	raw, err := os.ReadFile("scale.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	return raw, def
}

// TestValidASL runs asl-validator, the Amazon States Language checker, on the file.
func TestValidASL(t *testing.T) {
	bin := filepath.Join("..", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("asl-validator is not installed (run npm ci): %v", err)
	}
	out, err := exec.Command(bin, "--json-path", "scale.asl.json").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is valid") {
		t.Fatalf("asl-validator: %v\n%s", err, out)
	}
}

// TestJSONPathOnly: the offline engine ignores JSONata and Assign, so they would go untested.
func TestJSONPathOnly(t *testing.T) {
	raw, _ := load(t)
	for _, banned := range []string{`"QueryLanguage"`, `"Assign"`, `"Arguments"`, `"Output"`, "{%"} {
		if strings.Contains(string(raw), banned) {
			t.Errorf("scale.asl.json uses %s", banned)
		}
	}
}

// lambdaErrors are the Lambda errors Step Functions documents as transient ("Handle
// transient Lambda service exceptions", Step Functions Developer Guide).
var lambdaErrors = []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
	"Lambda.TooManyRequestsException", "Lambda.ClientExecutionTimeoutException"}

// TestEveryTaskRetriesAndCatches: every Task retries Lambda's service errors with backoff
// and jitter and, but for the last-resort recorder, catches everything into the record.
func TestEveryTaskRetriesAndCatches(t *testing.T) {
	_, def := load(t)
	placeholder := regexp.MustCompile(`^\$\{[A-Za-z]+FunctionArn\}$`)
	for name, s := range def.States {
		if s.Type != "Task" {
			continue
		}
		if !placeholder.MatchString(s.Resource) {
			t.Errorf("%s: Resource %q is not a ${...FunctionArn} placeholder", name, s.Resource)
		}
		if s.TimeoutSeconds == 0 {
			t.Errorf("%s: no TimeoutSeconds", name)
		}
		for _, e := range lambdaErrors {
			if r, ok := retrier(s, e); !ok || r.JitterStrategy != "FULL" || !(r.BackoffRate > 1) {
				t.Errorf("%s: no Retry on %s with backoff and full jitter", name, e)
			}
		}
		if len(s.Catch) == 0 || !slices.Contains(s.Catch[0].ErrorEquals, "States.ALL") {
			t.Errorf("%s: no Catch of States.ALL", name)
			continue
		}
		want := "Record failure"
		if name == "Record failure" {
			want = "Recording failed"
		}
		if s.Catch[0].Next != want {
			t.Errorf("%s: Catch goes to %s, want %s", name, s.Catch[0].Next, want)
		}
	}
}

// retrier is the first of s's Retry rules that matches error, as Step Functions picks
// one.
func retrier(s state, error string) (retry, bool) {
	for _, r := range s.Retry {
		if slices.Contains(r.ErrorEquals, error) || slices.Contains(r.ErrorEquals, "States.ALL") {
			return r, true
		}
	}
	return retry{}, false
}

// A storm of scalings queues for the ECS-calling functions' few reserved instances,
// and the queue is Lambda throttling each invocation it has no instance for: a step
// retries Lambda.TooManyRequestsException long enough for the queue to drain. The
// slowest queue is update-desired-count's: however many instances it has, together they
// update at most at the default share of ECS's 5 writes/s (internal/deploy), so 100
// services' updates take 100 / 2.5 = 40 s to drain. With full jitter a
// retrier waits on average half its capped backoffs, which must cover that. The loop's
// Check stability is exempt: a throttled poll is one of many, and its retries count
// towards the history's worst case.
func TestThrottledStepsOutlastAStorm(t *testing.T) {
	_, def := load(t)
	const services = 100
	drain := services / (deploy.DefaultECSShare * deploy.ECSWritesPerSecond)
	for name, s := range def.States {
		if s.Type != "Task" || name == "Check stability" {
			continue
		}
		r, ok := retrier(s, "Lambda.TooManyRequestsException")
		if !ok {
			continue // TestEveryTaskRetriesAndCatches reports it
		}
		var total float64
		wait := r.IntervalSeconds
		for range r.MaxAttempts {
			total += min(wait, r.MaxDelaySeconds)
			wait *= r.BackoffRate
		}
		if mean := total / 2; mean < drain {
			t.Errorf("%s: throttled invocations are retried for %.0f s on average, less than the %.0f s %d services' updates take to drain",
				name, mean, drain, services)
		}
	}
}

// TestEveryPathEndsRecorded: from the start, every path to a terminal state passes a
// record step, so every execution ends with a recorded outcome.
func TestEveryPathEndsRecorded(t *testing.T) {
	_, def := load(t)
	isRecord := func(n string) bool { return n == "Record outcome" || n == "Record failure" }
	var walk func(name string, recorded bool, seen map[string]bool)
	walk = func(name string, recorded bool, seen map[string]bool) {
		s, ok := def.States[name]
		if !ok {
			t.Fatalf("transition to unknown state %q", name)
		}
		recorded = recorded || isRecord(name)
		if seen[name] {
			return
		}
		seen = mapsWith(seen, name)
		var next []string
		if s.Next != "" {
			next = append(next, s.Next)
		}
		if s.Default != "" {
			next = append(next, s.Default)
		}
		for _, c := range s.Choices {
			next = append(next, c.Next)
		}
		for _, c := range s.Catch {
			next = append(next, c.Next)
		}
		if len(next) == 0 && !recorded && name != "Recording failed" {
			t.Errorf("terminal state %s reachable without a record step", name)
		}
		for _, n := range next {
			walk(n, recorded, seen)
		}
	}
	walk(def.StartAt, false, map[string]bool{})
	if def.States["Wait for service to stabilize"].SecondsPath != "$.watch.pollSeconds" {
		t.Error("the stabilization wait does not follow the deciding policy's poll interval")
	}
}

func mapsWith(m map[string]bool, k string) map[string]bool {
	c := make(map[string]bool, len(m)+1)
	for key := range m {
		c[key] = true
	}
	c[k] = true
	return c
}
