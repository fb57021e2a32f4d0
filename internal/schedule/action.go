package schedule

import "time"

// Action is one scheduled action, as AAS's ScheduledAction: a schedule, the time zone its
// at or cron expression is read in, the window a recurring schedule runs in, and the
// capacity bounds it sets.
type Action struct {
	Name     string
	Schedule Expression
	// Location is the time zone of an at or cron expression; nil is UTC, AAS's default.
	Location *time.Location
	// Start and End bound a recurring schedule. "If you specify a start time, Application
	// Auto Scaling performs the action at this time, and then performs the action based on
	// the specified recurrence. If you specify an end time, the action stops repeating after
	// this time" ("Scheduled scaling for Application Auto Scaling", AAS User Guide). A rate
	// counts its intervals from Start: without one it never fires (AAS counts from when the
	// action was created, which only AAS knows).
	Start, End *time.Time
	// MinCapacity and MaxCapacity are the bounds the action sets; nil leaves a bound as it
	// is. "The request can optionally include only one of these sizes."
	MinCapacity, MaxCapacity *int
}

// Latest is the latest minute at or before t's in which the action fires, and whether it
// has fired at all by then. Firings are counted by the minute: "Application Auto Scaling
// doesn't provide second-level precision in schedule expressions. The finest resolution
// using a cron expression is 1 minute", so an action due at 17:05:30 fires in the minute
// 17:05, and has fired at any instant of that minute. End is inclusive: the action stops
// repeating after it.
func (a Action) Latest(t time.Time) (time.Time, bool) {
	limit := t.Truncate(time.Minute).Add(time.Minute - time.Nanosecond)
	if a.End != nil && a.End.Before(limit) {
		limit = *a.End
	}
	var notBefore time.Time
	if a.Start != nil {
		notBefore = *a.Start
	}
	loc := orUTC(a.Location)
	var fired time.Time
	ok := false
	switch a.Schedule.kind {
	case At:
		if at, exists := a.Schedule.Instant(loc); exists && !at.After(limit) && !at.Before(notBefore) {
			fired, ok = at, true
		}
	case Rate:
		if a.Start != nil && !limit.Before(*a.Start) {
			// Saturating: an interval longer than time.Duration allows only fires at Start.
			n := limit.Sub(*a.Start) / a.Schedule.every
			fired, ok = a.Start.Add(n*a.Schedule.every), true
		}
	case Cron:
		fired, ok = a.Schedule.cron.latest(limit, loc, notBefore)
		if a.Start != nil && !a.Start.After(limit) && (!ok || a.Start.After(fired)) {
			fired, ok = *a.Start, true
		}
	}
	if !ok {
		return time.Time{}, false
	}
	return fired.Truncate(time.Minute), true
}

// FiresIn reports whether the action fires within the minute that contains t.
func (a Action) FiresIn(t time.Time) bool {
	fired, ok := a.Latest(t)
	return ok && fired.Equal(t.Truncate(time.Minute))
}

// latest is the latest moment at or before notAfter that the cron expression names on the
// clock of loc, and not before notBefore (when it is not zero).
//
// It walks the calendar backwards from the day after notAfter's (a clock turned back can
// show, shortly after notAfter, a time whose first occurrence came before it) and stops at
// the first matching date and time whose first occurrence is not after notAfter: the
// first occurrences of a day's times run in the clock's order, so no later one can follow.
func (c *cronSpec) latest(notAfter time.Time, loc *time.Location, notBefore time.Time) (time.Time, bool) {
	floor := date{yearField.lo, time.January, 1}
	if !notBefore.IsZero() {
		if d := dateOf(notBefore.In(loc)).add(-1); floor.before(d) {
			floor = d
		}
	}
	d := dateOf(notAfter.In(loc)).add(1)
	if last := (date{yearField.hi, time.December, 31}); last.before(d) {
		d = last
	}
	for !d.before(floor) {
		switch {
		case !c.hasYear(d.y):
			d = date{d.y - 1, time.December, 31}
			continue
		case c.months&(1<<d.m) == 0:
			d = date{d.y, d.m, 1}.add(-1)
			continue
		case !c.dayMatches(d):
			d = d.add(-1)
			continue
		}
		for h := hourField.hi; h >= hourField.lo; h-- {
			if c.hours&(1<<h) == 0 {
				continue
			}
			for m := minuteField.hi; m >= minuteField.lo; m-- {
				if c.minutes&(1<<m) == 0 {
					continue
				}
				at, exists := firstInstant(d, h, m, 0, loc)
				switch {
				case !exists || at.After(notAfter):
					continue
				case !notBefore.IsZero() && at.Before(notBefore):
					return time.Time{}, false
				}
				return at, true
			}
		}
		d = d.add(-1)
	}
	return time.Time{}, false
}
