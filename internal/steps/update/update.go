// Package update is the "Update desired count" step.
package update

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// ECS is the part of the ECS client that changes a service.
type ECS interface {
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// Handler serves the step.
type Handler struct {
	ecs    ECS
	config *config.Config
	now    func() time.Time
	log    *slog.Logger
}

// New returns the step's handler.
func New(c ECS, cfg *config.Config, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{ecs: c, config: cfg, now: now, log: log}
}

// Update sets the planned desired count and starts watching the service. It checks the
// count against the deployed bounds itself: desiredCount must never leave [min, max],
// whatever the state it is handed says.
func (h *Handler) Update(ctx context.Context, req workflow.UpdateRequest) (stability.Watch, error) {
	target, err := steps.Target(h.config, req.Service)
	if err != nil {
		return stability.Watch{}, err
	}
	watch, err := watchOf(target, req.Plan.AlarmName)
	if err != nil {
		return stability.Watch{}, err
	}
	to := req.Plan.To
	if !req.Plan.Scale || req.Plan.DryRun {
		return stability.Watch{}, &steps.InvalidInputError{Problem: "the plan does not ask for a change"}
	}
	// The bounds the deployed configuration and its scheduled actions have in force now.
	if b := target.BoundsAt(h.now()).Bounds; to != b.Clamp(to) {
		return stability.Watch{}, &steps.InvalidInputError{Problem: fmt.Sprintf("desiredCount %d is outside %s", to, b)}
	}
	_, err = h.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:      aws.String(req.Service.Cluster),
		Service:      aws.String(req.Service.Service),
		DesiredCount: aws.Int32(int32(to)),
	})
	var notFound *ecstypes.ServiceNotFoundException
	var noCluster *ecstypes.ClusterNotFoundException
	if errors.As(err, &notFound) || errors.As(err, &noCluster) {
		return stability.Watch{}, &steps.ServiceNotFoundError{Service: req.Service.String()}
	}
	if err != nil {
		return stability.Watch{}, steps.Classify(err, "update the desired count of "+req.Service.String())
	}
	now := h.now().UTC()
	h.log.Info("desired count updated", "service", req.Service.String(), "alarm", req.Plan.AlarmName, "from", req.Plan.From, "desiredCount", to,
		"reason", req.Plan.Reason)
	deadline := now.Add(time.Duration(watch.StabilizationTimeoutSeconds) * time.Second)
	return stability.NewWatch(req.Before, to, now, deadline, watch.PollIntervalSeconds), nil
}

// watching is how long and how often a change is watched.
type watching struct{ StabilizationTimeoutSeconds, PollIntervalSeconds int }

// watchOf is the deciding alarm's policy's watch; a change the service's bounds made (no
// alarm) is watched as long as its longest policy would, polled as often as its most
// frequent, or with the defaults when it has no alarm at all.
func watchOf(target config.ServiceTarget, alarm string) (watching, error) {
	timeout, poll, ok := target.Watch(alarm)
	if !ok {
		return watching{}, &steps.InvalidInputError{Problem: fmt.Sprintf("alarm %q is not one of %s's", alarm, target.Service)}
	}
	return watching{timeout, poll}, nil
}
