// Package acquire is the "Acquire scaling lease" step: it takes the service's lease in
// DynamoDB, so one service never has two scalings in flight, and returns the service's
// state item (cooldowns, suspensions) with it.
package acquire

import (
	"context"
	"log/slog"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// LeaseMargin is added to the service's longest stabilization timeout to size the lease:
// it covers the steps around the wait and their retries, so a live execution never loses
// its lease, while one that died frees the service within minutes of its deadline.
const LeaseMargin = 10 * time.Minute

// Handler serves the step.
type Handler struct {
	store  *store.Store
	config *config.Config
	now    func() time.Time
	log    *slog.Logger
}

// New returns the step's handler.
func New(s *store.Store, cfg *config.Config, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{store: s, config: cfg, now: now, log: log}
}

// Acquire takes the lease for the execution. A lease another execution holds is not an
// error: the state machine ends the execution, and the next minute's evaluation looks again.
func (h *Handler) Acquire(ctx context.Context, req workflow.LeaseRequest) (activity.Lease, error) {
	target, err := steps.Target(h.config, req.Service)
	if err != nil {
		return activity.Lease{}, err
	}
	if req.Execution.Name == "" {
		return activity.Lease{}, &steps.InvalidInputError{Problem: "execution.name is empty"}
	}
	lease, err := h.store.AcquireLease(ctx, req.Service, req.Execution.Name, h.now().UTC(), target.LongestStabilization()+LeaseMargin)
	if err != nil {
		return activity.Lease{}, steps.Classify(err, "acquire the lease of "+req.Service.String())
	}
	if !lease.Acquired {
		h.log.Info("another scaling of the service is in progress", "service", req.Service.String(),
			"execution", req.Execution.Name, "leaseOwner", lease.Owner)
	}
	return lease, nil
}
