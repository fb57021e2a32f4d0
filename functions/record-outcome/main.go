// Command record-outcome is the Lambda function behind the Scale state machine's
// "Record outcome" and "Record failure" states.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{Store: true}, func(h *workflow.Handlers) any { return h.RecordOutcome })
}
