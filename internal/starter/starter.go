// Package starter is the fast path: it turns the CloudWatch alarm notifications SNS
// delivers into executions of the Scale state machine, within seconds of the transition.
// A notification is only a hint that something changed: the execution it starts reads
// the alarm's state from CloudWatch before it decides anything, and the per-minute
// evaluation makes good any notification that is lost.
//
// The starter is the one component that takes input from the network: anyone allowed
// sns:Publish on the topic (or lambda:InvokeFunction on the function) can put a message
// in front of it. SNS invokes the function asynchronously; Lambda retries an invocation
// whose handler returns an error twice, then hands the event to the function's on-failure
// destination ("Configuring error handling settings for Lambda asynchronous
// invocations", Lambda Developer Guide). So the starter returns an error only when a
// retry may succeed, and drops everything else after one log line:
//
//   - A notification that is permanently bad is logged once at ERROR (messageId, and the
//     field and problem when one field is to blame) and acknowledged: an undecodable
//     event; a record that SNS did not make (EventSource, MessageId); a message that
//     alarm.Parse refuses (malformed JSON, wrong types, missing fields, numbers that are
//     not finite, oversize, control characters, absurd lengths, duplicate keys); a
//     notification from an account or Region that is neither the function's own nor
//     listed in the configuration's alarmSources; an alarm the configuration does not
//     know; a transition dated more than maxClockSkew in the future.
//   - A valid notification of a transition to OK or INSUFFICIENT_DATA is logged at INFO
//     and acknowledged: it asks for nothing.
//   - StartExecution failures are judged by steps.Classify, the rule every step uses:
//     throttling, a 5xx or a network error is logged and returned, so Lambda retries the
//     event; anything else (an access denial, a validation error) is logged at ERROR and
//     acknowledged, since no retry can fix it and the per-minute evaluation starts the
//     service's execution within a minute anyway while its alarm is in ALARM.
//
// Where a notification comes from is read from the notification (alarm.Notification's
// AccountID and Region: its AlarmArn, else AWSAccountId and the Region display name),
// and the deployment's own account and Region from the invoked function's ARN, which
// Lambda passes with every invocation; nothing is configured for it. A notification that
// names no account, or no Region the starter can resolve, cannot be placed, and is
// refused like a foreign one: CloudWatch has written AWSAccountId and Region in every
// notification, and AlarmArn since about 2019, so only a forged or mangled message lacks
// them, and a real alarm left in ALARM is still acted on by the per-minute evaluation,
// which reads the alarms of this account and Region only. For the same reason, an
// invocation without a usable function ARN (Lambda always passes one) takes no
// notification at all.
package starter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// maxClockSkew is how far in the future a notification's StateChangeTime may be. The
// execution is named for that minute; a message dated later is forged or broken.
const maxClockSkew = 5 * time.Minute

// maxMessageIDLength bounds the SNS message ID, which the execution's input and every
// log line carry. SNS's message IDs are UUIDs, 36 characters.
const maxMessageIDLength = 100

// maxProblemLength bounds the problem text of a log line that quotes the input (an
// event that does not decode), so that a hostile payload cannot make the log line long.
const maxProblemLength = 300

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
	Execution string // the execution's name, when one was started, existed or failed to start
	Outcome   string
	// Field and Problem say why a notification was rejected; Field is empty when no one
	// field is to blame.
	Field, Problem string
}

// Outcomes of one notification.
const (
	Started   = "started"
	Duplicate = "duplicate"
	Ignored   = "ignored"  // a valid notification that asks for nothing (not ALARM)
	Rejected  = "rejected" // malformed, foreign, an unknown alarm, dated in the future
	// Failed: StartExecution failed in a way no retry can fix; acknowledged.
	Failed = "failed"
	// Retry: StartExecution failed in a way a retry may fix; returned as an error.
	Retry = "retry"
)

// Invoke is the Lambda handler (it implements aws-lambda-go's lambda.Handler): it takes
// the raw invocation payload, so that an event that does not decode is logged and
// dropped like any other bad input rather than failed by the runtime (which would have
// Lambda retry it and send it to the on-failure destination). The response is JSON null.
func (s *Starter) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.SNSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		s.log.Error("malformed SNS event", "requestId", requestID(ctx),
			"problem", "not an SNS event as Lambda delivers it: "+clip(err.Error(), maxProblemLength))
		return []byte("null"), nil
	}
	if _, err := s.Process(ctx, ev); err != nil {
		return nil, err
	}
	return []byte("null"), nil
}

// Process handles an SNS event: each record is one notification, and gets one log line
// and one Result. The error, if any, is the StartExecution failures a retry may fix
// (a *steps.TransientError for one, joined for several); SNS delivers one record per
// event, so a retry repeats only that notification.
func (s *Starter) Process(ctx context.Context, ev events.SNSEvent) ([]Result, error) {
	if len(ev.Records) == 0 {
		s.log.Error("malformed SNS event", "requestId", requestID(ctx), "problem", "no records")
		return nil, nil
	}
	own, ownProblem := invokedIn(ctx)
	results := make([]Result, 0, len(ev.Records))
	var errs []error
	for _, rec := range ev.Records {
		r, err := s.one(ctx, rec, own, ownProblem)
		results = append(results, r)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return results, errs[0]
	}
	return results, errors.Join(errs...)
}

func (s *Starter) one(ctx context.Context, rec events.SNSEventRecord, own origin, ownProblem string) (Result, error) {
	messageID := rec.SNS.MessageID
	if problem := checkMessageID(messageID); problem != "" {
		return s.reject(clip(messageID, maxMessageIDLength), "", "malformed SNS record", "Sns.MessageId", problem), nil
	}
	if rec.EventSource != "aws:sns" {
		return s.reject(messageID, "", "malformed SNS record", "EventSource",
			fmt.Sprintf("%q, not aws:sns: the record was not delivered by SNS", clip(rec.EventSource, 64))), nil
	}
	n, err := alarm.Parse([]byte(rec.SNS.Message))
	if err != nil {
		field, problem := "", err.Error()
		var fe *alarm.FieldError
		if errors.As(err, &fe) {
			field, problem = fe.Field, fe.Problem
		}
		return s.reject(messageID, "", "malformed alarm notification", field, problem), nil
	}
	if ownProblem != "" {
		return s.reject(messageID, n.AlarmName, "notification dropped: the function's own account and Region are unknown", "", ownProblem), nil
	}
	if field, problem := s.checkOrigin(n, own); problem != "" {
		return s.reject(messageID, n.AlarmName, "unknown alarm source: neither this deployment's account and Region nor in alarmSources",
			field, problem), nil
	}
	if n.NewState != alarm.StateAlarm {
		s.log.Info("notification ignored: not an ALARM transition", "messageId", messageID,
			"alarm", n.AlarmName, "newState", string(n.NewState))
		return Result{Alarm: n.AlarmName, Outcome: Ignored}, nil
	}
	target, ok := s.config.Lookup(n.AlarmName)
	if !ok {
		return s.reject(messageID, n.AlarmName, "unknown alarm: not in the scaling config", "AlarmName",
			"no alarm of that name in the deployed scaling configuration"), nil
	}
	changed := n.StateChangeTime.UTC()
	if changed.After(s.now().Add(maxClockSkew)) {
		return s.reject(messageID, n.AlarmName, "malformed alarm notification", "StateChangeTime",
			"is more than 5 minutes in the future: "+changed.Format(time.RFC3339)), nil
	}

	r := Result{Alarm: n.AlarmName}
	started, err := s.executions.Start(ctx, workflow.Input{
		Service: target.Service,
		Trigger: workflow.Trigger{Source: workflow.SourceNotification, Minute: changed.Truncate(time.Minute),
			Alarm: n.AlarmName, StateChangeTime: &changed, MessageID: messageID},
	})
	r.Execution = started.Name
	if err != nil {
		classified := steps.Classify(err, "alarm "+n.AlarmName)
		var transient *steps.TransientError
		if errors.As(classified, &transient) {
			s.log.Error("start execution failed; returned so that Lambda retries the notification", "messageId", messageID,
				"alarm", n.AlarmName, "service", target.Service.String(), "execution", started.Name, "error", err.Error())
			r.Outcome = Retry
			return r, classified
		}
		s.log.Error("start execution failed for good; notification dropped (the per-minute evaluation starts the service's execution while its alarm is in ALARM)",
			"messageId", messageID, "alarm", n.AlarmName, "service", target.Service.String(), "execution", started.Name,
			"error", err.Error())
		r.Outcome = Failed
		return r, nil
	}
	if started.Duplicate {
		s.log.Info("duplicate notification: the service's execution for this minute already exists", "messageId", messageID,
			"alarm", n.AlarmName, "service", target.Service.String(), "execution", started.Name)
		r.Outcome = Duplicate
		return r, nil
	}
	s.log.Info("execution started", "messageId", messageID, "alarm", n.AlarmName,
		"service", target.Service.String(), "execution", started.Name)
	r.Outcome = Started
	return r, nil
}

// reject writes the one error line a dropped notification gets and returns its Result.
// The field and the problem are separate attributes, so Logs Insights can count them by
// kind.
func (s *Starter) reject(messageID, alarmName, msg, field, problem string) Result {
	attrs := []any{"messageId", messageID}
	if alarmName != "" {
		attrs = append(attrs, "alarm", alarmName)
	}
	if field != "" {
		attrs = append(attrs, "field", field)
	}
	attrs = append(attrs, "problem", problem)
	s.log.Error(msg, attrs...)
	return Result{Alarm: alarmName, Outcome: Rejected, Field: field, Problem: problem}
}

// origin is where something runs or comes from: a partition, an account and a Region.
type origin struct {
	partition, account, region string
}

// invokedIn returns the account and Region the function runs in, from the ARN it was
// invoked by (Lambda passes it with every invocation; a qualified ARN ends in a version
// or alias), or what is wrong with it.
func invokedIn(ctx context.Context) (origin, string) {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || lc.InvokedFunctionArn == "" {
		return origin{}, "the invocation carries no function ARN, so the deployment's own account and Region are unknown"
	}
	arn := lc.InvokedFunctionArn
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" ||
		parts[1] == "" || parts[3] == "" || !alarm.IsAccountID(parts[4]) {
		return origin{}, fmt.Sprintf("the invoked function ARN %q is not a Lambda function ARN", clip(arn, 200))
	}
	return origin{partition: parts[1], region: parts[3], account: parts[4]}, ""
}

// checkOrigin returns the field to blame and the problem when n does not come from an
// account and Region the deployment accepts notifications from.
func (s *Starter) checkOrigin(n alarm.Notification, own origin) (field, problem string) {
	switch {
	case n.AccountID == "":
		return "AWSAccountId", "missing, and no AlarmArn: the notification names no account, so where it comes from cannot be checked"
	case n.Region == "" && strings.TrimSpace(n.RegionName) == "":
		return "Region", "missing, and no AlarmArn: the notification names no Region, so where it comes from cannot be checked"
	case n.Region == "":
		return "Region", fmt.Sprintf("%q is not a Region name this version knows, and no AlarmArn gives the Region code", clip(n.RegionName, 64))
	}
	if n.AlarmARN != "" {
		// alarm.Parse has checked the ARN's shape: arn:PARTITION:cloudwatch:...
		if partition := strings.SplitN(n.AlarmARN, ":", 3)[1]; partition != own.partition {
			return "AlarmArn", fmt.Sprintf("partition %q, not this deployment's %q", partition, own.partition)
		}
	}
	if s.config.AcceptsAlarmsFrom(n.AccountID, n.Region, own.account, own.region) {
		return "", ""
	}
	field = "AlarmArn"
	if n.AlarmARN == "" {
		field = "AWSAccountId"
		if n.AccountID == own.account {
			field = "Region"
		}
	}
	return field, fmt.Sprintf("account %s in %s is neither this deployment's (%s in %s) nor listed in alarmSources",
		n.AccountID, n.Region, own.account, own.region)
}

// checkMessageID returns what is wrong with an SNS message ID, or "". SNS writes a UUID;
// anything else was not written by SNS.
func checkMessageID(id string) string {
	if id == "" {
		return "missing"
	}
	if len(id) > maxMessageIDLength {
		return fmt.Sprintf("%d bytes long, more than %d (SNS message IDs are UUIDs)", len(id), maxMessageIDLength)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return fmt.Sprintf("contains byte 0x%02x at offset %d, which no SNS message ID has", c, i)
		}
	}
	return ""
}

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// clip cuts s to at most n bytes, at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
