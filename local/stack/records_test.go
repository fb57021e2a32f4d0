package stack_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps/acquire"
	"github.com/stepscaler/stepscaler/local/dynamofault"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// The records survive DynamoDB failing each write of an execution: the scenarios fail
// one write of one service's execution, through the proxy between the functions and
// DynamoDB, with the SDK's retries off (so the state machine's are what retries), and
// check what an operator relies on: the activity, the cooldown, the lease.

// writeOf matches the requests of one of the store's writes to service's items: by the
// key and what the write sets.
func writeOf(service, op, expression string) dynamofault.Fault {
	return dynamofault.Fault{Operation: op, Match: []string{`"SERVICE#` + ref(service).String() + `"`, expression}}
}

// A fault on every attempt, for as long as the test says.
const always = 1000

func state(t *testing.T, service string) activity.State {
	t.Helper()
	s, err := st.Store.State(context.Background(), ref(service))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The lease write commits but its answer is lost, on every attempt: the execution ends
// through Record failure, which releases the lease it never knew it held (the release
// asks DynamoDB, not $.lease), so the next minute scales at once.
func TestLeaseCommittedButUnansweredIsReleased(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const svc = "faults-acquire"
	createService(t, svc, ecsemu.ServiceSpec{DesiredCount: 1})
	f := writeOf(svc, "UpdateItem", "SET leaseOwner")
	f.AfterCommit, f.Times = true, always
	withdraw := st.DynamoFaults.Inject(f)
	name, status := fire(t, svc+"-high", svc)
	withdraw()
	if status != sfntypes.ExecutionStatusFailed {
		t.Fatalf("execution %s: %s, want FAILED", name, status)
	}
	// The service was never described: the activity knows no counts.
	wantActivity(t, recorded(t, svc, name), activity.StatusFailed, 0, 0, "")
	if s := state(t, svc); s.LeaseOwner != "" {
		t.Errorf("lease held by %q after the failed execution, want released", s.LeaseOwner)
	}
	next := evaluate(t, svc)
	if len(next) != 1 {
		t.Fatalf("the next evaluation started %v, want one execution", next)
	}
	wantActivity(t, recorded(t, svc, next[0]), activity.StatusSuccessful, 1, 2, "")
}

// One refusal of each of the record's writes: the state machine retries the record step,
// which completes the record once.
func TestRecordWriteRefusedOnceIsRetried(t *testing.T) {
	skipShort(t)
	for _, c := range []struct{ service, op, expression string }{
		{"faults-cooldown", "UpdateItem", "SET lastScaleOutAt"},
		{"faults-mark", "UpdateItem", "SET lastActivityId"},
	} {
		t.Run(c.service, func(t *testing.T) {
			t.Parallel()
			createService(t, c.service, ecsemu.ServiceSpec{DesiredCount: 1})
			f := writeOf(c.service, c.op, c.expression)
			f.Error = dynamofault.ProvisionedThroughputExceeded
			withdraw := st.DynamoFaults.Inject(f)
			defer withdraw()
			name, status := fire(t, c.service+"-high", c.service)
			if status != sfntypes.ExecutionStatusSucceeded {
				t.Fatalf("execution %s: %s, want SUCCEEDED after a retried record", name, status)
			}
			acts := activities(t, c.service)
			if len(acts) != 1 {
				t.Fatalf("activities = %d, want the one, recorded once", len(acts))
			}
			wantActivity(t, acts[0], activity.StatusSuccessful, 1, 2, "")
			s := state(t, c.service)
			if s.LeaseOwner != "" || s.LastScaleOutAt == nil || s.LastActivityID != name {
				t.Errorf("state = %+v, want released, cooling down, pointing at %s", s, name)
			}
		})
	}
}

// DynamoDB refuses the activity for good (a role without PutItem): the scaling happened,
// so its cooldown is started and the lease given back, and the execution ends red. The
// next minute, with the alarm still in ALARM, the cooldown holds the service back.
func TestActivityRefusedKeepsTheCooldown(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const svc = "faults-activity"
	createService(t, svc, ecsemu.ServiceSpec{DesiredCount: 1})
	f := writeOf(svc, "PutItem", `"ACTIVITY#`)
	f.Error, f.Times = dynamofault.AccessDenied, always
	withdraw := st.DynamoFaults.Inject(f)
	name, status := fire(t, svc+"-high", svc)
	withdraw()
	if status != sfntypes.ExecutionStatusFailed || aws.ToString(describe(t, name).Error) != "RecordingFailed" {
		t.Fatalf("execution %s: %s (%s), want FAILED with RecordingFailed", name, status, aws.ToString(describe(t, name).Error))
	}
	if d := desired(t, svc); d != 2 {
		t.Fatalf("desired %d, want 2: the scaling took place", d)
	}
	s := state(t, svc)
	if s.LeaseOwner != "" || s.LastScaleOutAt == nil {
		t.Fatalf("state = %+v, want the lease released and the cooldown started", s)
	}
	next := evaluate(t, svc)
	if len(next) != 1 {
		t.Fatalf("the next evaluation started %v, want one execution", next)
	}
	wantActivity(t, recorded(t, svc, next[0]), activity.StatusNotScaled, 2, 2, scaling.CooldownActive)
	if d := desired(t, svc); d != 2 {
		t.Errorf("desired %d after the next minute, want 2: the cooldown holds", d)
	}
}

// DynamoDB refuses the release for good: the record is complete, and the lease stays
// until it expires, which acquire sizes as the service's longest stabilization timeout
// plus acquire.LeaseMargin after it was taken; meanwhile the service is reported as
// busy, not scaled twice.
func TestReleaseRefusedLeaseExpires(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const svc = "faults-release"
	createService(t, svc, ecsemu.ServiceSpec{DesiredCount: 1})
	f := writeOf(svc, "UpdateItem", "REMOVE leaseOwner")
	f.Times = always
	withdraw := st.DynamoFaults.Inject(f)
	taken := time.Now()
	name, status := fire(t, svc+"-high", svc)
	withdraw()
	if status != sfntypes.ExecutionStatusFailed || aws.ToString(describe(t, name).Error) != "RecordingFailed" {
		t.Fatalf("execution %s: %s (%s), want FAILED with RecordingFailed", name, status, aws.ToString(describe(t, name).Error))
	}
	wantActivity(t, recorded(t, svc, name), activity.StatusSuccessful, 1, 2, "")
	s := state(t, svc)
	limit := taken.Add(30*time.Second + acquire.LeaseMargin) // stabilizationTimeoutSeconds 30
	if s.LeaseOwner != name || s.LastScaleOutAt == nil || time.Unix(s.LeaseExpiresAt, 0).After(limit) {
		t.Errorf("state = %+v, want %s's lease, expiring by %s, and the cooldown started", s, name, limit.Format(time.RFC3339))
	}
	next := evaluate(t, svc)
	if len(next) != 1 {
		t.Fatalf("the next evaluation started %v, want one execution", next)
	}
	// Turned away at the lease, before reading the service.
	wantActivity(t, recorded(t, svc, next[0]), activity.StatusNotScaled, 0, 0, scaling.ScalingInProgress)
}
