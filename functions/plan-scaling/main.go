// Command plan-scaling is the Lambda function behind the Scale state machine's
// "Plan scaling" state.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{}, func(h *workflow.Handlers) any { return h.PlanScaling })
}
