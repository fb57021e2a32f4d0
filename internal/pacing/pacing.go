// Package pacing spaces one Lambda instance's calls to an AWS API. A function whose
// reserved concurrency is N and whose instances are each paced at r calls a second
// makes at most N×r calls a second however many executions queue for it, which is how
// Stepscaler keeps a storm of scalings within its share of the account's ECS API rates
// (internal/deploy sizes N and r).
package pacing

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// DeferredError says a call was not made because the instance's pace would have made
// it wait past the invocation's deadline. It is transient: the state machine retries
// the step later, instead of the function running out of time.
type DeferredError struct {
	Operation string
	Err       error
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("%s deferred: the function's share of the API rate leaves no room before its deadline: %v", e.Operation, e.Err)
}

func (e *DeferredError) Unwrap() error { return e.Err }

// Limiter paces calls at perSecond with a burst of one: the first call goes at once
// and each next one a 1/perSecond later. A nil Limiter does not pace.
type Limiter struct{ l *rate.Limiter }

// New returns a limiter of perSecond calls a second; perSecond <= 0 returns nil, which
// does not pace.
func New(perSecond float64) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	return &Limiter{l: rate.NewLimiter(rate.Limit(perSecond), 1)}
}

// Wait blocks until the next call may go, or returns a *DeferredError at once if that
// would be after ctx's deadline.
func (p *Limiter) Wait(ctx context.Context, operation string) error {
	if p == nil {
		return nil
	}
	if err := p.l.Wait(ctx); err != nil {
		return &DeferredError{Operation: operation, Err: err}
	}
	return nil
}

// Interval is the time between two calls at the limiter's pace (0: unpaced).
func (p *Limiter) Interval() time.Duration {
	if p == nil {
		return 0
	}
	return time.Duration(float64(time.Second) / float64(p.l.Limit()))
}

// APIOption paces every attempt of a client's calls, retries included: an SDK client
// option for APIOptions. It runs after the retry middleware, so a throttled call's
// retry waits its turn too.
func (p *Limiter) APIOption(stack *middleware.Stack) error {
	if p == nil {
		return nil
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("StepscalerPacing",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if err := p.Wait(ctx, middleware.GetOperationName(ctx)); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			return next.HandleFinalize(ctx, in)
		}), "Retry", middleware.After)
}
