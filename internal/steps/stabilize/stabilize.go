// Package stabilize is the "Check stability" step.
package stabilize

import (
	"context"
	"log/slog"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/steps/describe"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// Handler serves the step.
type Handler struct {
	ecs    describe.ECS
	config *config.Config
	now    func() time.Time
	log    *slog.Logger
}

// New returns the step's handler.
func New(c describe.ECS, cfg *config.Config, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{ecs: c, config: cfg, now: now, log: log}
}

// Check reads the service, whole, and judges it against the watch.
func (h *Handler) Check(ctx context.Context, req workflow.StabilityRequest) (stability.Watch, error) {
	if _, err := steps.Target(h.config, req.Service); err != nil {
		return stability.Watch{}, err
	}
	now := h.now().UTC()
	s, err := describe.Service(ctx, h.ecs, req.Service, now)
	if err != nil {
		return stability.Watch{}, err
	}
	w := stability.Check(s, req.Watch, now)
	if w.Status != stability.InProgress {
		h.log.Info("stability judged", "service", req.Service.String(), "status", string(w.Status), "cause", w.Cause, "reason", w.Reason)
	}
	return w, nil
}
