// Package executions starts executions of the Scale state machine for the starter and the
// per-minute evaluation: one per service and evaluation minute, named so that Step
// Functions' name idempotency drops duplicates.
package executions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/workflow"
)

// SFN is the part of the Step Functions client used.
type SFN interface {
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
}

// Starter starts executions of one state machine.
type Starter struct {
	sfn SFN
	arn string
}

// NewStarter returns a Starter for the state machine stateMachineARN.
func NewStarter(c SFN, stateMachineARN string) *Starter {
	return &Starter{sfn: c, arn: stateMachineARN}
}

// Started is what became of one start.
type Started struct {
	Name string
	// Duplicate is true when an execution of that name already existed (the same
	// notification delivered twice, or the other trigger was first in that minute):
	// Step Functions started nothing.
	Duplicate bool
}

// sameStart is how much earlier than the request a new execution's start date may be,
// for the clocks of the caller and of Step Functions: an execution that started earlier
// than that existed before the request.
const sameStart = time.Second

// Start starts the execution for in, named workflow.ExecutionName(in.Service,
// in.Trigger.Minute).
func (s *Starter) Start(ctx context.Context, in workflow.Input) (Started, error) {
	name := workflow.ExecutionName(in.Service, in.Trigger.Minute)
	body, err := json.Marshal(in)
	if err != nil {
		return Started{Name: name}, fmt.Errorf("encode the input of execution %s: %w", name, err)
	}
	asked := time.Now()
	out, err := s.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.arn),
		Name:            aws.String(name),
		Input:           aws.String(string(body)),
	})
	// Step Functions answers ExecutionAlreadyExists for a name it has seen in the last 90
	// days unless the input is identical and the execution still running, in which case
	// it returns that execution (StartExecution, API Reference), started before the
	// request: both mean the minute is taken care of.
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		return Started{Name: name, Duplicate: true}, nil
	case err != nil:
		return Started{Name: name}, fmt.Errorf("start execution %s: %w", name, err)
	}
	return Started{Name: name, Duplicate: aws.ToTime(out.StartDate).Before(asked.Add(-sameStart))}, nil
}

// Running lists the names of the state machine's running executions. Step Functions
// answers ListExecutions eventually consistently ("The results are best effort and may
// not reflect very recent updates", API Reference): an execution that just started may be
// missing, which the service's lease makes harmless.
func (s *Starter) Running(ctx context.Context) ([]string, error) {
	var names []string
	p := sfn.NewListExecutionsPaginator(s.sfn, &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(s.arn),
		StatusFilter:    sfntypes.ExecutionStatusRunning,
		MaxResults:      1000,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list running executions: %w", err)
		}
		for _, e := range page.Executions {
			names = append(names, aws.ToString(e.Name))
		}
	}
	return names, nil
}
