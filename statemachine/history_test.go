package statemachine

import (
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// Step Functions fails a Standard execution, uncatchably (no Catch runs, nothing is
// recorded, the lease stays held), when its history reaches 25,000 events ("Quotas",
// Step Functions Developer Guide). historyQuota is that quota; the worst case the
// configuration allows must stay at most half of it.
const (
	historyQuota = 25000
	worstAllowed = historyQuota / 2
)

// The history events each state type adds, as Step Functions records them for a Task
// whose Resource is a Lambda function ARN (HistoryEvent, API Reference; GetExecutionHistory
// captures): TaskStateEntered, then per attempt LambdaFunctionScheduled,
// LambdaFunctionStarted and LambdaFunctionSucceeded or LambdaFunctionFailed, then
// TaskStateExited (also when a Catch takes the error); other states an Entered and an
// Exited event; a Fail state FailStateEntered. The execution adds ExecutionStarted and
// ExecutionSucceeded or ExecutionFailed.
const (
	eventsPerAttempt  = 3
	eventsAroundTask  = 2
	eventsOtherState  = 2
	eventsFailState   = 1
	eventsAroundStart = 2
)

// TestWorstCaseHistory computes, from scale.asl.json and the configuration's bound on
// stability checks, the most history events one execution can record: every Task taking
// every retry its Retry rules allow, the stability loop running config.MaxStabilityChecks
// times, then the longest way to an end (a caught failure of the record step included).
func TestWorstCaseHistory(t *testing.T) {
	_, def := load(t)
	loop := map[string]bool{"Wait for service to stabilize": true, "Check stability": true, "Service stable?": true}
	for name := range loop {
		if _, ok := def.States[name]; !ok {
			t.Fatalf("no state %q: the loop the configuration bounds has changed, update this test", name)
		}
	}
	taskEvents := func(s state) int {
		attempts := 1
		for _, r := range s.Retry {
			attempts += r.MaxAttempts // retriers count separately: errors can alternate
		}
		return eventsAroundTask + eventsPerAttempt*attempts
	}
	// worst is the most events from name to the end of the execution, having entered the
	// loop's states visits times so far.
	visits := map[string]int{}
	var worst func(name string) int
	worst = func(name string) int {
		s := def.States[name]
		limit := 1
		if loop[name] {
			limit = config.MaxStabilityChecks
		}
		if visits[name] >= limit {
			if !loop[name] {
				t.Errorf("a cycle passes %q, which no bound of the configuration limits", name)
			}
			return -1 // not allowed: the configuration bounds the loop
		}
		visits[name]++
		defer func() { visits[name]-- }()
		var own int
		var next []string
		switch s.Type {
		case "Task":
			own = taskEvents(s)
			next = append(next, s.Next)
			for _, c := range s.Catch {
				next = append(next, c.Next)
			}
		case "Fail":
			return eventsFailState + 1 // + ExecutionFailed
		case "Succeed":
			return eventsOtherState + 1 // + ExecutionSucceeded
		default:
			own = eventsOtherState
			if s.Next != "" {
				next = append(next, s.Next)
			}
			if s.Default != "" {
				next = append(next, s.Default)
			}
			for _, c := range s.Choices {
				next = append(next, c.Next)
			}
		}
		best := -1
		for _, n := range next {
			if w := worst(n); w > best {
				best = w
			}
		}
		if best < 0 {
			return -1
		}
		return own + best
	}
	total := 1 + worst(def.StartAt) // + ExecutionStarted
	if total <= 0 {
		t.Fatal("no way through the state machine")
	}
	perCheck := eventsOtherState + taskEvents(def.States["Check stability"]) + eventsOtherState
	t.Logf("worst case: %d history events (%d per stability check × at most %d checks), quota %d",
		total, perCheck, config.MaxStabilityChecks, historyQuota)
	if total > worstAllowed {
		t.Errorf("the worst case allowed is %d history events, more than half the quota of %d: lower config.MaxStabilityChecks or the retries",
			total, historyQuota)
	}
	// The loop dominates: the bound matters, and without it the quota would be reached.
	if perCheck*config.MaxStabilityChecks < total/2 {
		t.Errorf("the stability loop (%d events) is not the bulk of the worst case (%d): is the loop still the only cycle?", perCheck*config.MaxStabilityChecks, total)
	}
}
