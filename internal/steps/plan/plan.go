// Package plan is the "Plan scaling" step: the pure decision across the service's alarms,
// with the deployed policies, fed what the earlier steps read and the clock.
package plan

import (
	"context"
	"log/slog"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// Handler serves the step. It calls no AWS API.
type Handler struct {
	config *config.Config
	now    func() time.Time
	log    *slog.Logger
}

// New returns the step's handler.
func New(cfg *config.Config, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{config: cfg, now: now, log: log}
}

// Plan decides the service's new desired count.
func (h *Handler) Plan(_ context.Context, req workflow.PlanRequest) (scaling.Decision, error) {
	target, err := steps.Target(h.config, req.Service)
	if err != nil {
		return scaling.Decision{}, err
	}
	if !req.Lease.Acquired {
		return scaling.Decision{}, &steps.InvalidInputError{Problem: "planning without the service's lease"}
	}
	d := workflow.Decide(target, req, h.now())
	h.log.Info("planned", "service", req.Service.String(), "execution", req.Execution.Name, "alarm", d.AlarmName,
		"scale", d.Scale, "dryRun", d.DryRun, "from", d.From, "to", d.To, "description", d.Description)
	return d, nil
}
