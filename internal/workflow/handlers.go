package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// leaseMargin is added to the stabilization timeout to size the lease: it covers the
// steps around the wait and their retries, so a live execution never loses its lease,
// while a crashed one frees the service within minutes of its deadline.
const leaseMargin = 10 * time.Minute

// ECS is the part of the ECS client the handlers use.
type ECS interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
}

// Handlers serves every Task state; each function's main wires only what its step needs.
type Handlers struct {
	ECS        ECS
	CloudWatch CloudWatch
	Store      *activity.Store
	Retention  time.Duration // how long activity records are kept
	Now        func() time.Time
	Log        *slog.Logger
}

func (h *Handlers) now() time.Time { return h.Now().UTC() }

// AcquireLease serves "Acquire scaling lease".
func (h *Handlers) AcquireLease(ctx context.Context, req LeaseRequest) (activity.Lease, error) {
	if err := checkService(req.Service); err != nil {
		return activity.Lease{}, err
	}
	if req.Execution.Name == "" {
		return activity.Lease{}, &InvalidInputError{"execution.name is empty"}
	}
	ttl := time.Duration(req.Policy.StabilizationTimeoutSeconds)*time.Second + leaseMargin
	lease, err := h.Store.AcquireLease(ctx, req.Service, req.Execution.Name, h.now(), ttl)
	if err != nil {
		return activity.Lease{}, classify(err, "acquire lease")
	}
	if !lease.Acquired {
		h.Log.Info("scaling already in progress", "service", req.Service.String(), "execution", req.Execution.Name, "leaseOwner", lease.Owner)
	}
	return lease, nil
}

// DescribeService serves "Describe ECS service".
func (h *Handlers) DescribeService(ctx context.Context, req DescribeRequest) (service.Snapshot, error) {
	if err := checkService(req.Service); err != nil {
		return service.Snapshot{}, err
	}
	snap, found, err := h.describe(ctx, req.Service)
	if err != nil {
		return service.Snapshot{}, err
	}
	if !found {
		return service.Snapshot{}, &ServiceNotFoundError{Service: req.Service.String()}
	}
	return snap, nil
}

// PlanScaling serves "Plan scaling": the pure planner, fed the clock.
func (h *Handlers) PlanScaling(_ context.Context, req PlanRequest) (scaling.Decision, error) {
	if !req.Lease.Acquired {
		return scaling.Decision{}, &InvalidInputError{"planning without the service's lease"}
	}
	d := Decide(req, h.now())
	h.Log.Info("planned", "alarm", req.Alarm.Name, "execution", req.Execution.Name,
		"scale", d.Scale, "dryRun", d.DryRun, "from", d.From, "to", d.To, "description", d.Description)
	return d, nil
}

// Decide is the plan step's decision: the pure planner fed what the earlier steps read.
// The what-if CLI calls it too, so its answer is the workflow's.
func Decide(req PlanRequest, now time.Time) scaling.Decision {
	return scaling.Plan(req.Policy, scaling.Observation{
		Service:          req.Service,
		History:          req.Lease.State.History(),
		Metric:           req.AlarmState.Metric,
		OutAlarmsInAlarm: req.AlarmState.OutAlarmsInAlarm,
		Now:              now,
	})
}

// UpdateDesiredCount serves "Update desired count". It re-checks the bounds itself: the
// count comes from the execution state, and desiredCount must never leave [min, max].
func (h *Handlers) UpdateDesiredCount(ctx context.Context, req UpdateRequest) (UpdateResult, error) {
	if err := checkService(req.Service); err != nil {
		return UpdateResult{}, err
	}
	p := req.Policy
	if req.DesiredCount < p.MinCapacity || req.DesiredCount > p.MaxCapacity {
		return UpdateResult{}, &InvalidInputError{fmt.Sprintf("desiredCount %d is outside [%d, %d]", req.DesiredCount, p.MinCapacity, p.MaxCapacity)}
	}
	_, err := h.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster:      aws.String(req.Service.Cluster),
		Service:      aws.String(req.Service.Service),
		DesiredCount: aws.Int32(int32(req.DesiredCount)),
	})
	var notFound *ecstypes.ServiceNotFoundException
	var noCluster *ecstypes.ClusterNotFoundException
	if errors.As(err, &notFound) || errors.As(err, &noCluster) {
		return UpdateResult{}, &ServiceNotFoundError{Service: req.Service.String()}
	}
	if err != nil {
		return UpdateResult{}, classify(err, "update desired count of "+req.Service.String())
	}
	now := h.now()
	h.Log.Info("desired count updated", "service", req.Service.String(), "desiredCount", req.DesiredCount)
	return UpdateResult{
		DesiredCount: req.DesiredCount,
		UpdatedAt:    now,
		Deadline:     now.Add(time.Duration(p.StabilizationTimeoutSeconds) * time.Second),
	}, nil
}

// CheckStability serves "Check stability".
func (h *Handlers) CheckStability(ctx context.Context, req StabilityRequest) (StabilityResult, error) {
	if err := checkService(req.Service); err != nil {
		return StabilityResult{}, err
	}
	snap, found, err := h.describe(ctx, req.Service)
	if err != nil {
		return StabilityResult{}, err
	}
	if !found {
		snap.Status = "MISSING"
	}
	v := stability.Judge(snap, stability.Expectation{DesiredCount: req.DesiredCount, Since: req.Since, Deadline: req.Deadline}, h.now())
	return StabilityResult{Verdict: v, DesiredCount: snap.DesiredCount, RunningCount: snap.RunningCount, PendingCount: snap.PendingCount}, nil
}

// RecordOutcome serves "Record outcome" and "Record failure": it writes the step's
// activity, starts the cooldown if the service was scaled, decides whether to re-evaluate
// the alarm for another step, and gives the lease back: it is held only while a step is in
// flight.
func (h *Handlers) RecordOutcome(ctx context.Context, req RecordRequest) (Outcome, error) {
	st := req.State
	if err := checkService(st.Service); err != nil {
		return Outcome{}, err
	}
	if req.Execution.Name == "" {
		return Outcome{}, &InvalidInputError{"execution.name is empty"}
	}
	now := h.now()
	act := BuildActivity(req, now)
	nx := nextStep(act, st, req.Execution.StartTime, now)
	if nx.record {
		if err := h.Store.Put(ctx, st.Service, act, h.Retention); err != nil {
			return Outcome{}, classify(err, "record activity")
		}
	}
	if st.Update != nil && st.Plan != nil {
		// The step's base, not its start: a step repeated within the cooldown then asks
		// for the same count and adds nothing (Application Auto Scaling's rule).
		if err := h.Store.MarkScaled(ctx, st.Service, st.Policy.Direction, st.Update.UpdatedAt, st.Plan.Base); err != nil {
			return Outcome{}, classify(err, "record scaling time")
		}
	}
	out := outcomeOf(act, st)
	out.Continue, out.WaitSeconds, out.ScaledSteps, out.NextStep = nx.cont, nx.wait, nx.scaledSteps, st.Step+1
	if !nx.record {
		out.ActivityID = ""
	}
	if nx.release {
		if err := h.Store.Release(ctx, st.Service, req.Execution.Name); err != nil {
			return Outcome{}, classify(err, "release lease")
		}
	}
	log := h.Log.Info
	if out.Failed {
		log = h.Log.Error
	}
	msg := "scaling activity recorded"
	if !nx.record {
		msg = "alarm still in ALARM, nothing to do yet"
	}
	log(msg, "activityId", act.ActivityID, "resourceId", act.ResourceID,
		"statusCode", act.StatusCode, "statusMessage", act.StatusMessage, "alarm", act.AlarmName,
		"from", act.FromCount, "to", act.ToCount, "step", st.Step, "continue", out.Continue, "waitSeconds", out.WaitSeconds)
	return out, nil
}

// ReleaseLease serves "Release scaling lease", reached when re-evaluation finds the alarm
// no longer in ALARM.
func (h *Handlers) ReleaseLease(ctx context.Context, req ReleaseRequest) (struct{}, error) {
	if err := checkService(req.Service); err != nil {
		return struct{}{}, err
	}
	if err := h.Store.Release(ctx, req.Service, req.Execution.Name); err != nil {
		return struct{}{}, classify(err, "release lease")
	}
	return struct{}{}, nil
}

// describe reads one service; found is false when ECS reports it MISSING or its cluster
// does not exist.
func (h *Handlers) describe(ctx context.Context, ref scaling.ServiceRef) (service.Snapshot, bool, error) {
	out, err := h.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String(ref.Cluster),
		Services: []string{ref.Service},
	})
	var noCluster *ecstypes.ClusterNotFoundException
	if errors.As(err, &noCluster) {
		return service.Snapshot{}, false, nil
	}
	if err != nil {
		return service.Snapshot{}, false, classify(err, "describe "+ref.String())
	}
	if len(out.Services) == 0 {
		return service.Snapshot{}, false, nil
	}
	return service.FromECS(out.Services[0], h.now()), true, nil
}

func checkService(s scaling.ServiceRef) error {
	if s.Cluster == "" || s.Service == "" {
		return &InvalidInputError{"service.cluster and service.service are required"}
	}
	return nil
}
