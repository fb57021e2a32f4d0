package schedule

import (
	"fmt"
	"slices"
	"time"
)

// Bounds are a service's minimum and maximum capacity: the desired count a scaling may set
// lies between them.
type Bounds struct {
	Min int `json:"minCapacity"`
	Max int `json:"maxCapacity"`
}

// Clamp is the count within the bounds nearest n. It is what a scheduled action does to
// the desired count when it fires: "If current capacity is less than the specified
// minimum capacity, Application Auto Scaling scales out (increases capacity) to the
// specified minimum capacity. If current capacity is greater than the specified maximum
// capacity, Application Auto Scaling scales in (decreases capacity) to the specified
// maximum capacity" ("Scheduled scaling for Application Auto Scaling", AAS User Guide).
func (b Bounds) Clamp(n int) int { return max(b.Min, min(n, b.Max)) }

func (b Bounds) String() string { return fmt.Sprintf("[%d, %d]", b.Min, b.Max) }

// Schedule is a service's scheduled actions, in the order the configuration lists them.
type Schedule []Action

// Firing is one run of a scheduled action: the minute it fires in and the bounds it sets.
type Firing struct {
	Action      string    `json:"scheduledActionName"`
	At          time.Time `json:"at"`
	MinCapacity *int      `json:"minCapacity,omitempty"`
	MaxCapacity *int      `json:"maxCapacity,omitempty"`
}

// Refusal is a firing that was not applied, and why.
type Refusal struct {
	Firing
	Reason string `json:"reason"`
}

// Effect is what a schedule makes of a service's bounds at an instant.
type Effect struct {
	// Bounds are the bounds in force.
	Bounds Bounds `json:"bounds"`
	// Applied are the firings that set them: the latest of each action that has fired,
	// in the order they were applied.
	Applied []Firing `json:"applied,omitempty"`
	// Refused are firings that would have left the minimum above the maximum. A
	// configuration that passed validation never has one (see Effective).
	Refused []Refusal `json:"refused,omitempty"`
}

// Effective is what the schedule makes of the service's bounds at t, starting from base,
// the bounds the service is registered with.
//
// AAS applies scheduled actions persistently: "A scheduled action sets the MinCapacity and
// MaxCapacity to what is specified by the scheduled action at the date and time
// specified", and nothing sets them back: "Application Auto Scaling does not keep track of
// previous values and revert back to those previous values after the end time" ("Scheduled
// scaling for Application Auto Scaling", AAS User Guide). So the bounds at t are base
// overwritten by the latest firing of each action that has fired by t, applied in the
// order they fired; two actions firing in the same minute apply in the order the schedule
// lists them, as AAS runs them "in the order that they are specified". Whatever the base,
// a bound some action has set stays as that action set it.
//
// AAS documents that "you must include both sizes to ensure that the new minimum capacity
// is not greater than the maximum capacity, or the new maximum capacity is not less than
// the minimum capacity", but not what happens to an action that does not. Such a firing
// is refused here and the bounds stay as they were, as AAS's own API refuses a minimum
// above the maximum. The configuration's validation refuses any action that could do it,
// which also makes this latest-firing-of-each replay exact: without refusals, each bound
// is simply the last value written to it.
func (s Schedule) Effective(base Bounds, t time.Time) Effect {
	type fired struct {
		index int
		at    time.Time
	}
	var all []fired
	for i, a := range s {
		if at, ok := a.Latest(t); ok {
			all = append(all, fired{i, at})
		}
	}
	slices.SortStableFunc(all, func(x, y fired) int { return x.at.Compare(y.at) })
	e := Effect{Bounds: base}
	for _, f := range all {
		a := s[f.index]
		firing := Firing{Action: a.Name, At: f.at, MinCapacity: a.MinCapacity, MaxCapacity: a.MaxCapacity}
		next := e.Bounds
		if a.MinCapacity != nil {
			next.Min = *a.MinCapacity
		}
		if a.MaxCapacity != nil {
			next.Max = *a.MaxCapacity
		}
		if next.Min > next.Max {
			e.Refused = append(e.Refused, Refusal{firing,
				fmt.Sprintf("it would set the bounds to %s, a minimum above the maximum; bounds stay %s", next, e.Bounds)})
			continue
		}
		e.Bounds = next
		e.Applied = append(e.Applied, firing)
	}
	return e
}

// Due lists the actions that fire within the minute that contains t, in the order they
// apply: the per-minute evaluation starts a scaling for the service when it is not empty.
// Their bounds are already in Effective(base, t).
func (s Schedule) Due(t time.Time) []Firing {
	var due []Firing
	for _, a := range s {
		if a.FiresIn(t) {
			due = append(due, Firing{Action: a.Name, At: t.Truncate(time.Minute), MinCapacity: a.MinCapacity, MaxCapacity: a.MaxCapacity})
		}
	}
	return due
}

// CatchUp is how long after a scheduled action fires the per-minute evaluation keeps
// starting its service's execution, one a minute. Application Auto Scaling applies an
// action once; here the execution of the minute it fires may find the lease held by one
// that planned under the old bounds, so the next minutes look again. Each look is an
// execution that changes nothing once the count is within the bounds, and a repeated
// not-scaled decision is recorded once.
const CatchUp = 5 * time.Minute

// DueWithin reports whether an action fired in the minute that contains t or in the
// CatchUp before it: whether the evaluation of that minute starts the service's
// execution for its schedule.
func (s Schedule) DueWithin(t time.Time) bool {
	for back := time.Duration(0); back < CatchUp && len(s) > 0; back += time.Minute {
		if len(s.Due(t.Add(-back))) > 0 {
			return true
		}
	}
	return false
}

// Clone is a copy of the schedule that shares nothing the caller could change with it.
func (s Schedule) Clone() Schedule {
	if s == nil {
		return nil
	}
	c := make(Schedule, len(s))
	for i, a := range s {
		a.Start, a.End = clonePtr(a.Start), clonePtr(a.End)
		a.MinCapacity, a.MaxCapacity = clonePtr(a.MinCapacity), clonePtr(a.MaxCapacity)
		c[i] = a
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
