package schedule

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind is the form of a schedule expression.
type Kind int

const (
	// At fires once, at a date and time: at(yyyy-mm-ddThh:mm:ss).
	At Kind = iota + 1
	// Rate fires at a regular interval: rate(value unit).
	Rate
	// Cron fires on a calendar: cron(minutes hours day-of-month month day-of-week year).
	Cron
)

func (k Kind) String() string {
	switch k {
	case At:
		return "at"
	case Rate:
		return "rate"
	case Cron:
		return "cron"
	}
	return "unknown"
}

// Expression is a parsed schedule expression. The zero Expression is invalid: get one
// from Parse.
type Expression struct {
	kind  Kind
	text  string
	at    wallTime      // At: the local date and time
	every time.Duration // Rate
	cron  *cronSpec     // Cron
}

// Kind says which form the expression has.
func (e Expression) Kind() Kind { return e.kind }

// String is the expression as it was written.
func (e Expression) String() string { return e.text }

// Every is a rate expression's interval; 0 for the other forms.
func (e Expression) Every() time.Duration { return e.every }

// wallTime is a date and time on a clock, in no time zone yet.
type wallTime struct {
	year                      int
	month                     time.Month
	day, hour, minute, second int
}

// maxRateValue bounds a rate's value so that the longest interval, 99999 days (about 273
// years), still fits a time.Duration. AWS documents no upper bound.
const maxRateValue = 99999

var (
	atExpr   = regexp.MustCompile(`^at\(` + atTime + `\)$`)
	cronExpr = regexp.MustCompile(`^cron\((.*)\)$`)
	// wholeNumber is a positive integer as written in an expression: digits, no sign, no
	// leading zero.
	wholeNumber = regexp.MustCompile(`^[1-9][0-9]*$`)
)

// Parse reads a schedule expression in one of the three forms PutScheduledAction takes:
// "at(yyyy-mm-ddThh:mm:ss)", "rate(value unit)" and "cron(fields)" (Application Auto
// Scaling API Reference, PutScheduledAction, Schedule). Errors say what is wrong in words
// an operator can act on.
func Parse(s string) (Expression, error) {
	switch {
	case strings.HasPrefix(s, "at("):
		return parseAt(s)
	case strings.HasPrefix(s, "rate("):
		return parseRate(s)
	case strings.HasPrefix(s, "cron("):
		return parseCron(s)
	}
	return Expression{}, fmt.Errorf("must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(minutes hours day-of-month month day-of-week year), got %q", s)
}

// parseAt reads "at(yyyy-mm-ddThh:mm:ss)", "useful for one-time schedules". The date must
// exist in the calendar; whether the time exists on the clock of the action's time zone
// is Instant's question.
func parseAt(s string) (Expression, error) {
	m := atExpr.FindStringSubmatch(s)
	if m == nil {
		return Expression{}, fmt.Errorf("an at expression is at(yyyy-mm-ddThh:mm:ss), with two digits for every field but the year's four, got %q", s)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v } // the pattern admits only digits
	w := wallTime{year: n(1), month: time.Month(n(2)), day: n(3), hour: n(4), minute: n(5), second: n(6)}
	if w.day > daysIn(w.year, w.month) {
		return Expression{}, arithmeticError{fmt.Errorf("%s: %s %d has %d days", s, w.month, w.year, daysIn(w.year, w.month))}
	}
	return Expression{kind: At, text: s, at: w}, nil
}

// parseRate reads "rate(value unit)": "value is a positive integer and unit is minute |
// minutes | hour | hours | day | days" (PutScheduledAction), and "If the value is equal to
// 1, then the unit must be singular. If the value is greater than 1, the unit must be
// plural" (EventBridge, "Rate expressions reference").
func parseRate(s string) (Expression, error) {
	body := strings.TrimSuffix(strings.TrimPrefix(s, "rate("), ")")
	fields := strings.Fields(body)
	if !strings.HasSuffix(s, ")") || len(fields) != 2 || strings.ContainsAny(body, "\t\n\r\v\f") ||
		strings.HasPrefix(body, " ") || strings.HasSuffix(body, " ") {
		return Expression{}, fmt.Errorf("a rate expression is rate(value unit), such as rate(5 minutes), got %q", s)
	}
	value, unit := fields[0], fields[1]
	v, err := strconv.Atoi(value)
	if err != nil || !wholeNumber.MatchString(value) || v < 1 || v > maxRateValue {
		return Expression{}, fmt.Errorf("%s: the value must be a whole number from 1 to %d, got %q", s, maxRateValue, value)
	}
	units := map[string]time.Duration{
		"minute": time.Minute, "minutes": time.Minute,
		"hour": time.Hour, "hours": time.Hour,
		"day": 24 * time.Hour, "days": 24 * time.Hour,
	}
	d, known := units[unit]
	switch {
	case !known:
		return Expression{}, fmt.Errorf("%s: the unit must be minute, minutes, hour, hours, day or days, got %q", s, unit)
	case v == 1 && strings.HasSuffix(unit, "s"):
		return Expression{}, fmt.Errorf("%s: with a value of 1 the unit is singular: rate(1 %s)", s, strings.TrimSuffix(unit, "s"))
	case v > 1 && !strings.HasSuffix(unit, "s"):
		return Expression{}, fmt.Errorf("%s: with a value above 1 the unit is plural: rate(%d %ss)", s, v, unit)
	}
	// A day is 24 hours, as EventBridge Scheduler counts "days" in a rate, whatever daylight
	// saving time does to the clock.
	return Expression{kind: Rate, text: s, every: time.Duration(v) * d}, nil
}

// Instant is the moment an at expression names, read on the clock of loc (nil is UTC).
// A time the clock skips when daylight saving time begins does not exist: ok is false. A
// time the clock shows twice when it ends is its first occurrence, as EventBridge
// Scheduler runs a schedule "only once" then. For the other forms ok is false.
func (e Expression) Instant(loc *time.Location) (time.Time, bool) {
	if e.kind != At {
		return time.Time{}, false
	}
	w := e.at
	return firstInstant(date{w.year, w.month, w.day}, w.hour, w.minute, w.second, orUTC(loc))
}

// arithmeticError is a mistake ExpressionPattern cannot see, because it takes arithmetic
// or a calendar to: a range that runs backwards, a day the month lacks, a cron expression
// no day matches.
type arithmeticError struct{ error }

func (e arithmeticError) Unwrap() error { return e.error }

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
