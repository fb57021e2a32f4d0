// Command update-desired-count is the Lambda function behind the Scale state machine's
// "Update desired count" state.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{ECS: true}, func(h *workflow.Handlers) any { return h.UpdateDesiredCount })
}
