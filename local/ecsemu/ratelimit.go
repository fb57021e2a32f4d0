package ecsemu

import (
	"fmt"
	"time"
)

// RateLimit describes one ECS throttling bucket. ECS documents its request
// throttling as a token bucket per account and Region: Burst is the bucket's
// maximum capacity and PerSecond its refill rate.
type RateLimit struct {
	Burst     int
	PerSecond float64
}

// Documented ECS quotas (Amazon ECS API Reference, "Request throttling for
// the Amazon ECS API"). The zero RateLimit in Options selects these.
var (
	defaultServiceReads  = RateLimit{Burst: 100, PerSecond: 20} // DescribeServices, ListServices
	defaultServiceWrites = RateLimit{Burst: 50, PerSecond: 5}   // CreateService, UpdateService, DeleteService
	defaultClusterReads  = RateLimit{Burst: 50, PerSecond: 20}  // DescribeClusters
)

func (l RateLimit) orDefault(d RateLimit) RateLimit {
	if l == (RateLimit{}) {
		return d
	}
	return l
}

func (l RateLimit) validate() error {
	if l.Burst < 1 {
		return fmt.Errorf("burst %d: must be at least 1", l.Burst)
	}
	if l.PerSecond < 0 {
		return fmt.Errorf("refill rate %v: must not be negative", l.PerSecond)
	}
	return nil
}

// tokenBucket is the algorithm ECS documents: every request takes one token,
// the bucket refills continuously at rate tokens per second up to capacity,
// and a request that finds it empty is throttled. It reads no clock of its
// own, so tests can drive it with any sequence of instants.
type tokenBucket struct {
	capacity float64
	rate     float64
	tokens   float64
	last     time.Time
}

// newTokenBucket returns a full bucket, as a fresh account has.
func newTokenBucket(l RateLimit, now time.Time) *tokenBucket {
	return &tokenBucket{
		capacity: float64(l.Burst),
		rate:     l.PerSecond,
		tokens:   float64(l.Burst),
		last:     now,
	}
}

// allow reports whether a request arriving at now may proceed, taking its
// token if so.
func (b *tokenBucket) allow(now time.Time) bool {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.capacity, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	// The tolerance keeps float rounding from refusing a request that
	// arrives exactly when its token is due.
	if b.tokens < 1-1e-9 {
		return false
	}
	b.tokens--
	return true
}
