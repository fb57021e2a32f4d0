// Package deploy holds what the stack deploys for each function that the offline stack
// must reproduce: its timeout and its pace of ECS calls. The
// CDK app and the local stack read them from here, so a function runs under the Runtime
// Interface Emulator as it runs in AWS.
package deploy

import (
	"fmt"
	"time"
)

// Timeouts are the functions' timeouts, by folder under functions/. The state machine's
// Task TimeoutSeconds exceed the task functions' (checked at synth), so a function that
// runs out of time reaches the state machine as Lambda.Unknown, which it retries.
var Timeouts = map[string]time.Duration{
	// One or two AWS calls of tens of milliseconds, with room for the SDK's attempts and
	// backoff under throttling; plan-scaling calls nothing; read-alarms may make two
	// CloudWatch calls per alarm in ALARM.
	"acquire-lease":        10 * time.Second,
	"read-alarms":          15 * time.Second,
	"describe-service":     10 * time.Second,
	"plan-scaling":         5 * time.Second,
	"update-desired-count": 10 * time.Second,
	"check-stability":      10 * time.Second,
	"record-outcome":       10 * time.Second,
	"starter":              10 * time.Second,
	// One DescribeAlarms request per 100 configured alarms, one ListExecutions, then at
	// most STARTS_PER_SECOND starts a second (evaluate.DefaultStartsPerSecond): about 240
	// services in ALARM at once fit, and the rest wait for the next minute, whose run
	// starts the list elsewhere. It ends before the next minute's evaluation begins.
	"evaluate-alarms": 50 * time.Second,
}

// Timeout is a function's timeout; it panics for a function the table does not list,
// which a test of both the stack and the table catches.
func Timeout(function string) time.Duration {
	t, ok := Timeouts[function]
	if !ok {
		panic(fmt.Sprintf("deploy: no timeout for function %q", function))
	}
	return t
}

// The account's ECS API rates per Region, as Amazon ECS documents its request
// throttling: token buckets per account, the service reads (DescribeServices,
// ListServices) holding 100 and refilling at 20 a second, the service writes
// (CreateService, UpdateService, DeleteService) holding 50 and refilling at 5 a second.
const (
	ECSReadsPerSecond  = 20.0
	ECSWritesPerSecond = 5.0
	ECSReadBurst       = 100
	ECSWriteBurst      = 50
)

// DefaultECSShare is the share of those rates Stepscaler keeps to by default: half,
// leaving the other half to the deploy tooling and consoles that share the account.
const DefaultECSShare = 0.5

// ecsBuckets says which of ECS's buckets each function that calls ECS draws on: each
// step function calls one ECS operation, and no other function calls ECS.
var ecsBuckets = map[string]string{
	"describe-service":     "read",
	"check-stability":      "read",
	"update-desired-count": "write",
}

// ECSCallsPerSecond is the pace of one instance of function (0: it calls ECS not): its
// bucket's rate times share, split evenly among the instances that the functions drawing
// on that bucket may run at once (concurrency, by function: their reserved concurrency).
// However many executions queue for them, those functions then call ECS at most at share
// × the documented rates, plus one call per instance as it starts (the limiter's burst).
func ECSCallsPerSecond(function string, share float64, concurrency map[string]int) float64 {
	bucket, ok := ecsBuckets[function]
	if !ok {
		return 0
	}
	rate := ECSReadsPerSecond
	if bucket == "write" {
		rate = ECSWritesPerSecond
	}
	instances := 0
	for fn, b := range ecsBuckets {
		if b == bucket {
			instances += max(concurrency[fn], 1)
		}
	}
	return rate * share / float64(instances)
}
