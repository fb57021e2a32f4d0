// Package describe is the "Describe ECS service" step, and the one DescribeServices read
// the ECS steps share.
package describe

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/awsecs"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// ECS is the part of the ECS client that reads services.
type ECS interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

// Handler serves the step.
type Handler struct {
	ecs    ECS
	config *config.Config
	now    func() time.Time
}

// New returns the step's handler.
func New(c ECS, cfg *config.Config, now func() time.Time) *Handler {
	return &Handler{ecs: c, config: cfg, now: now}
}

// Describe reads the service, trimmed to what travels in the execution's state.
func (h *Handler) Describe(ctx context.Context, req workflow.DescribeRequest) (service.Snapshot, error) {
	if _, err := steps.Target(h.config, req.Service); err != nil {
		return service.Snapshot{}, err
	}
	s, err := Service(ctx, h.ecs, req.Service, h.now())
	if err != nil {
		return service.Snapshot{}, err
	}
	return s.ForPayload(), nil
}

// Service reads one service with DescribeServices, whole (events included). A service ECS
// reports MISSING, or whose cluster does not exist, is a ServiceNotFoundError.
func Service(ctx context.Context, c ECS, ref scaling.ServiceRef, now time.Time) (service.Snapshot, error) {
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(ref.Cluster),
		Services: []string{ref.Service},
	})
	var noCluster *ecstypes.ClusterNotFoundException
	switch {
	case errors.As(err, &noCluster):
		return service.Snapshot{}, &steps.ServiceNotFoundError{Service: ref.String()}
	case err != nil:
		return service.Snapshot{}, steps.Classify(err, "describe "+ref.String())
	}
	for _, s := range out.Services {
		if aws.ToString(s.ServiceName) == ref.Service || aws.ToString(s.ServiceArn) == ref.Service {
			return awsecs.Snapshot(s, now.UTC()), nil
		}
	}
	return service.Snapshot{}, &steps.ServiceNotFoundError{Service: ref.String()}
}
