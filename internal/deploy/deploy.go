// Package deploy holds what the stack deploys for each function that the offline stack
// must reproduce: its timeout. The CDK app and the local stack read it from here, so a
// function runs under the Runtime Interface Emulator with the timeout it has in AWS.
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
