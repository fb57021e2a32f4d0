package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/schedule"
)

// DateTimePattern is an RFC 3339 date-time with its offset, as startTime and endTime take
// it (2026-12-01T08:00:00Z, 2026-12-01T09:00:00+01:00). The schema uses it too.
const DateTimePattern = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

var dateTime = regexp.MustCompile(DateTimePattern)

// scheduledActions checks a service's scheduled actions and compiles the valid ones.
func (v *validator) scheduledActions(at string, s Service) schedule.Schedule {
	if s.ScheduledActions == nil {
		return nil
	}
	field := at + ".scheduledActions"
	switch n := len(s.ScheduledActions); {
	case n == 0:
		v.addf(field, "must list at least one scheduled action; leave it out for none")
	case n > maxScheduledActions:
		v.addf(field, "must list at most %d scheduled actions (Application Auto Scaling's quota per scalable target), got %d", maxScheduledActions, n)
	}
	var compiled schedule.Schedule
	valid := true
	seen := map[string]string{}
	for j, a := range s.ScheduledActions {
		aat := fmt.Sprintf("%s[%d]", field, j)
		act, ok := v.scheduledAction(aat, a)
		// "The name of the scheduled action must be unique among all other scheduled actions
		// on the specified scalable target."
		if prev, dup := seen[a.ScheduledActionName]; dup {
			v.addf(aat+".scheduledActionName", "scheduled action %q is already configured at %s", a.ScheduledActionName, prev)
		}
		seen[a.ScheduledActionName] = aat
		valid = valid && ok
		compiled = append(compiled, act)
	}
	v.boundsInversions(at, s)
	if !valid {
		return nil
	}
	return compiled
}

// scheduledAction checks one scheduled action with PutScheduledAction's rules and
// compiles it. ok is false when it has a problem.
func (v *validator) scheduledAction(at string, a ScheduledAction) (act schedule.Action, ok bool) {
	before := len(v.problems)
	v.actionName(at+".scheduledActionName", a.ScheduledActionName)
	act.Name = a.ScheduledActionName

	expr, err := schedule.Parse(a.Schedule)
	if err != nil {
		v.addf(at+".schedule", "%v", err)
	}
	act.Schedule = expr
	if v.given[at+".timezone"] {
		loc, err := schedule.LoadZone(a.Timezone)
		switch {
		case err != nil:
			v.addf(at+".timezone", "%v", err)
		case expr.Kind() == schedule.Rate:
			// "The time zone used when referring to the date and time of a scheduled action,
			// when the scheduled action uses an at or cron expression" (ScheduledAction).
			v.addf(at+".timezone", "applies only to at() and cron() schedules: a rate counts intervals, not times on a clock")
		}
		act.Location = loc
	}
	if expr.Kind() == schedule.At {
		if _, exists := expr.Instant(act.Location); !exists {
			v.addf(at+".schedule", "%s does not exist in %s: the clock skips that time when daylight saving time begins", expr, act.Location)
		}
	}
	act.Start = v.dateTime(at+".startTime", a.StartTime)
	act.End = v.dateTime(at+".endTime", a.EndTime)
	switch {
	case expr.Kind() == schedule.At && (act.Start != nil || act.End != nil):
		field := "startTime"
		if act.Start == nil {
			field = "endTime"
		}
		v.addf(at+"."+field, "applies only to rate() and cron() schedules, which repeat: an at() schedule runs once")
	case expr.Kind() == schedule.Rate && act.Start == nil && !v.given[at+".startTime"]:
		// "A rate expression starts when you create the scheduled event rule" (EventBridge):
		// AAS counts a rate from the action's creation, which the file cannot know.
		v.addf(at+".startTime", "required with a rate() schedule: its intervals count from startTime")
	case act.Start != nil && act.End != nil && !act.End.After(*act.Start):
		v.addf(at+".endTime", "must be after startTime (%s), got %s", a.StartTime, a.EndTime)
	}
	if t := a.ScalableTargetAction; t != nil {
		v.targetAction(at+".scalableTargetAction", *t)
		act.MinCapacity, act.MaxCapacity = clonePtr(t.MinCapacity), clonePtr(t.MaxCapacity)
	}
	return act, len(v.problems) == before
}

// actionName applies ScheduledActionName's rules (PutScheduledAction, AAS API
// Reference): 1-256 characters, without leading or trailing spaces, control characters
// (U+0000-U+001F, U+007F-U+009F), ':', '/' or '|'.
func (v *validator) actionName(field, name string) {
	bad := func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == ':' || r == '/' || r == '|' }
	switch n := utf8.RuneCountInString(name); {
	case n == 0 || n > maxActionNameLen:
		v.addf(field, "must be 1-%d characters (Application Auto Scaling's limit), got %d", maxActionNameLen, n)
	case strings.HasPrefix(name, " ") || strings.HasSuffix(name, " "):
		v.addf(field, "must not begin or end with a space, got %q", name)
	case strings.ContainsFunc(name, bad):
		v.addf(field, "must not contain control characters, ':', '/' or '|' (Application Auto Scaling's rule), got %q", name)
	}
}

// dateTime reads a startTime or endTime: nil when it is left out or wrong.
func (v *validator) dateTime(field, s string) *time.Time {
	if !v.given[field] {
		return nil
	}
	if !dateTime.MatchString(s) {
		v.addf(field, "must be an RFC 3339 date-time with its offset, such as 2026-12-01T08:00:00Z, got %q", s)
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		v.addf(field, "%q is not a date: %v", s, err)
		return nil
	}
	return &t
}

// targetAction checks the bounds an action sets. AAS refuses an action without either
// ("At least one of minimum capacity and maximum capacity should be provided", its
// ValidationException) and one whose maximum is below its minimum.
func (v *validator) targetAction(field string, t ScalableTargetAction) {
	if t.MinCapacity == nil && t.MaxCapacity == nil {
		v.addf(field, "give minCapacity, maxCapacity or both")
		return
	}
	v.intRange(field+".minCapacity", t.MinCapacity, 0, maxServiceTasks)
	v.intRange(field+".maxCapacity", t.MaxCapacity, 0, maxServiceTasks)
	if t.MinCapacity != nil && t.MaxCapacity != nil && *t.MaxCapacity < *t.MinCapacity {
		v.addf(field+".maxCapacity", "must not be below minCapacity (%d), got %d", *t.MinCapacity, *t.MaxCapacity)
	}
}

// boundsInversions refuses an action that sets one bound only when, at some firing, it
// could put the minimum above the maximum. AAS asks for both then: "In some cases,
// however, you must include both sizes to ensure that the new minimum capacity is not
// greater than the maximum capacity, or the new maximum capacity is not less than the
// minimum capacity" ("Scheduled scaling for Application Auto Scaling", AAS User Guide),
// and does not say what an action that does not do so does.
//
// At any moment the minimum comes from the service or from one action, the maximum from
// the service or from one action. They come from different sources only when the later
// of the two set a single bound. So no firing inverts the bounds exactly when every
// minimum-only action's minimum is at most every maximum the service or an action can
// set, and every maximum-only action's maximum at least every such minimum.
func (v *validator) boundsInversions(at string, s Service) {
	if v.unreadable(at) || s.MinCapacity < 0 || s.MaxCapacity < s.MinCapacity || s.MaxCapacity > maxServiceTasks {
		return // the service's own bounds are wrong, and said so
	}
	type source struct {
		value int
		from  string
	}
	lowestMax := source{s.MaxCapacity, at + ".maxCapacity"}
	highestMin := source{s.MinCapacity, at + ".minCapacity"}
	inRange := func(p *int) bool { return p == nil || (*p >= 0 && *p <= maxServiceTasks) }
	usable := func(j int, t *ScalableTargetAction) bool {
		return t != nil && inRange(t.MinCapacity) && inRange(t.MaxCapacity) && !v.unreadable(fmt.Sprintf("%s.scheduledActions[%d]", at, j))
	}
	for j, a := range s.ScheduledActions {
		t := a.ScalableTargetAction
		if !usable(j, t) {
			continue
		}
		from := fmt.Sprintf("%s.scheduledActions[%d] (%s)", at, j, a.ScheduledActionName)
		if t.MaxCapacity != nil && *t.MaxCapacity < lowestMax.value {
			lowestMax = source{*t.MaxCapacity, from}
		}
		if t.MinCapacity != nil && *t.MinCapacity > highestMin.value {
			highestMin = source{*t.MinCapacity, from}
		}
	}
	const why = "AAS asks for both sizes then, so that the new minimum is never above the maximum"
	for j, a := range s.ScheduledActions {
		t := a.ScalableTargetAction
		aat := fmt.Sprintf("%s.scheduledActions[%d].scalableTargetAction", at, j)
		switch {
		case !usable(j, t):
		case t.MinCapacity != nil && t.MaxCapacity == nil && *t.MinCapacity > lowestMax.value:
			v.addf(aat, "minCapacity %d without maxCapacity could put the minimum above the maximum %d that %s sets: give maxCapacity too (%s)",
				*t.MinCapacity, lowestMax.value, lowestMax.from, why)
		case t.MaxCapacity != nil && t.MinCapacity == nil && *t.MaxCapacity < highestMin.value:
			v.addf(aat, "maxCapacity %d without minCapacity could put the maximum below the minimum %d that %s sets: give minCapacity too (%s)",
				*t.MaxCapacity, highestMin.value, highestMin.from, why)
		}
	}
}
