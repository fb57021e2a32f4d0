// Command describe-service is the Lambda function behind the Scale state machine's
// "Describe ECS service" state.
package main

import "github.com/stepscaler/stepscaler/internal/workflow"

func main() {
	workflow.Start(workflow.Needs{ECS: true}, func(h *workflow.Handlers) any { return h.DescribeService })
}
