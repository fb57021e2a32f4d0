package schedule

import (
	"fmt"
	"regexp"
	"time"

	// The IANA time zone database, built in: Lambda's OS-only runtimes need not ship one,
	// and a time zone must mean the same to the validation wherever it runs.
	_ "time/tzdata"
)

// ZonePattern is the shape of an IANA time zone name, "the canonical names of the IANA
// time zones supported by Joda-Time (such as Etc/GMT+9 or Pacific/Tahiti)" ("Schedule
// recurring scaling actions using cron expressions", AAS User Guide). The schema uses it;
// LoadZone also checks that the database knows the name.
const ZonePattern = `^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`

var zoneName = regexp.MustCompile(ZonePattern)

// LoadZone returns the IANA time zone name. Go's own names for the host's zone ("Local")
// and for UTC when no name is given ("") are refused: a scheduled action's clock must not
// depend on where it is evaluated.
func LoadZone(name string) (*time.Location, error) {
	if !zoneName.MatchString(name) || name == "Local" {
		return nil, fmt.Errorf("must be an IANA time zone name such as Europe/London or Etc/GMT+9, got %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone of the IANA database", name)
	}
	return loc, nil
}

// date is a day of the calendar, in no time zone.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date { return date{t.Year(), t.Month(), t.Day()} }

func (d date) weekday() time.Weekday { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Weekday() }

func (d date) before(o date) bool {
	if d.y != o.y {
		return d.y < o.y
	}
	if d.m != o.m {
		return d.m < o.m
	}
	return d.d < o.d
}

// add is the day n days later (or earlier, for n < 0).
func (d date) add(n int) date {
	return dateOf(time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC))
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// firstInstant is the first moment a clock in loc shows the date and time. When daylight
// saving time begins the clock skips an hour: a time in it does not exist, and ok is
// false; EventBridge Scheduler skips such an invocation. When it ends the clock shows an
// hour twice: the first is returned, as Scheduler then "runs only once" ("Daylight saving
// time", EventBridge Scheduler User Guide).
//
// time.Date does not say which it picks in either case, so the offsets in force around
// the date are tried one by one.
func firstInstant(d date, hour, minute, second int, loc *time.Location) (time.Time, bool) {
	wall := time.Date(d.y, d.m, d.d, hour, minute, second, 0, time.UTC)
	var first time.Time
	found := false
	for _, probe := range []time.Duration{-48 * time.Hour, -24 * time.Hour, 0, 24 * time.Hour, 48 * time.Hour} {
		_, offset := wall.Add(probe).In(loc).Zone()
		t := wall.Add(-time.Duration(offset) * time.Second)
		l := t.In(loc)
		same := l.Year() == d.y && l.Month() == d.m && l.Day() == d.d && l.Hour() == hour && l.Minute() == minute && l.Second() == second
		if same && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found
}
