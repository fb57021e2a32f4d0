// Package starter is the fast path: it turns the CloudWatch alarm notifications SNS
// delivers into executions of the Scale state machine, within seconds of the transition.
// A notification is only a hint that something changed: the execution it starts reads
// the alarm's state from CloudWatch before it decides anything, and the per-minute
// evaluation makes good any notification that is lost.
package starter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// maxClockSkew is how far in the future a notification's StateChangeTime may be. The
// execution is named for that minute; a message dated later is forged or broken.
const maxClockSkew = 5 * time.Minute

// Starter starts executions for the alarms its configuration knows.
type Starter struct {
	config     *config.Config
	executions *executions.Starter
	now        func() time.Time
	log        *slog.Logger
}

// New returns a Starter.
func New(cfg *config.Config, ex *executions.Starter, now func() time.Time, log *slog.Logger) *Starter {
	return &Starter{config: cfg, executions: ex, now: now, log: log}
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
// An error is returned only when retrying may help (throttling, a 5xx), so Lambda's
// retries and on-failure destination keep the notification.
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
		s.log.Info("notification ignored: not an ALARM transition", "messageId", messageID,
			"alarm", n.AlarmName, "newState", string(n.NewState))
		r.Outcome = Ignored
		return r, nil
	}
	target, ok := s.config.Lookup(n.AlarmName)
	if !ok {
		s.reject(messageID, n.AlarmName, "unknown alarm: not in the scaling config", nil)
		r.Outcome = Rejected
		return r, nil
	}
	changed := n.StateChangeTime.UTC()
	if changed.After(s.now().Add(maxClockSkew)) {
		s.reject(messageID, n.AlarmName, "malformed alarm notification",
			&alarm.FieldError{Field: "StateChangeTime", Problem: "is more than 5 minutes in the future: " + changed.Format(time.RFC3339)})
		r.Outcome = Rejected
		return r, nil
	}
	started, err := s.executions.Start(ctx, workflow.Input{
		Service: target.Service,
		Trigger: workflow.Trigger{Source: workflow.SourceNotification, Minute: changed.Truncate(time.Minute),
			Alarm: n.AlarmName, StateChangeTime: &changed, MessageID: messageID},
	})
	r.Execution = started.Name
	switch {
	case err != nil:
		s.log.Error("start execution failed", "messageId", messageID, "alarm", n.AlarmName,
			"execution", started.Name, "error", err.Error())
		return r, fmt.Errorf("alarm %s: %w", n.AlarmName, err)
	case started.Duplicate:
		s.log.Info("duplicate notification: the service's execution for this minute already exists", "messageId", messageID,
			"alarm", n.AlarmName, "service", target.Service.String(), "execution", started.Name)
		r.Outcome = Duplicate
	default:
		s.log.Info("execution started", "messageId", messageID, "alarm", n.AlarmName,
			"service", target.Service.String(), "execution", started.Name)
		r.Outcome = Started
	}
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
	s.log.Error(msg, attrs...)
}
