package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/starter"
	"github.com/stepscaler/stepscaler/local/stack"
)

// demo runs the whole workflow offline and shows it as an operator would see it.
func demo(ctx context.Context, args []string) error {
	fs := newFlags("demo")
	cfgPath := fs.String("config", "local/demo/stepscaler.json", "scaling config (the starter reads it; its services are created in the ECS emulator at minCapacity)")
	event := fs.String("event", "local/demo/alarm-sns-event.json", "notification to deliver: an SNS event as Lambda receives it, an SNS message envelope, or the bare alarm message")
	startDelay := fs.Duration("task-start-delay", 2*time.Second, "how long the ECS emulator keeps a new task pending")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up waiting for the executions after this long")
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
	data, err := os.ReadFile(inRoot(root, *event))
	if err != nil {
		return fmt.Errorf("read notification: %w", err)
	}
	messages, err := alarm.Messages(data)
	if err != nil {
		return fmt.Errorf("notification file %s: %w", *event, err)
	}

	p.step("starting the local stack (logs in build/local/logs)")
	st, err := stack.Start(ctx, stack.Options{
		Root: root, Config: inRoot(root, *cfgPath), TaskStartDelay: *startDelay, Progress: p.step,
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

	expected := expectedExecutions(p, cfg, messages)
	before := map[scaling.ServiceRef]int{}
	for _, e := range expected {
		v, _ := st.ECS.Service(e.service.Cluster, e.service.Service)
		before[e.service] = v.DesiredCount
		p.say("ECS service %s: desiredCount %d, running %d", e.service, v.DesiredCount, v.RunningCount)
	}
	p.step("delivering %d notification(s) to the starter function", len(messages))
	if err := st.DeliverSNS(ctx, messages...); err != nil {
		return fmt.Errorf("starter: %w (see %s)", err, st.FunctionLog("starter"))
	}
	if len(expected) == 0 {
		p.say("\nNo execution was started (see %s for why). Nothing was scaled.", st.FunctionLog("starter"))
		return exitError(1)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	scaled := 0
	for _, e := range expected {
		ok, err := followExecution(ctx, p, st, e, before[e.service])
		if err != nil {
			return err
		}
		if ok {
			scaled++
		}
	}
	if scaled == 0 {
		p.say("\nResult: nothing was scaled.")
		return exitError(1)
	}
	p.say("\nResult: %d of %d scaling(s) done in %s.", scaled, len(expected), p.elapsed())
	return nil
}

type expectedExecution struct {
	name    string
	alarm   string
	service scaling.ServiceRef
}

// expectedExecutions predicts, from the notifications and the config, which executions
// the starter should start, with the same naming function it uses.
func expectedExecutions(p *progress, cfg *config.Config, messages []string) []expectedExecution {
	var out []expectedExecution
	for _, m := range messages {
		n, err := alarm.Parse([]byte(m))
		if err != nil {
			p.say("notification is malformed (%v): the starter will log it and start nothing", err)
			continue
		}
		if n.NewState != alarm.StateAlarm {
			p.say("alarm %s went to %s, not ALARM: the starter will start nothing", n.AlarmName, n.NewState)
			continue
		}
		t, ok := cfg.Lookup(n.AlarmName)
		if !ok {
			p.say("alarm %s is not in the scaling config: the starter will log it and start nothing", n.AlarmName)
			continue
		}
		p.say("alarm %s: %s → %s at %s", n.AlarmName, n.OldState, n.NewState, n.StateChangeTime.Format(time.RFC3339))
		out = append(out, expectedExecution{name: starter.ExecutionNameFor(n), alarm: n.AlarmName, service: t.Service})
	}
	return out
}

// followExecution waits for one execution with progress, then prints its history, the
// service's counts and the recorded activity. It reports whether the service was scaled.
func followExecution(ctx context.Context, p *progress, st *stack.Stack, e expectedExecution, before int) (bool, error) {
	arn := st.ExecutionARN(e.name)
	p.step("execution %s", e.name)
	last := ""
	final, err := st.WaitExecution(ctx, arn, func(d *sfn.DescribeExecutionOutput) {
		events, err := st.History(ctx, arn)
		if err != nil {
			return
		}
		state := currentState(events)
		v, _ := st.ECS.Service(e.service.Cluster, e.service.Service)
		line := fmt.Sprintf("%s: %s (desired %d, running %d, pending %d)", d.Status, state, v.DesiredCount, v.RunningCount, v.PendingCount)
		if line != last {
			p.step("  %s", line)
			last = line
		}
	})
	if err != nil {
		return false, fmt.Errorf("execution %s: %w", e.name, err)
	}
	events, err := st.History(ctx, arn)
	if err != nil {
		return false, err
	}
	fmt.Printf("\nExecution history of %s (as in the Step Functions console)\n", e.name)
	printHistory(os.Stdout, events)
	fmt.Printf("Execution status: %s after %d state transitions", final.Status, stack.StateTransitions(events))
	if final.Error != nil {
		fmt.Printf(" (%s: %s)", aws.ToString(final.Error), aws.ToString(final.Cause))
	}
	fmt.Println()

	v, _ := st.ECS.Service(e.service.Cluster, e.service.Service)
	fmt.Printf("\nECS service %s: desiredCount %d → %d (running %d, pending %d)\n", e.service, before, v.DesiredCount, v.RunningCount, v.PendingCount)

	acts, err := st.Store.List(ctx, e.service, 0)
	if err != nil {
		return false, err
	}
	// One activity per step, oldest first: the execution's name, then -step-N.
	var mine []activity.Activity
	for i := len(acts) - 1; i >= 0; i-- {
		if acts[i].ActivityID == e.name || strings.HasPrefix(acts[i].ActivityID, e.name+"-step-") {
			mine = append(mine, acts[i])
		}
	}
	if len(mine) == 0 {
		fmt.Println("\nNo scaling activity was recorded.")
		return false, nil
	}
	fmt.Printf("\nRecorded scaling activities (DynamoDB), one per step:\n")
	printActivities(os.Stdout, mine, "json")
	scaled := false
	for _, a := range mine {
		scaled = scaled || (a.StatusCode == activity.StatusSuccessful && a.ToCount != a.FromCount)
	}
	return final.Status == sfntypes.ExecutionStatusSucceeded && scaled && v.DesiredCount != before, nil
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
