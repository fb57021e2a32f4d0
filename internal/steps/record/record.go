// Package record is the "Record outcome" and "Record failure" step: it writes what the
// execution decided and did as an activity, starts the cooldown if the desired count
// changed, gives the service's lease back, and publishes the outcome as CloudWatch
// metrics (internal/metrics).
package record

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// Handler serves the step.
type Handler struct {
	store     *store.Store
	config    *config.Config
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	metrics   *metrics.Emitter
}

// New returns the step's handler; activities are kept for retention. Each outcome it
// records is published through m; nil publishes nothing.
func New(s *store.Store, cfg *config.Config, retention time.Duration, now func() time.Time, log *slog.Logger, m *metrics.Emitter) *Handler {
	return &Handler{store: s, config: cfg, retention: retention, now: now, log: log, metrics: m}
}

// Record writes the execution's outcome and releases the lease. The cooldown is written
// first and the activity after it (store.Record says why); the lease is given back last,
// even when the activity could not be written, so a refused write never holds the service
// for the lease's lifetime. The one exception is a cooldown that could not be started:
// the lease is then kept until it expires, so the service cannot scale again at once.
// The release is conditional on this execution holding the lease as DynamoDB says,
// whatever the state machine believes, so a lease whose acquisition answered too late is
// released too and another execution's lease never is. Every write is idempotent: the
// state machine retries the step until all of them have taken effect.
//
// The metrics are published once the record is complete, so a step the state machine
// retries publishes once; an execution nobody should have started (a service not in the
// configuration) publishes nothing, which keeps the metrics' dimensions to the configured
// services.
func (h *Handler) Record(ctx context.Context, req workflow.RecordRequest) (workflow.Outcome, error) {
	st := req.State
	if req.Execution.Name == "" {
		return workflow.Outcome{}, &steps.InvalidInputError{Problem: "execution.name is empty"}
	}
	target, err := steps.Target(h.config, st.Service)
	var notConfigured *steps.ServiceNotConfiguredError
	if errors.As(err, &notConfigured) {
		// An execution nobody should have started: the activity table keeps the
		// configured services' records only, so the outcome is the execution's alone.
		out := workflow.OutcomeOf(workflow.BuildActivity(req, nil, h.now()), st)
		h.log.Error("outcome not recorded: the service is not in the deployed configuration", "service", st.Service.String(),
			"execution", req.Execution.Name, "statusMessage", out.StatusMessage)
		return out, nil
	}
	if err != nil {
		return workflow.Outcome{}, err
	}
	now := h.now()
	act := workflow.BuildActivity(req, target.Policies, now)
	out := workflow.OutcomeOf(act, st)
	recordErr := errors.Join(h.write(ctx, act, st, &out), h.keepRecommendation(ctx, target, st, req.Execution.Name))
	var releaseErr error
	if noCooldown := (*store.CooldownError)(nil); !errors.As(recordErr, &noCooldown) {
		releaseErr = h.store.Release(ctx, st.Service, req.Execution.Name)
	}
	if err := errors.Join(recordErr, releaseErr); err != nil {
		return workflow.Outcome{}, steps.Classify(err, "record the outcome of "+req.Execution.Name)
	}
	log := h.log.Info
	if out.Failed {
		log = h.log.Error
	}
	msg := "scaling activity recorded"
	if out.Repeated {
		msg = "not scaled, as recorded before"
	}
	log(msg, "activityId", act.ActivityID, "resourceId", act.ResourceID, "statusCode", act.StatusCode,
		"statusMessage", act.StatusMessage, "alarm", act.AlarmName, "trigger", act.Trigger,
		"from", act.FromCount, "to", act.ToCount, "repeatOf", out.RepeatOf)
	h.publish(act, st, now)
	return out, nil
}

// publish writes the outcome's metrics. A metric that cannot be written is logged, not
// returned: the record has been made, and retrying the step would not write it better.
func (h *Handler) publish(act activity.Activity, st workflow.State, at time.Time) {
	if h.metrics == nil {
		return
	}
	if err := h.metrics.Emit(metrics.Of(act, st, at)); err != nil {
		h.log.Warn("metrics not published", "activityId", act.ActivityID, "error", err.Error())
	}
}

// write records the activity, unless it repeats the service's last not-scaled decision.
func (h *Handler) write(ctx context.Context, act activity.Activity, st workflow.State, out *workflow.Outcome) error {
	key := workflow.RepeatKey(act)
	if last := lastNotScaled(st); key != "" && last != nil && last.Key == key {
		out.Repeated, out.RepeatOf = true, last.ActivityID
		return nil
	}
	o := store.Outcome{Activity: act, Retention: h.retention}
	if key != "" {
		o.NotScaled = &activity.NotScaledMark{Key: key, ActivityID: act.ActivityID}
	}
	if w, p := st.Watch, st.Plan; w != nil && p != nil {
		// The step's base, not its start: a step repeated within the cooldown then asks
		// for the same count and adds nothing (Application Auto Scaling's rule).
		o.Scaled = &store.Scaled{Direction: p.Direction, At: w.Since, From: p.Base}
	}
	return h.store.Record(ctx, st.Service, o)
}

// keepRecommendation adds the plan's recommendation to the service's recent ones, for
// the policies' scale-in stabilization window (scaling.Policy), whether or not the
// service scaled or the decision repeats the last one: the window needs every minute's.
// It writes only while this execution holds the lease, before giving it back.
func (h *Handler) keepRecommendation(ctx context.Context, target config.ServiceTarget, st workflow.State, owner string) error {
	window := longestWindow(target.Policies)
	if window == 0 || st.Plan == nil || st.Plan.Recommendation == nil || st.Lease == nil || !st.Lease.Acquired {
		return nil
	}
	recs := scaling.KeepRecommendations(st.Lease.State.Recommendations, *st.Plan.Recommendation, window)
	return h.store.KeepRecommendations(ctx, st.Service, owner, recs)
}

// longestWindow is the longest scale-in stabilization window of the policies.
func longestWindow(policies []scaling.Policy) time.Duration {
	var longest time.Duration
	for _, p := range policies {
		longest = max(longest, time.Duration(p.ScaleInStabilizationWindowSeconds)*time.Second)
	}
	return longest
}

func lastNotScaled(st workflow.State) *activity.NotScaledMark {
	if st.Lease == nil {
		return nil
	}
	return st.Lease.State.LastNotScaled
}
