package schedule

import "strings"

// ExpressionPattern is a regular expression that accepts exactly the schedule expressions
// whose syntax Parse accepts. The JSON Schema of the configuration uses it, so that an
// editor refuses what the validation refuses; it is written for both regular expression
// dialects involved (ECMA-262, which JSON Schema names, and Go's RE2): no lookaround, no
// flags.
//
// A pattern cannot check everything Parse does. It lets through what only arithmetic or a
// calendar can refuse: a range that runs backwards (cron(0 17-9 ...)), a date the month
// does not have (at(2026-02-30T00:00:00)), a cron expression no day ever matches
// (cron(0 0 31 FEB ? *)). The configuration's tests list those cases.
var ExpressionPattern = `^(?:at\(` + atTime + `\)|rate\(` + rateBody + `\)|cron\(` + cronBody + `\))$`

// The parts of ExpressionPattern. Numbers may carry one leading zero where the field's
// values have two digits, as cron readers parse them as integers.
const (
	atTime   = `([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])`
	rateBody = `(?:1 +(?:minute|hour|day)|(?:[2-9]|[1-9][0-9]{1,4}) +(?:minutes|hours|days))`

	minuteValue = `[0-5]?[0-9]`
	hourValue   = `(?:[01]?[0-9]|2[0-3])`
	domValue    = `(?:0?[1-9]|[12][0-9]|3[01])`
	monthValue  = `(?:0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)`
	dowValue    = `(?:0?[1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)`
	yearValue   = `(?:19[7-9][0-9]|2[01][0-9][0-9])`

	// Increments run from 1 to the width of the field's range.
	minuteStep = `(?:[1-9]|[1-5][0-9])`
	hourStep   = `(?:[1-9]|1[0-9]|2[0-3])`
	domStep    = `(?:[1-9]|[12][0-9]|30)`
	monthStep  = `(?:[1-9]|1[01])`
	yearStep   = `(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-2][0-9])`
)

var cronBody = strings.Join([]string{
	listField(minuteValue, minuteStep),
	listField(hourValue, hourStep),
	`(?:` + domPattern + ` +` + listField(monthValue, monthStep) + ` +\?|\? +` + listField(monthValue, monthStep) + ` +` + dowPattern + `)`,
	listField(yearValue, yearStep),
}, ` +`)

var (
	// domPattern is a day-of-month field other than "?": a list, or one of L (the last
	// day), LW (the last weekday) and nW (the weekday nearest day n), each alone.
	domPattern = `(?:\*|` + listItems(domValue, domStep) + `|L|LW|` + domValue + `W)`
	// dowPattern is a day-of-week field other than "?": a list of days and ranges (no
	// increments: EventBridge lists none for the field), or one of L (Saturday, the last
	// day of the week), nL (the last day n of the month) and n#k (the k-th day n), alone.
	dowPattern = `(?:\*|` + dowValue + `(?:-` + dowValue + `)?(?:,` + dowValue + `(?:-` + dowValue + `)?)*|L|` + dowValue + `L|` + dowValue + `#[1-5])`
)

// listField is a field of comma-separated items, or "*" alone.
func listField(value, step string) string {
	return `(?:\*|` + listItems(value, step) + `)`
}

// listItems is comma-separated items: an item is a value, a range a-b, or either of them
// or "*" followed by /increment.
func listItems(value, step string) string {
	item := `(?:` + value + `(?:-` + value + `)?(?:/` + step + `)?|\*/` + step + `)`
	return item + `(?:,` + item + `)*`
}
