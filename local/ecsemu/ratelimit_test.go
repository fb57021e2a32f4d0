package ecsemu

import (
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	// Each step is a request at an offset from the bucket's creation and
	// whether it should be allowed.
	type step struct {
		at    time.Duration
		allow bool
	}
	for _, tc := range []struct {
		name  string
		limit RateLimit
		steps []step
	}{
		{"burst then empty", RateLimit{Burst: 3, PerSecond: 1}, []step{
			{0, true}, {0, true}, {0, true}, {0, false},
		}},
		{"refills at the sustained rate", RateLimit{Burst: 2, PerSecond: 4}, []step{
			{0, true}, {0, true}, {0, false},
			{200 * time.Millisecond, false}, // 0.8 tokens
			{250 * time.Millisecond, true},  // 1 token
			{250 * time.Millisecond, false},
		}},
		{"never holds more than the burst", RateLimit{Burst: 2, PerSecond: 100}, []step{
			{time.Hour, true}, {time.Hour, true}, {time.Hour, false},
		}},
		{"fractional rate", RateLimit{Burst: 1, PerSecond: 0.5}, []step{
			{0, true}, {time.Second, false}, {2 * time.Second, true},
		}},
		{"no refill", RateLimit{Burst: 1, PerSecond: 0}, []step{
			{0, true}, {time.Hour, false},
		}},
		{"time going back does not mint tokens", RateLimit{Burst: 1, PerSecond: 1}, []step{
			{10 * time.Second, true}, {5 * time.Second, false}, {10 * time.Second, false}, {11 * time.Second, true},
		}},
		{"documented service reads", defaultServiceReads, append(
			repeat(step{0, true}, 100),
			step{0, false},
			step{50 * time.Millisecond, true}, // 20/s: one token per 50ms
			step{50 * time.Millisecond, false},
		)},
		{"documented service writes", defaultServiceWrites, append(
			repeat(step{0, true}, 50),
			step{0, false},
			step{199 * time.Millisecond, false}, // 5/s: one token per 200ms
			step{200 * time.Millisecond, true},
		)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			b := newTokenBucket(tc.limit, t0)
			for i, s := range tc.steps {
				if got := b.allow(t0.Add(s.at)); got != s.allow {
					t.Fatalf("step %d at +%v: allow = %v, want %v", i, s.at, got, s.allow)
				}
			}
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestRateLimitDefaultsAndValidation(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.ServiceReads != (RateLimit{100, 20}) || o.ServiceWrites != (RateLimit{50, 5}) || o.ClusterReads != (RateLimit{50, 20}) {
		t.Errorf("defaults = %+v %+v %+v, want the documented quotas", o.ServiceReads, o.ServiceWrites, o.ClusterReads)
	}
	for _, bad := range []RateLimit{{Burst: 0, PerSecond: 1}, {Burst: 1, PerSecond: -1}} {
		if _, err := (Options{ServiceWrites: bad}).withDefaults(); err == nil {
			t.Errorf("ServiceWrites %+v accepted", bad)
		}
	}
}
