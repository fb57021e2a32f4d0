package store

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// newStore runs the store against kumo's DynamoDB, in process, over real HTTP. kumo keeps
// its tables process-wide, so each test gets a table of its own.
func newStore(t *testing.T) *Store {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	db := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	table := "stepscaler-" + t.Name()
	if err := CreateTable(context.Background(), db, table); err != nil {
		t.Fatal(err)
	}
	return New(db, table)
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	web := scaling.ServiceRef{Cluster: "demo", Service: "web"}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

	a, err := s.AcquireLease(ctx, web, "exec-a", now, time.Minute)
	if err != nil || !a.Acquired {
		t.Fatalf("first acquire = %+v, %v; want acquired", a, err)
	}
	again, err := s.AcquireLease(ctx, web, "exec-a", now, time.Minute)
	if err != nil || !again.Acquired {
		t.Fatalf("re-acquire by the owner = %+v, %v; want acquired", again, err)
	}
	b, err := s.AcquireLease(ctx, web, "exec-b", now.Add(30*time.Second), time.Minute)
	if err != nil || b.Acquired || b.Owner != "exec-a" {
		t.Fatalf("acquire while held = %+v, %v; want refused, held by exec-a", b, err)
	}
	other, err := s.AcquireLease(ctx, scaling.ServiceRef{Cluster: "demo", Service: "api"}, "exec-b", now, time.Minute)
	if err != nil || !other.Acquired {
		t.Fatalf("another service's lease = %+v, %v; want acquired", other, err)
	}
	expired, err := s.AcquireLease(ctx, web, "exec-c", now.Add(2*time.Minute), time.Minute)
	if err != nil || !expired.Acquired {
		t.Fatalf("acquire after expiry = %+v, %v; want acquired", expired, err)
	}
}

func TestRecordAndRelease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	web := scaling.ServiceRef{Cluster: "demo", Service: "web"}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if _, err := s.AcquireLease(ctx, web, "exec-a", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	scaled := now.Add(time.Second)
	out := Outcome{
		Activity:  activity.Activity{ActivityID: "exec-a", StartTime: now, EndTime: scaled, StatusCode: activity.StatusSuccessful},
		Retention: time.Hour,
		Scaled:    &Scaled{Direction: scaling.Out, At: scaled, From: 3},
	}
	for range 2 { // idempotent
		if err := s.Record(ctx, web, out); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, web, "exec-a"); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.State(ctx, web)
	if err != nil {
		t.Fatal(err)
	}
	if st.LeaseOwner != "" || st.LastScaleOutAt == nil || !st.LastScaleOutAt.Equal(scaled) || st.LastScaleInAt != nil ||
		st.LastScaleOutFrom == nil || *st.LastScaleOutFrom != 3 || st.LastActivityID != "exec-a" {
		t.Fatalf("state = %+v; want released, scaled out at %s from 3, last activity exec-a", st, scaled)
	}
	if acts, err := s.List(ctx, web, 0); err != nil || len(acts) != 1 {
		t.Fatalf("activities = %+v, %v; want the one, recorded once", acts, err)
	}
	b, err := s.AcquireLease(ctx, web, "exec-b", now.Add(2*time.Second), time.Minute)
	if err != nil || !b.Acquired || b.State.History().LastScaleOutAt == nil {
		t.Fatalf("acquire after release = %+v, %v; want acquired with history", b, err)
	}
	// exec-a releasing late must not release exec-b's lease.
	if err := s.Release(ctx, web, "exec-a"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, web); st.LeaseOwner != "exec-b" {
		t.Fatalf("lease owner = %q after a stale release, want exec-b", st.LeaseOwner)
	}
}

// TestRecordNotScaledMark: a not-scaled activity becomes the state's mark; a scale-in
// records its own cooldown; any other activity clears the mark.
func TestRecordNotScaledMark(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	web := scaling.ServiceRef{Cluster: "demo", Service: "web"}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	mark := &activity.NotScaledMark{Key: "high:AlreadyAtMaxCapacity:5", ActivityID: "exec-1"}
	if err := s.Record(ctx, web, Outcome{Activity: activity.Activity{ActivityID: "exec-1", StartTime: now, EndTime: now,
		StatusCode: activity.StatusNotScaled}, Retention: time.Hour, NotScaled: mark}); err != nil {
		t.Fatal(err)
	}
	if st, err := s.State(ctx, web); err != nil || st.LastNotScaled == nil || *st.LastNotScaled != *mark {
		t.Fatalf("state = %+v, %v; want the mark %+v", st, err, mark)
	}
	in := now.Add(time.Minute)
	if err := s.Record(ctx, web, Outcome{Activity: activity.Activity{ActivityID: "exec-2", StartTime: in, EndTime: in,
		StatusCode: activity.StatusSuccessful}, Retention: time.Hour, Scaled: &Scaled{Direction: scaling.In, At: in, From: 5}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.State(ctx, web)
	if err != nil || st.LastNotScaled != nil || st.LastScaleInAt == nil || !st.LastScaleInAt.Equal(in) || st.LastScaleOutAt != nil {
		t.Fatalf("state = %+v, %v; want the mark cleared and a scale-in at %s", st, err, in)
	}
}

func TestSuspendResume(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	web := scaling.ServiceRef{Cluster: "demo", Service: "web"}
	if err := s.SetSuspended(ctx, web, scaling.Out, true); err != nil {
		t.Fatal(err)
	}
	st, _ := s.State(ctx, web)
	if h := st.History(); !h.SuspendedOut || h.SuspendedIn {
		t.Fatalf("after suspending out: %+v", h)
	}
	if err := s.SetSuspended(ctx, web, scaling.Out, false); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, web); st.SuspendedOut {
		t.Fatalf("still suspended after resume: %+v", st)
	}
}

func TestActivities(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	web := scaling.ServiceRef{Cluster: "demo", Service: "web"}
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i, code := range []string{activity.StatusSuccessful, activity.StatusFailed, activity.StatusSuccessful} {
		a := activity.Activity{
			ActivityID: "exec-" + string(rune('a'+i)), ResourceID: web.ResourceID(),
			StartTime: start.Add(time.Duration(i) * time.Minute), EndTime: start.Add(time.Duration(i)*time.Minute + 30*time.Second),
			StatusCode: code, Description: "Setting desired count to 2.",
			NotScaledReasons: []scaling.NotScaledReason{{Code: scaling.CooldownActive, Message: "m"}},
		}
		for range 2 { // idempotent
			if err := s.Record(ctx, web, Outcome{Activity: a, Retention: 42 * 24 * time.Hour}); err != nil {
				t.Fatal(err)
			}
		}
	}
	acts, err := s.List(ctx, web, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 3 || acts[0].ActivityID != "exec-c" || acts[2].ActivityID != "exec-a" {
		t.Fatalf("List = %+v; want 3, newest first", acts)
	}
	if acts[1].StatusCode != activity.StatusFailed || !acts[1].Failed() || len(acts[1].NotScaledReasons) != 1 {
		t.Errorf("activity round trip lost fields: %+v", acts[1])
	}
	if top, _ := s.List(ctx, web, 1); len(top) != 1 || top[0].ActivityID != "exec-c" {
		t.Errorf("List(limit 1) = %+v", top)
	}
	if other, _ := s.List(ctx, scaling.ServiceRef{Cluster: "demo", Service: "api"}, 0); len(other) != 0 {
		t.Errorf("another service's activities leaked: %+v", other)
	}
}

// The recommendations are written while the writer holds the lease, and read back in
// order; a writer that lost the lease writes nothing.
func TestKeepRecommendations(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	web := scaling.ServiceRef{Cluster: "demo", Service: "web"}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if _, err := s.AcquireLease(ctx, web, "exec-a", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	recs := []scaling.Recommendation{{At: now.Add(-time.Minute), Tasks: 5}, {At: now, Tasks: 4}}
	if err := s.KeepRecommendations(ctx, web, "exec-a", recs); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepRecommendations(ctx, web, "exec-b", []scaling.Recommendation{{At: now, Tasks: 9}}); err != nil {
		t.Fatalf("a writer without the lease: %v, want nothing written and no error", err)
	}
	st, err := s.State(ctx, web)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Recommendations) != 2 || !st.Recommendations[0].At.Equal(recs[0].At) || st.Recommendations[0].Tasks != 5 ||
		!st.Recommendations[1].At.Equal(now) || st.Recommendations[1].Tasks != 4 {
		t.Errorf("recommendations = %+v, want %+v", st.Recommendations, recs)
	}
	if h := st.History(); len(h.Recommendations) != 2 {
		t.Errorf("History().Recommendations = %+v, want the two", h.Recommendations)
	}
}
