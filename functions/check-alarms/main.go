// Command check-alarms is the Lambda function behind the Scale state machine's
// "Read alarm states" state.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{CloudWatch: true}, func(h *workflow.Handlers) any { return h.CheckAlarms })
}
