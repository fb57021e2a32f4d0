package stack_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// The level-triggered scenarios: an alarm's notification is the fast path, and every
// minute that an alarm stays in ALARM the evaluation starts the next step, reading the
// truth from CloudWatch, ECS and DynamoDB. Here the evaluation runs when a test calls it.

// An alarm held in ALARM takes the service from its minimum to its maximum, however many
// steps that is (eleven here; an execution used to stop after ten).
func TestClimbsFromMinToMaxWhileInAlarm(t *testing.T) {
	skipShort(t)
	createService(t, "climb", ecsemu.ServiceSpec{DesiredCount: 1})
	first, status := fire(t, "climb-high", "climb")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("first execution %s: %s", first, status)
	}
	for range 30 {
		if desired(t, "climb") == 12 {
			break
		}
		evaluate(t, "climb")
	}
	acts := activities(t, "climb")
	if got, want := counts(acts), "1 → 2 → 3 → 4 → 5 → 6 → 7 → 8 → 9 → 10 → 11 → 12"; got != want {
		t.Fatalf("steps %s, want %s", got, want)
	}
	for i, a := range acts {
		want := workflow.SourceSchedule
		if i == 0 {
			want = workflow.SourceNotification
		}
		if a.StatusCode != activity.StatusSuccessful || a.Trigger != want {
			t.Errorf("step %d %s: %s by %s (%s), want Successful by %s", i, a.ActivityID, a.StatusCode, a.Trigger, a.StatusMessage, want)
		}
	}
	// At the maximum, the evaluation goes on and finds nothing more to do.
	next := evaluate(t, "climb")
	if len(next) != 1 {
		t.Fatalf("evaluation at the maximum started %v, want one execution", next)
	}
	wantActivity(t, recorded(t, "climb", next[0]), activity.StatusNotScaled, 12, 12, scaling.AlreadyAtMaxCapacity)
}

// A scale-out alarm that fires while a scale-in step holds the lease is not lost: the
// first evaluation after the lease is free scales out.
func TestScaleOutAfterAScaleInsLease(t *testing.T) {
	skipShort(t)
	// Stopping tasks run on for 2 s, so the scale-in's stability wait holds the lease.
	createService(t, "lease", ecsemu.ServiceSpec{DesiredCount: 4, TaskStopDelay: 2 * time.Second})
	since := time.Now().Add(-time.Second)
	setAlarm(t, "lease-low", "ALARM")
	st.WaitNotifications()
	in := newestSince(t, "lease", since)
	waitLease(t, "lease", in)
	waitDesired(t, "lease", 3) // the scale-in has read its alarms and set its count
	// While the scale-in holds the lease, the load turns. The scale-out alarm's
	// notification falls in the scale-in's minute (one execution per service and minute:
	// a duplicate) or finds the lease held: either way it changes nothing now.
	setAlarm(t, "lease-high", "ALARM")
	st.WaitNotifications()
	if s := finish(t, in); s != sfntypes.ExecutionStatusSucceeded || desired(t, "lease") != 3 {
		t.Fatalf("scale-in %s: %s, desired %d; want 4 → 3", in, s, desired(t, "lease"))
	}
	// The first evaluation after the lease is free scales out: the scale-out alarm
	// outranks the scale-in alarm still in ALARM.
	next := evaluate(t, "lease")
	if len(next) != 1 || desired(t, "lease") != 4 {
		t.Fatalf("evaluation started %v, desired %d; want one execution scaling out to 4", next, desired(t, "lease"))
	}
	out := recorded(t, "lease", next[0])
	wantActivity(t, out, activity.StatusSuccessful, 3, 4, "")
	if out.AlarmName != "lease-high" || !strings.Contains(out.Cause, "lease-high, lease-low in ALARM") {
		t.Errorf("scale-out activity decided by %q, cause %q; want lease-high, with lease-low in ALARM too", out.AlarmName, out.Cause)
	}
}

// waitRunning waits until the service runs n tasks.
func waitRunning(t *testing.T, service string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if v, _ := st.ECS.Service(ref(service).Cluster, service); v.RunningCount == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("service %s never ran %d tasks", service, n)
}

// waitDesired waits until the service's desired count is n.
func waitDesired(t *testing.T, service string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if desired(t, service) == n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("desired count of %s never reached %d (it is %d)", service, n, desired(t, service))
}

// waitLease waits until execution holds the service's lease.
func waitLease(t *testing.T, service, execution string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s, err := st.Store.State(context.Background(), ref(service))
		if err != nil {
			t.Fatal(err)
		}
		if s.LeaseOwner == execution {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never held the lease of %s", execution, service)
}

// A step whose tasks cannot be placed ends red with ECS's reason; while the alarm stays
// in ALARM the evaluation goes on, and once capacity returns the scaling resumes.
func TestPlacementFailureThenCapacityReturns(t *testing.T) {
	skipShort(t)
	if err := st.ECS.CreateCluster("tight"); err != nil {
		t.Fatal(err)
	}
	if err := st.ECS.SetCapacity("tight", 2); err != nil {
		t.Fatal(err)
	}
	createService(t, "tight", ecsemu.ServiceSpec{DesiredCount: 2})
	name, status := fire(t, "tight-high", "tight")
	if status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s: %s, want FAILED (the task cannot be placed)", name, status)
	}
	a := recorded(t, "tight", name)
	wantActivity(t, a, activity.StatusFailed, 2, 3, "")
	if !strings.Contains(a.StatusMessage, "unable to place a task") {
		t.Errorf("status message %q does not quote ECS's placement failure", a.StatusMessage)
	}
	// Still in ALARM, still full: the next step counts from the 2 running tasks and asks
	// for 3, which is already the desired count.
	next := evaluate(t, "tight")
	if len(next) != 1 {
		t.Fatalf("evaluation started %v, want one execution", next)
	}
	wantActivity(t, recorded(t, "tight", next[0]), activity.StatusNotScaled, 3, 3, scaling.AlreadyAtDesiredCapacity)
	// Capacity returns: at its next attempt (it backs off after repeated failures) ECS
	// places the third task, and the next evaluation scales on.
	if err := st.ECS.SetCapacity("tight", 10); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, "tight", 3)
	after := evaluate(t, "tight")
	if len(after) != 1 || desired(t, "tight") != 4 {
		t.Fatalf("evaluation started %v, desired %d; want one execution scaling to 4", after, desired(t, "tight"))
	}
	wantActivity(t, recorded(t, "tight", after[0]), activity.StatusSuccessful, 3, 4, "")
}

// ECS does not repeat an identical event message while its cause persists. A step on a
// cluster that was already full gets no new placement event; the stability check still
// ends it as failed, from the newest placement failure and tasks that never started,
// rather than running into the stabilization timeout (300 s here).
func TestPlacementFailureSeenThoughECSWithholdsTheRepeat(t *testing.T) {
	skipShort(t)
	t.Parallel() // it waits two minutes for the failure to be confirmed
	if err := st.ECS.CreateCluster("withheld"); err != nil {
		t.Fatal(err)
	}
	if err := st.ECS.SetCapacity("withheld", 2); err != nil {
		t.Fatal(err)
	}
	createService(t, "withheld", ecsemu.ServiceSpec{DesiredCount: 2})
	// Someone else asks for a third task first: ECS reports it cannot place it, once.
	ctx := context.Background()
	if _, err := st.ECSClient().UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String("withheld"), Service: aws.String("withheld"), DesiredCount: aws.Int32(3),
	}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, "withheld", "unable to place a task")
	// The stability check counts an event stamped up to 5 s before its update as the
	// update's own (ECS and the function have different clocks); this one is older.
	time.Sleep(6 * time.Second)
	start := time.Now()
	// The step counts from the 2 running tasks, +2: 4, above the 3 asked for.
	name, status := fire(t, "withheld-high", "withheld")
	if status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s: %s, want FAILED", name, status)
	}
	a := recorded(t, "withheld", name)
	wantActivity(t, a, activity.StatusFailed, 3, 4, "")
	if !strings.Contains(a.StatusMessage, "unable to place a task") {
		t.Errorf("status message %q does not quote ECS's placement failure", a.StatusMessage)
	}
	// Seen from what ECS reports (the newest event a placement failure, no task started
	// since the update) once that has lasted two minutes, well before the 300 s timeout.
	if took := time.Since(start); took < 2*time.Minute || took > 4*time.Minute {
		t.Errorf("the failure took %s to be seen, want two minutes and a little", took)
	}
	v, _ := st.ECS.Service("withheld", "withheld")
	if n := countEvents(v, "unable to place a task"); n != 1 {
		t.Errorf("%d placement events, want the one ECS reported before the step (repeats are withheld)", n)
	}
}

// A notification for an alarm CloudWatch reports OK (stale, or forged) changes nothing,
// and says why.
func TestNotificationCloudWatchContradicts(t *testing.T) {
	skipShort(t)
	createService(t, "stale", ecsemu.ServiceSpec{DesiredCount: 1})
	at := time.Now().UTC()
	if err := st.DeliverSNS(context.Background(), alarmMessage("stale-high", "ALARM", at)); err != nil {
		t.Fatal(err)
	}
	name := workflow.ExecutionName(ref("stale"), at)
	if s := finish(t, name); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, s)
	}
	if d := desired(t, "stale"); d != 1 {
		t.Errorf("desired %d, want 1", d)
	}
	a := recorded(t, "stale", name)
	wantActivity(t, a, activity.StatusNotScaled, 1, 1, scaling.NoAlarmInAlarm)
	// A new alarm is INSUFFICIENT_DATA until CloudWatch evaluates it (PutMetricAlarm).
	if !strings.Contains(a.StatusMessage, "none of the service's alarms in ALARM (stale-high INSUFFICIENT_DATA)") {
		t.Errorf("status message %q does not say what CloudWatch reports", a.StatusMessage)
	}
}

// A notification that never arrives is made good by the next minute's evaluation.
func TestLostNotificationIsMadeGood(t *testing.T) {
	skipShort(t)
	createService(t, "lost", ecsemu.ServiceSpec{DesiredCount: 1})
	setAlarmQuietly(t, "lost-high", "ALARM")
	if execs, _ := st.ServiceExecutions(context.Background(), ref("lost")); len(execs) != 0 {
		t.Fatalf("%d executions before the evaluation, want none (the notification was lost)", len(execs))
	}
	started := evaluate(t, "lost")
	if len(started) != 1 {
		t.Fatalf("evaluation started %v, want one execution", started)
	}
	if d := desired(t, "lost"); d != 2 {
		t.Errorf("desired %d, want 2", d)
	}
	a := recorded(t, "lost", started[0])
	wantActivity(t, a, activity.StatusSuccessful, 1, 2, "")
	if a.Trigger != workflow.SourceSchedule || !strings.HasPrefix(a.Cause, "per-minute evaluation at") {
		t.Errorf("trigger %q, cause %q", a.Trigger, a.Cause)
	}
}

// Each step is sized from the alarm's metric as it is when the step is taken, not from
// the breach that changed the alarm's state.
func TestStepSizedFromTheMetricNow(t *testing.T) {
	skipShort(t)
	createService(t, "sized", ecsemu.ServiceSpec{DesiredCount: 1})
	// The alarm (above 50) reads the last complete minute; the values go into that
	// minute and the current one, so the step finds them whichever minute it reads.
	put := func(v float64) {
		t.Helper()
		now := time.Now().UTC().Truncate(time.Minute)
		for _, at := range []time.Time{now.Add(-time.Minute), now.Add(5 * time.Second)} {
			if err := st.PutMetric(context.Background(), "Test/Load", "RequestsPerTask", map[string]string{"ServiceName": "sized"}, v, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(60) // 60 − 50 = 10, in [0, 20): +1
	first, status := fire(t, "sized-high", "sized")
	if status != sfntypes.ExecutionStatusSucceeded || desired(t, "sized") != 2 {
		t.Fatalf("first step %s: %s, desired %d; want 1 → 2", first, status, desired(t, "sized"))
	}
	// The alarm stays in ALARM; the metric climbs. The minute now holds 60 and 140:
	// average 100, breach 50, in [20, +inf): +3.
	put(140)
	next := evaluate(t, "sized")
	if len(next) != 1 {
		t.Fatalf("evaluation started %v, want one execution", next)
	}
	if d := desired(t, "sized"); d != 5 {
		t.Errorf("desired %d, want 5 (2 + 3, sized from the new datapoints)", d)
	}
	a := recorded(t, "sized", next[0])
	wantActivity(t, a, activity.StatusSuccessful, 2, 5, "")
	if !strings.Contains(a.Cause, "breach 50.0 above threshold falls in step [20, +inf)") {
		t.Errorf("cause %q does not give the breach the step was sized from", a.Cause)
	}
}

// An execution input is identifiers only: bounds, policy or counts put in it change
// nothing, and a service the configuration does not list is refused.
func TestForgedInputIsIgnored(t *testing.T) {
	skipShort(t)
	createService(t, "forged", ecsemu.ServiceSpec{DesiredCount: 1})
	setAlarmQuietly(t, "forged-high", "ALARM")
	start := func(name string, input map[string]any) sfntypes.ExecutionStatus {
		t.Helper()
		body, err := json.Marshal(input)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SFN.StartExecution(context.Background(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(st.StateMachineARN), Name: aws.String(name), Input: aws.String(string(body)),
		}); err != nil {
			t.Fatal(err)
		}
		return finish(t, name)
	}
	forged := map[string]any{
		"service": map[string]string{"cluster": "test", "service": "forged"},
		"trigger": map[string]string{"source": "notification", "alarm": "forged-high"},
		"policy":  map[string]any{"alarmName": "forged-high", "minCapacity": 0, "maxCapacity": 100, "direction": "out", "adjustment": 50},
		"plan":    map[string]any{"scale": true, "to": 100, "alarmName": "forged-high"},
		"dryRun":  false,
	}
	if s := start("forged-bounds", forged); s != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution: %s", s)
	}
	if d := desired(t, "forged"); d != 2 {
		t.Errorf("desired %d, want 2: the deployed policy (+1, at most 2), whatever the input says", d)
	}
	wantActivity(t, recorded(t, "forged", "forged-bounds"), activity.StatusSuccessful, 1, 2, "")

	// A service the configuration does not list: nothing is read or changed.
	other := map[string]any{"service": map[string]string{"cluster": "test", "service": "not-configured"}, "trigger": map[string]string{"source": "schedule"}}
	if s := start("forged-service", other); s != sfntypes.ExecutionStatusFailed {
		t.Errorf("execution for an unconfigured service: %s, want FAILED", s)
	}
	out := describe(t, "forged-service")
	if !strings.Contains(aws.ToString(out.Cause), "not in the deployed scaling configuration") {
		t.Errorf("cause %q does not say the service is not configured", aws.ToString(out.Cause))
	}
	if _, ok := st.ECS.Service("test", "not-configured"); ok {
		t.Error("a service the configuration does not list exists in ECS")
	}
}

// ECS does not scale a DAEMON service through its desired count: refused up front.
func TestDaemonServiceIsRefused(t *testing.T) {
	skipShort(t)
	if err := st.ECS.CreateCluster("daemon"); err != nil {
		t.Fatal(err)
	}
	if err := st.ECS.SetContainerInstances("daemon", 2); err != nil {
		t.Fatal(err)
	}
	createService(t, "daemon", ecsemu.ServiceSpec{SchedulingStrategy: ecsemu.SchedulingDaemon})
	updates := st.ECS.Calls("UpdateService")
	name, status := fire(t, "daemon-high", "daemon")
	if status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s", name, status)
	}
	a := recorded(t, "daemon", name)
	if a.StatusCode != activity.StatusNotScaled || len(a.NotScaledReasons) != 1 || a.NotScaledReasons[0].Code != scaling.ServiceNotScalable ||
		!strings.Contains(a.StatusMessage, "DAEMON") {
		t.Errorf("activity %s %+v (%s), want NotScaled %s naming DAEMON", a.StatusCode, a.NotScaledReasons, a.StatusMessage, scaling.ServiceNotScalable)
	}
	if got := st.ECS.Calls("UpdateService") - updates; got != 0 {
		t.Errorf("UpdateService called %d times", got)
	}
}

// waitEvent waits for the service to report an event containing text.
func waitEvent(t *testing.T, service, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		v, _ := st.ECS.Service(ref(service).Cluster, service)
		if countEvents(v, text) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("service %s reported no %q event", service, text)
}

func countEvents(v ecsemu.ServiceView, text string) int {
	n := 0
	for _, e := range v.Events {
		if strings.Contains(e.Message, text) {
			n++
		}
	}
	return n
}
