// Command check-stability is the Lambda function behind the Scale state machine's
// "Check stability" state.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{ECS: true}, func(h *workflow.Handlers) any { return h.CheckStability })
}
