package workflow

import (
	"fmt"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// Decide is the "Plan scaling" step's decision: scaling.Decide over the service's deployed
// policies, within the bounds its scheduled actions have in force now, fed what the earlier
// steps read and the clock. The what-if CLI and the backtest call it too, so their answers
// are the workflow's.
//
// When no alarm moves the service and its desired count lies outside those bounds, the
// bounds move it: to the new minimum or maximum, as Application Auto Scaling does when a
// scheduled action fires ("If the current capacity is less than the minimum capacity,
// Application Auto Scaling scales out to the minimum capacity", Scheduled scaling,
// Application Auto Scaling User Guide). Cooldowns and the dynamic-scaling suspensions
// do not hold it back, as they do not hold back a scheduled action in AAS.
func Decide(target config.ServiceTarget, req PlanRequest, now time.Time) scaling.Decision {
	effect := target.BoundsAt(now)
	_, notScalable := stability.Scalable(req.Before)
	d := scaling.Decide(target.Within(effect.Bounds), req.Alarms.Alarms, scaling.Observation{
		Service:     req.Before,
		History:     req.Lease.State.History(),
		NotScalable: notScalable,
		Now:         now,
	})
	if d.Scale || notScalable != "" || req.Before.Status != service.StatusActive {
		return d
	}
	if b, ok := IntoBounds(effect, req.Before.DesiredCount); ok {
		b.DryRun = target.DryRun
		return b
	}
	return d
}

// IntoBounds is the decision that moves a desired count outside the bounds in force into
// them, and says which scheduled action set the bound it lands on; false when the count
// is within them.
func IntoBounds(effect schedule.Effect, desired int) (scaling.Decision, bool) {
	to := effect.Bounds.Clamp(desired)
	if to == desired {
		return scaling.Decision{}, false
	}
	d := scaling.Decision{Scale: true, From: desired, To: to, Base: desired,
		Description: fmt.Sprintf("Setting desired count to %d.", to)}
	bound, value := "maximum", effect.Bounds.Max
	d.Direction = scaling.In
	if to > desired {
		bound, value = "minimum", effect.Bounds.Min
		d.Direction = scaling.Out
	}
	d.Reason = fmt.Sprintf("desired count %d is outside the bounds %s: the %s %d applies", desired, effect.Bounds, bound, value)
	if f, ok := setter(effect, d.Direction); ok {
		d.Reason = fmt.Sprintf("scheduled action %s set the %s to %d at %s; desired count %d is outside the bounds %s",
			f.Action, bound, value, f.At.UTC().Format(time.RFC3339), desired, effect.Bounds)
	}
	return d, true
}

// setter is the latest applied firing that set the bound a move in dir lands on.
func setter(effect schedule.Effect, dir scaling.Direction) (schedule.Firing, bool) {
	for i := len(effect.Applied) - 1; i >= 0; i-- {
		f := effect.Applied[i]
		if dir == scaling.Out && f.MinCapacity != nil || dir == scaling.In && f.MaxCapacity != nil {
			return f, true
		}
	}
	return schedule.Firing{}, false
}
