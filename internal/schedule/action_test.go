package schedule

import (
	"testing"
	"time"
)

func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

func mustParse(t *testing.T, s string) Expression {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func ptr[T any](v T) *T { return &v }

// TestDayFields checks the day wildcards on days whose weekday is worked out from a
// calendar: 2026-01-01 is a Thursday, so 2026-02-15 is a Sunday, 2026-05-31 a Sunday,
// 2026-08-01 and 2026-08-15 Saturdays, 2026-11-27 a Friday and 2026-12-08 a Tuesday; 2028
// is a leap year.
func TestDayFields(t *testing.T) {
	tests := []struct {
		expr string
		yes  []date
		no   []date
	}{
		// "3W specifies the weekday closest to the third day of the month" (EventBridge).
		{"cron(0 0 15W * ? *)",
			[]date{{2026, time.February, 16}, {2026, time.August, 14}, {2026, time.December, 15}},
			[]date{{2026, time.February, 15}, {2026, time.August, 15}}},
		// The 1st a Saturday: the Monday after, not the Friday of the month before.
		{"cron(0 0 1W * ? *)", []date{{2026, time.August, 3}}, []date{{2026, time.August, 1}, {2026, time.July, 31}}},
		// The last day a Sunday: the Friday before.
		{"cron(0 0 31W * ? *)", []date{{2026, time.May, 29}}, []date{{2026, time.May, 31}, {2026, time.June, 1}}},
		// A day the month lacks: no match that month.
		{"cron(0 0 31W * ? *)", nil, []date{{2026, time.April, 30}}},
		{"cron(0 0 LW * ? *)", []date{{2026, time.May, 29}}, []date{{2026, time.May, 31}}},
		{"cron(0 0 L * ? *)", []date{{2028, time.February, 29}, {2026, time.February, 28}}, []date{{2028, time.February, 28}}},
		// "3#2 is the second Tuesday of the month" (EventBridge): 2026-12-08.
		{"cron(0 0 ? * 3#2 *)", []date{{2026, time.December, 8}}, []date{{2026, time.December, 1}, {2026, time.December, 15}}},
		// The last Friday of November 2026: the 27th.
		{"cron(0 0 ? * 6L *)", []date{{2026, time.November, 27}}, []date{{2026, time.November, 20}}},
		// L alone in day-of-week: Saturday, the last day of the week.
		{"cron(0 0 ? * L *)", []date{{2026, time.November, 28}}, []date{{2026, time.November, 27}}},
		{"cron(0 0 ? * MON-FRI *)", []date{{2026, time.November, 27}}, []date{{2026, time.November, 28}, {2026, time.November, 29}}},
		{"cron(0 0 ? * 2,4 *)", []date{{2026, time.December, 7}, {2026, time.December, 9}}, []date{{2026, time.December, 8}}},
		{"cron(0 0 1/10 * ? *)", []date{{2026, time.March, 1}, {2026, time.March, 11}, {2026, time.March, 31}}, []date{{2026, time.March, 2}}},
		{"cron(0 0 * JAN,MAR ? 2027)", []date{{2027, time.March, 5}}, []date{{2027, time.February, 5}, {2026, time.March, 5}}},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.expr).cron
		for _, d := range tt.yes {
			if !c.dayMatches(d) {
				t.Errorf("%s does not match %v", tt.expr, d)
			}
		}
		for _, d := range tt.no {
			if c.dayMatches(d) {
				t.Errorf("%s matches %v", tt.expr, d)
			}
		}
	}
}

// TestLatest checks the latest firing at or before an instant, worked out by hand.
func TestLatest(t *testing.T) {
	london := zone(t, "Europe/London")
	tests := []struct {
		name   string
		action Action
		at     time.Time
		want   time.Time // zero: not fired yet
	}{
		{"daily cron, earlier today", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)")}, utc(2026, 6, 3, 12, 0), utc(2026, 6, 3, 9, 0)},
		{"daily cron, before today's", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)")}, utc(2026, 6, 3, 8, 59), utc(2026, 6, 2, 9, 0)},
		{"fires at any instant of its minute", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)")}, time.Date(2026, 6, 3, 9, 0, 59, 0, time.UTC), utc(2026, 6, 3, 9, 0)},
		// "every 5 minutes Monday through Friday between 8:00 am and 5:55 pm" (AAS cron
		// table): on Friday 2026-11-27 at 18:30 the last was 17:55; on Saturday the 28th
		// still that one.
		{"every 5 minutes on weekdays, evening", Action{Schedule: mustParse(t, "cron(0/5 8-17 ? * MON-FRI *)")}, utc(2026, 11, 27, 18, 30), utc(2026, 11, 27, 17, 55)},
		{"every 5 minutes on weekdays, weekend", Action{Schedule: mustParse(t, "cron(0/5 8-17 ? * MON-FRI *)")}, utc(2026, 11, 28, 12, 0), utc(2026, 11, 27, 17, 55)},
		{"every 5 minutes on weekdays, within the minute", Action{Schedule: mustParse(t, "cron(0/5 8-17 ? * MON-FRI *)")}, time.Date(2026, 11, 27, 9, 12, 30, 0, time.UTC), utc(2026, 11, 27, 9, 10)},
		// "every Monday through Friday at 6:00 PM local time" in Etc/GMT+9 (AAS examples):
		// the zone is UTC-9 (POSIX signs are inverted), so 18:00 there is 03:00 UTC the
		// next day. Saturday 2026-11-28 12:00 UTC is 03:00 Saturday there: the last was
		// Friday 18:00, 2026-11-28 03:00 UTC.
		{"time zone west of UTC", Action{Schedule: mustParse(t, "cron(0 18 ? * MON-FRI *)"), Location: zone(t, "Etc/GMT+9")}, utc(2026, 11, 28, 12, 0), utc(2026, 11, 28, 3, 0)},
		// Europe/London goes from GMT to BST at 01:00 UTC on 2026-03-29: 01:30 does not
		// exist that day, so the action skips it, as EventBridge Scheduler does.
		{"clock skips the time", Action{Schedule: mustParse(t, "cron(30 1 * * ? *)"), Location: london}, utc(2026, 3, 29, 12, 0), utc(2026, 3, 28, 1, 30)},
		{"the day after", Action{Schedule: mustParse(t, "cron(30 1 * * ? *)"), Location: london}, utc(2026, 3, 30, 12, 0), utc(2026, 3, 30, 0, 30)},
		// It goes back at 01:00 UTC on 2026-10-25: 01:30 comes at 00:30 UTC (BST) and again
		// at 01:30 UTC (GMT); the action fires at the first only.
		{"clock shows the time twice: between the two", Action{Schedule: mustParse(t, "cron(30 1 * * ? *)"), Location: london}, utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 0, 30)},
		{"clock shows the time twice: after the second", Action{Schedule: mustParse(t, "cron(30 1 * * ? *)"), Location: london}, utc(2026, 10, 25, 1, 45), utc(2026, 10, 25, 0, 30)},
		{"clock shows the time twice: before the first", Action{Schedule: mustParse(t, "cron(30 1 * * ? *)"), Location: london}, utc(2026, 10, 25, 0, 15), utc(2026, 10, 24, 0, 30)},
		// "If you specify a start time, Application Auto Scaling performs the action at this
		// time, and then performs the action based on the specified recurrence."
		{"start time is a firing", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)"), Start: ptr(utc(2026, 6, 1, 6, 30))}, utc(2026, 6, 1, 7, 0), utc(2026, 6, 1, 6, 30)},
		{"then the recurrence", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)"), Start: ptr(utc(2026, 6, 1, 6, 30))}, utc(2026, 6, 1, 9, 30), utc(2026, 6, 1, 9, 0)},
		{"nothing before the start", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)"), Start: ptr(utc(2026, 6, 1, 6, 30))}, utc(2026, 6, 1, 6, 29), time.Time{}},
		// "If you specify an end time, the action stops repeating after this time."
		{"end time stops it", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)"), End: ptr(utc(2026, 6, 5, 0, 0))}, utc(2026, 7, 1, 0, 0), utc(2026, 6, 4, 9, 0)},
		{"a firing at the end time counts", Action{Schedule: mustParse(t, "cron(0 9 * * ? *)"), End: ptr(utc(2026, 6, 5, 9, 0))}, utc(2026, 7, 1, 0, 0), utc(2026, 6, 5, 9, 0)},
		// The AAS example: "every 5 hours starting on January 30, 2021 at 12:00 PM UTC and
		// ending on January 31, 2021 at 10:00 PM UTC": 12:00, 17:00 and 22:00 on the 30th,
		// 03:00, 08:00, 13:00 and 18:00 on the 31st; 23:00 is past the end.
		{"rate: between firings", Action{Schedule: mustParse(t, "rate(5 hours)"), Start: ptr(utc(2021, 1, 30, 12, 0)), End: ptr(utc(2021, 1, 31, 22, 0))}, utc(2021, 1, 31, 10, 0), utc(2021, 1, 31, 8, 0)},
		{"rate: the start", Action{Schedule: mustParse(t, "rate(5 hours)"), Start: ptr(utc(2021, 1, 30, 12, 0)), End: ptr(utc(2021, 1, 31, 22, 0))}, utc(2021, 1, 30, 12, 0), utc(2021, 1, 30, 12, 0)},
		{"rate: long after the end", Action{Schedule: mustParse(t, "rate(5 hours)"), Start: ptr(utc(2021, 1, 30, 12, 0)), End: ptr(utc(2021, 1, 31, 22, 0))}, utc(2021, 2, 5, 0, 0), utc(2021, 1, 31, 18, 0)},
		{"rate: before the start", Action{Schedule: mustParse(t, "rate(5 hours)"), Start: ptr(utc(2021, 1, 30, 12, 0))}, utc(2021, 1, 30, 11, 59), time.Time{}},
		{"rate without a start", Action{Schedule: mustParse(t, "rate(5 hours)")}, utc(2021, 1, 30, 12, 0), time.Time{}},
		// "at(2021-01-31T17:00:00)" with "--timezone America/New_York": 5:00 PM EST is
		// 22:00 UTC.
		{"at, in a time zone", Action{Schedule: mustParse(t, "at(2021-01-31T17:00:00)"), Location: zone(t, "America/New_York")}, utc(2021, 2, 1, 0, 0), utc(2021, 1, 31, 22, 0)},
		{"at, not yet", Action{Schedule: mustParse(t, "at(2021-01-31T17:00:00)"), Location: zone(t, "America/New_York")}, utc(2021, 1, 31, 21, 59), time.Time{}},
		{"at, seconds: the minute it falls in", Action{Schedule: mustParse(t, "at(2019-05-20T17:05:30)")}, utc(2019, 5, 20, 17, 5), utc(2019, 5, 20, 17, 5)},
		{"at a time the clock skips", Action{Schedule: mustParse(t, "at(2026-03-29T01:30:00)"), Location: london}, utc(2027, 1, 1, 0, 0), time.Time{}},
		{"yearly, years ago", Action{Schedule: mustParse(t, "cron(0 0 1 1 ? 2027)")}, utc(2100, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)},
		{"a year to come", Action{Schedule: mustParse(t, "cron(0 0 1 1 ? 2030)")}, utc(2026, 1, 1, 0, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.action.Latest(tt.at)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("Latest(%v) = %v, %v; want %v", tt.at, got, ok, tt.want)
			}
		})
	}
}

func TestFiresIn(t *testing.T) {
	rate := Action{Schedule: mustParse(t, "rate(5 hours)"), Start: ptr(utc(2021, 1, 30, 12, 0)), End: ptr(utc(2021, 1, 31, 22, 0))}
	weekdays := Action{Schedule: mustParse(t, "cron(0/5 8-17 ? * MON-FRI *)")}
	tests := []struct {
		action Action
		at     time.Time
		want   bool
	}{
		{rate, time.Date(2021, 1, 30, 17, 0, 30, 0, time.UTC), true},
		{rate, utc(2021, 1, 30, 17, 1), false},
		{rate, utc(2021, 1, 31, 23, 0), false}, // past the end
		{weekdays, utc(2026, 11, 27, 17, 55), true},
		{weekdays, utc(2026, 11, 27, 18, 0), false},
		{weekdays, utc(2026, 11, 28, 9, 0), false}, // Saturday
		{Action{Schedule: mustParse(t, "at(2019-05-20T17:05:30)")}, time.Date(2019, 5, 20, 17, 5, 59, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := tt.action.FiresIn(tt.at); got != tt.want {
			t.Errorf("%s FiresIn(%v) = %v, want %v", tt.action.Schedule, tt.at, got, tt.want)
		}
	}
}

func TestLoadZone(t *testing.T) {
	// "The supported time zone values are the canonical names of the IANA time zones
	// supported by Joda-Time (such as Etc/GMT+9 or Pacific/Tahiti)".
	for _, name := range []string{"Etc/GMT+9", "Pacific/Tahiti", "America/New_York", "America/Argentina/Buenos_Aires", "UTC"} {
		if _, err := LoadZone(name); err != nil {
			t.Errorf("LoadZone(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "Local", "Mars/Olympus_Mons", "Europe/../UTC", "europe london", "/UTC"} {
		if _, err := LoadZone(name); err == nil {
			t.Errorf("LoadZone(%q) accepted", name)
		}
	}
}
