package record_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/record"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/awstest"
)

// The step runs with the real DynamoDB client against kumo's DynamoDB, in process.

const recordConfig = `{
  "services": [{
    "cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 5, "alarms": [
      {"alarmName": "web-high", "direction": "out", "adjustment": 1},
      {"alarmName": "web-low", "direction": "in", "adjustment": 1}]
  }]
}`

var web = scaling.ServiceRef{Cluster: "prod", Service: "web"}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// retention is how long activities are kept: Application Auto Scaling keeps six weeks.
const retention = 42 * 24 * time.Hour

// recorder is the store's DynamoDB client, passing every call to the real client and
// noting which operations were called. A fault, when set, refuses the calls it matches,
// before or after they take effect (a write that committed but whose answer was lost).
type recorder struct {
	next store.DynamoDB

	mu    sync.Mutex
	ops   []string
	fault *fault
}

// fault refuses the calls whose name (as calls reports it) is op.
type fault struct {
	op          string
	afterCommit bool // the write takes effect, the caller sees the error
	err         error
}

// note records the call and returns the fault that applies to it, if any.
func (r *recorder) note(op string) *fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
	if r.fault != nil && r.fault.op == op {
		return r.fault
	}
	return nil
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ops)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops, r.fault = nil, nil
}

func (r *recorder) inject(f fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = &f
}

// call applies f to a call of the real client.
func call[T any](f *fault, next func() (T, error)) (T, error) {
	var zero T
	if f == nil {
		return next()
	}
	if f.afterCommit {
		if _, err := next(); err != nil {
			return zero, err
		}
	}
	return zero, f.err
}

// updateKind names an UpdateItem by what it writes, so tests can tell the store's
// updates of the state item apart.
func updateKind(in *dynamodb.UpdateItemInput) string {
	expr := aws.ToString(in.UpdateExpression)
	switch {
	case strings.Contains(expr, "REMOVE leaseOwner"):
		return "UpdateItem(release)"
	case strings.Contains(expr, "lastActivityId"):
		return "UpdateItem(mark)"
	case strings.Contains(expr, "lastScale"):
		return "UpdateItem(cooldown)"
	}
	return "UpdateItem"
}

func (r *recorder) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return call(r.note("GetItem"), func() (*dynamodb.GetItemOutput, error) { return r.next.GetItem(ctx, in, o...) })
}

func (r *recorder) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return call(r.note("PutItem"), func() (*dynamodb.PutItemOutput, error) { return r.next.PutItem(ctx, in, o...) })
}

func (r *recorder) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return call(r.note(updateKind(in)), func() (*dynamodb.UpdateItemOutput, error) { return r.next.UpdateItem(ctx, in, o...) })
}

func (r *recorder) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return call(r.note("Query"), func() (*dynamodb.QueryOutput, error) { return r.next.Query(ctx, in, o...) })
}

func TestMain(m *testing.M) { awstest.Main(m) }

type env struct {
	db    *dynamodb.Client
	table string
	rec   *recorder
	store *store.Store // through the recorder: what the handler uses
	check *store.Store // straight to DynamoDB: what the test reads with
	now   time.Time
	h     *record.Handler
	emf   *lines // what the handler writes as metrics
}

// deployment is the name the handler's metrics carry.
const deployment = "stepscaler-test"

// lines collects what a writer is given, safe for concurrent use.
type lines struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// take returns the lines written since the last take.
func (l *lines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.buf.String()
	l.buf.Reset()
	if s == "" {
		return nil
	}
	return strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
}

func start(t *testing.T) *env {
	t.Helper()
	return startWith(t, recordConfig)
}

// startWith is start with the deployed configuration cfgJSON.
func startWith(t *testing.T, cfgJSON string) *env {
	t.Helper()
	db, table := awstest.DynamoDB(t)
	cfg, err := config.Parse("record.json", []byte(cfgJSON))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	rec := &recorder{next: db}
	e := &env{db: db, table: table, rec: rec, store: store.New(rec, table), check: store.New(db, table), now: t0.Add(time.Minute), emf: &lines{}}
	emf, err := metrics.NewEmitter(e.emf, deployment)
	if err != nil {
		t.Fatalf("NewEmitter: %v", err)
	}
	e.h = record.New(e.store, cfg, retention, func() time.Time { return e.now }, slog.New(slog.NewTextHandler(io.Discard, nil)), emf)
	return e
}

func execution(name string) workflow.Execution {
	return workflow.Execution{Name: name, ID: "arn:aws:states:us-east-1:123456789012:execution:Scale:" + name, StartTime: t0}
}

func (e *env) acquire(t *testing.T, owner string) activity.Lease {
	t.Helper()
	l, err := e.check.AcquireLease(t.Context(), web, owner, t0, time.Hour)
	if err != nil {
		t.Fatalf("AcquireLease %s: %v", owner, err)
	}
	return l
}

func (e *env) state(t *testing.T) activity.State {
	t.Helper()
	st, err := e.check.State(t.Context(), web)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

func (e *env) activities(t *testing.T) []activity.Activity {
	t.Helper()
	acts, err := e.check.List(t.Context(), web, 0)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return acts
}

func input() workflow.Input {
	return workflow.Input{Service: web, Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: t0}}
}

func snapshot(desired int) *service.Snapshot {
	return &service.Snapshot{Name: "web", Status: service.StatusActive, DesiredCount: desired, RunningCount: desired}
}

// A scaling that took effect: web from 2 to 3 tasks, stable 10 s after the update.
func scaled(lease activity.Lease) workflow.State {
	since := t0.Add(10 * time.Second)
	return workflow.State{
		Input:  input(),
		Lease:  &lease,
		Alarms: &workflow.Alarms{ReadAt: t0, Alarms: []scaling.AlarmReading{{Name: "web-high", State: scaling.StateAlarm}}},
		Before: snapshot(2),
		Plan: &scaling.Decision{AlarmName: "web-high", Scale: true, Direction: scaling.Out, From: 2, To: 3, Base: 2,
			Description: "Setting desired count to 3."},
		Watch: &stability.Watch{DesiredCount: 3, Since: since, Deadline: since.Add(10 * time.Minute), PollSeconds: 15,
			Verdict: stability.Verdict{Status: stability.Stable, Cause: stability.CauseSteadyState, Reason: "3 of 3 tasks running"},
			Last:    stability.Counts{Desired: 3, Running: 3}, Checks: 2},
	}
}

// Record starts the cooldown, writes the activity, marks it recorded, then gives the
// lease back.
func TestRecordScaling(t *testing.T) {
	t.Parallel()
	e := start(t)
	st := scaled(e.acquire(t, "exec-a"))
	e.rec.reset()

	out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-a"), State: st})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if out.ActivityID != "exec-a" || out.StatusCode != activity.StatusSuccessful || out.Failed || out.Error != "" || out.Repeated {
		t.Errorf("outcome = %+v, want exec-a Successful", out)
	}

	want := []string{"UpdateItem(cooldown)", "PutItem", "UpdateItem(mark)", "UpdateItem(release)"}
	if got := e.rec.calls(); !slices.Equal(got, want) {
		t.Errorf("DynamoDB calls = %v, want %v", got, want)
	}

	acts := e.activities(t)
	if len(acts) != 1 {
		t.Fatalf("activities = %+v, want one", acts)
	}
	a := acts[0]
	// Application Auto Scaling's names for an ECS service's desired count.
	if a.ActivityID != "exec-a" || a.ServiceNamespace != "ecs" || a.ResourceID != "service/prod/web" ||
		a.ScalableDimension != "ecs:service:DesiredCount" || a.StatusCode != activity.StatusSuccessful ||
		a.FromCount != 2 || a.ToCount != 3 || a.AlarmName != "web-high" || a.Trigger != workflow.SourceSchedule ||
		a.ExecutionARN != execution("exec-a").ID || !a.StartTime.Equal(t0) || !a.EndTime.Equal(e.now) {
		t.Errorf("activity = %+v, want exec-a's scaling of service/prod/web from 2 to 3, %s to %s", a, t0, e.now)
	}

	s := e.state(t)
	since := st.Watch.Since
	if s.LeaseOwner != "" || s.LeaseExpiresAt != 0 {
		t.Errorf("lease = %q until %d, want released", s.LeaseOwner, s.LeaseExpiresAt)
	}
	// The cooldown counts from the update, and a scale-out remembers the capacity it
	// was counted from.
	if s.LastScaleOutAt == nil || !s.LastScaleOutAt.Equal(since) || s.LastScaleOutFrom == nil || *s.LastScaleOutFrom != 2 ||
		s.LastScaleInAt != nil || s.LastActivityID != "exec-a" || s.LastNotScaled != nil {
		t.Errorf("state = %+v, want a scale-out at %s from 2, last activity exec-a", s, since)
	}

	// The activity expires (TTL) a retention period after its end.
	scan, err := e.db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(e.table)})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var stored []map[string]types.AttributeValue
	for _, item := range scan.Items {
		if id, ok := item["activityId"].(*types.AttributeValueMemberS); ok && id.Value == "exec-a" {
			stored = append(stored, item)
		}
	}
	if len(stored) != 1 {
		t.Fatalf("activity items of exec-a = %d, want 1", len(stored))
	}
	ttl, ok := stored[0][store.AttrTTL].(*types.AttributeValueMemberN)
	if want := strconv.FormatInt(e.now.Add(retention).Unix(), 10); !ok || ttl.Value != want {
		t.Errorf("%s = %v, want %s (end + 42 days)", store.AttrTTL, stored[0][store.AttrTTL], want)
	}
}

// Recording again (a retried step) writes nothing new.
func TestRecordIsIdempotent(t *testing.T) {
	t.Parallel()
	e := start(t)
	st := scaled(e.acquire(t, "exec-a"))
	req := workflow.RecordRequest{Execution: execution("exec-a"), State: st}
	for i := range 2 {
		if _, err := e.h.Record(t.Context(), req); err != nil {
			t.Fatalf("Record %d: %v", i+1, err)
		}
	}
	if acts := e.activities(t); len(acts) != 1 {
		t.Errorf("activities = %d after a retried record, want 1", len(acts))
	}
}

// The release is conditional on DynamoDB's owner: an execution that did not get the
// lease records its outcome and leaves the holder's lease alone.
func TestRecordReleasesOnlyItsOwnLease(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.acquire(t, "exec-a")
	refused, err := e.check.AcquireLease(t.Context(), web, "exec-b", t0, time.Hour)
	if err != nil || refused.Acquired {
		t.Fatalf("exec-b's acquire = %+v, %v; want refused", refused, err)
	}
	st := workflow.State{Input: input(), Lease: &refused}

	out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-b"), State: st})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if out.StatusCode != activity.StatusNotScaled || out.Failed {
		t.Errorf("outcome = %+v, want NotScaled (another scaling in progress)", out)
	}
	if s := e.state(t); s.LeaseOwner != "exec-a" {
		t.Errorf("lease owner = %q after exec-b's record, want exec-a", s.LeaseOwner)
	}
	acts := e.activities(t)
	if len(acts) != 1 || acts[0].ActivityID != "exec-b" || len(acts[0].NotScaledReasons) != 1 ||
		acts[0].NotScaledReasons[0].Code != scaling.ScalingInProgress {
		t.Errorf("activities = %+v, want exec-b's, not scaled for ScalingInProgress", acts)
	}
}

// atMax is a decision held back at the maximum: web-high in ALARM, web already at count.
func atMax(count int, code string) *scaling.Decision {
	return &scaling.Decision{AlarmName: "web-high", From: count, To: count, Base: count,
		Description:      "Not scaled: web-high's policy cannot add tasks.",
		NotScaledReasons: []scaling.NotScaledReason{{Code: code, Alarm: "web-high", Message: "held back"}}}
}

// While an alarm stays in ALARM at a bound, every minute takes the same not-scaled
// decision: the activity log keeps the first, and the others say which they repeat.
func TestRecordRepeatedNotScaled(t *testing.T) {
	t.Parallel()
	e := start(t)
	run := func(name string, plan *scaling.Decision) workflow.Outcome {
		t.Helper()
		lease := e.acquire(t, name)
		e.rec.reset()
		st := workflow.State{Input: input(), Lease: &lease, Before: snapshot(plan.From), Plan: plan}
		out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution(name), State: st})
		if err != nil {
			t.Fatalf("Record %s: %v", name, err)
		}
		if s := e.state(t); s.LeaseOwner != "" {
			t.Errorf("%s: lease held by %q after the record, want released", name, s.LeaseOwner)
		}
		return out
	}

	first := run("exec-1", atMax(5, scaling.AlreadyAtMaxCapacity))
	if first.StatusCode != activity.StatusNotScaled || first.Repeated {
		t.Errorf("first = %+v, want NotScaled, recorded", first)
	}
	if m := e.state(t).LastNotScaled; m == nil || m.ActivityID != "exec-1" {
		t.Errorf("state's last not-scaled mark = %+v, want exec-1's", m)
	}

	second := run("exec-2", atMax(5, scaling.AlreadyAtMaxCapacity))
	if !second.Repeated || second.RepeatOf != "exec-1" || second.ActivityID != "exec-2" || second.StatusCode != activity.StatusNotScaled {
		t.Errorf("second = %+v, want a repeat of exec-1", second)
	}
	if calls := e.rec.calls(); slices.Contains(calls, "PutItem") || slices.Contains(calls, "UpdateItem(mark)") {
		t.Errorf("the repeat wrote a record: calls %v", e.rec.calls())
	}
	if acts := e.activities(t); len(acts) != 1 {
		t.Errorf("activities = %d after a repeat, want 1", len(acts))
	}

	// Another reason, or another count, is another decision: recorded.
	third := run("exec-3", atMax(5, scaling.CooldownActive))
	fourth := run("exec-4", atMax(4, scaling.CooldownActive))
	if third.Repeated || fourth.Repeated {
		t.Errorf("third = %+v, fourth = %+v; want both recorded", third, fourth)
	}
	var ids []string
	for _, a := range e.activities(t) {
		ids = append(ids, a.ActivityID)
	}
	slices.Sort(ids)
	if want := []string{"exec-1", "exec-3", "exec-4"}; !slices.Equal(ids, want) {
		t.Errorf("activities = %v, want %v", ids, want)
	}
}

// A Catch hands the record step the failure at $.error. The lease is released even
// when $.lease was never set (the acquisition took the lease but its answer was lost).
func TestRecordFailure(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.acquire(t, "exec-f")
	st := workflow.State{Input: input(), Error: &workflow.StepError{
		Error: "TransientError",
		Cause: `{"errorMessage":"acquire the lease of prod/web: connection reset by peer","errorType":"TransientError"}`,
	}}

	out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-f"), State: st})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if out.StatusCode != activity.StatusFailed || !out.Failed || out.Error != "TransientError" {
		t.Errorf("outcome = %+v, want Failed with error TransientError", out)
	}
	if s := e.state(t); s.LeaseOwner != "" {
		t.Errorf("lease held by %q, want released", s.LeaseOwner)
	}
	acts := e.activities(t)
	if len(acts) != 1 {
		t.Fatalf("activities = %+v, want one", acts)
	}
	a := acts[0]
	// The status message says what failed in words, not as the Lambda error document.
	if a.StatusCode != activity.StatusFailed || !strings.Contains(a.StatusMessage, "TransientError") ||
		!strings.Contains(a.StatusMessage, "connection reset by peer") || strings.Contains(a.StatusMessage, "errorType") {
		t.Errorf("activity = %+v, want Failed naming the error and its message", a)
	}
	if s := e.state(t); s.LastScaleOutAt != nil || s.LastScaleInAt != nil {
		t.Errorf("state = %+v, want no cooldown: the desired count never changed", s)
	}
}

// A failure after the update still starts the cooldown: the desired count changed.
func TestRecordFailureAfterTheUpdate(t *testing.T) {
	t.Parallel()
	e := start(t)
	st := scaled(e.acquire(t, "exec-a"))
	st.Watch.Verdict = stability.Verdict{Status: stability.InProgress}
	st.Error = &workflow.StepError{Error: "ServiceNotFoundError", Cause: `{"errorMessage":"ECS service prod/web not found","errorType":"ServiceNotFoundError"}`}

	out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-a"), State: st})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if !out.Failed || out.Error != "ServiceNotFoundError" {
		t.Errorf("outcome = %+v, want failed with ServiceNotFoundError", out)
	}
	s := e.state(t)
	if s.LeaseOwner != "" || s.LastScaleOutAt == nil || !s.LastScaleOutAt.Equal(st.Watch.Since) {
		t.Errorf("state = %+v, want released with the scale-out cooldown from %s", s, st.Watch.Since)
	}
}

// An execution for a service the configuration does not list is reported, and nothing
// is written: the table keeps the configured services' records only.
func TestRecordUnconfiguredService(t *testing.T) {
	t.Parallel()
	e := start(t)
	api := scaling.ServiceRef{Cluster: "prod", Service: "api"}
	st := workflow.State{Input: workflow.Input{Service: api, Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: t0}},
		Error: &workflow.StepError{Error: "ServiceNotConfiguredError", Cause: `{"errorMessage":"service prod/api is not in the deployed scaling configuration","errorType":"ServiceNotConfiguredError"}`}}

	out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-x"), State: st})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if out.ActivityID != "exec-x" || !out.Failed || out.Error != "ServiceNotConfiguredError" {
		t.Errorf("outcome = %+v, want exec-x failed with ServiceNotConfiguredError", out)
	}
	if calls := e.rec.calls(); len(calls) != 0 {
		t.Errorf("DynamoDB calls = %v, want none", calls)
	}
	if acts, err := e.check.List(t.Context(), api, 0); err != nil || len(acts) != 0 {
		t.Errorf("activities of prod/api = %+v, %v; want none", acts, err)
	}
}

func TestRecordRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := start(t)
	_, err := e.h.Record(t.Context(), workflow.RecordRequest{State: workflow.State{Input: input()}})
	var invalid *steps.InvalidInputError
	if !errors.As(err, &invalid) {
		t.Errorf("no execution name: %T %v, want InvalidInputError", err, err)
	}
	if calls := e.rec.calls(); len(calls) != 0 {
		t.Errorf("DynamoDB calls = %v, want none", calls)
	}
}

// Whichever of the record's writes DynamoDB refuses, or commits but answers too late,
// the first attempt leaves the cooldown started and the lease released unless the
// cooldown itself was refused (then the lease is kept, to expire in its stead), and the
// state machine's retry completes the record without writing anything twice.
func TestRecordSurvivesEveryFailedWrite(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "injected", Fault: smithy.FaultClient}
	for _, op := range []string{"UpdateItem(cooldown)", "PutItem", "UpdateItem(mark)", "UpdateItem(release)"} {
		for _, afterCommit := range []bool{false, true} {
			name := op + "/refused"
			if afterCommit {
				name = op + "/committed-answer-lost"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := start(t)
				st := scaled(e.acquire(t, "exec-a"))
				req := workflow.RecordRequest{Execution: execution("exec-a"), State: st}
				e.rec.inject(fault{op: op, afterCommit: afterCommit, err: throttled})

				_, err := e.h.Record(t.Context(), req)
				var transient *steps.TransientError
				if !errors.As(err, &transient) {
					t.Fatalf("Record = %T %v, want a TransientError for the state machine to retry", err, err)
				}
				applied := func(o string) bool { return afterCommit || op != o }
				s := e.state(t)
				if cooled := s.LastScaleOutAt != nil; cooled != applied("UpdateItem(cooldown)") {
					t.Errorf("cooldown started = %v, want %v", cooled, applied("UpdateItem(cooldown)"))
				}
				if n := len(e.activities(t)); n != btoi(applied("PutItem")) {
					t.Errorf("activities = %d, want %d", n, btoi(applied("PutItem")))
				}
				// The lease is given back only once the cooldown's write has answered.
				released := op != "UpdateItem(cooldown)" && applied("UpdateItem(release)")
				if (s.LeaseOwner == "") != released {
					t.Errorf("lease owner = %q, want released: %v", s.LeaseOwner, released)
				}

				e.rec.reset() // the retry, with DynamoDB healthy again
				out, err := e.h.Record(t.Context(), req)
				if err != nil || out.StatusCode != activity.StatusSuccessful {
					t.Fatalf("retried Record = %+v, %v; want Successful", out, err)
				}
				s = e.state(t)
				if s.LeaseOwner != "" || s.LastScaleOutAt == nil || !s.LastScaleOutAt.Equal(st.Watch.Since) || s.LastActivityID != "exec-a" {
					t.Errorf("state after the retry = %+v, want released, cooled down from %s, pointing at exec-a", s, st.Watch.Since)
				}
				if acts := e.activities(t); len(acts) != 1 || acts[0].ActivityID != "exec-a" {
					t.Errorf("activities after the retry = %+v, want exec-a's once", acts)
				}
			})
		}
	}
}

// A write refused for good (here an access denial, as a role missing PutItem gets) is
// not retried, and it costs only what it has to: the scaling still starts its cooldown
// and gives the lease back.
func TestRecordActivityDenied(t *testing.T) {
	t.Parallel()
	e := start(t)
	st := scaled(e.acquire(t, "exec-a"))
	e.rec.inject(fault{op: "PutItem", err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: dynamodb:PutItem"}})

	_, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-a"), State: st})
	var denied *steps.AWSCallError
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "dynamodb:PutItem") {
		t.Fatalf("Record = %T %v, want an AWSCallError naming the denial", err, err)
	}
	s := e.state(t)
	if s.LeaseOwner != "" || s.LastScaleOutAt == nil || s.LastNotScaled != nil || s.LastActivityID != "" {
		t.Errorf("state = %+v, want released and cooled down, with no pointer to the missing activity", s)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
