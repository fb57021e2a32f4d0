package stepscaler

import (
	"math/big"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/evaluate"
)

// Reserved concurrency. Every function gets some: it guarantees the scaling path its share
// of the account's concurrency when other functions are busy (a load spike is exactly when
// both the account's other functions and Stepscaler get busy), and it caps what a bug or a
// flood of notifications can take from the rest of the account. The figures follow from how
// executions are started, not from measurements.
//
//   - evaluate-alarms: 1. One evaluation at a time: its timeout (50 s) ends a run before the
//     next minute's, and a second one overlapping would start the same executions again. A
//     delivery that finds the instance busy is throttled, and Lambda retries a throttled
//     asynchronous event until its maximum event age (60 s here) ("How Lambda handles errors
//     and retries with asynchronous invocation", Lambda Developer Guide).
//   - starter: 2. One notification is one StartExecution request, about starterMillis
//     warm; two instances start starterConcurrency/starterMillis = 10 executions a second,
//     twice the evaluation's pace, and one instance in a cold start does not stop the other.
//     A burst of notifications beyond that waits in Lambda's asynchronous queue (throttles
//     are retried, within the starter's one-hour event age), and the next minute's
//     evaluation covers every service in ALARM anyway.
//   - each task function: see taskConcurrency.
const (
	evaluatorConcurrency = 1
	starterConcurrency   = 2
	// starterMillis is one warm starter invocation: a StartExecution round trip of tens of
	// milliseconds plus Lambda's own overhead.
	starterMillis = 200
	// taskMillis is a generous bound on one task invocation: one to three AWS API calls of
	// tens of milliseconds each, plus the init of a static Go binary on a cold start.
	taskMillis = 1000
	// minTaskConcurrency lets one slow invocation (a cold start, an SDK retry) never make
	// the next one wait.
	minTaskConcurrency = 2
	// executionsPerService bounds the executions of one service that can be inside a Task
	// at once: both triggers name an execution after the service and its minute, so in any
	// minute a service gets at most one from the evaluation and one from a notification
	// dated the minute before; every other start in that minute is a duplicate and starts
	// nothing. An execution runs its Tasks one after the other (the definition has no
	// Parallel or Map state), so it occupies at most one function at a time.
	executionsPerService = 2
)

// startsPerSecond is the most executions the two triggers start in one second: the
// evaluation's pace (evaluate.DefaultStartsPerSecond) plus the starter's (its reserved
// concurrency over the duration of one invocation): 5 + 2/0.2 s = 15.
func startsPerSecond() *big.Rat {
	r := new(big.Rat).SetInt64(evaluate.DefaultStartsPerSecond)
	starter := big.NewRat(starterConcurrency*1000, starterMillis)
	return r.Add(r, starter)
}

// taskConcurrency is each task function's reserved concurrency for the configuration, by
// folder name. By Little's law a function needs (invocations a second) × (seconds each).
//
//   - acquire-lease, read-alarms, describe-service, plan-scaling, update-desired-count and
//     record-outcome run at most once per execution (record-outcome as "Record outcome" or
//     as "Record failure"), so at most startsPerSecond times a second: 15 × 1 s = 15.
//   - check-stability runs once every poll interval for each service being stabilized, and
//     only the execution that holds a service's lease stabilizes it: at most the sum over
//     the services of 1 / (the shortest pollIntervalSeconds of their alarms) a second.
//
// Each figure is at least minTaskConcurrency, and at most executionsPerService × the
// number of services, since no more executions can be inside a Task at once. A function
// that is throttled nevertheless answers Lambda.TooManyRequestsException, which the state
// machine retries with backoff, and the throttle alarm pages.
func taskConcurrency(cfg *config.Config) map[string]int {
	ceiling := executionsPerService * len(cfg.Services)
	size := func(perSecond *big.Rat) int {
		n := ceilRat(new(big.Rat).Mul(perSecond, big.NewRat(taskMillis, 1000)))
		return min(max(n, minTaskConcurrency), ceiling)
	}
	polls := new(big.Rat)
	for _, t := range cfg.ServiceTargets() {
		shortest := 0
		for _, p := range t.Policies {
			if shortest == 0 || p.PollIntervalSeconds < shortest {
				shortest = p.PollIntervalSeconds
			}
		}
		if shortest > 0 {
			polls.Add(polls, big.NewRat(1, int64(shortest)))
		}
	}
	out := make(map[string]int, len(taskSpecs))
	for _, s := range taskSpecs {
		if s.name == "check-stability" {
			out[s.name] = size(polls)
		} else {
			out[s.name] = size(startsPerSecond())
		}
	}
	return out
}

// totalReservedConcurrency is what the whole stack reserves from the account's concurrency.
func totalReservedConcurrency(cfg *config.Config) int {
	n := starterConcurrency + evaluatorConcurrency
	for _, c := range taskConcurrency(cfg) {
		n += c
	}
	return n
}

// ceilRat is the smallest integer at or above r (r ≥ 0).
func ceilRat(r *big.Rat) int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return int(q.Int64())
}
