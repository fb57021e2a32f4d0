package simulate

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
)

// aasInvocationInterval is how often a policy whose alarm stays in ALARM runs: "Alarms
// invoke actions only when the alarm changes state. The exception is for alarms with
// Auto Scaling actions", which go on invoking "once per minute that the alarm remains in
// the new state" (Amazon CloudWatch User Guide, "Alarm actions").
const aasInvocationInterval = time.Minute

// AASStepScaling is Application Auto Scaling's step scaling on the same alarms and the
// same step adjustments as the Stepscaler policies ("Step scaling policies for Application
// Auto Scaling", Application Auto Scaling User Guide): while an alarm is in ALARM its
// policy runs about every minute, not only on the transition; the step is applied to the
// current capacity (desiredCount); during the scale-out cooldown the capacity the last
// scale-out added counts toward the next; a scale-in is blocked only by its own cooldown,
// which a scale-out ends; when policies fire together, the largest capacity wins
// (PutScalingPolicy, API Reference). Nothing waits for the tasks to start. The breach is
// the alarm's newest datapoint minus its threshold, as for Stepscaler.
//
// The step arithmetic (adjustment types, AAS rounding, MinAdjustmentMagnitude, bounds) is
// scaling.Plan's, fed an observation that switches off what Stepscaler adds to AAS: the
// service is described by its desiredCount alone, a scale-in sees no scale-out history,
// and no scale-out alarm holds a scale-in back.
type AASStepScaling struct {
	Label    string // the result's name; "aas-step" when empty
	Policies []PolicyAlarm
}

// Name labels the results.
func (a *AASStepScaling) Name() string { return orLabel(a.Label, "aas-step") }

// Start adds the alarms.
func (a *AASStepScaling) Start(s *Sim) (Controller, error) {
	if len(a.Policies) == 0 {
		return nil, errors.New("no policies")
	}
	r := &aasStepRun{}
	for _, pa := range a.Policies {
		al, err := s.AddAlarm(pa.Alarm)
		if err != nil {
			return nil, err
		}
		p := pa.Policy
		p.MinCapacity, p.MaxCapacity, p.DryRun = s.Setup().Min, s.Setup().Max, false
		r.policies = append(r.policies, p)
		r.alarms = append(r.alarms, al)
		r.invoked = append(r.invoked, time.Time{})
	}
	return r, nil
}

type aasStepRun struct {
	policies []scaling.Policy
	alarms   []*Alarm
	invoked  []time.Time
	// The scalable target's cooldown bookkeeping.
	lastOutAt   *time.Time
	lastOutFrom *int
	lastInAt    *time.Time
}

func (r *aasStepRun) Step(s *Sim) {
	now := s.Now()
	var best scaling.Decision
	for i, a := range r.alarms {
		if !a.Evaluated() || a.State() != StateAlarm || (!r.invoked[i].IsZero() && now.Sub(r.invoked[i]) < aasInvocationInterval) {
			continue
		}
		r.invoked[i] = now
		p := r.policies[i]
		o := scaling.Observation{
			Service: service.Snapshot{Status: service.StatusActive, DesiredCount: s.Desired(), RunningCount: s.Desired()},
			Now:     now,
		}
		if v, ok := a.Breach(p.MetricAggregationType); ok {
			o.Metric = &scaling.MetricValue{Value: v, Threshold: a.Spec().Threshold}
		}
		if p.Direction == scaling.Out {
			o.History = scaling.History{LastScaleOutAt: r.lastOutAt, LastScaleOutFrom: r.lastOutFrom}
		} else {
			o.History = scaling.History{LastScaleInAt: r.lastInAt}
		}
		d := scaling.Plan(p, o)
		if !d.Scale {
			s.Note("not scaled: " + d.NotScaledReasons[0].Code)
			continue
		}
		if !best.Scale || d.To > best.To {
			best = d
		}
	}
	if !best.Scale {
		return
	}
	s.SetDesired(best.To)
	at, base := now, best.Base
	if best.Direction == scaling.Out {
		r.lastOutAt, r.lastOutFrom, r.lastInAt = &at, &base, nil
	} else {
		r.lastInAt = &at
	}
}

// AASTargetTracking is Application Auto Scaling's target tracking on the simulated metric
// ("Target tracking scaling policies for Application Auto Scaling", User Guide). AAS
// manages two alarms: high, 3 of 3 one-minute datapoints above the target, and low, 15 of
// 15 below 90% of it. While one is in ALARM the policy runs every minute: on high,
// desired = ceil(current × metric / target); on low, the same proportion, but AAS scales
// in gradually, and this model removes at most 10% of the tasks (at least one) per run.
// Cooldowns follow AAS: during the scale-out cooldown only a larger capacity, computed
// from the capacity before the scale-out that started it, is applied; a scale-in waits
// for its own cooldown, which a scale-out ends. The documentation does not publish the
// exact formula; these choices are the model's.
type AASTargetTracking struct {
	Label string // the result's name; "aas-target-tracking" when empty
	// TargetValue is in the metric's units (requests per second per task); 0 means 70%
	// of the setup's TaskCapacity.
	TargetValue float64
	// The cooldowns apply as set, zero included; NewAASTargetTracking sets AAS's default.
	ScaleOutCooldown time.Duration
	ScaleInCooldown  time.Duration
}

// DefaultECSCooldown is Application Auto Scaling's default target tracking cooldown for
// ECS services, in each direction.
const DefaultECSCooldown = 300 * time.Second

// NewAASTargetTracking returns target tracking on target with the ECS default cooldowns.
func NewAASTargetTracking(target float64) *AASTargetTracking {
	return &AASTargetTracking{TargetValue: target, ScaleOutCooldown: DefaultECSCooldown, ScaleInCooldown: DefaultECSCooldown}
}

// Name labels the results.
func (t *AASTargetTracking) Name() string { return orLabel(t.Label, "aas-target-tracking") }

// Start adds the two AAS-managed alarms.
func (t *AASTargetTracking) Start(s *Sim) (Controller, error) {
	target := targetOrDefault(t.TargetValue, s.Setup())
	if t.ScaleOutCooldown < 0 || t.ScaleInCooldown < 0 {
		return nil, fmt.Errorf("cooldowns must not be negative")
	}
	high, err := s.AddAlarm(AlarmSpec{Name: "TargetTracking-AlarmHigh", Threshold: target, ComparisonOperator: GreaterThanThreshold,
		EvaluationPeriods: 3, DatapointsToAlarm: 3, Period: time.Minute})
	if err != nil {
		return nil, err
	}
	low, err := s.AddAlarm(AlarmSpec{Name: "TargetTracking-AlarmLow", Threshold: 0.9 * target, ComparisonOperator: LessThanThreshold,
		EvaluationPeriods: 15, DatapointsToAlarm: 15, Period: time.Minute})
	if err != nil {
		return nil, err
	}
	return &targetTrackingRun{t: t, target: target, high: high, low: low}, nil
}

func targetOrDefault(v float64, setup Setup) float64 {
	if v > 0 && !math.IsInf(v, 0) {
		return v
	}
	return 0.7 * setup.TaskCapacity
}

type targetTrackingRun struct {
	t           *AASTargetTracking
	target      float64
	high, low   *Alarm
	invoked     time.Time
	lastOutAt   *time.Time
	lastOutFrom int
	lastInAt    *time.Time
}

func (r *targetTrackingRun) Step(s *Sim) {
	now := s.Now()
	if !r.invoked.IsZero() && now.Sub(r.invoked) < aasInvocationInterval {
		return
	}
	for _, a := range []*Alarm{r.high, r.low} {
		v, ok := a.Newest()
		if !a.Evaluated() || a.State() != StateAlarm || !ok {
			continue
		}
		r.invoked = now
		if a == r.high {
			r.scaleOut(s, v)
		} else {
			r.scaleIn(s, v)
		}
		return
	}
}

func (r *targetTrackingRun) scaleOut(s *Sim, metric float64) {
	now, cur, setup := s.Now(), s.Desired(), s.Setup()
	cooling := r.lastOutAt != nil && now.Before(r.lastOutAt.Add(r.t.ScaleOutCooldown))
	base := cur
	if cooling {
		// The capacity the last scale-out added counts toward this one: size from the
		// capacity before it, which is what the metric still largely reflects.
		base = r.lastOutFrom
	}
	want := min(max(tasksFor(float64(base)*metric, r.target), setup.Min), setup.Max)
	if want <= cur {
		s.Note("not scaled: no larger capacity")
		return
	}
	s.SetDesired(want)
	if !cooling {
		r.lastOutFrom = cur
	}
	r.lastOutAt, r.lastInAt = &now, nil
}

func (r *targetTrackingRun) scaleIn(s *Sim, metric float64) {
	now, cur, setup := s.Now(), s.Desired(), s.Setup()
	if r.lastInAt != nil && now.Before(r.lastInAt.Add(r.t.ScaleInCooldown)) {
		s.Note("not scaled: scale-in cooldown")
		return
	}
	want := tasksFor(float64(cur)*metric, r.target)
	want = max(want, cur-max(1, cur/10), setup.Min)
	if want >= cur {
		return
	}
	s.SetDesired(want)
	r.lastInAt = &now
}
