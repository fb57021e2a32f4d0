package stack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/stack"
)

// The scenarios run the real statemachine/scale.asl.json on aws-local-stepfunctions, the
// real bootstrap binaries under the Runtime Interface Emulator, the ECS and CloudWatch
// emulators and DynamoDB, and assert what an operator would check: the service's
// desiredCount, the executions' outcomes and the recorded activities. One stack serves
// them all; each scenario has a service and alarms of its own, and puts its alarms back
// to OK when it ends, so the per-minute evaluations other scenarios run leave it alone.

var (
	st  *stack.Stack
	cfg *config.Config
)

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
	if cfg, err = config.Load(filepath.Join(root, "local", "stack", "testdata", "scenarios.json")); err != nil {
		return 0, err
	}
	logs, err := os.MkdirTemp("", "stepscaler-scenarios-")
	if err != nil {
		return 0, err
	}
	// Fast waits and retries; the SDK's own retries off, so the state machine's Retry
	// rules are what retries a throttled or failed call.
	wait, retry := 200*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	st, err = stack.Start(ctx, stack.Options{
		Root: root, Config: filepath.Join(root, "local", "stack", "testdata", "scenarios.json"),
		TaskStartDelay: 300 * time.Millisecond, SchedulerDelay: 100 * time.Millisecond,
		WaitOverride: &wait, RetryOverride: &retry, SDKMaxAttempts: 1, StartsPerSecond: 50,
		LogDir: logs, Throttled: true,
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

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("workflow scenarios need the local stack")
	}
}

// ref is the configured service of that name.
func ref(service string) scaling.ServiceRef {
	for _, t := range cfg.ServiceTargets() {
		if t.Service.Service == service {
			return t.Service
		}
	}
	panic("no service " + service + " in scenarios.json")
}

func createService(t *testing.T, name string, spec ecsemu.ServiceSpec) {
	t.Helper()
	if err := st.ECS.CreateService(ref(name).Cluster, name, spec); err != nil {
		t.Fatal(err)
	}
}

func breachReason(value float64) string {
	return fmt.Sprintf("Threshold Crossed: 1 out of the last 1 datapoints [%.1f (28/11/26 10:00:00)] was greater than or equal to the threshold (70.0) (minimum 1 datapoint for OK -> ALARM transition).", value)
}

const okReason = "Threshold Crossed: 1 out of the last 1 datapoints [40.0 (28/11/26 10:00:00)] was not greater than or equal to the threshold (70.0)."

// setAlarm sets an alarm's state in CloudWatch, which notifies the topic when the state
// changes; the alarm goes back to OK, quietly, when the test ends.
func setAlarm(t *testing.T, name, state string) {
	t.Helper()
	reason := okReason
	if state == "ALARM" {
		reason = breachReason(95)
	}
	if err := st.SetAlarmState(context.Background(), name, state, reason); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.SetAlarmStateQuietly(context.Background(), name, "OK", okReason) })
}

// setAlarmQuietly is setAlarm with the notification lost on the way.
func setAlarmQuietly(t *testing.T, name, state string) {
	t.Helper()
	if err := st.SetAlarmStateQuietly(context.Background(), name, state, breachReason(95)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.SetAlarmStateQuietly(context.Background(), name, "OK", okReason) })
}

// fire puts an alarm into ALARM: CloudWatch notifies the topic, SNS delivers the
// notification to the starter, which starts the service's execution for this minute. It
// waits for that execution to end and returns its name and final status.
func fire(t *testing.T, alarmName, service string) (string, sfntypes.ExecutionStatus) {
	t.Helper()
	idle(t, service)
	since := time.Now().Truncate(time.Millisecond)
	setAlarm(t, alarmName, "ALARM")
	st.WaitNotifications()
	name := newestSince(t, service, since)
	return name, finish(t, name)
}

// newestSince is the newest execution of the service started after since.
func newestSince(t *testing.T, service string, since time.Time) string {
	t.Helper()
	name := startedSince(t, service, since)
	if name == "" {
		// One execution per service and minute: a notification in the minute of an
		// execution that already ran starts nothing; the next evaluation takes it up.
		t.Fatalf("no execution of %s started since %s (a second notification in one minute is a duplicate: use evaluate)",
			service, since.Format(time.RFC3339Nano))
	}
	return name
}

// startedSince is the newest execution of the service started after since, or "".
func startedSince(t *testing.T, service string, since time.Time) string {
	t.Helper()
	execs, err := st.ServiceExecutions(context.Background(), ref(service))
	if err != nil {
		t.Fatal(err)
	}
	if len(execs) == 0 || aws.ToTime(execs[0].StartDate).Before(since) {
		return ""
	}
	return aws.ToString(execs[0].Name)
}

// evaluate waits until the service has no execution running, runs the per-minute
// evaluation once and waits for the executions it started. It returns the names of the
// ones for service (empty: none started). An evaluation in the minute of one of the
// service's executions starts nothing for it (a duplicate, by name); the next minute's
// is run then.
func evaluate(t *testing.T, service string) []string {
	t.Helper()
	idle(t, service)
	for range 3 {
		res, err := st.Evaluate(context.Background())
		if err != nil {
			t.Fatalf("evaluation: %v", err)
		}
		var mine []string
		for _, n := range res.Started {
			finish(t, n)
			if _, ok := workflow.OfService(n, ref(service)); ok {
				mine = append(mine, n)
			}
		}
		if !slices.ContainsFunc(res.Duplicates, func(n string) bool { _, ok := workflow.OfService(n, ref(service)); return ok }) {
			return mine
		}
	}
	t.Fatalf("three evaluations in a row fell in minutes of %s's executions", service)
	return nil
}

// idle waits until none of the service's executions is running.
func idle(t *testing.T, service string) {
	t.Helper()
	st.WaitNotifications()
	execs, err := st.ServiceExecutions(context.Background(), ref(service))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range execs {
		if e.Status == sfntypes.ExecutionStatusRunning {
			finish(t, aws.ToString(e.Name))
		}
	}
}

// finish waits for the named execution to end and returns its status.
func finish(t *testing.T, name string) sfntypes.ExecutionStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := st.WaitExecution(ctx, st.ExecutionARN(name), nil)
	if err != nil {
		t.Fatalf("execution %s: %v", name, err)
	}
	return out.Status
}

func describe(t *testing.T, name string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := st.SFN.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(st.ExecutionARN(name))})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func desired(t *testing.T, name string) int {
	t.Helper()
	v, ok := st.ECS.Service(ref(name).Cluster, name)
	if !ok {
		t.Fatalf("service %s not in the emulator", ref(name))
	}
	return v.DesiredCount
}

// activities returns the service's activities, oldest first.
func activities(t *testing.T, service string) []activity.Activity {
	t.Helper()
	acts, err := st.Store.List(context.Background(), ref(service), 0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(acts)
	return acts
}

// recorded returns the activity an execution recorded.
func recorded(t *testing.T, service, execution string) activity.Activity {
	t.Helper()
	for _, a := range activities(t, service) {
		if a.ActivityID == execution {
			return a
		}
	}
	t.Fatalf("no activity recorded for %s", execution)
	return activity.Activity{}
}

func wantActivity(t *testing.T, a activity.Activity, code string, from, to int, reason string) {
	t.Helper()
	if a.StatusCode != code || a.FromCount != from || a.ToCount != to {
		t.Errorf("activity = %s from %d to %d (%s), want %s from %d to %d", a.StatusCode, a.FromCount, a.ToCount, a.StatusMessage, code, from, to)
	}
	if reason != "" && !slices.ContainsFunc(a.NotScaledReasons, func(r scaling.NotScaledReason) bool { return r.Code == reason }) {
		t.Errorf("not-scaled reasons = %+v, want %s", a.NotScaledReasons, reason)
	}
	if a.ResourceID == "" || a.Cause == "" || a.StatusMessage == "" || a.EndTime.Before(a.StartTime) {
		t.Errorf("incomplete activity record: %+v", a)
	}
}

// counts writes a run of activities as "1 → 2 → 3", skipping those that changed nothing.
func counts(acts []activity.Activity) string {
	var b strings.Builder
	for _, a := range acts {
		if a.ToCount == a.FromCount {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "%d", a.FromCount)
		}
		fmt.Fprintf(&b, " → %d", a.ToCount)
	}
	return b.String()
}

// logged reports whether a function wrote a JSON log line with msg containing want (and,
// if given, naming alarm).
func logged(t *testing.T, function, want, alarmName string) bool {
	t.Helper()
	f, err := os.Open(st.FunctionLog(function))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
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

// alarmMessage is a CloudWatch metric alarm notification as SNS carries it, for tests that
// deliver one themselves (a duplicate, one that disagrees with CloudWatch, a malformed one).
func alarmMessage(name, state string, changed time.Time) string {
	old := "OK"
	if state == "OK" {
		old = "ALARM"
	}
	m := map[string]any{
		"AlarmName": name, "AlarmDescription": nil, "AWSAccountId": stack.AccountID,
		"NewStateValue": state, "OldStateValue": old,
		"NewStateReason":  breachReason(95),
		"StateChangeTime": changed.UTC().Format("2006-01-02T15:04:05.000-0700"),
		"Region":          "US East (N. Virginia)",
		"AlarmArn":        fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", stack.Region, stack.AccountID, name),
		"Trigger": map[string]any{
			"MetricName": name, "Namespace": stack.StandInNamespace, "StatisticType": "Statistic", "Statistic": "AVERAGE",
			"Unit": nil, "Dimensions": []map[string]string{},
			"Period": 60, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
			"Threshold": 0.0, "TreatMissingData": "missing", "EvaluateLowSampleCountPercentile": "",
		},
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}
