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

// Target is the lowest scale-out threshold, for the measures.
func (a *AASStepScaling) Target(Setup) float64 { return policiesTarget(a.Policies) }

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
// ("Target tracking scaling policies for Application Auto Scaling" and "How target
// tracking scaling for Application Auto Scaling works", User Guide). AAS manages two
// alarms: high, 3 of 3 datapoints above the target, and low, 15 of 15 below 90% of it
// (the guide: it scales in "only when utilization passes a threshold that is far enough
// below the target value (usually more than 10% lower)"; the 3 and 15 datapoints are
// what the alarms AAS creates show, not a documented contract). While one is in ALARM
// the policy runs every minute: desired = ceil(current × metric / target), the
// proportion the guide describes ("adds capacity proportional to the metric value").
// Cooldowns follow AAS: a scale-in waits for its own cooldown, which a scale-out ends;
// during the scale-out cooldown only a larger capacity is applied.
//
// The documentation leaves three choices open; each is a field, with the model's default:
//   - ScaleInLimit: how much one scale-in may remove. The guide says only that AAS
//     "scales in more gradually"; the default sizes scale-in by the same proportion, the
//     low alarm's 15 minutes and the cooldown being the gradualness documented.
//   - CooldownBase: what a scale-out during the scale-out cooldown is sized from. The
//     guide says the capacity the initiating scale-out added "is calculated as part of
//     the desired capacity for the next scale-out"; the default, CooldownBaseBefore,
//     sizes from the capacity before that scale-out, which the metric still largely
//     reflects while its tasks start.
//   - Period: the alarms' period. 60 s for the standard metrics; ECS publishes CPU and
//     memory at 20 s on request ("Faster auto scaling with high-resolution metrics",
//     Amazon ECS Developer Guide), and how many datapoints AAS's alarms then use is not
//     published: the model keeps 3 and 15.
type AASTargetTracking struct {
	Label string // the result's name; "aas-target-tracking" when empty
	// TargetValue is in the metric's units (requests per second per task); 0 means 70%
	// of the setup's TaskCapacity.
	TargetValue float64
	// The cooldowns apply as set, zero included; NewAASTargetTracking sets AAS's default.
	ScaleOutCooldown time.Duration
	ScaleInCooldown  time.Duration
	// ScaleInLimit caps one scale-in at this fraction of the tasks (at least one task); 0
	// leaves it to the proportion.
	ScaleInLimit float64
	// CooldownBase is CooldownBaseBefore (the default, "") or CooldownBaseCurrent.
	CooldownBase string
	// Period is the alarms' period; 0 means 60 s.
	Period time.Duration
}

// What a scale-out during the scale-out cooldown is sized from (AASTargetTracking).
const (
	CooldownBaseBefore  = "before"  // the capacity before the scale-out that started the cooldown
	CooldownBaseCurrent = "current" // the current desired count
)

// DefaultECSCooldown is Application Auto Scaling's default target tracking cooldown for
// ECS services, in each direction.
const DefaultECSCooldown = 300 * time.Second

// NewAASTargetTracking returns target tracking on target with the ECS default cooldowns.
func NewAASTargetTracking(target float64) *AASTargetTracking {
	return &AASTargetTracking{TargetValue: target, ScaleOutCooldown: DefaultECSCooldown, ScaleInCooldown: DefaultECSCooldown}
}

// Name labels the results.
func (t *AASTargetTracking) Name() string { return orLabel(t.Label, "aas-target-tracking") }

// Target is the target value under setup, for the measures.
func (t *AASTargetTracking) Target(setup Setup) float64 { return targetOrDefault(t.TargetValue, setup) }

// Start adds the two AAS-managed alarms.
func (t *AASTargetTracking) Start(s *Sim) (Controller, error) {
	target := targetOrDefault(t.TargetValue, s.Setup())
	switch {
	case t.ScaleOutCooldown < 0 || t.ScaleInCooldown < 0:
		return nil, fmt.Errorf("cooldowns must not be negative")
	case t.ScaleInLimit < 0 || t.ScaleInLimit > 1:
		return nil, fmt.Errorf("scale-in limit must be a fraction between 0 and 1, got %v", t.ScaleInLimit)
	case t.CooldownBase != "" && t.CooldownBase != CooldownBaseBefore && t.CooldownBase != CooldownBaseCurrent:
		return nil, fmt.Errorf("cooldown base must be %q or %q, got %q", CooldownBaseBefore, CooldownBaseCurrent, t.CooldownBase)
	}
	period := t.Period
	if period == 0 {
		period = time.Minute
	}
	high, err := s.AddAlarm(AlarmSpec{Name: "TargetTracking-AlarmHigh", Threshold: target, ComparisonOperator: GreaterThanThreshold,
		EvaluationPeriods: 3, DatapointsToAlarm: 3, Period: period})
	if err != nil {
		return nil, err
	}
	low, err := s.AddAlarm(AlarmSpec{Name: "TargetTracking-AlarmLow", Threshold: 0.9 * target, ComparisonOperator: LessThanThreshold,
		EvaluationPeriods: 15, DatapointsToAlarm: 15, Period: period})
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
	if cooling && r.t.CooldownBase != CooldownBaseCurrent {
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
	want := max(tasksFor(float64(cur)*metric, r.target), setup.Min)
	if l := r.t.ScaleInLimit; l > 0 {
		want = max(want, cur-max(1, int(math.Floor(float64(cur)*l+1e-9))))
	}
	if want >= cur {
		return
	}
	s.SetDesired(want)
	r.lastInAt = &now
}
