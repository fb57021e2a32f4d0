package stack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

func TestScaleOutStabilizes(t *testing.T) {
	skipShort(t)
	createService(t, "scale-out", ecsemu.ServiceSpec{DesiredCount: 1})
	name, status := fire(t, "scale-out-high", "scale-out")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	v, _ := st.ECS.Service("test", "scale-out")
	if v.DesiredCount != 2 || v.RunningCount != 2 || v.PendingCount != 0 {
		t.Errorf("service desired %d running %d pending %d, want 2/2/0", v.DesiredCount, v.RunningCount, v.PendingCount)
	}
	a := recorded(t, "scale-out", name)
	wantActivity(t, a, activity.StatusSuccessful, 1, 2, "")
	if a.Description != "Setting desired count from 1 to 2." || a.Trigger != workflow.SourceNotification ||
		!strings.Contains(a.Cause, "notification: alarm scale-out-high entered ALARM") || !strings.Contains(a.Cause, "CloudWatch reports scale-out-high in ALARM") {
		t.Errorf("description %q, trigger %q, cause %q", a.Description, a.Trigger, a.Cause)
	}
	// The history shows the steps an operator expects, in order.
	events, err := st.History(context.Background(), st.ExecutionARN(name))
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range events {
		if d := e.StateEnteredEventDetails; d != nil && e.Type == sfntypes.HistoryEventTypeTaskStateEntered {
			if len(steps) == 0 || steps[len(steps)-1] != aws.ToString(d.Name) {
				steps = append(steps, aws.ToString(d.Name))
			}
		}
	}
	got := strings.Join(steps, " > ")
	if !strings.HasPrefix(got, "Acquire scaling lease > Read alarms and metrics > Describe ECS service > Plan scaling > Update desired count > Check stability") ||
		!strings.HasSuffix(got, "Record outcome") {
		t.Errorf("task states = %s", got)
	}
}

func TestAlreadyAtMaxDoesNotUpdate(t *testing.T) {
	skipShort(t)
	createService(t, "at-max", ecsemu.ServiceSpec{DesiredCount: 2})
	name, status := fire(t, "at-max-high", "at-max")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	if d := desired(t, "at-max"); d != 2 {
		t.Errorf("desired %d, want 2", d)
	}
	wantActivity(t, recorded(t, "at-max", name), activity.StatusNotScaled, 2, 2, scaling.AlreadyAtMaxCapacity)
	// The evaluation takes the same decision every minute the alarm stays in ALARM; the
	// activity log keeps it once.
	again := evaluate(t, "at-max")
	if len(again) != 1 {
		t.Fatalf("evaluation started %v for at-max, want one execution", again)
	}
	out := describe(t, again[0])
	if !strings.Contains(aws.ToString(out.Output), `"repeated":true`) || !strings.Contains(aws.ToString(out.Output), `"repeatOf":"`+name+`"`) {
		t.Errorf("second decision's outcome = %s, want a repeat of %s", aws.ToString(out.Output), name)
	}
	if n := len(activities(t, "at-max")); n != 1 {
		t.Errorf("%d activities, want the one", n)
	}
}

func TestScaleInDownToMin(t *testing.T) {
	skipShort(t)
	createService(t, "scale-in", ecsemu.ServiceSpec{DesiredCount: 3})
	name, status := fire(t, "scale-in-low", "scale-in")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	if d := desired(t, "scale-in"); d != 1 {
		t.Errorf("desired %d, want the minimum 1", d)
	}
	wantActivity(t, recorded(t, "scale-in", name), activity.StatusSuccessful, 3, 1, "")
}

func TestCooldownBlocksTheNextStep(t *testing.T) {
	skipShort(t)
	createService(t, "cooldown", ecsemu.ServiceSpec{DesiredCount: 1})
	if _, status := fire(t, "cooldown-high", "cooldown"); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("first execution: %s", status)
	}
	next := evaluate(t, "cooldown")
	if len(next) != 1 {
		t.Fatalf("evaluation started %v, want one execution", next)
	}
	if d := desired(t, "cooldown"); d != 2 {
		t.Errorf("desired %d, want 2 (one step, then the hour-long cooldown)", d)
	}
	wantActivity(t, recorded(t, "cooldown", next[0]), activity.StatusNotScaled, 2, 2, scaling.CooldownActive)
}

func TestServiceNotFoundIsRecordedAsFailed(t *testing.T) {
	skipShort(t)
	name, status := fire(t, "not-found-high", "not-found")
	if status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s: %s, want FAILED", name, status)
	}
	a := recorded(t, "not-found", name)
	if a.StatusCode != activity.StatusFailed || !strings.Contains(a.StatusMessage, "ServiceNotFoundError") {
		t.Errorf("activity %s: %s, want Failed naming ServiceNotFoundError", a.StatusCode, a.StatusMessage)
	}
	// The lease is released: the service is not blocked for the next alarm.
	if s, err := st.Store.State(context.Background(), ref("not-found")); err != nil || s.LeaseOwner != "" {
		t.Errorf("lease after failure = %+v, %v; want released", s, err)
	}
}

func TestFailedRolloutEndsFailed(t *testing.T) {
	skipShort(t)
	// A deployment whose tasks fail to start is rolling out when the alarm fires. A change
	// of desiredCount alone starts no deployment, so the breaker trips on this one.
	createService(t, "rollout-fails", ecsemu.ServiceSpec{DesiredCount: 1,
		CircuitBreaker: ecsemu.CircuitBreaker{Enable: true}, FailRollouts: true})
	if _, err := st.ECSClient().UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("test"), Service: aws.String("rollout-fails"), ForceNewDeployment: true,
	}); err != nil {
		t.Fatal(err)
	}
	name, status := fire(t, "rollout-fails-high", "rollout-fails")
	if status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s: %s, want FAILED", name, status)
	}
	wantActivity(t, recorded(t, "rollout-fails", name), activity.StatusFailed, 1, 2, "")
}

func TestNeverStabilizesEndsUnfulfilled(t *testing.T) {
	skipShort(t)
	createService(t, "never-stable", ecsemu.ServiceSpec{DesiredCount: 1, TaskStartDelay: time.Hour})
	name, status := fire(t, "never-stable-high", "never-stable")
	out := describe(t, name)
	if status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != workflow.ErrScalingUnfulfilled {
		t.Fatalf("execution %s (%s), want FAILED with %s", status, aws.ToString(out.Error), workflow.ErrScalingUnfulfilled)
	}
	wantActivity(t, recorded(t, "never-stable", name), activity.StatusUnfulfilled, 1, 2, "")
}

// TestECSThrottlingIsRetried: the SDK's own retries are off in this stack, so the two
// throttled UpdateService calls are retried by the state machine's TransientError rule.
func TestECSThrottlingIsRetried(t *testing.T) {
	skipShort(t)
	createService(t, "throttled", ecsemu.ServiceSpec{DesiredCount: 1})
	updates := st.ECS.Calls("UpdateService")
	st.ECS.InjectFault(ecsemu.Fault{Operation: "UpdateService", Match: `"throttled"`, Error: ecsemu.Throttling, Times: 2})
	name, status := fire(t, "throttled-high", "throttled")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	if got := st.ECS.Calls("UpdateService") - updates; got != 3 {
		t.Errorf("UpdateService received %d times, want 3 (two throttled, one retried)", got)
	}
	events, err := st.History(context.Background(), st.ExecutionARN(name))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range events {
		if d := e.LambdaFunctionFailedEventDetails; d != nil && aws.ToString(d.Error) == "TransientError" {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d TransientError failures in the history, want 2 retried by the state machine", failed)
	}
	if d := desired(t, "throttled"); d != 2 {
		t.Errorf("desired %d, want 2", d)
	}
	wantActivity(t, recorded(t, "throttled", name), activity.StatusSuccessful, 1, 2, "")
}

func TestDuplicateDeliveryStartsOneExecution(t *testing.T) {
	skipShort(t)
	createService(t, "duplicate", ecsemu.ServiceSpec{DesiredCount: 1})
	setAlarmQuietly(t, "duplicate-high", "ALARM")
	at := time.Now().UTC()
	msg := alarmMessage("duplicate-high", "ALARM", at)
	ctx := context.Background()
	for range 2 { // SNS delivers at least once
		if err := st.DeliverSNS(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	name := workflow.ExecutionName(ref("duplicate"), at)
	if s := finish(t, name); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s", s)
	}
	if err := st.DeliverSNS(ctx, msg); err != nil { // after it ended: ExecutionAlreadyExists
		t.Fatal(err)
	}
	execs, err := st.ServiceExecutions(ctx, ref("duplicate"))
	if err != nil {
		t.Fatal(err)
	}
	if len(execs) != 1 {
		t.Errorf("%d executions, want 1", len(execs))
	}
	if d := desired(t, "duplicate"); d != 2 {
		t.Errorf("desired %d, want 2 (scaled once)", d)
	}
	if !logged(t, "starter", "duplicate notification", "duplicate-high") {
		t.Error("starter did not log the duplicate")
	}
}

// Two alarms of one service in ALARM in the same minute start one execution, which
// plans across both: the larger step wins, as in Application Auto Scaling.
func TestTwoAlarmsAtOnceScaleOnce(t *testing.T) {
	skipShort(t)
	createService(t, "contended", ecsemu.ServiceSpec{DesiredCount: 1})
	setAlarmQuietly(t, "contended-cpu-high", "ALARM")
	setAlarmQuietly(t, "contended-latency-high", "ALARM")
	at := time.Now().UTC()
	if err := st.DeliverSNS(context.Background(), alarmMessage("contended-cpu-high", "ALARM", at), alarmMessage("contended-latency-high", "ALARM", at)); err != nil {
		t.Fatal(err)
	}
	name := workflow.ExecutionName(ref("contended"), at)
	if s := finish(t, name); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s", s)
	}
	// +1 (cpu) and +3 (latency) from 1: the largest capacity, 4.
	if d := desired(t, "contended"); d != 4 {
		t.Errorf("desired %d, want 4: one scaling, by the larger step", d)
	}
	a := recorded(t, "contended", name)
	wantActivity(t, a, activity.StatusSuccessful, 1, 4, "")
	if a.AlarmName != "contended-latency-high" || !strings.Contains(a.Cause, "contended-cpu-high, contended-latency-high in ALARM") {
		t.Errorf("alarm %q, cause %q", a.AlarmName, a.Cause)
	}
	if execs, _ := st.ServiceExecutions(context.Background(), ref("contended")); len(execs) != 1 {
		t.Errorf("%d executions, want 1", len(execs))
	}
}

func TestOKNotificationStartsNothing(t *testing.T) {
	skipShort(t)
	if err := st.DeliverSNS(context.Background(), alarmMessage("quiet-high", "OK", time.Now())); err != nil {
		t.Fatal(err)
	}
	if execs, _ := st.ServiceExecutions(context.Background(), ref("quiet")); len(execs) != 0 {
		t.Errorf("%d executions for an OK notification, want 0", len(execs))
	}
	if !logged(t, "starter", "not an ALARM transition", "quiet-high") {
		t.Error("starter did not log the ignored notification")
	}
}

func TestMalformedAndUnknownStartNothing(t *testing.T) {
	skipShort(t)
	before, err := st.Executions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeliverSNS(context.Background(), `{"AlarmName": "x", "NewStateValue": "ALARM", "StateChangeTime": "yesterday"`,
		alarmMessage("nobody-configured-this", "ALARM", time.Now())); err != nil {
		t.Fatal(err)
	}
	after, err := st.Executions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("%d executions started, want 0", len(after)-len(before))
	}
	if !logged(t, "starter", "malformed alarm notification", "") {
		t.Error("no error line for the malformed notification")
	}
	if !logged(t, "starter", "unknown alarm", "nobody-configured-this") {
		t.Error("no error line for the unknown alarm")
	}
}

// BenchmarkScaleOutExecution measures one scale-out execution through the local stack,
// from the SNS delivery to the starter until the execution has succeeded, with tasks
// starting at once: the workflow's own overhead (state transitions, Lambda invocations
// through the emulator, CloudWatch, DynamoDB and ECS calls, the 200 ms wait override).
func BenchmarkScaleOutExecution(b *testing.B) {
	if st == nil {
		b.Skip("needs the local stack")
	}
	if err := st.ECS.CreateService("test", "bench", ecsemu.ServiceSpec{DesiredCount: 1, TaskStartDelay: -1, TaskStopDelay: -1}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := st.SetAlarmStateQuietly(ctx, "bench-high", "ALARM", breachReason(95)); err != nil {
		b.Fatal(err)
	}
	defer st.SetAlarmStateQuietly(ctx, "bench-high", "OK", okReason)
	at := time.Now().UTC().Add(-30 * 24 * time.Hour) // minutes no other execution of bench uses
	for i := 0; b.Loop(); i++ {
		at = at.Add(time.Minute)
		if err := st.DeliverSNS(ctx, alarmMessage("bench-high", "ALARM", at)); err != nil {
			b.Fatal(err)
		}
		out, err := st.WaitExecution(ctx, st.ExecutionARN(workflow.ExecutionName(ref("bench"), at)), nil)
		if err != nil || out.Status != sfntypes.ExecutionStatusSucceeded {
			b.Fatalf("execution %d: %v %v", i, err, out)
		}
	}
}
