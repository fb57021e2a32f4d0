package schedule

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// validExpressions are expressions AWS documents as valid, with where.
var validExpressions = []struct{ expr, source string }{
	// "Schedule recurring scaling actions using cron expressions", AAS User Guide: the
	// table of examples "are the correct syntax for using Application Auto Scaling".
	{"cron(0 10 * * ? *)", "AAS cron table: 10:00 am (UTC) every day"},
	{"cron(15 12 * * ? *)", "AAS cron table: 12:15 pm (UTC) every day"},
	{"cron(0 18 ? * MON-FRI *)", "AAS cron table: 6:00 pm (UTC) every Monday through Friday"},
	{"cron(0 8 1 * ? *)", "AAS cron table: 8:00 am (UTC) the 1st day of every month"},
	{"cron(0/15 * * * ? *)", "AAS cron table: every 15 minutes"},
	{"cron(0/10 * ? * MON-FRI *)", "AAS cron table: every 10 minutes Monday through Friday"},
	{"cron(0/5 8-17 ? * MON-FRI *)", "AAS cron table: every 5 minutes Monday through Friday between 8:00 am and 5:55 pm"},
	// "Example scheduled actions for Application Auto Scaling", AAS User Guide.
	{"at(2021-03-31T22:00:00)", "AAS examples: scale out one time only"},
	{"at(2021-01-31T17:00:00)", "AAS examples: one-time action with a time zone"},
	{"rate(5 hours)", "AAS examples: recurring interval"},
	{"cron(0 9 * * ? *)", "AAS examples: every day at 9:00 AM UTC"},
	// "Rate expressions reference", EventBridge User Guide.
	{"rate(1 minute)", "EventBridge rate examples"},
	{"rate(5 minutes)", "EventBridge rate examples"},
	{"rate(1 hour)", "EventBridge rate examples"},
	{"rate(1 day)", "EventBridge rate examples"},
	// "Cron expressions reference", EventBridge User Guide: the wildcards it describes.
	{"cron(0 12 ? JAN,FEB,MAR * *)", "EventBridge: , in the Month field"},
	{"cron(0 12 1-15 * ? *)", "EventBridge: - in the Day field"},
	{"cron(1/10 * * * ? *)", "EventBridge: 1/10, every tenth minute from the first"},
	{"cron(0 12 7 * ? *)", "EventBridge: ? in Day-of-week when Day-of-month is 7"},
	{"cron(0 12 L * ? *)", "EventBridge: L in Day-of-month"},
	{"cron(0 12 ? * L *)", "EventBridge: L in Day-of-week"},
	{"cron(0 12 3W * ? *)", "EventBridge: 3W, the weekday closest to the third"},
	{"cron(0 12 ? * 3#2 *)", "EventBridge: 3#2, the second Tuesday of the month"},
	// Forms the same syntax allows.
	{"cron(*/5 * * * ? 2026-2030)", "increment from *, a range of years"},
	{"cron(05 07 01 01 ? 2027)", "one leading zero, as cron readers parse integers"},
	{"cron(0 12 ? * 6L *)", "nL: the last Friday of the month (Quartz)"},
	{"cron(0 12 LW * ? *)", "LW: the last weekday of the month (Quartz)"},
	{"cron(0  12  *  *  ?  *)", "fields separated by white space: several spaces"},
	{"rate(99999 days)", "the longest rate Stepscaler takes"},
}

// invalidExpressions are expressions that must be refused, with a fragment of the reason.
// calendar marks the mistakes ExpressionPattern cannot see.
var invalidExpressions = []struct {
	expr, problem string
	calendar      bool
}{
	// "You can't specify the Day-of-month and Day-of-week fields in the same cron
	// expression" (EventBridge). AAS's cron page shows "30 6 * * 2 *" for "every Tuesday
	// at 6:30 AM", which breaks that rule; its examples table does not.
	{"cron(30 6 * * 2 *)", "one of them must be ?", false},
	{"cron(0 12 ? * ? *)", "both ?", false},
	{"cron(0 12 * * * *)", "one of them must be ?", false},
	// "rate(1 hours) and rate(5 hour) aren't valid" (EventBridge, "Rate expressions").
	{"rate(1 hours)", "unit is singular", false},
	{"rate(5 hour)", "unit is plural", false},
	// "If you use the '#' character, you can define only one expression in the
	// day-of-week field. For example, "3#1,6#3" is not valid" (EventBridge).
	{"cron(0 12 ? * 3#1,6#3 *)", "stands alone", false},
	// Six fields, as AAS documents; five is a crontab habit.
	{"cron(10 8 ? * MON-FRI)", "six fields", false},
	{"cron(0 10 8 ? * MON-FRI *)", "six fields", false},
	// at(yyyy-mm-ddThh:mm:ss) has two digits for the hour. One AAS capture prints
	// "at(2020-12-08T9:36:00)" ("Managing scheduled scaling", AAS User Guide); the importer
	// rewrites it, the configuration takes the documented form only.
	{"at(2020-12-08T9:36:00)", "two digits", false},
	{"at(2021-03-31 22:00:00)", "at(yyyy-mm-ddThh:mm:ss)", false},
	{"at(2021-03-31T22:00)", "at(yyyy-mm-ddThh:mm:ss)", false},
	{"at(2026-02-30T00:00:00)", "February 2026 has 28 days", true},
	{"at(2028-02-30T00:00:00)", "February 2028 has 29 days", true},
	{"rate(0 minutes)", "from 1 to 99999", false},
	{"rate(05 minutes)", "from 1 to 99999", false},
	{"rate(+5 minutes)", "from 1 to 99999", false},
	{"rate(100000 days)", "from 1 to 99999", false},
	{"rate(2 weeks)", "minute, minutes, hour, hours, day or days", false},
	{"rate( 5 minutes)", "rate(value unit)", false},
	{"rate(5\tminutes)", "rate(value unit)", false},
	{"cron(60 * * * ? *)", "minutes must be 0-59", false},
	{"cron(0 24 * * ? *)", "hours must be 0-23", false},
	{"cron(0 0 0 * ? *)", "day-of-month must be 1-31", false},
	{"cron(0 0 32 * ? *)", "day-of-month must be 1-31", false},
	{"cron(0 0 ? 13 * *)", "month must be 1-12 or JAN-DEC", false},
	{"cron(0 0 ? * 8 *)", "day-of-week must be 1-7 or SUN-SAT", false},
	{"cron(0 0 ? * 0 *)", "day-of-week must be 1-7 or SUN-SAT", false},
	{"cron(0 0 * * ? 1969)", "year must be 1970-2199", false},
	{"cron(0 0 * * ? 2200)", "year must be 1970-2199", false},
	{"cron(0 0 * * ? 26)", "year must be 1970-2199", false},
	{"cron(0 0 ? * mon *)", "day-of-week must be 1-7 or SUN-SAT", false},
	{"cron(0 0 ? jan * *)", "month must be 1-12 or JAN-DEC", false},
	{"cron(0 0 ? * MON-FRI/2 *)", "takes no increments", false},
	{"cron(0/60 * * * ? *)", "from 1 to 59", false},
	{"cron(0/0 * * * ? *)", "from 1 to 59", false},
	{"cron(0 */24 * * ? *)", "from 1 to 23", false},
	{"cron(0 0 1,L * ? *)", "stand alone", false},
	{"cron(0 0 1-5W * ? *)", "W follows one day", false},
	{"cron(0 0 ? * 1-5L *)", "L follows one day", false},
	{"cron(0 0 ? * 2#6 *)", "1 to 5", false},
	{"cron(0 0 ? * #2 *)", "# follows one day", false},
	{"cron(1,*,5 0 * * ? *)", "* stands alone", false},
	{"cron(1,,5 0 * * ? *)", "an empty item", false},
	{"cron(1- 0 * * ? *)", "minutes must be 0-59", false},
	{"cron( 0 12 * * ? *)", "none before the first", false},
	{"cron(0\t12 * * ? *)", "six fields", false},
	{"cron(0 12 * * ? *", "cron(minutes hours", false},
	{"cron(0 17-9 * * ? *)", "the range 17-9 runs backwards", true},
	{"cron(0 0 ? DEC-JAN * *)", "runs backwards", true},
	// A date no year has, and one the years allowed never have: they never fire.
	{"cron(0 0 31 2 ? *)", "never fires", true},
	{"cron(0 0 30 FEB ? *)", "never fires", true},
	{"cron(0 0 29 2 ? 2100-2103)", "never fires", true},
	{"every(5 minutes)", "must be at(", false},
	{"", "must be at(", false},
	{"AT(2021-03-31T22:00:00)", "must be at(", false},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validExpressions {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("%s (%s): %v", tt.expr, tt.source, err)
			continue
		}
		if e.String() != tt.expr {
			t.Errorf("String() = %q, want %q", e.String(), tt.expr)
		}
		if want := Kind(map[string]Kind{"at": At, "ra": Rate, "cr": Cron}[tt.expr[:2]]); e.Kind() != want {
			t.Errorf("%s: Kind() = %v, want %v", tt.expr, e.Kind(), want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidExpressions {
		_, err := Parse(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", tt.expr, err, tt.problem)
		}
	}
}

// TestRateInterval: a rate's interval, with a day of 24 hours.
func TestRateInterval(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"rate(1 minute)":   time.Minute,
		"rate(5 hours)":    5 * time.Hour,
		"rate(2 days)":     48 * time.Hour,
		"rate(99999 days)": 99999 * 24 * time.Hour,
	} {
		e, err := Parse(expr)
		if err != nil || e.Every() != want {
			t.Errorf("%s: Every() = %v, %v; want %v", expr, e.Every(), err, want)
		}
	}
	if e, _ := Parse("cron(0 9 * * ? *)"); e.Every() != 0 {
		t.Errorf("a cron expression has no interval, got %v", e.Every())
	}
}

// TestPatternAgreesWithParse holds ExpressionPattern, which the JSON Schema uses, to
// Parse's verdict on every expression of the tables: a valid expression matches it, an
// invalid one does not, except the mistakes only arithmetic or a calendar can see, which
// it must match so that the schema's verdict is the one its tests expect.
func TestPatternAgreesWithParse(t *testing.T) {
	pattern := regexp.MustCompile(ExpressionPattern)
	for _, tt := range validExpressions {
		if !pattern.MatchString(tt.expr) {
			t.Errorf("the pattern refuses %q, which Parse accepts", tt.expr)
		}
	}
	for _, tt := range invalidExpressions {
		_, err := Parse(tt.expr)
		var arithmetic arithmeticError
		if got := errors.As(err, &arithmetic); got != tt.calendar {
			t.Errorf("%q: arithmetic error %v, want %v (%v)", tt.expr, got, tt.calendar, err)
		}
		if pattern.MatchString(tt.expr) != tt.calendar {
			t.Errorf("%q: the pattern matches it: %v, want %v", tt.expr, !tt.calendar, tt.calendar)
		}
	}
}

// FuzzParse: Parse never panics, and agrees with ExpressionPattern on every input.
func FuzzParse(f *testing.F) {
	for _, tt := range validExpressions {
		f.Add(tt.expr)
	}
	for _, tt := range invalidExpressions {
		f.Add(tt.expr)
	}
	pattern := regexp.MustCompile(ExpressionPattern)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		var arithmetic arithmeticError
		switch matches := pattern.MatchString(s); {
		case err == nil && !matches:
			t.Fatalf("Parse accepts %q, the pattern does not", s)
		case err != nil && matches && !errors.As(err, &arithmetic):
			t.Fatalf("the pattern accepts %q, Parse refuses it: %v", s, err)
		case err == nil && e.String() != s:
			t.Fatalf("String() = %q, want %q", e.String(), s)
		}
	})
}
