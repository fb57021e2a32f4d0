package record_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// The record step publishes each outcome it records as embedded-metric-format lines on
// its standard output (here the env's emf writer). The expected documents are written out
// by hand from the metric design in internal/metrics.

// recordedAtMillis is e.now, t0 + 1 min = 2026-11-27T10:01:00Z, in milliseconds since the
// epoch: 2026-01-01 is 56×365 + 14 leap days = 20454 days after 1970-01-01, 27 November
// is day 304 + 26 = 330 of 2026, so 20784 days × 86400 s + 10:01:00 (36060 s) =
// 1795773660 s.
const recordedAtMillis = 1795773660000

// wantLines compares the lines written with the expected documents, as JSON values.
func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d metric lines, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		var g, w any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, got[i])
		}
		if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
			t.Fatalf("expected document %d is not JSON: %v", i, err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
		if _, ok, err := metrics.Extract([]byte(got[i])); !ok || err != nil {
			t.Errorf("line %d is not a valid EMF document: ok %v, %v", i, ok, err)
		}
	}
}

// A scale-out of prod/web from 2 to 3: web-high went into ALARM at 09:59:10, the update
// returned at 10:00:10 (60 s later), and the record at 10:01:00 follows the check that
// found the service stable (110 s after the transition).
func TestRecordPublishesTheScaling(t *testing.T) {
	t.Parallel()
	e := start(t)
	if e.now.UnixMilli() != recordedAtMillis {
		t.Fatalf("the record's clock is %s, not 10:01:00 on 27 November 2026", e.now)
	}
	st := scaled(e.acquire(t, "exec-a"))
	st.Alarms.Transitioned = map[string]time.Time{"web-high": t0.Add(-50 * time.Second)}
	if _, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-a"), State: st}); err != nil {
		t.Fatalf("Record: %v", err)
	}
	wantLines(t, e.emf.take(), `{
	  "_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "Status", "Direction"], ["Deployment", "ClusterName", "ServiceName", "Status"]],
	     "Metrics": [{"Name": "Activities", "Unit": "Count"}]},
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "ClusterName", "ServiceName"]],
	     "Metrics": [{"Name": "DesiredCount", "Unit": "Count"}]},
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "ClusterName", "ServiceName"], ["Deployment", "Direction"]],
	     "Metrics": [{"Name": "TimeToUpdate", "Unit": "Seconds"}, {"Name": "TimeToStable", "Unit": "Seconds"}]}]},
	  "Deployment": "stepscaler-test", "ClusterName": "prod", "ServiceName": "web", "Status": "Successful", "Direction": "out",
	  "activityId": "exec-a", "Activities": 1, "DesiredCount": 3, "TimeToUpdate": 60, "TimeToStable": 110}`)
}

// Every not-scaled decision counts, the ones the activity log keeps once included: the
// per-minute evaluation takes it again every minute the alarm stays in ALARM at a bound.
// Without a notification or a reading that says when web-high went into ALARM, no timing.
func TestRecordPublishesEveryRepeat(t *testing.T) {
	t.Parallel()
	e := start(t)
	const wantMain = `{
	  "_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "Status", "Direction"], ["Deployment", "ClusterName", "ServiceName", "Status"]],
	     "Metrics": [{"Name": "Activities", "Unit": "Count"}]},
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "ClusterName", "ServiceName"]],
	     "Metrics": [{"Name": "DesiredCount", "Unit": "Count"}]}]},
	  "Deployment": "stepscaler-test", "ClusterName": "prod", "ServiceName": "web", "Status": "NotScaled", "Direction": "out",
	  "activityId": "%s", "Activities": 1, "DesiredCount": 5}`
	const wantReason = `{
	  "_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "Reason"]], "Metrics": [{"Name": "NotScaled", "Unit": "Count"}]}]},
	  "Deployment": "stepscaler-test", "Reason": "AlreadyAtMaxCapacity", "ClusterName": "prod", "ServiceName": "web",
	  "activityId": "%s", "NotScaled": 1}`
	for i, name := range []string{"exec-1", "exec-2"} {
		lease := e.acquire(t, name)
		plan := atMax(5, scaling.AlreadyAtMaxCapacity)
		plan.Direction = scaling.Out
		st := workflow.State{Input: input(), Lease: &lease, Before: snapshot(5), Plan: plan}
		out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution(name), State: st})
		if err != nil {
			t.Fatalf("Record %s: %v", name, err)
		}
		if out.Repeated != (i == 1) {
			t.Fatalf("%s: repeated = %v, want %v", name, out.Repeated, i == 1)
		}
		wantLines(t, e.emf.take(), fmt.Sprintf(wantMain, name), fmt.Sprintf(wantReason, name))
	}
}

// A failure before the lease was read: no direction, no desired count, no timing.
func TestRecordPublishesTheFailure(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.acquire(t, "exec-f")
	st := workflow.State{Input: input(), Error: &workflow.StepError{Error: "TransientError", Cause: "throttled"}}
	if _, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-f"), State: st}); err != nil {
		t.Fatalf("Record: %v", err)
	}
	wantLines(t, e.emf.take(), `{
	  "_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [
	    {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "Status", "Direction"], ["Deployment", "ClusterName", "ServiceName", "Status"]],
	     "Metrics": [{"Name": "Activities", "Unit": "Count"}]}]},
	  "Deployment": "stepscaler-test", "ClusterName": "prod", "ServiceName": "web", "Status": "Failed", "Direction": "none",
	  "activityId": "exec-f", "Activities": 1}`)
}

// A record that failed publishes nothing; the state machine's retry that completes it
// publishes once. A service outside the configuration publishes nothing at all.
func TestRecordPublishesOnlyWhatItRecorded(t *testing.T) {
	t.Parallel()
	e := start(t)
	st := scaled(e.acquire(t, "exec-a"))
	req := workflow.RecordRequest{Execution: execution("exec-a"), State: st}
	e.rec.inject(fault{op: "PutItem", err: &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Fault: smithy.FaultClient}})
	_, err := e.h.Record(t.Context(), req)
	var transient *steps.TransientError
	if !errors.As(err, &transient) {
		t.Fatalf("Record = %v, want a TransientError", err)
	}
	if got := e.emf.take(); len(got) != 0 {
		t.Errorf("a failed record published %v", got)
	}
	e.rec.reset()
	if _, err := e.h.Record(t.Context(), req); err != nil {
		t.Fatalf("retried Record: %v", err)
	}
	if got := e.emf.take(); len(got) != 1 {
		t.Errorf("the retry published %d lines, want the scaling's one: %v", len(got), got)
	}

	api := scaling.ServiceRef{Cluster: "prod", Service: "api"}
	other := workflow.State{Input: workflow.Input{Service: api, Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: t0}},
		Error: &workflow.StepError{Error: "ServiceNotConfiguredError", Cause: "not configured"}}
	if _, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-x"), State: other}); err != nil {
		t.Fatalf("Record of prod/api: %v", err)
	}
	if got := e.emf.take(); len(got) != 0 {
		t.Errorf("an unconfigured service published %v", got)
	}
}
