// Package starter turns CloudWatch alarm notifications delivered by SNS into executions of
// the Scale state machine, one per alarm transition.
package starter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// SFN is the part of the Step Functions client the starter uses.
type SFN interface {
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// Starter starts executions for the alarms its configuration knows.
type Starter struct {
	Config          *config.Config
	SFN             SFN
	StateMachineARN string
	Log             *slog.Logger
}

// Result says what became of one notification; the handler only logs it, tests read it.
type Result struct {
	Alarm     string
	Execution string // the execution's name, when one was started or already existed
	Outcome   string // started, duplicate, ignored, rejected
}

// Outcomes of one notification.
const (
	Started   = "started"
	Duplicate = "duplicate"
	Ignored   = "ignored"  // a valid notification that asks for nothing (not ALARM)
	Rejected  = "rejected" // malformed, or an alarm the configuration does not know
)

// Handle processes an SNS event as Lambda delivers it. A notification that is malformed,
// unknown or not an ALARM transition is logged once and dropped: retrying cannot fix it.
// An error is returned only when retrying may help (throttling, a 5xx) or the deployment
// is broken, so Lambda's retries and on-failure destination keep the notification.
func (s *Starter) Handle(ctx context.Context, ev events.SNSEvent) error {
	_, err := s.Process(ctx, ev)
	return err
}

// Process is Handle with the per-notification results.
func (s *Starter) Process(ctx context.Context, ev events.SNSEvent) ([]Result, error) {
	var results []Result
	var errs []error
	for _, rec := range ev.Records {
		r, err := s.one(ctx, rec.SNS.MessageID, rec.SNS.Message)
		results = append(results, r)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return results, errors.Join(errs...)
}

func (s *Starter) one(ctx context.Context, messageID, message string) (Result, error) {
	n, err := alarm.Parse([]byte(message))
	if err != nil {
		s.reject(messageID, "", "malformed alarm notification", err)
		return Result{Outcome: Rejected}, nil
	}
	r := Result{Alarm: n.AlarmName}
	if n.NewState != alarm.StateAlarm {
		s.Log.Info("notification ignored: not an ALARM transition", "messageId", messageID,
			"alarm", n.AlarmName, "newState", string(n.NewState))
		r.Outcome = Ignored
		return r, nil
	}
	target, ok := s.Config.Lookup(n.AlarmName)
	if !ok {
		s.reject(messageID, n.AlarmName, "unknown alarm: not in the scaling config", nil)
		r.Outcome = Rejected
		return r, nil
	}
	input, err := json.Marshal(workflow.Input{
		Alarm: workflow.Alarm{
			Name: n.AlarmName, ARN: n.AlarmARN, Region: n.Region, AccountID: n.AccountID,
			NewState: string(n.NewState), OldState: string(n.OldState), Reason: n.Reason,
			StateChangeTime: n.StateChangeTime.UTC(),
			Metric:          Breach(n),
		},
		Service: target.Service,
		Policy:  target.Policy,
	})
	if err != nil {
		return r, fmt.Errorf("encode execution input for alarm %s: %w", n.AlarmName, err)
	}
	r.Execution = ExecutionNameFor(n)
	_, err = s.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN),
		Name:            aws.String(r.Execution),
		Input:           aws.String(string(input)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		s.Log.Info("duplicate notification: execution already exists", "messageId", messageID,
			"alarm", n.AlarmName, "execution", r.Execution)
		r.Outcome = Duplicate
		return r, nil
	case err != nil:
		s.Log.Error("start execution failed", "messageId", messageID, "alarm", n.AlarmName,
			"execution", r.Execution, "error", err.Error())
		return r, fmt.Errorf("start execution %s for alarm %s: %w", r.Execution, n.AlarmName, err)
	}
	s.Log.Info("execution started", "messageId", messageID, "alarm", n.AlarmName,
		"service", target.Service.String(), "execution", r.Execution)
	r.Outcome = Started
	return r, nil
}

// reject writes the one error line a dropped notification gets. A parse error names the
// field and the problem separately, so Logs Insights can count them by kind.
func (s *Starter) reject(messageID, alarmName, msg string, err error) {
	attrs := []any{"messageId", messageID}
	if alarmName != "" {
		attrs = append(attrs, "alarm", alarmName)
	}
	var fe *alarm.FieldError
	if errors.As(err, &fe) {
		attrs = append(attrs, "field", fe.Field, "problem", fe.Problem)
	} else if err != nil {
		attrs = append(attrs, "problem", err.Error())
	}
	s.Log.Error(msg, attrs...)
}

// Breach is the average of the datapoints the notification quotes (Application Auto
// Scaling's default MetricAggregationType), with the alarm's threshold: what a step or
// proportional policy sizes its first step from.
func Breach(n alarm.Notification) *scaling.MetricValue {
	if n.Threshold == nil {
		return nil
	}
	values := make([]float64, len(n.Datapoints))
	for i, dp := range n.Datapoints {
		values[i] = dp.Value
	}
	return scaling.Aggregate(values, *n.Threshold)
}
