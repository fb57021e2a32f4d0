package schedule

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cronSpec is a parsed cron expression: the set of values each field matches.
//
// The syntax is EventBridge's ("Cron expressions reference", Amazon EventBridge User
// Guide), to which AAS's "Schedule recurring scaling actions using cron expressions" refers:
//
//	Field         Values             Wildcards
//	Minutes       0-59               , - * /
//	Hours         0-23               , - * /
//	Day-of-month  1-31               , - * ? / L W
//	Month         1-12 or JAN-DEC    , - * /
//	Day-of-week   1-7 or SUN-SAT     , - * ? L #
//	Year          1970-2199          , - * /
//
// and "You can't specify the Day-of-month and Day-of-week fields in the same cron
// expression. If you specify a value or a * (asterisk) in one of the fields, you must use a
// ? (question mark) in the other." EventBridge's syntax is the Quartz scheduler's, whose
// rules settle what EventBridge leaves unsaid: L, W and # stand alone in their field,
// names are three capital letters, and an increment never exceeds its field's range.
type cronSpec struct {
	minutes uint64    // bit m: minute m
	hours   uint64    // bit h: hour h
	months  uint64    // bit m: month m
	years   [4]uint64 // bit y-1970: year y
	dom     dayOfMonth
	dow     dayOfWeek
}

// dayOfMonth is the day-of-month field.
type dayOfMonth struct {
	any         bool   // "?": the day-of-week field decides
	days        uint64 // bit d: day d
	last        bool   // "L": the last day of the month
	lastWeekday bool   // "LW": the last weekday (Monday to Friday) of the month
	nearest     int    // "nW": the weekday nearest day n, within the month; 0 if unused
}

// dayOfWeek is the day-of-week field; days are numbered 1 (Sunday) to 7 (Saturday).
type dayOfWeek struct {
	any      bool   // "?": the day-of-month field decides
	days     uint64 // bit d: day d of the week
	lastOf   int    // "dL": the last day d of the month; 0 if unused
	nthDay   int    // "d#k": the k-th day d of the month; 0 if unused
	nthIndex int
}

// field is one field of a cron expression: its name and range, and the names its values
// may go by.
type field struct {
	name   string
	lo, hi int
	names  []string // names[i] is value lo+i
	digits int      // how many digits a value has at most
	steps  bool     // whether "/" is allowed
}

var (
	minuteField = field{name: "minutes", lo: 0, hi: 59, digits: 2, steps: true}
	hourField   = field{name: "hours", lo: 0, hi: 23, digits: 2, steps: true}
	domField    = field{name: "day-of-month", lo: 1, hi: 31, digits: 2, steps: true}
	monthField  = field{name: "month", lo: 1, hi: 12, digits: 2, steps: true,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	dowField  = field{name: "day-of-week", lo: 1, hi: 7, digits: 2, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	yearField = field{name: "year", lo: 1970, hi: 2199, digits: 4, steps: true}
)

var fieldSeparator = regexp.MustCompile(` +`)

// parseCron reads cron(minutes hours day-of-month month day-of-week year). "The cron
// format consists of six fields separated by white spaces" (PutScheduledAction).
func parseCron(s string) (Expression, error) {
	m := cronExpr.FindStringSubmatch(s)
	if m == nil {
		return Expression{}, fmt.Errorf("a cron expression is cron(minutes hours day-of-month month day-of-week year), got %q", s)
	}
	body := m[1]
	if strings.HasPrefix(body, " ") || strings.HasSuffix(body, " ") || body == "" {
		return Expression{}, fmt.Errorf("%s: the fields are separated by spaces, with none before the first or after the last", s)
	}
	fields := fieldSeparator.Split(body, -1)
	if len(fields) != 6 {
		return Expression{}, fmt.Errorf("%s: a cron expression has six fields (minutes hours day-of-month month day-of-week year), got %d", s, len(fields))
	}
	c, err := parseCronFields(fields)
	var arithmetic arithmeticError
	switch {
	case errors.As(err, &arithmetic):
		return Expression{}, arithmeticError{fmt.Errorf("%s: %w", s, err)}
	case err != nil:
		return Expression{}, fmt.Errorf("%s: %w", s, err)
	}
	if !c.firesSometime() {
		return Expression{}, arithmeticError{fmt.Errorf("%s: no day between 1970 and 2199 matches it, so it never fires", s)}
	}
	return Expression{kind: Cron, text: s, cron: c}, nil
}

func parseCronFields(f []string) (*cronSpec, error) {
	c := &cronSpec{}
	for _, part := range []struct {
		field field
		text  string
		set   *uint64
	}{{minuteField, f[0], &c.minutes}, {hourField, f[1], &c.hours}, {monthField, f[3], &c.months}} {
		set, err := part.field.list(part.text)
		if err != nil {
			return nil, err
		}
		*part.set = set[0]
	}
	years, err := yearField.list(f[5])
	if err != nil {
		return nil, err
	}
	c.years = [4]uint64(years)
	switch dom, dow := f[2], f[4]; {
	case dom == "?" && dow == "?":
		return nil, fmt.Errorf("day-of-month and day-of-week are both ?: one of them must say which days")
	case dom != "?" && dow != "?":
		return nil, fmt.Errorf("day-of-month %q and day-of-week %q are both given: one of them must be ? (EventBridge's rule)", dom, dow)
	}
	if c.dom, err = parseDayOfMonth(f[2]); err != nil {
		return nil, err
	}
	if c.dow, err = parseDayOfWeek(f[4]); err != nil {
		return nil, err
	}
	return c, nil
}

func parseDayOfMonth(s string) (dayOfMonth, error) {
	switch {
	case s == "?":
		return dayOfMonth{any: true}, nil
	case s == "L":
		return dayOfMonth{last: true}, nil
	case s == "LW":
		return dayOfMonth{lastWeekday: true}, nil
	case strings.HasSuffix(s, "W"):
		n, err := domField.value(strings.TrimSuffix(s, "W"))
		if err != nil {
			return dayOfMonth{}, fmt.Errorf("%q: W follows one day of the month (15W is the weekday nearest the 15th): %w", s, err)
		}
		return dayOfMonth{nearest: n}, nil
	case strings.ContainsAny(s, "LW"):
		return dayOfMonth{}, fmt.Errorf("day-of-month %q: L, LW and nW stand alone in the field", s)
	}
	days, err := domField.list(s)
	if err != nil {
		return dayOfMonth{}, err
	}
	return dayOfMonth{days: days[0]}, nil
}

func parseDayOfWeek(s string) (dayOfWeek, error) {
	switch {
	case s == "?":
		return dayOfWeek{any: true}, nil
	case s == "L":
		// "The L wildcard in the Day-of-month or Day-of-week fields specifies the last day of
		// the month or week": the week runs from Sunday (1) to Saturday (7).
		return dayOfWeek{days: 1 << 7}, nil
	case strings.Contains(s, "#"):
		day, nth, _ := strings.Cut(s, "#")
		d, err := dowField.value(day)
		if err != nil || strings.ContainsAny(s, ",-") {
			return dayOfWeek{}, fmt.Errorf("day-of-week %q: # follows one day of the week and stands alone in the field (3#2 is the second Tuesday)", s)
		}
		k, err := strconv.Atoi(nth)
		if err != nil || len(nth) != 1 || k < 1 || k > 5 {
			return dayOfWeek{}, fmt.Errorf("day-of-week %q: # is followed by 1 to 5, the occurrence of the day in the month", s)
		}
		return dayOfWeek{nthDay: d, nthIndex: k}, nil
	case strings.HasSuffix(s, "L"):
		d, err := dowField.value(strings.TrimSuffix(s, "L"))
		if err != nil {
			return dayOfWeek{}, fmt.Errorf("day-of-week %q: L follows one day of the week (6L is the last Friday of the month) or stands alone: %w", s, err)
		}
		return dayOfWeek{lastOf: d}, nil
	}
	days, err := dowField.list(s)
	if err != nil {
		return dayOfWeek{}, err
	}
	return dayOfWeek{days: days[0]}, nil
}

// list parses a field of comma-separated items into the set of values it matches (a
// bit per value, counted from the field's offset for years). "*" stands alone; an item is
// a value, a range a-b, or either of them or "*" followed by /increment, which "specifies
// increments ... 1/10 ... every tenth minute, starting from the first minute".
func (f field) list(s string) ([]uint64, error) {
	set := make([]uint64, (f.hi-f.lo)/64+1)
	add := func(from, to, step int) {
		for v := from; v <= to; v += step {
			i := v
			if f.lo >= 64 {
				i = v - f.lo
			}
			set[i/64] |= 1 << (i % 64)
		}
	}
	if s == "*" {
		add(f.lo, f.hi, 1)
		return set, nil
	}
	for _, item := range strings.Split(s, ",") {
		base, stepText, stepped := strings.Cut(item, "/")
		step := 1
		if stepped {
			if !f.steps {
				return nil, fmt.Errorf("%s %q: the field takes no increments (/)", f.name, s)
			}
			n, err := strconv.Atoi(stepText)
			if err != nil || !wholeNumber.MatchString(stepText) || n > f.hi-f.lo {
				return nil, fmt.Errorf("%s %q: the increment after / must be a whole number from 1 to %d", f.name, s, f.hi-f.lo)
			}
			step = n
		}
		from, to := f.lo, f.hi
		switch a, b, isRange := strings.Cut(base, "-"); {
		case base == "*" && stepped:
		case base == "*":
			return nil, fmt.Errorf("%s %q: * stands alone, or before an increment (*/5)", f.name, s)
		case base == "":
			return nil, fmt.Errorf("%s %q: an empty item", f.name, s)
		case isRange:
			var err error
			if from, err = f.value(a); err != nil {
				return nil, err
			}
			if to, err = f.value(b); err != nil {
				return nil, err
			}
			if to < from {
				return nil, arithmeticError{fmt.Errorf("%s %q: the range %s runs backwards", f.name, s, base)}
			}
		default:
			v, err := f.value(base)
			if err != nil {
				return nil, err
			}
			from = v
			if !stepped {
				to = v
			}
		}
		add(from, to, step)
	}
	return set, nil
}

// value reads one value of the field: a number in its range, or one of its names.
func (f field) value(s string) (int, error) {
	if i := slices.Index(f.names, s); i >= 0 {
		return f.lo + i, nil
	}
	n, err := strconv.Atoi(s)
	digitsOK := len(s) >= 1 && len(s) <= f.digits && strings.Trim(s, "0123456789") == ""
	if f.digits == 4 {
		digitsOK = len(s) == 4 && strings.Trim(s, "0123456789") == ""
	}
	if err != nil || !digitsOK || n < f.lo || n > f.hi {
		named := ""
		if len(f.names) > 0 {
			named = fmt.Sprintf(" or %s-%s", f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Errorf("%s must be %d-%d%s, got %q", f.name, f.lo, f.hi, named, s)
	}
	return n, nil
}

// firesSometime reports whether some day between 1970 and 2199 matches the expression:
// every field but the days has at least one value, so that is enough for it to fire.
func (c *cronSpec) firesSometime() bool {
	for y := yearField.lo; y <= yearField.hi; y++ {
		if !c.hasYear(y) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			if c.months&(1<<m) == 0 {
				continue
			}
			for d := 1; d <= daysIn(y, m); d++ {
				if c.dayMatches(date{y, m, d}) {
					return true
				}
			}
		}
	}
	return false
}

func (c *cronSpec) hasYear(y int) bool {
	if y < yearField.lo || y > yearField.hi {
		return false
	}
	i := y - yearField.lo
	return c.years[i/64]&(1<<(i%64)) != 0
}

// dayMatches reports whether the day matches the year, month and day fields. One of the
// two day fields is "?", so the other decides.
func (c *cronSpec) dayMatches(d date) bool {
	if !c.hasYear(d.y) || c.months&(1<<d.m) == 0 {
		return false
	}
	if c.dom.any {
		return c.dow.matches(d)
	}
	return c.dom.matches(d)
}

func (f dayOfMonth) matches(d date) bool {
	last := daysIn(d.y, d.m)
	switch {
	case f.last:
		return d.d == last
	case f.lastWeekday:
		return d.d == nearestWeekday(d.y, d.m, last)
	case f.nearest > 0:
		return f.nearest <= last && d.d == nearestWeekday(d.y, d.m, f.nearest)
	}
	return f.days&(1<<d.d) != 0
}

func (f dayOfWeek) matches(d date) bool {
	wd := int(d.weekday()) + 1 // Sunday is 1
	switch {
	case f.lastOf > 0:
		return wd == f.lastOf && d.d+7 > daysIn(d.y, d.m)
	case f.nthDay > 0:
		return wd == f.nthDay && (d.d-1)/7+1 == f.nthIndex
	}
	return f.days&(1<<wd) != 0
}

// nearestWeekday is the weekday (Monday to Friday) nearest day n of the month, without
// leaving the month: "3W specifies the weekday closest to the third day of the month". A
// Saturday gives the Friday before, or the Monday after when the Saturday is the 1st; a
// Sunday the Monday after, or the Friday before when the Sunday is the last day (Quartz).
func nearestWeekday(y int, m time.Month, n int) int {
	switch (date{y, m, n}).weekday() {
	case time.Saturday:
		if n == 1 {
			return n + 2
		}
		return n - 1
	case time.Sunday:
		if n == daysIn(y, m) {
			return n - 2
		}
		return n + 1
	}
	return n
}
