// Command acquire-lease is the Lambda function behind the Scale state machine's
// "Acquire scaling lease" state.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{Store: true}, func(h *workflow.Handlers) any { return h.AcquireLease })
}
