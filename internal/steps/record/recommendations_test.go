package record_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// windowConfig gives web a proportional pair, the scale-in held for 300 s at the
// highest recommendation, as the balanced preset resolves to.
const windowConfig = `{
  "services": [{
    "cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 10, "alarms": [
      {"alarmName": "web-high", "direction": "out", "adjustmentType": "TargetRatio", "targetValue": 70},
      {"alarmName": "web-low", "direction": "in", "adjustmentType": "TargetRatio", "targetValue": 70,
       "scaleInStabilizationWindowSeconds": 300}]
  }]
}`

// heldScaleIn is a minute's decision while web-low is in ALARM at 8 tasks: held by the
// window, with the proportional rule's own recommendation.
func heldScaleIn(at time.Time, tasks int) *scaling.Decision {
	return &scaling.Decision{AlarmName: "web-low", Direction: scaling.In, From: 8, To: 8, Base: 8,
		Description: "Not scaled: held by the stabilization window.",
		NotScaledReasons: []scaling.NotScaledReason{{Code: scaling.ScaleInStabilized, Alarm: "web-low",
			Message: "the highest recommendation of the last 300s asks for 8 tasks"}},
		Recommendation: &scaling.Recommendation{At: at, Tasks: tasks}}
}

// Each execution's record step keeps the recommendations of the 300 s window of its own
// recommendation: those the state item held when the execution took the lease that are
// less than 300 s older than it, then it. Five executions, one a run:
//
//	plan at   recommends   kept after its record (cutoff = plan time − 300 s)
//	10:04:00  8            8@10:04:00
//	10:05:00  7            8@10:04:00 7@10:05:00
//	10:05:01  6            8@10:04:00 7@10:05:00 6@10:05:01
//	10:08:30  4            (cutoff 10:03:30) all four
//	10:10:00  3            (cutoff 10:05:00) 8@10:04:00 is 360 s old: dropped; 7@10:05:00
//	                       is exactly 300 s old: dropped (the HPA keeps only those after
//	                       the cutoff); 6@10:05:01 (299 s) and 4@10:08:30 (90 s) kept; 3
//
// The decisions are the same not-scaled one each minute, so only the first is written as
// an activity: the recommendations are kept all the same.
func TestRecordKeepsTheWindowsRecommendations(t *testing.T) {
	t.Parallel()
	e := startWith(t, windowConfig)
	clock := func(hhmmss string) time.Time {
		at, err := time.Parse(time.DateTime, "2026-11-27 "+hhmmss)
		if err != nil {
			t.Fatalf("parse %s: %v", hhmmss, err)
		}
		return at
	}
	type rec struct {
		at    string
		tasks int
	}
	runs := []struct {
		name string
		rec  rec
		want []rec
	}{
		{"exec-1", rec{"10:04:00", 8}, []rec{{"10:04:00", 8}}},
		{"exec-2", rec{"10:05:00", 7}, []rec{{"10:04:00", 8}, {"10:05:00", 7}}},
		{"exec-3", rec{"10:05:01", 6}, []rec{{"10:04:00", 8}, {"10:05:00", 7}, {"10:05:01", 6}}},
		{"exec-4", rec{"10:08:30", 4}, []rec{{"10:04:00", 8}, {"10:05:00", 7}, {"10:05:01", 6}, {"10:08:30", 4}}},
		{"exec-5", rec{"10:10:00", 3}, []rec{{"10:05:01", 6}, {"10:08:30", 4}, {"10:10:00", 3}}},
	}
	for i, r := range runs {
		at := clock(r.rec.at)
		e.now = at.Add(20 * time.Second) // the record step runs after the plan
		lease, err := e.check.AcquireLease(t.Context(), web, r.name, at, time.Hour)
		if err != nil || !lease.Acquired {
			t.Fatalf("%s: AcquireLease = %+v, %v; want the lease", r.name, lease, err)
		}
		st := workflow.State{Input: input(), Lease: &lease, Before: snapshot(8), Plan: heldScaleIn(at, r.rec.tasks)}
		out, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution(r.name), State: st})
		if err != nil {
			t.Fatalf("%s: Record: %v", r.name, err)
		}
		if out.StatusCode != activity.StatusNotScaled || out.Repeated != (i > 0) {
			t.Errorf("%s: outcome %+v, want NotScaled, a repeat of exec-1 after the first", r.name, out)
		}
		s := e.state(t)
		got := make([]rec, len(s.Recommendations))
		for j, k := range s.Recommendations {
			got[j] = rec{k.At.UTC().Format(time.TimeOnly), k.Tasks}
		}
		if !slices.Equal(got, r.want) {
			t.Errorf("after %s (recommends %d at %s): kept %v, want %v", r.name, r.rec.tasks, r.rec.at, got, r.want)
		}
		if s.LeaseOwner != "" {
			t.Errorf("after %s: lease held by %q, want released", r.name, s.LeaseOwner)
		}
	}
	// The next plan holds a scale-in at the highest of what was kept: 6 tasks, the
	// recommendation of 10:05:01, until it leaves the window at 10:10:01.
	kept := e.state(t).History().Recommendations
	if high := slices.MaxFunc(kept, func(a, b scaling.Recommendation) int { return a.Tasks - b.Tasks }); high.Tasks != 6 {
		t.Errorf("highest kept %+v, want 6 tasks", high)
	}
}

// Without a stabilization window (web's simple policies in recordConfig) the record
// step keeps no recommendation, even when the plan made one.
func TestRecordKeepsNoRecommendationWithoutAWindow(t *testing.T) {
	t.Parallel()
	e := start(t)
	lease := e.acquire(t, "exec-a")
	plan := atMax(5, scaling.AlreadyAtMaxCapacity)
	plan.Recommendation = &scaling.Recommendation{At: t0, Tasks: 7}
	st := workflow.State{Input: input(), Lease: &lease, Before: snapshot(5), Plan: plan}
	if _, err := e.h.Record(t.Context(), workflow.RecordRequest{Execution: execution("exec-a"), State: st}); err != nil {
		t.Fatalf("Record: %v", err)
	}
	if recs := e.state(t).Recommendations; len(recs) != 0 {
		t.Errorf("recommendations kept %+v, want none: no policy of web has a window", recs)
	}
}
