package stack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// SeedServices creates every configured service in the ECS emulator at its minimum
// capacity (at least one task), already running.
func (s *Stack) SeedServices(cfg *config.Config) error {
	for _, svc := range cfg.Services {
		if err := s.ECS.CreateService(svc.Cluster, svc.Service, ecsemu.ServiceSpec{DesiredCount: max(svc.MinCapacity, 1)}); err != nil {
			return fmt.Errorf("seed %s/%s: %w", svc.Cluster, svc.Service, err)
		}
	}
	return nil
}

// Executions lists the state machine's executions, newest first.
func (s *Stack) Executions(ctx context.Context) ([]sfntypes.ExecutionListItem, error) {
	var all []sfntypes.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(s.SFN, &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.StateMachineARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		all = append(all, page.Executions...)
	}
	return all, nil
}

// ServiceExecutions lists one service's executions, newest first.
func (s *Stack) ServiceExecutions(ctx context.Context, svc scaling.ServiceRef) ([]sfntypes.ExecutionListItem, error) {
	all, err := s.Executions(ctx)
	if err != nil {
		return nil, err
	}
	var mine []sfntypes.ExecutionListItem
	for _, e := range all {
		if _, ok := workflow.OfService(aws.ToString(e.Name), svc); ok {
			mine = append(mine, e)
		}
	}
	return mine, nil
}

// ExecutionARN is the ARN of the execution with the given name.
func (s *Stack) ExecutionARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:Scale:%s", Region, AccountID, name)
}

// WaitExecution polls an execution until it is no longer RUNNING, calling tick (if not
// nil) after each poll, and returns its final description.
func (s *Stack) WaitExecution(ctx context.Context, arn string, tick func(*sfn.DescribeExecutionOutput)) (*sfn.DescribeExecutionOutput, error) {
	for {
		out, err := s.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe execution: %w", err)
		}
		if tick != nil {
			tick(out)
		}
		if out.Status != sfntypes.ExecutionStatusRunning {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// History returns an execution's events in order.
func (s *Stack) History(ctx context.Context, arn string) ([]sfntypes.HistoryEvent, error) {
	var events []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(s.SFN, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), IncludeExecutionData: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("execution history: %w", err)
		}
		events = append(events, page.Events...)
	}
	return events, nil
}

// StateTransitions counts the states an execution entered, which is what Step Functions
// bills a Standard workflow for.
func StateTransitions(events []sfntypes.HistoryEvent) int {
	n := 0
	for _, e := range events {
		if e.StateEnteredEventDetails != nil {
			n++
		}
	}
	return n
}

func jsonLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
