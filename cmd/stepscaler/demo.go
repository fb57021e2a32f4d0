package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/stack"
)

// demo runs the whole workflow offline and shows it as an operator would see it: an alarm
// goes into ALARM and stays there; its notification starts the first step at once, the
// per-minute evaluation (on a fast clock) takes the next ones, until the service is at its
// maximum and the evaluation finds nothing more to do.
func demo(ctx context.Context, args []string) error {
	fs := newFlags("demo")
	cfgPath := fs.String("config", "local/demo/stepscaler.json", "scaling config (its services are created in the ECS emulator at minCapacity)")
	event := fs.String("event", "local/demo/alarm-sns-event.json", "the notification that starts it: an SNS event as Lambda receives it, an SNS message envelope, or the bare alarm message; its alarm is put into ALARM in CloudWatch first")
	startDelay := fs.Duration("task-start-delay", 2*time.Second, "how long the ECS emulator keeps a new task pending")
	every := fs.Duration("evaluate-every", 2*time.Second, "the fast clock: real time between two runs of the per-minute evaluation")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := stack.FindRoot()
	if err != nil {
		return err
	}
	p := newProgress()
	cfg, err := config.Load(inRoot(root, *cfgPath))
	if err != nil {
		return err
	}
	n, message, err := demoNotification(inRoot(root, *event))
	if err != nil {
		return err
	}
	target, ok := cfg.Lookup(n.AlarmName)
	if !ok || n.NewState != alarm.StateAlarm {
		return fmt.Errorf("the notification is about %s going to %s: the demo needs one of the config's alarms going to ALARM", n.AlarmName, n.NewState)
	}
	svc := target.Service
	p.step("starting the local stack (logs in build/local/logs)")
	st, err := stack.Start(ctx, stack.Options{
		Root: root, Config: inRoot(root, *cfgPath), TaskStartDelay: *startDelay, EvaluateEvery: *every, Progress: p.step,
	})
	if err != nil {
		return err
	}
	defer func() {
		p.step("stopping the local stack")
		st.Close()
	}()
	if err := st.SeedServices(cfg); err != nil {
		return err
	}
	before, _ := st.ECS.Service(svc.Cluster, svc.Service)
	p.say("ECS service %s: desiredCount %d, running %d (bounds %d-%d)", svc, before.DesiredCount, before.RunningCount,
		target.Policy.MinCapacity, target.Policy.MaxCapacity)
	p.say("The per-minute evaluation runs every %s: each run stands for the next minute.\n", *every)

	// CloudWatch says the alarm is in ALARM (the execution checks), and the notification
	// reaches the starter as SNS delivers it. The alarm goes into ALARM now, so the
	// notification says so: its StateChangeTime is when the record step counts the
	// scaling's delay from (TimeToUpdate, TimeToStable).
	n.StateChangeTime = time.Now().UTC().Truncate(time.Millisecond)
	renewed, err := alarm.Marshal(n)
	if err != nil {
		return fmt.Errorf("notification: %w", err)
	}
	message = string(renewed)
	if err := st.SetAlarmStateQuietly(ctx, n.AlarmName, "ALARM", n.Reason); err != nil {
		return err
	}
	p.step("alarm %s → ALARM; delivering its notification to the starter", n.AlarmName)
	if err := st.DeliverSNS(ctx, message); err != nil {
		return fmt.Errorf("starter: %w (see %s)", err, st.FunctionLog("starter"))
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	f := &follower{p: p, st: st, svc: svc, max: target.Policy.MaxCapacity, seen: map[string]bool{}}
	if err := f.untilNothingMoreToDo(ctx); err != nil {
		return err
	}
	if err := st.SetAlarmStateQuietly(ctx, n.AlarmName, "OK", "Threshold Crossed: the load is served."); err != nil {
		return err
	}
	return f.report(ctx, before.DesiredCount)
}

// demoNotification reads the one notification the demo delivers.
func demoNotification(path string) (alarm.Notification, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return alarm.Notification{}, "", fmt.Errorf("read notification: %w", err)
	}
	msgs, err := alarm.Messages(data)
	if err != nil {
		return alarm.Notification{}, "", fmt.Errorf("notification file %s: %w", path, err)
	}
	if len(msgs) != 1 {
		return alarm.Notification{}, "", fmt.Errorf("%s holds %d notifications, want one", path, len(msgs))
	}
	n, err := alarm.Parse([]byte(msgs[0]))
	if err != nil {
		return alarm.Notification{}, "", fmt.Errorf("%s: %w", path, err)
	}
	return n, msgs[0], nil
}

// follower prints a service's executions as they start and end.
type follower struct {
	p       *progress
	st      *stack.Stack
	svc     scaling.ServiceRef
	max     int
	seen    map[string]bool
	started []string // oldest first
	ended   []string
	// afterMax are the executions started once the service had its maximum running.
	afterMax map[string]bool
	atMax    bool
}

// untilNothingMoreToDo follows the executions until one started after the service reached
// its maximum with every task running has ended: the evaluation still runs every minute,
// and finds nothing more to do.
func (f *follower) untilNothingMoreToDo(ctx context.Context) error {
	f.afterMax = map[string]bool{}
	for {
		execs, err := f.st.ServiceExecutions(ctx, f.svc)
		if err != nil {
			return err
		}
		slices.Reverse(execs)
		for _, e := range execs {
			name := aws.ToString(e.Name)
			if !f.seen[name] {
				f.seen[name] = true
				f.started = append(f.started, name)
				f.afterMax[name] = f.atMax
				f.p.step("execution %s started by %s", name, f.trigger(ctx, e))
			}
			if e.Status == sfntypes.ExecutionStatusRunning || slices.Contains(f.ended, name) {
				continue
			}
			f.ended = append(f.ended, name)
			v, _ := f.st.ECS.Service(f.svc.Cluster, f.svc.Service)
			f.p.step("  %s %s: %s (desired %d, running %d, pending %d)", name, e.Status, f.outcome(ctx, name), v.DesiredCount, v.RunningCount, v.PendingCount)
			if f.afterMax[name] {
				return nil
			}
			f.atMax = f.atMax || (v.DesiredCount >= f.max && v.RunningCount >= f.max)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the service did not reach its maximum in time: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (f *follower) trigger(ctx context.Context, e sfntypes.ExecutionListItem) string {
	out, err := f.st.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
	if err != nil {
		return "?"
	}
	var in workflow.Input
	if err := json.Unmarshal([]byte(aws.ToString(out.Input)), &in); err != nil {
		return "?"
	}
	if in.Trigger.Source == workflow.SourceNotification {
		return "the notification of " + in.Trigger.Alarm + " (the fast path)"
	}
	return "the per-minute evaluation of " + in.Trigger.Minute.Format("15:04")
}

// outcome is what the execution's record step answered.
func (f *follower) outcome(ctx context.Context, name string) string {
	out, err := f.st.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(f.st.ExecutionARN(name))})
	if err != nil {
		return err.Error()
	}
	if out.Status != sfntypes.ExecutionStatusSucceeded {
		return aws.ToString(out.Error) + ": " + clip(aws.ToString(out.Cause), 120)
	}
	var state struct {
		Outcome workflow.Outcome `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &state); err != nil {
		return clip(aws.ToString(out.Output), 120)
	}
	o := state.Outcome
	if o.Repeated {
		return fmt.Sprintf("%s, as recorded in %s: %s", o.StatusCode, o.RepeatOf, clip(o.StatusMessage, 100))
	}
	return o.StatusCode + ": " + clip(o.StatusMessage, 110)
}

// report prints the first execution's history and the service's recorded activities.
func (f *follower) report(ctx context.Context, before int) error {
	first := f.started[0]
	events, err := f.st.History(ctx, f.st.ExecutionARN(first))
	if err != nil {
		return err
	}
	fmt.Printf("\nExecution history of %s (as in the Step Functions console)\n", first)
	printHistory(os.Stdout, events)
	fmt.Printf("%d state transitions\n", stack.StateTransitions(events))

	v, _ := f.st.ECS.Service(f.svc.Cluster, f.svc.Service)
	fmt.Printf("\nECS service %s: desiredCount %d → %d (running %d, pending %d) in %d executions\n",
		f.svc, before, v.DesiredCount, v.RunningCount, v.PendingCount, len(f.started))
	acts, err := f.st.Store.List(ctx, f.svc, 0)
	if err != nil {
		return err
	}
	slices.Reverse(acts)
	fmt.Printf("\nRecorded scaling activities (DynamoDB), oldest first:\n")
	if err := printActivities(os.Stdout, acts, "table"); err != nil {
		return err
	}
	if err := printMetrics(os.Stdout, f.st.FunctionLog("record-outcome")); err != nil {
		return err
	}
	if !slices.ContainsFunc(acts, func(a activity.Activity) bool {
		return a.StatusCode == activity.StatusSuccessful && a.ToCount > a.FromCount
	}) || v.DesiredCount <= before {
		f.p.say("\nResult: nothing was scaled.")
		return exitError(1)
	}
	f.p.say("\nResult: scaled %s from %d to %d in %s.", f.svc, before, v.DesiredCount, f.p.elapsed())
	return nil
}

// printMetrics prints the metrics the record step published, read from its function's log
// as CloudWatch Logs reads them (internal/metrics' embedded metric format): one line per
// metric, with its values in the order they were published.
func printMetrics(w io.Writer, logPath string) error {
	data, err := os.ReadFile(logPath)
	if err != nil {
		return fmt.Errorf("read the record function's log: %w", err)
	}
	type series struct {
		unit   metrics.Unit
		values []float64
	}
	byMetric := map[string]*series{}
	var order []string
	documents := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		points, ok, err := metrics.Extract(line)
		if err != nil {
			return fmt.Errorf("%s: an embedded metric format line CloudWatch would refuse: %w", logPath, err)
		}
		if !ok {
			continue
		}
		documents++
		for _, d := range points {
			id := d.Metric()
			s, seen := byMetric[id]
			if !seen {
				s = &series{unit: d.Unit}
				byMetric[id] = s
				order = append(order, id)
			}
			s.values = append(s.values, d.Value)
		}
	}
	fmt.Fprintf(w, "\nMetrics the record step published (%d embedded-metric-format lines in %s):\n", documents, logPath)
	if documents == 0 {
		fmt.Fprintln(w, "  none")
		return nil
	}
	slices.Sort(order)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  METRIC\tUNIT\tVALUES")
	for _, id := range order {
		s := byMetric[id]
		vals := make([]string, len(s.values))
		for i, v := range s.values {
			vals[i] = strconv.FormatFloat(v, 'f', -1, 64)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", id, s.unit, strings.Join(vals, " "))
	}
	return tw.Flush()
}

func inRoot(root, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	if _, err := os.Stat(path); err == nil {
		abs, _ := filepath.Abs(path)
		return abs
	}
	return filepath.Join(root, path)
}

// progress prints what a slow command is doing, with the time since it started, on stderr.
type progress struct{ start time.Time }

func newProgress() *progress { return &progress{start: time.Now()} }

func (p *progress) step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

func (p *progress) say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func (p *progress) elapsed() string {
	return time.Since(p.start).Round(100 * time.Millisecond).String()
}
