// Package status is the operator's one-screen view of every configured service: what ECS
// runs, what its alarms say, who holds its lease, how long its cooldowns last, what is
// suspended, what its scheduled actions did and will do, and what it did last. Build assembles the view of one service from what was
// read, with the policy engine's own cooldown rule; Read does the reading (ECS,
// CloudWatch, the activity table); WriteTable, WriteText and WriteJSON print it.
//
// The JSON form (Report) is an interface scripts rely on: fields are added, never
// renamed or removed. Names follow the AWS APIs they come from where there is one
// (DesiredCount, StateValue, SuspendedState, ScalingActivities), so the document reads
// like the AWS CLI's output.
package status

import (
	"math"
	"slices"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
	"github.com/stepscaler/stepscaler/internal/service"
)

// Report is the whole view, as of Time.
type Report struct {
	Time     time.Time `json:"Time"`
	Region   string    `json:"Region,omitempty"`
	Table    string    `json:"Table"`
	Services []Service `json:"Services"`
}

// Service is one configured service.
type Service struct {
	Cluster     string `json:"Cluster"`
	ServiceName string `json:"ServiceName"`
	// ResourceId is the service in Application Auto Scaling's notation, as activities
	// name it: service/<cluster>/<service>.
	ResourceId string `json:"ResourceId"`
	// MinCapacity and MaxCapacity are the bounds in force: the configured ones, as the
	// scheduled actions that have fired left them (as AAS's scalable target reports them).
	MinCapacity int `json:"MinCapacity"`
	MaxCapacity int `json:"MaxCapacity"`
	// ConfiguredMinCapacity and ConfiguredMaxCapacity are the configuration's.
	ConfiguredMinCapacity int  `json:"ConfiguredMinCapacity"`
	ConfiguredMaxCapacity int  `json:"ConfiguredMaxCapacity"`
	DryRun                bool `json:"DryRun"`
	ECS                   ECS  `json:"ECS"`
	// Alarms are the configured alarms, in the configuration's order.
	Alarms []Alarm `json:"Alarms"`
	// Lease is null when no execution holds the service's lease.
	Lease *Lease `json:"Lease"`
	// LastScaleOutAt and LastScaleInAt are the scalings the cooldowns count from.
	LastScaleOutAt *time.Time `json:"LastScaleOutAt,omitempty"`
	LastScaleInAt  *time.Time `json:"LastScaleInAt,omitempty"`
	// Cooldowns has one entry per direction the service has an alarm for: out, then in.
	Cooldowns      []Cooldown     `json:"Cooldowns"`
	SuspendedState SuspendedState `json:"SuspendedState"`
	// ScheduledActions are the configured scheduled actions, in the configuration's order.
	ScheduledActions []ScheduledAction `json:"ScheduledActions"`
	// ScalingActivities are the newest activities, newest first, shaped as
	// describe-scaling-activities prints them.
	ScalingActivities []activity.Activity `json:"ScalingActivities"`
}

// ECS is the service as DescribeServices reports it.
type ECS struct {
	// Status is ACTIVE, DRAINING or INACTIVE, or MISSING when ECS does not know the
	// service (StatusReason then says why).
	Status       string `json:"Status"`
	StatusReason string `json:"StatusReason,omitempty"`
	DesiredCount int    `json:"DesiredCount"`
	RunningCount int    `json:"RunningCount"`
	PendingCount int    `json:"PendingCount"`
	// RolloutState and RolloutStateReason are the PRIMARY deployment's; empty for
	// services whose deployment controller reports none (CODE_DEPLOY, EXTERNAL).
	RolloutState       string `json:"RolloutState,omitempty"`
	RolloutStateReason string `json:"RolloutStateReason,omitempty"`
	Deployments        int    `json:"Deployments"`
	// DeploymentInProgress is the planner's reading: no scale-in while it is true.
	DeploymentInProgress bool `json:"DeploymentInProgress"`
}

// Missing is the Status of a service ECS does not know, and the StateValue of an alarm
// CloudWatch does not know: the word ECS uses in DescribeServices' failures.
const Missing = "MISSING"

// Alarm is one configured alarm and what CloudWatch says of it.
type Alarm struct {
	AlarmName string            `json:"AlarmName"`
	Direction scaling.Direction `json:"Direction"`
	// StateValue is OK, ALARM or INSUFFICIENT_DATA, or MISSING when CloudWatch does not
	// know the alarm (or it is composite and not declared so in the configuration).
	StateValue string `json:"StateValue"`
	// StateTransitionedTimestamp is when StateValue last changed.
	StateTransitionedTimestamp *time.Time `json:"StateTransitionedTimestamp,omitempty"`
	Composite                  bool       `json:"Composite"`
	// Policy says how far the alarm moves the service, e.g. "+1 task".
	Policy          string `json:"Policy"`
	CooldownSeconds int    `json:"CooldownSeconds"`
}

// AlarmState is what CloudWatch reported of an alarm.
type AlarmState struct {
	State        string
	Transitioned time.Time
	Composite    bool
}

// Lease is the service's lease: the execution that holds it and until when.
type Lease struct {
	Owner     string    `json:"Owner"`
	ExpiresAt time.Time `json:"ExpiresAt"`
	// Expired says the holder is past its expiry: the next execution takes the lease
	// over, so the service is not blocked by it.
	Expired bool `json:"Expired"`
}

// Cooldown is one direction's cooldown as the policy engine applies it now.
type Cooldown struct {
	Direction scaling.Direction `json:"Direction"`
	InEffect  bool              `json:"InEffect"`
	// EndsAt and AlarmName name the end of the latest-ending cooldown among the
	// direction's alarms, and its alarm; absent when none is in effect.
	EndsAt    *time.Time `json:"EndsAt,omitempty"`
	AlarmName string     `json:"AlarmName,omitempty"`
	// RemainingSeconds is rounded up, so a cooldown in effect never shows 0.
	RemainingSeconds int `json:"RemainingSeconds"`
}

// ScheduledAction is one scheduled action, named as AAS's DescribeScheduledActions
// names it, with when it last fired and fires next.
type ScheduledAction struct {
	ScheduledActionName  string               `json:"ScheduledActionName"`
	Schedule             string               `json:"Schedule"`
	Timezone             string               `json:"Timezone,omitempty"`
	StartTime            *time.Time           `json:"StartTime,omitempty"`
	EndTime              *time.Time           `json:"EndTime,omitempty"`
	ScalableTargetAction ScalableTargetAction `json:"ScalableTargetAction"`
	// LastFiredAt is the minute it last fired in, at or before the report's time.
	LastFiredAt *time.Time `json:"LastFiredAt,omitempty"`
	// NextFireAt is the next minute it fires in, within NextFireHorizon; absent when it
	// fires no more (an at() in the past, past its EndTime) or not that soon.
	NextFireAt *time.Time `json:"NextFireAt,omitempty"`
	// Applied says its last firing set the bounds in force; false when it has not fired,
	// or its firing was refused (a minimum above the maximum).
	Applied bool `json:"Applied"`
}

// ScalableTargetAction is the bounds a scheduled action sets, one or both.
type ScalableTargetAction struct {
	MinCapacity *int `json:"MinCapacity,omitempty"`
	MaxCapacity *int `json:"MaxCapacity,omitempty"`
}

// NextFireHorizon is how far ahead a scheduled action's next firing is looked for.
const NextFireHorizon = 366 * 24 * time.Hour

// SuspendedState names the suspensions as Application Auto Scaling's ScalableTarget
// does.
type SuspendedState struct {
	DynamicScalingOutSuspended bool `json:"DynamicScalingOutSuspended"`
	DynamicScalingInSuspended  bool `json:"DynamicScalingInSuspended"`
}

// Inputs is what was read about one service.
type Inputs struct {
	// Snapshot is nil when ECS does not know the service; Missing says why.
	Snapshot *service.Snapshot
	Missing  string
	// Alarms maps the alarm names CloudWatch knows to their states.
	Alarms     map[string]AlarmState
	State      activity.State
	Activities []activity.Activity
}

// Build assembles the view of one configured service at now.
func Build(t config.ServiceTarget, in Inputs, now time.Time) Service {
	s := Service{
		Cluster:           t.Service.Cluster,
		ServiceName:       t.Service.Service,
		ResourceId:        t.Service.ResourceID(),
		ECS:               ecsView(in.Snapshot, in.Missing),
		Alarms:            make([]Alarm, 0, len(t.Policies)),
		Cooldowns:         []Cooldown{},
		ScalingActivities: in.Activities,
		SuspendedState: SuspendedState{
			DynamicScalingOutSuspended: in.State.SuspendedOut,
			DynamicScalingInSuspended:  in.State.SuspendedIn,
		},
		LastScaleOutAt: in.State.LastScaleOutAt,
		LastScaleInAt:  in.State.LastScaleInAt,
	}
	if s.ScalingActivities == nil {
		s.ScalingActivities = []activity.Activity{}
	}
	effect := t.BoundsAt(now)
	s.MinCapacity, s.MaxCapacity = effect.Bounds.Min, effect.Bounds.Max
	s.ConfiguredMinCapacity, s.ConfiguredMaxCapacity, s.DryRun = t.Bounds.Min, t.Bounds.Max, t.DryRun
	s.ScheduledActions = scheduledActions(t.Schedule, effect, now)
	for _, p := range t.Policies {
		a := Alarm{AlarmName: p.AlarmName, Direction: p.Direction, StateValue: Missing,
			Policy: p.Summary(), CooldownSeconds: p.CooldownSeconds}
		if st, ok := in.Alarms[p.AlarmName]; ok {
			a.StateValue, a.Composite = st.State, st.Composite
			if !st.Transitioned.IsZero() {
				at := st.Transitioned.UTC()
				a.StateTransitionedTimestamp = &at
			}
		}
		s.Alarms = append(s.Alarms, a)
	}
	if owner := in.State.LeaseOwner; owner != "" {
		// The store lets another execution take a lease once leaseExpiresAt < now, in
		// whole seconds (store.AcquireLease's condition).
		s.Lease = &Lease{Owner: owner, ExpiresAt: time.Unix(in.State.LeaseExpiresAt, 0).UTC(),
			Expired: in.State.LeaseExpiresAt < now.Unix()}
	}
	history := in.State.History()
	for _, dir := range []scaling.Direction{scaling.Out, scaling.In} {
		if c, ok := directionCooldown(t.Policies, dir, history, now); ok {
			s.Cooldowns = append(s.Cooldowns, c)
		}
	}
	return s
}

// scheduledActions describes the service's scheduled actions at now. effect is what they
// make of the bounds at now (config.ServiceTarget.BoundsAt).
func scheduledActions(sched schedule.Schedule, effect schedule.Effect, now time.Time) []ScheduledAction {
	out := make([]ScheduledAction, 0, len(sched))
	for _, a := range sched {
		v := ScheduledAction{
			ScheduledActionName:  a.Name,
			Schedule:             a.Schedule.String(),
			StartTime:            utcPtr(a.Start),
			EndTime:              utcPtr(a.End),
			ScalableTargetAction: ScalableTargetAction{MinCapacity: a.MinCapacity, MaxCapacity: a.MaxCapacity},
		}
		if a.Location != nil && a.Location != time.UTC {
			v.Timezone = a.Location.String()
		}
		if last, ok := a.Latest(now); ok {
			v.LastFiredAt = utcPtr(&last)
			v.Applied = slices.ContainsFunc(effect.Applied, func(f schedule.Firing) bool { return f.Action == a.Name && f.At.Equal(last) })
		}
		if next, ok := nextFiring(a, now, NextFireHorizon); ok {
			v.NextFireAt = &next
		}
		out = append(out, v)
	}
	return out
}

// nextFiring is the first minute after now's in which the action fires, within horizon.
// The schedule package answers only "when did it last fire by t" (Action.Latest), which
// moves forward exactly when the action fires: the next firing is the first minute whose
// answer differs from now's, found by bisection over the minutes of the horizon.
func nextFiring(a schedule.Action, now time.Time, horizon time.Duration) (time.Time, bool) {
	last, fired := a.Latest(now)
	changed := func(m int64) bool {
		l, ok := a.Latest(now.Add(time.Duration(m) * time.Minute))
		return ok != fired || !l.Equal(last)
	}
	lo, hi := int64(0), int64(horizon/time.Minute) // changed(lo) is false
	if !changed(hi) {
		return time.Time{}, false
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if changed(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	next, _ := a.Latest(now.Add(time.Duration(hi) * time.Minute))
	return next.UTC(), true
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func ecsView(snap *service.Snapshot, missing string) ECS {
	if snap == nil {
		return ECS{Status: Missing, StatusReason: missing}
	}
	e := ECS{
		Status:               snap.Status,
		DesiredCount:         snap.DesiredCount,
		RunningCount:         snap.RunningCount,
		PendingCount:         snap.PendingCount,
		Deployments:          len(snap.Deployments),
		DeploymentInProgress: snap.DeploymentInProgress(),
	}
	if d, ok := snap.Primary(); ok {
		e.RolloutState, e.RolloutStateReason = d.RolloutState, d.RolloutStateReason
	}
	return e
}

// directionCooldown is the cooldown of the direction's alarms: in effect if any alarm's
// is, ending when the last of them ends. ok is false when the service has no alarm in
// that direction.
func directionCooldown(policies []scaling.Policy, dir scaling.Direction, h scaling.History, now time.Time) (Cooldown, bool) {
	c := Cooldown{Direction: dir}
	found := false
	for _, p := range policies {
		if p.Direction != dir {
			continue
		}
		found = true
		end, in := cooldownEnd(p, h, now)
		if !in {
			continue
		}
		c.InEffect = true
		if end.IsZero() || (c.EndsAt != nil && !end.After(*c.EndsAt)) {
			continue
		}
		end = end.UTC()
		c.EndsAt, c.AlarmName = &end, p.AlarmName
		c.RemainingSeconds = int(math.Ceil(end.Sub(now).Seconds()))
	}
	return c, found
}

// cooldownEnd reports whether p's cooldown holds the service back at now and, if so,
// when it ends. The rule is the policy engine's (scaling.Plan), not restated here: which
// past scaling a direction's cooldown counts from is a policy decision (a scale-in waits
// after a scale-out too), so Plan itself is asked, about a probe service that p would
// otherwise scale. A cooldown ends cooldownSeconds after one of the two past scalings;
// the end is the first of those at which Plan no longer reports CooldownActive. end is
// zero if none is (Plan's rule changed beyond that shape): in effect, end unknown.
func cooldownEnd(p scaling.Policy, h scaling.History, now time.Time) (end time.Time, inEffect bool) {
	if !coolingAt(p, h, now) {
		return time.Time{}, false
	}
	length := time.Duration(p.CooldownSeconds) * time.Second
	var ends []time.Time
	for _, last := range []*time.Time{h.LastScaleOutAt, h.LastScaleInAt} {
		if last != nil {
			ends = append(ends, last.Add(length))
		}
	}
	slices.SortFunc(ends, time.Time.Compare)
	for _, e := range ends {
		if e.After(now) && !coolingAt(p, h, e) {
			return e, true
		}
	}
	return time.Time{}, true
}

// coolingAt asks scaling.Plan whether p's cooldown blocks a step at t. The probe is a
// steady ACTIVE service of one task that a one-task step of p's direction would move
// within [0, 2], with p's cooldown and the service's scaling times, and nothing else
// that could hold it back (no suspension, no deployment, no metric needed). Without
// the capacity before the last scale-out, Plan holds every relative scale-out back for
// the whole cooldown, so CooldownActive is its answer exactly while the cooldown lasts.
func coolingAt(p scaling.Policy, h scaling.History, t time.Time) bool {
	probe := scaling.Policy{
		AlarmName: p.AlarmName, Direction: p.Direction, CooldownSeconds: p.CooldownSeconds,
		AdjustmentType: scaling.ChangeInCapacity, Adjustment: 1, MinCapacity: 0, MaxCapacity: 2,
	}
	d := scaling.Plan(probe, scaling.Observation{
		Service: service.Snapshot{Status: service.StatusActive, DesiredCount: 1, RunningCount: 1},
		History: scaling.History{LastScaleOutAt: h.LastScaleOutAt, LastScaleInAt: h.LastScaleInAt},
		Now:     t,
	})
	return !d.Scale && len(d.NotScaledReasons) > 0 && d.NotScaledReasons[0].Code == scaling.CooldownActive
}
