package stepscaler

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/evaluate"
)

// servicesPolling is a configuration of one service per poll interval given, each with
// one scale-out alarm polling that often (0: the defaults, a 15 s poll for 600 s).
func servicesPolling(t *testing.T, polls ...int) *config.Config {
	t.Helper()
	type alarm struct {
		AlarmName                   string `json:"alarmName"`
		Direction                   string `json:"direction"`
		PollIntervalSeconds         int    `json:"pollIntervalSeconds,omitempty"`
		StabilizationTimeoutSeconds int    `json:"stabilizationTimeoutSeconds,omitempty"`
	}
	type service struct {
		Cluster     string  `json:"cluster"`
		Service     string  `json:"service"`
		MinCapacity int     `json:"minCapacity"`
		MaxCapacity int     `json:"maxCapacity"`
		Alarms      []alarm `json:"alarms"`
	}
	var doc struct {
		Services []service `json:"services"`
	}
	for i, p := range polls {
		doc.Services = append(doc.Services, service{Cluster: "c", Service: fmt.Sprintf("s%d", i), MinCapacity: 1, MaxCapacity: 10,
			// 100 polls per stabilization, within config.MaxStabilityChecks.
			Alarms: []alarm{{AlarmName: fmt.Sprintf("s%d-high", i), Direction: "out", PollIntervalSeconds: p, StabilizationTimeoutSeconds: 100 * p}}})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("polls.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func repeat(n, v int) []int { return slices.Repeat([]int{v}, n) }

// TestTaskConcurrency checks the figures worked by hand from the rule in concurrency.go:
// executions start at most 5 (the evaluation's pace) + 2 / 0.2 s (the starter's) = 15 a
// second, each task invocation is counted at 1 s, check-stability runs once per poll of
// each service, every figure is at least 2 and at most 2 × the services.
func TestTaskConcurrency(t *testing.T) {
	if evaluate.DefaultStartsPerSecond != 5 {
		t.Fatalf("evaluate.DefaultStartsPerSecond = %d; the figures below were worked out for 5", evaluate.DefaultStartsPerSecond)
	}
	tests := []struct {
		name          string
		polls         []int
		perExecution  int // acquire-lease … record-outcome
		checkStablity int
	}{
		// 1 service: at most 2 executions inside a Task at once.
		{"one service", []int{15}, 2, 2},
		// 2 services at 15 s: 15 capped at 4; 2/15 a second → 1, raised to 2.
		{"two services", []int{15, 15}, 4, 2},
		// 3 services at 3 s: 3 × 1/3 = exactly 1 check a second → 1, raised to 2.
		{"three at 3 s", []int{3, 3, 3}, 6, 2},
		// 1 + 1/2 + 1/4 = 1.75 → 2.
		{"1, 2 and 4 s", []int{1, 2, 4}, 6, 2},
		// 7 × 1/2 = 3.5 → 4.
		{"seven at 2 s", repeat(7, 2), 14, 4},
		// 10 × 1 = 10 checks a second; the 15 starts a second no longer capped (20).
		{"ten at 1 s", repeat(10, 1), 15, 10},
		// 240 × 1/15 = 16.
		{"240 at the default 15 s", repeat(240, 0), 15, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := taskConcurrency(servicesPolling(t, tt.polls...))
			want := map[string]int{}
			for _, s := range taskSpecs {
				want[s.name] = tt.perExecution
			}
			want["check-stability"] = tt.checkStablity
			if !maps.Equal(got, want) {
				t.Errorf("taskConcurrency = %v, want %v", got, want)
			}
		})
	}
}

// TestReservedConcurrencyInTheTemplate: the example configuration has two services whose
// alarms poll every 15 s (the default where not set), so the figures are 4 for the
// functions an execution runs once and 2 for check-stability; the starter has 2, the
// evaluation 1: 29 in all, which the account must be able to reserve while keeping the
// 100 unreserved that Lambda requires.
func TestReservedConcurrencyInTheTemplate(t *testing.T) {
	_, tmpl := synthesized(t)
	want := map[string]float64{
		"Starter": 2, "EvaluateAlarms": 1,
		"AcquireLease": 4, "ReadAlarms": 4, "DescribeService": 4, "PlanScaling": 4,
		"UpdateDesiredCount": 4, "CheckStability": 2, "RecordOutcome": 4,
	}
	total := 0.0
	for id, n := range want {
		fn := byConstructID(t, tmpl, "AWS::Lambda::Function", id)
		if got := fn.props["ReservedConcurrentExecutions"]; got != n {
			t.Errorf("%s: ReservedConcurrentExecutions = %v, want %v", id, got, n)
		}
		total += n
	}
	if got := totalReservedConcurrency(loadExample(t)); float64(got) != total || total != 29 {
		t.Errorf("totalReservedConcurrency = %d, template total %v, want 29", got, total)
	}
}

// TestECSShareFromContext: the share is a number from 0.05 to 1, given in cdk.json (a
// number) or with -c (a string); it sets the pace of the functions that call ECS.
func TestECSShareFromContext(t *testing.T) {
	synthesized(t)
	for _, tt := range []struct {
		value any
		want  float64
		err   bool
	}{
		{nil, 0, false}, {0.25, 0.25, false}, {"0.05", 0.05, false}, {"1", 1, false},
		{0.01, 0, true}, {"1.5", 0, true}, {"half", 0, true}, {true, 0, true},
	} {
		ctx := map[string]any{}
		if tt.value != nil {
			ctx[ECSShareContextKey] = tt.value
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
		got, err := ecsShareFromContext(app.Node())
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%v: %v, %v; want %v, error %v", tt.value, got, err, tt.want, tt.err)
		}
	}
	// A quarter of the rates: update-desired-count's 4 instances share 5/s × 0.25.
	s := testSettings(t, loadExample(t), Operator{})
	s.ecsShare = 0.25
	_, tmpl := synthesizeSettings(t, s)
	if got := functionEnv(byConstructID(t, tmpl, "AWS::Lambda::Function", "UpdateDesiredCount"))["STEPSCALER_ECS_CALLS_PER_SECOND"]; got != "0.3125" {
		t.Errorf("update-desired-count's pace at a 0.25 share = %q, want 0.3125 (5/s × 0.25 / 4)", got)
	}
}
