package stack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/starter"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/stack"
)

// These scenarios run the real statemachine/scale.asl.json on aws-local-stepfunctions, the
// real bootstrap binaries under the Runtime Interface Emulator, the ECS emulator and
// DynamoDB, and assert what an operator would check: the service's desiredCount, the
// execution's status and the recorded activity. One stack serves them all; each scenario
// has a service of its own.

var st *stack.Stack

func TestMain(m *testing.M) {
	code, err := runWithStack(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithStack(m *testing.M) (int, error) {
	flag.Parse()
	if testing.Short() {
		return m.Run(), nil
	}
	root, err := stack.FindRoot()
	if err != nil {
		return 0, err
	}
	logs, err := os.MkdirTemp("", "stepscaler-scenarios-")
	if err != nil {
		return 0, err
	}
	// Waits set to zero: the stabilization loop polls as fast as the functions answer.
	wait := time.Duration(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	st, err = stack.Start(ctx, stack.Options{
		Root: root, Config: filepath.Join(root, "local", "stack", "testdata", "scenarios.json"),
		TaskStartDelay: 300 * time.Millisecond, WaitOverride: &wait, LogDir: logs, Throttled: true,
	})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "component logs kept in", logs)
	} else {
		os.RemoveAll(logs)
	}
	return code, nil
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// alarmMessage is a CloudWatch metric alarm notification as SNS carries it.
func alarmMessage(name, state string, changed time.Time) string {
	old := "OK"
	if state == "OK" {
		old = "ALARM"
	}
	m := map[string]any{
		"AlarmName": name, "AlarmDescription": nil, "AWSAccountId": stack.AccountID,
		"NewStateValue": state, "OldStateValue": old,
		"NewStateReason":  "Threshold Crossed: 1 out of the last 1 datapoints [91.5 (27/11/26 09:59:00)] was greater than or equal to the threshold (70.0) (minimum 1 datapoint for OK -> ALARM transition).",
		"StateChangeTime": changed.Format("2006-01-02T15:04:05.000-0700"),
		"Region":          "US East (N. Virginia)",
		"AlarmArn":        fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", stack.Region, stack.AccountID, name),
		"Trigger": map[string]any{
			"MetricName": "CPUUtilization", "Namespace": "AWS/ECS", "StatisticType": "Statistic", "Statistic": "AVERAGE",
			"Unit": nil, "Dimensions": []map[string]string{{"value": "test", "name": "ClusterName"}},
			"Period": 60, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"Threshold": 70.0, "TreatMissingData": "missing", "EvaluateLowSampleCountPercentile": "",
		},
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func executionName(alarmName string, changed time.Time) string {
	return starter.ExecutionName(fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", stack.Region, stack.AccountID, alarmName), changed)
}

func createService(t *testing.T, name string, spec ecsemu.ServiceSpec) {
	t.Helper()
	if err := st.ECS.CreateService("test", name, spec); err != nil {
		t.Fatal(err)
	}
}

func deliver(t *testing.T, messages ...string) {
	t.Helper()
	if err := st.DeliverSNS(context.Background(), messages...); err != nil {
		t.Fatalf("deliver: %v", err)
	}
}

// fire delivers alarmName's transition to ALARM at at, waits for its execution to end,
// checks its status and returns its name.
func fire(t *testing.T, alarmName string, at time.Time, want sfntypes.ExecutionStatus) string {
	t.Helper()
	deliver(t, alarmMessage(alarmName, "ALARM", at))
	name := executionName(alarmName, at)
	if got := finish(t, name); got != want {
		t.Fatalf("execution %s: %s, want %s", name, got, want)
	}
	return name
}

// finish waits for the named execution to end and returns its status.
func finish(t *testing.T, name string) sfntypes.ExecutionStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := st.WaitExecution(ctx, st.ExecutionARN(name), nil)
	if err != nil {
		t.Fatalf("execution %s: %v", name, err)
	}
	return out.Status
}

func desired(t *testing.T, name string) int {
	t.Helper()
	v, ok := st.ECS.Service("test", name)
	if !ok {
		t.Fatalf("service test/%s not in the emulator", name)
	}
	return v.DesiredCount
}

// recorded returns the activity an execution recorded.
func recorded(t *testing.T, service, execution string) activity.Activity {
	t.Helper()
	acts, err := st.Store.List(context.Background(), scaling.ServiceRef{Cluster: "test", Service: service}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.ActivityID == execution {
			return a
		}
	}
	t.Fatalf("no activity recorded for %s (have %d)", execution, len(acts))
	return activity.Activity{}
}

func executionsNamed(t *testing.T, prefix string) []sfntypes.ExecutionListItem {
	t.Helper()
	all, err := st.Executions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []sfntypes.ExecutionListItem
	for _, e := range all {
		if strings.HasPrefix(aws.ToString(e.Name), prefix) {
			out = append(out, e)
		}
	}
	return out
}

func wantActivity(t *testing.T, a activity.Activity, code string, from, to int, reason string) {
	t.Helper()
	if a.StatusCode != code || a.FromCount != from || a.ToCount != to {
		t.Errorf("activity = %s from %d to %d (%s), want %s from %d to %d", a.StatusCode, a.FromCount, a.ToCount, a.StatusMessage, code, from, to)
	}
	if reason != "" && (len(a.NotScaledReasons) == 0 || a.NotScaledReasons[0].Code != reason) {
		t.Errorf("not-scaled reasons = %+v, want %s", a.NotScaledReasons, reason)
	}
	if a.ResourceID == "" || a.Cause == "" || a.StatusMessage == "" || a.EndTime.Before(a.StartTime) {
		t.Errorf("incomplete activity record: %+v", a)
	}
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("workflow scenarios need the local stack")
	}
}

func TestScaleOutStabilizes(t *testing.T) {
	skipShort(t)
	createService(t, "scale-out", ecsemu.ServiceSpec{DesiredCount: 1})
	name := fire(t, "scale-out-high", t0, sfntypes.ExecutionStatusSucceeded)
	v, _ := st.ECS.Service("test", "scale-out")
	if v.DesiredCount != 2 || v.RunningCount != 2 || v.PendingCount != 0 {
		t.Errorf("service desired %d running %d pending %d, want 2/2/0", v.DesiredCount, v.RunningCount, v.PendingCount)
	}
	a := recorded(t, "scale-out", name)
	wantActivity(t, a, activity.StatusSuccessful, 1, 2, "")
	if a.Description != "Setting desired count from 1 to 2." || !strings.Contains(a.Cause, "scale-out-high") {
		t.Errorf("description %q, cause %q", a.Description, a.Cause)
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
	if !strings.HasPrefix(got, "Acquire scaling lease > Read alarm states > Describe ECS service > Plan scaling > Update desired count > Check stability") ||
		!strings.HasSuffix(got, "Record outcome") {
		t.Errorf("task states = %s", got)
	}
}

func TestAlreadyAtMaxDoesNotUpdate(t *testing.T) {
	skipShort(t)
	createService(t, "at-max", ecsemu.ServiceSpec{DesiredCount: 2})
	updates := st.ECS.Calls("UpdateService")
	name := fire(t, "at-max-high", t0, sfntypes.ExecutionStatusSucceeded)
	if got := st.ECS.Calls("UpdateService"); got != updates {
		t.Errorf("UpdateService called %d times, want none", got-updates)
	}
	if d := desired(t, "at-max"); d != 2 {
		t.Errorf("desired %d, want 2", d)
	}
	wantActivity(t, recorded(t, "at-max", name), workflow.StatusNotScaled, 2, 2, scaling.AlreadyAtMaxCapacity)
}

func TestScaleInDownToMin(t *testing.T) {
	skipShort(t)
	createService(t, "scale-in", ecsemu.ServiceSpec{DesiredCount: 3})
	name := fire(t, "scale-in-low", t0, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "scale-in"); d != 1 {
		t.Errorf("desired %d, want the minimum 1", d)
	}
	wantActivity(t, recorded(t, "scale-in", name), activity.StatusSuccessful, 3, 1, "")
}

func TestCooldownBlocksTheNextStep(t *testing.T) {
	skipShort(t)
	createService(t, "cooldown", ecsemu.ServiceSpec{DesiredCount: 1})
	first, second := t0, t0.Add(2*time.Minute)
	fire(t, "cooldown-high", first, sfntypes.ExecutionStatusSucceeded)
	name := fire(t, "cooldown-high", second, sfntypes.ExecutionStatusSucceeded)
	if d := desired(t, "cooldown"); d != 2 {
		t.Errorf("desired %d, want 2 (one step, then cooldown)", d)
	}
	wantActivity(t, recorded(t, "cooldown", name), workflow.StatusNotScaled, 2, 2, scaling.CooldownActive)
}

func TestServiceNotFoundIsRecordedAsFailed(t *testing.T) {
	skipShort(t)
	name := fire(t, "not-found-high", t0, sfntypes.ExecutionStatusFailed)
	a := recorded(t, "not-found", name)
	if a.StatusCode != activity.StatusFailed || !strings.Contains(a.StatusMessage, "ServiceNotFoundError") {
		t.Errorf("activity %s: %s, want Failed naming ServiceNotFoundError", a.StatusCode, a.StatusMessage)
	}
	// The lease is released: the service is not blocked for the next alarm.
	if s, err := st.Store.State(context.Background(), scaling.ServiceRef{Cluster: "test", Service: "not-found"}); err != nil || s.LeaseOwner != "" {
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
	name := fire(t, "rollout-fails-high", t0, sfntypes.ExecutionStatusFailed)
	wantActivity(t, recorded(t, "rollout-fails", name), activity.StatusFailed, 1, 2, "")
}

func TestNeverStabilizesEndsUnfulfilled(t *testing.T) {
	skipShort(t)
	createService(t, "never-stable", ecsemu.ServiceSpec{DesiredCount: 1, TaskStartDelay: time.Hour})
	deliver(t, alarmMessage("never-stable-high", "ALARM", t0))
	name := executionName("never-stable-high", t0)
	ctx := context.Background()
	out, err := st.WaitExecution(ctx, st.ExecutionARN(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != workflow.ErrScalingUnfulfilled {
		t.Fatalf("execution %s (%s), want FAILED with %s", out.Status, aws.ToString(out.Error), workflow.ErrScalingUnfulfilled)
	}
	wantActivity(t, recorded(t, "never-stable", name), activity.StatusUnfulfilled, 1, 2, "")
}

func TestECSThrottlingIsRetried(t *testing.T) {
	skipShort(t)
	createService(t, "throttled", ecsemu.ServiceSpec{DesiredCount: 1})
	updates := st.ECS.Calls("UpdateService")
	st.ECS.InjectFault(ecsemu.Fault{Operation: "UpdateService", Error: ecsemu.Throttling, Times: 2})
	name := fire(t, "throttled-high", t0, sfntypes.ExecutionStatusSucceeded)
	if got := st.ECS.Calls("UpdateService") - updates; got != 3 {
		t.Errorf("UpdateService received %d times, want 3 (two throttled, one retried)", got)
	}
	if d := desired(t, "throttled"); d != 2 {
		t.Errorf("desired %d, want 2", d)
	}
	wantActivity(t, recorded(t, "throttled", name), activity.StatusSuccessful, 1, 2, "")
}

func TestDuplicateDeliveryStartsOneExecution(t *testing.T) {
	skipShort(t)
	createService(t, "duplicate", ecsemu.ServiceSpec{DesiredCount: 1})
	msg := alarmMessage("duplicate-high", "ALARM", t0)
	deliver(t, msg)
	deliver(t, msg) // while the first runs: same name, same input
	name := executionName("duplicate-high", t0)
	if s := finish(t, name); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s", s)
	}
	deliver(t, msg) // after it ended: ExecutionAlreadyExists
	if n := len(executionsNamed(t, "duplicate-high")); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}
	if d := desired(t, "duplicate"); d != 2 {
		t.Errorf("desired %d, want 2 (scaled once)", d)
	}
	if !starterLogged(t, "duplicate notification", "duplicate-high") {
		t.Error("starter did not log the duplicate")
	}
}

func TestTwoAlarmsAtOnceScaleOnce(t *testing.T) {
	skipShort(t)
	createService(t, "contended", ecsemu.ServiceSpec{DesiredCount: 1})
	deliver(t, alarmMessage("contended-cpu-high", "ALARM", t0), alarmMessage("contended-latency-high", "ALARM", t0))
	a, b := executionName("contended-cpu-high", t0), executionName("contended-latency-high", t0)
	if s := finish(t, a); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("first execution %s", s)
	}
	if s := finish(t, b); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("second execution %s", s)
	}
	if d := desired(t, "contended"); d != 2 {
		t.Errorf("desired %d, want 2: one scaling", d)
	}
	codes := map[string]activity.Activity{}
	for _, n := range []string{a, b} {
		act := recorded(t, "contended", n)
		codes[act.StatusCode] = act
	}
	if _, ok := codes[activity.StatusSuccessful]; !ok {
		t.Errorf("no successful scaling among %v", codes)
	}
	ns, ok := codes[workflow.StatusNotScaled]
	if !ok || len(ns.NotScaledReasons) == 0 || ns.NotScaledReasons[0].Code != scaling.ScalingInProgress {
		t.Errorf("the other alarm was not recorded as not scaled (ScalingInProgress): %v", codes)
	}
}

func TestOKNotificationStartsNothing(t *testing.T) {
	skipShort(t)
	deliver(t, alarmMessage("quiet-high", "OK", t0))
	if n := len(executionsNamed(t, "quiet-high")); n != 0 {
		t.Errorf("%d executions for an OK notification, want 0", n)
	}
	if !starterLogged(t, "not an ALARM transition", "quiet-high") {
		t.Error("starter did not log the ignored notification")
	}
}

func TestMalformedAndUnknownStartNothing(t *testing.T) {
	skipShort(t)
	before, err := st.Executions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, `{"AlarmName": "x", "NewStateValue": "ALARM", "StateChangeTime": "yesterday"`)
	deliver(t, alarmMessage("nobody-configured-this", "ALARM", t0))
	after, err := st.Executions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("%d executions started, want 0", len(after)-len(before))
	}
	if !starterLogged(t, "malformed alarm notification", "") {
		t.Error("no error line for the malformed notification")
	}
	if !starterLogged(t, "unknown alarm", "nobody-configured-this") {
		t.Error("no error line for the unknown alarm")
	}
}

// starterLogged reports whether the starter wrote a JSON log line with msg containing
// want (and, if given, naming alarm).
func starterLogged(t *testing.T, want, alarmName string) bool {
	t.Helper()
	f, err := os.Open(st.FunctionLog("starter"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		msg, _ := line["msg"].(string)
		if strings.Contains(msg, want) && (alarmName == "" || line["alarm"] == alarmName) {
			return true
		}
	}
	return false
}

// BenchmarkScaleOutExecution measures one scale-out execution through the local stack,
// from the SNS delivery to the starter until the execution has succeeded, with waits set
// to zero and tasks starting at once: the workflow's own overhead (state transitions,
// Lambda invocations through the emulator, DynamoDB and ECS calls).
func BenchmarkScaleOutExecution(b *testing.B) {
	if st == nil {
		b.Skip("needs the local stack")
	}
	if err := st.ECS.CreateService("test", "bench", ecsemu.ServiceSpec{DesiredCount: 1, TaskStartDelay: -1, TaskStopDelay: -1}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	at := t0
	for i := 0; b.Loop(); i++ {
		at = at.Add(time.Minute)
		if err := st.DeliverSNS(ctx, alarmMessage("bench-high", "ALARM", at)); err != nil {
			b.Fatal(err)
		}
		out, err := st.WaitExecution(ctx, st.ExecutionARN(executionName("bench-high", at)), nil)
		if err != nil || out.Status != sfntypes.ExecutionStatusSucceeded {
			b.Fatalf("execution %d: %v %v", i, err, out)
		}
	}
}
