// Package evaluate is the level-triggered path: every minute, it reads the state of every
// configured alarm from CloudWatch and starts an execution for each service that has an
// alarm in ALARM, as Application Auto Scaling invokes a step policy every minute its alarm
// stays in ALARM. CloudWatch notifies only on a state change ("the actions are not
// performed again if the condition persists for hours or days", Alarm actions, CloudWatch
// User Guide); without this, one lost notification, a step held back by another scaling's
// lease, or a placement failure would stop a service short of what its load needs.
package evaluate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/stepscaler/stepscaler/internal/awscw"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// DefaultStartsPerSecond paces the evaluation's starts. Each execution reads its alarms
// with DescribeAlarms, which CloudWatch limits to 9 requests a second per account and
// Region ("CloudWatch service quotas"); 5 a second leaves the rest to the user's own tools,
// and starts 100 services in ALARM within 20 seconds.
const DefaultStartsPerSecond = 5

// Event is what the schedule passes: EventBridge Scheduler's scheduled time
// (<aws.scheduler.scheduled-time> in the target's input). The same field of an EventBridge
// scheduled rule's event, "time", is accepted too.
type Event struct {
	ScheduledTime time.Time `json:"scheduledTime"`
	Time          time.Time `json:"time"`
}

// Evaluator runs one evaluation.
type Evaluator struct {
	cw         awscw.Describer
	executions *executions.Starter
	config     *config.Config
	now        func() time.Time
	// pause is the time between two starts: the executions' reads (CloudWatch's
	// DescribeAlarms is limited to 9 requests a second per account and Region) spread over
	// the minute instead of arriving at once.
	pause time.Duration
	sleep func(context.Context, time.Duration) error
	log   *slog.Logger
}

// New returns an Evaluator that starts at most startsPerSecond executions a second.
func New(cw awscw.Describer, ex *executions.Starter, cfg *config.Config, startsPerSecond float64, now func() time.Time, log *slog.Logger) *Evaluator {
	return &Evaluator{cw: cw, executions: ex, config: cfg, now: now, log: log,
		pause: time.Duration(float64(time.Second) / startsPerSecond), sleep: sleepCtx}
}

// Result is what one evaluation did, for tests and the log.
type Result struct {
	Minute     time.Time `json:"minute"`
	InAlarm    []string  `json:"inAlarm"`    // alarms CloudWatch reported in ALARM
	Started    []string  `json:"started"`    // executions started
	Duplicates []string  `json:"duplicates"` // executions that already existed for the minute
	// Busy are the running executions of services left alone this minute: their step
	// holds the service's lease, and the next minute's evaluation looks again.
	Busy []string `json:"busy"`
	// Scheduled are the services one of whose scheduled actions fired within
	// ScheduleCatchUp before the minute: each gets an execution whether or not an alarm
	// is in ALARM, which moves the desired count into the new bounds.
	Scheduled []scaling.ServiceRef `json:"scheduled,omitempty"`
	// Deferred are services in ALARM this run had no time to start, at its pace, before
	// the function's deadline; the next minute's run begins elsewhere in the list.
	Deferred []string `json:"deferred,omitempty"`
}

// ScheduleCatchUp is how long after a scheduled action fires the evaluation keeps
// starting its service's execution (schedule.CatchUp).
const ScheduleCatchUp = schedule.CatchUp

// ServicesScheduled lists, in the configuration's order, the services with a scheduled
// action that fired in the minute or in the ScheduleCatchUp before it.
func ServicesScheduled(cfg *config.Config, minute time.Time) []scaling.ServiceRef {
	var out []scaling.ServiceRef
	for _, t := range cfg.ServiceTargets() {
		if t.Schedule.DueWithin(minute) {
			out = append(out, t.Service)
		}
	}
	return out
}

// union is a then the services of b not in a.
func union(a, b []scaling.ServiceRef) []scaling.ServiceRef {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Handle runs one evaluation for the event's minute. An error is returned only when
// nothing could be read; a failed start is logged and the others go on, since the next
// minute's evaluation takes the service up again.
func (e *Evaluator) Handle(ctx context.Context, ev Event) (Result, error) {
	minute := e.minute(ev)
	res := Result{Minute: minute}
	names := e.config.AlarmNames()
	found, err := awscw.DescribeAlarms(ctx, e.cw, names, e.config.MayHaveCompositeAlarms(), scaling.StateAlarm)
	if err != nil {
		e.log.Error("evaluation failed: cannot read the alarms", "minute", minute, "alarms", len(names), "error", err.Error())
		return res, err
	}
	for _, n := range names {
		if found[n].State == scaling.StateAlarm {
			res.InAlarm = append(res.InAlarm, n)
		}
	}
	res.Scheduled = ServicesScheduled(e.config, minute)
	services := rotate(union(ServicesInAlarm(e.config, res.InAlarm), res.Scheduled), minute)
	running, err := e.running(ctx, services)
	if err != nil {
		// The lease keeps a second scaling of a service out anyway: go on without.
		e.log.Warn("cannot list the running executions; starting every service in ALARM", "error", err.Error())
	}
	var errs []error
	i := 0
	for k, svc := range services {
		if name, ok := running[svc]; ok {
			res.Busy = append(res.Busy, name)
			continue
		}
		if !e.timeFor(ctx) {
			// The pace keeps to the account's API rates; what does not fit in this run
			// waits for the next minute's, which starts with another service.
			for _, later := range services[k:] {
				res.Deferred = append(res.Deferred, later.String())
			}
			break
		}
		i++
		if i > 1 {
			if err := e.sleep(ctx, e.pause); err != nil {
				return res, err
			}
		}
		started, err := e.executions.Start(ctx, workflow.Input{Service: svc,
			Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: minute}})
		switch {
		case err != nil:
			e.log.Error("start execution failed", "service", svc.String(), "execution", started.Name, "error", err.Error())
			errs = append(errs, err)
		case started.Duplicate:
			res.Duplicates = append(res.Duplicates, started.Name)
		default:
			res.Started = append(res.Started, started.Name)
		}
	}
	log := e.log.Info
	if len(res.Deferred) > 0 {
		log = e.log.Warn
	}
	log("alarms evaluated", "minute", minute, "alarms", len(names), "inAlarm", res.InAlarm, "scheduled", refs(res.Scheduled),
		"started", res.Started, "duplicates", res.Duplicates, "busy", res.Busy, "deferred", res.Deferred, "failed", len(errs))
	if len(errs) > 0 && len(res.Started)+len(res.Duplicates) == 0 {
		return res, fmt.Errorf("no execution could be started: %w", errors.Join(errs...))
	}
	return res, nil
}

// running finds, for the services about to be started, an execution of theirs that is
// still running. Listing costs one request, and is skipped when no service is in ALARM.
func (e *Evaluator) running(ctx context.Context, services []scaling.ServiceRef) (map[scaling.ServiceRef]string, error) {
	busy := map[scaling.ServiceRef]string{}
	if len(services) == 0 {
		return busy, nil
	}
	names, err := e.executions.Running(ctx)
	if err != nil {
		return busy, err
	}
	byPrefix := map[string][]scaling.ServiceRef{}
	for _, svc := range services {
		p := workflow.NamePrefix(svc)
		byPrefix[p] = append(byPrefix[p], svc)
	}
	for _, n := range names {
		for _, svc := range byPrefix[workflow.PrefixOf(n)] {
			if _, ok := workflow.OfService(n, svc); ok {
				busy[svc] = n
			}
		}
	}
	return busy, nil
}

// timeFor reports whether one more start, after its pause, fits before the function's
// deadline, with a second to spare for the log line.
func (e *Evaluator) timeFor(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > e.pause+time.Second
}

// rotate starts the list at a different service each minute, so that when a run cannot
// start them all, no service is always the one left out.
func rotate(services []scaling.ServiceRef, minute time.Time) []scaling.ServiceRef {
	if len(services) < 2 {
		return services
	}
	k := int(minute.Unix()/60) % len(services)
	return append(services[k:len(services):len(services)], services[:k]...)
}

// minute is the evaluation minute: the schedule's time, else the clock, truncated.
func (e *Evaluator) minute(ev Event) time.Time {
	t := ev.ScheduledTime
	if t.IsZero() {
		t = ev.Time
	}
	if t.IsZero() {
		t = e.now()
	}
	return t.UTC().Truncate(time.Minute)
}

// ServicesInAlarm lists, in the configuration's order, the services that have at least one
// of the given alarms.
func ServicesInAlarm(cfg *config.Config, inAlarm []string) []scaling.ServiceRef {
	alarming := make(map[string]bool, len(inAlarm))
	for _, n := range inAlarm {
		alarming[n] = true
	}
	var out []scaling.ServiceRef
	for _, t := range cfg.ServiceTargets() {
		for _, n := range t.AlarmNames() {
			if alarming[n] {
				out = append(out, t.Service)
				break
			}
		}
	}
	return out
}

func refs(services []scaling.ServiceRef) []string {
	out := make([]string, len(services))
	for i, s := range services {
		out[i] = s.String()
	}
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
