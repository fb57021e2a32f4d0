package stack_test

import (
	"context"
	"testing"
	"time"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// A queue worker scales from zero tasks when messages arrive and back to zero when the
// queue stays empty, on alarms CloudWatch evaluates from the queue's own metric
// (AWS/SQS ApproximateNumberOfMessagesVisible), which SQS publishes whether or not any
// task runs. The backlog alarm sizes its step from the backlog; the idle alarm treats a
// missing datapoint as breaching, since SQS stops publishing the metrics of an inactive
// queue ("Available CloudWatch metrics for Amazon SQS", SQS Developer Guide).
func TestQueueWorkerScalesFromAndToZero(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const svc = "queue-worker"
	createService(t, svc, ecsemu.ServiceSpec{DesiredCount: 0})
	ctx := context.Background()
	// backlog puts the queue's depth into the two minutes before at, and has CloudWatch
	// evaluate the worker's two alarms at at.
	backlog := func(messages float64, at time.Time) {
		t.Helper()
		for _, minute := range []time.Time{at.Truncate(time.Minute).Add(-2 * time.Minute), at.Truncate(time.Minute).Add(-time.Minute)} {
			// As SQS publishes it: customers may not put into AWS/ namespaces.
			if err := st.CW.PublishMetric(cwemu.Datum{Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible",
				Dimensions: []cwemu.Dimension{{Name: "QueueName", Value: "jobs"}}, Timestamp: minute, Value: messages, Unit: "Count"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CW.EvaluateAlarm(at, svc+"-backlog", svc+"-idle"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = st.SetAlarmStateQuietly(ctx, svc+"-backlog", "OK", okReason)
		_ = st.SetAlarmStateQuietly(ctx, svc+"-idle", "OK", okReason)
	})

	// 12 messages: 12 above the threshold of 0 falls in the step [10, +inf): +2 tasks.
	idle(t, svc)
	since := time.Now().Truncate(time.Millisecond)
	backlog(12, time.Now())
	st.WaitNotifications()
	up := newestSince(t, svc, since)
	if status := finish(t, up); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("scale-out from zero %s: %s", up, status)
	}
	wantActivity(t, recorded(t, svc, up), activity.StatusSuccessful, 0, 2, "")
	if v, _ := st.ECS.Service("test", svc); v.DesiredCount != 2 || v.RunningCount != 2 {
		t.Errorf("after the backlog: desired %d, running %d; want 2 and 2", v.DesiredCount, v.RunningCount)
	}

	// The queue drains over the next minutes (CloudWatch evaluates them two minutes on):
	// the backlog alarm goes OK, the idle alarm to ALARM, and its ExactCapacity 0 takes
	// the worker back to zero.
	since = time.Now().Truncate(time.Millisecond)
	backlog(0, time.Now().Add(3*time.Minute))
	st.WaitNotifications()
	down := newestSince(t, svc, since)
	if status := finish(t, down); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("scale-in to zero %s: %s", down, status)
	}
	wantActivity(t, recorded(t, svc, down), activity.StatusSuccessful, 2, 0, "")
	for _, a := range activities(t, svc) {
		t.Logf("%s %s %d → %d: %s", a.ActivityID, a.StatusCode, a.FromCount, a.ToCount, a.Cause)
	}
	if v, _ := st.ECS.Service("test", svc); v.DesiredCount != 0 || v.RunningCount != 0 {
		t.Errorf("after the queue drained: desired %d, running %d; want 0 and 0", v.DesiredCount, v.RunningCount)
	}
}
