package status

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Width is the most columns a line of the table takes; longer names are clipped with "…".
const Width = 100

// WriteJSON prints the report as an indented JSON document.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable prints the report for a person, at most Width columns: one summary line per
// service, then each service's bounds, alarms, lease, cooldowns, suspensions, scheduled
// actions and latest activities. Times are UTC,
// with how long ago or how much longer, relative to the report's time.
func WriteTable(w io.Writer, r Report) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "Stepscaler status at %s, region %s, table %s\n\n", r.Time.UTC().Format(time.RFC3339), orDash(r.Region), r.Table)
	if len(r.Services) == 0 {
		fmt.Fprintln(&buf, "No services.")
		return writeClipped(w, &buf)
	}
	summary(&buf, r)
	for _, s := range r.Services {
		fmt.Fprintln(&buf)
		details(&buf, s, r.Time)
	}
	return writeClipped(w, &buf)
}

// summary prints one line per service. The service's name gets what the other columns
// leave of the width, so the line keeps all its columns.
func summary(buf *bytes.Buffer, r Report) {
	header := []string{"SERVICE", "TASKS D/R/P", "ROLLOUT", "IN ALARM", "LEASE", "COOLDOWN O/I", "SUSPENDED"}
	rows := make([][]string, len(r.Services))
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for i, s := range r.Services {
		e := s.ECS
		rollout := orDash(e.RolloutState)
		if e.Status != "ACTIVE" {
			rollout = e.Status
		}
		rows[i] = []string{"", fmt.Sprintf("%d/%d/%d", e.DesiredCount, e.RunningCount, e.PendingCount), rollout,
			inAlarm(s.Alarms), leaseShort(s.Lease, r.Time),
			cooldownShort(s.Cooldowns, scaling.Out) + "/" + cooldownShort(s.Cooldowns, scaling.In), suspended(s.SuspendedState)}
		for j, v := range rows[i][1:] {
			widths[j+1] = max(widths[j+1], utf8.RuneCountInString(v))
		}
	}
	room := Width
	for _, w := range widths[1:] {
		room -= w + 2
	}
	room = max(room, 12)
	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, s := range r.Services {
		rows[i][0] = serviceName(s.Cluster, s.ServiceName, room)
		fmt.Fprintln(tw, strings.Join(rows[i], "\t"))
	}
	tw.Flush()
}

// serviceName writes cluster/service in at most n runes, shortening the cluster first:
// the service's name is what tells services apart.
func serviceName(cluster, svc string, n int) string {
	full := cluster + "/" + svc
	if utf8.RuneCountInString(full) <= n {
		return full
	}
	keep := min(utf8.RuneCountInString(svc), n-3) // at least "c…/"
	return clip(cluster, n-keep-1) + "/" + clip(svc, keep)
}

// details prints one service's section.
func details(buf *bytes.Buffer, s Service, now time.Time) {
	e := s.ECS
	head := fmt.Sprintf("%s/%s: %s", s.Cluster, s.ServiceName, e.Status)
	if e.Status == Missing {
		if e.StatusReason != "" {
			head += " (" + e.StatusReason + ")"
		}
	} else {
		head += fmt.Sprintf(", desired %d, running %d, pending %d", e.DesiredCount, e.RunningCount, e.PendingCount)
		if e.RolloutState != "" {
			head += ", rollout " + e.RolloutState
		}
		if e.Deployments > 1 {
			head += fmt.Sprintf(" (%d deployments)", e.Deployments)
		}
	}
	fmt.Fprintln(buf, head)
	bounds := fmt.Sprintf("%d-%d", s.MinCapacity, s.MaxCapacity)
	if s.MinCapacity != s.ConfiguredMinCapacity || s.MaxCapacity != s.ConfiguredMaxCapacity {
		bounds += fmt.Sprintf(" (scheduled; configured %d-%d)", s.ConfiguredMinCapacity, s.ConfiguredMaxCapacity)
	}
	if s.DryRun {
		bounds += ", dry run: decisions are recorded, never applied"
	}
	fmt.Fprintf(buf, "%s%s\n", label("bounds"), bounds)

	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	for _, a := range s.Alarms {
		since := ""
		if t := a.StateTransitionedTimestamp; t != nil {
			since = "since " + clock(*t, now) + " (" + span(now.Sub(*t)) + " ago)"
		}
		kind := ""
		if a.Composite {
			kind = " (composite)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s%s\n", label("alarm"), a.StateValue, a.Direction, clip(a.AlarmName, 40), since, a.Policy, kind)
	}
	tw.Flush()

	lease := "free"
	if l := s.Lease; l != nil {
		if l.Expired {
			lease = fmt.Sprintf("expired %s ago (%s), last held by %s", span(now.Sub(l.ExpiresAt)), clock(l.ExpiresAt, now), l.Owner)
		} else {
			lease = fmt.Sprintf("held until %s (%s left) by %s", clock(l.ExpiresAt, now), span(l.ExpiresAt.Sub(now)), l.Owner)
		}
	}
	fmt.Fprintf(buf, "%s%s\n", label("lease"), lease)

	for _, c := range s.Cooldowns {
		var text string
		switch {
		case !c.InEffect:
			text = "none"
		case c.EndsAt == nil:
			text = "in effect"
		default:
			text = fmt.Sprintf("%s left, until %s (%s)", span(time.Duration(c.RemainingSeconds)*time.Second), clock(*c.EndsAt, now), c.AlarmName)
		}
		fmt.Fprintf(buf, "%s%-3s  %s\n", label("cooldown"), c.Direction, text)
	}
	fmt.Fprintf(buf, "%s%s\n", label("suspended"), suspendedLong(s.SuspendedState))

	if len(s.ScheduledActions) > 0 {
		tw = tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%sNAME\tSETS\tLAST\tNEXT\tSCHEDULE\n", label("scheduled"))
		for _, a := range s.ScheduledActions {
			last := "-"
			if t := a.LastFiredAt; t != nil {
				last = minute(*t, now)
				if !a.Applied {
					last += " (refused)"
				}
			}
			next := "-"
			if t := a.NextFireAt; t != nil {
				next = minute(*t, now)
			}
			sched := a.Schedule
			if a.Timezone != "" {
				sched += " " + a.Timezone
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", label(""), clip(a.ScheduledActionName, 24), sets(a.ScalableTargetAction), last, next, sched)
		}
		tw.Flush()
	}
	if len(s.ScalingActivities) == 0 {
		fmt.Fprintf(buf, "%snone recorded\n", label("activity"))
		return
	}
	tw = tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	for _, a := range s.ScalingActivities {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", label("activity"), clock(a.StartTime, now), a.StatusCode, counts(a), activityText(a))
	}
	tw.Flush()
}

// WriteText prints the report as tab-separated lines, one record each, its kind first,
// for grep, cut and awk, as the AWS CLI's text output serves them. Empty fields are "-";
// times are RFC 3339.
func WriteText(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
	line := func(fields ...string) {
		for i, f := range fields {
			if f == "" {
				fields[i] = "-"
			}
			fields[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(fields[i])
		}
		bw.WriteString(strings.Join(fields, "\t") + "\n")
	}
	for _, s := range r.Services {
		id := s.Cluster + "/" + s.ServiceName
		e := s.ECS
		line("SERVICE", id, e.Status, strconv.Itoa(e.DesiredCount), strconv.Itoa(e.RunningCount), strconv.Itoa(e.PendingCount),
			e.RolloutState, strconv.Itoa(s.MinCapacity), strconv.Itoa(s.MaxCapacity))
		for _, a := range s.Alarms {
			line("ALARM", id, a.AlarmName, string(a.Direction), a.StateValue, timeOrEmpty(a.StateTransitionedTimestamp))
		}
		if l := s.Lease; l != nil {
			line("LEASE", id, l.Owner, l.ExpiresAt.Format(time.RFC3339), strconv.FormatBool(l.Expired))
		}
		for _, c := range s.Cooldowns {
			line("COOLDOWN", id, string(c.Direction), strconv.FormatBool(c.InEffect), timeOrEmpty(c.EndsAt), strconv.Itoa(c.RemainingSeconds), c.AlarmName)
		}
		for _, a := range s.ScheduledActions {
			line("SCHEDULED", id, a.ScheduledActionName, a.Schedule, a.Timezone, intOrEmpty(a.ScalableTargetAction.MinCapacity),
				intOrEmpty(a.ScalableTargetAction.MaxCapacity), timeOrEmpty(a.LastFiredAt), timeOrEmpty(a.NextFireAt), strconv.FormatBool(a.Applied))
		}
		line("SUSPENDED", id, strconv.FormatBool(s.SuspendedState.DynamicScalingOutSuspended), strconv.FormatBool(s.SuspendedState.DynamicScalingInSuspended))
		for _, a := range s.ScalingActivities {
			line("ACTIVITY", id, a.StartTime.UTC().Format(time.RFC3339), a.StatusCode, strconv.Itoa(a.FromCount), strconv.Itoa(a.ToCount), a.AlarmName, a.ActivityID, activityText(a))
		}
	}
	return bw.Flush()
}

// writeClipped copies buf to w, each line clipped to Width.
func writeClipped(w io.Writer, buf *bytes.Buffer) error {
	bw := bufio.NewWriter(w)
	for line := range strings.Lines(buf.String()) {
		bw.WriteString(clip(strings.TrimRight(line, " \n"), Width) + "\n")
	}
	return bw.Flush()
}

// label starts a line of a service's section.
func label(name string) string { return fmt.Sprintf("  %-10s ", name) }

func inAlarm(alarms []Alarm) string {
	firing, missing := 0, 0
	for _, a := range alarms {
		switch a.StateValue {
		case scaling.StateAlarm:
			firing++
		case Missing:
			missing++
		}
	}
	s := fmt.Sprintf("%d of %d", firing, len(alarms))
	if missing > 0 {
		s += fmt.Sprintf(" (%d missing)", missing)
	}
	return s
}

func leaseShort(l *Lease, now time.Time) string {
	switch {
	case l == nil:
		return "-"
	case l.Expired:
		return "expired"
	}
	return "held " + span(l.ExpiresAt.Sub(now))
}

func cooldownShort(cds []Cooldown, dir scaling.Direction) string {
	for _, c := range cds {
		switch {
		case c.Direction != dir || !c.InEffect:
		case c.EndsAt == nil:
			return "yes"
		default:
			return span(time.Duration(c.RemainingSeconds) * time.Second)
		}
	}
	return "-"
}

func suspended(s SuspendedState) string {
	var dirs []string
	if s.DynamicScalingOutSuspended {
		dirs = append(dirs, "out")
	}
	if s.DynamicScalingInSuspended {
		dirs = append(dirs, "in")
	}
	return orDash(strings.Join(dirs, ","))
}

func suspendedLong(s SuspendedState) string {
	switch {
	case s.DynamicScalingOutSuspended && s.DynamicScalingInSuspended:
		return "scale-out and scale-in"
	case s.DynamicScalingOutSuspended:
		return "scale-out"
	case s.DynamicScalingInSuspended:
		return "scale-in"
	}
	return "no"
}

func counts(a activity.Activity) string {
	if a.FromCount == a.ToCount {
		return strconv.Itoa(a.FromCount)
	}
	return fmt.Sprintf("%d->%d", a.FromCount, a.ToCount)
}

func activityText(a activity.Activity) string {
	if a.StatusMessage != "" {
		return a.StatusMessage
	}
	return a.Description
}

// sets writes the bounds a scheduled action sets: [4, 20], min 6 or max 12.
func sets(a ScalableTargetAction) string {
	switch {
	case a.MinCapacity != nil && a.MaxCapacity != nil:
		return fmt.Sprintf("[%d, %d]", *a.MinCapacity, *a.MaxCapacity)
	case a.MinCapacity != nil:
		return fmt.Sprintf("min %d", *a.MinCapacity)
	case a.MaxCapacity != nil:
		return fmt.Sprintf("max %d", *a.MaxCapacity)
	}
	return "-"
}

// minute writes a scheduled time in UTC to the minute: the time of day on the report's
// day, else the date too, without the year when it is the report's.
func minute(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04Z")
	case t.Year() == now.Year():
		return t.Format("Jan 2 15:04Z")
	}
	return t.Format("2006-01-02 15:04Z")
}

// clock writes t in UTC: the time of day when it falls on the report's day, else the
// date too.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05Z")
	}
	return t.Format("2006-01-02 15:04Z")
}

// span writes a duration in whole seconds the way people read it: 45s, 3m20s, 8m,
// 1h5m, 2d3h.
func span(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = -d
	}
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, secs := d/time.Minute, (d%time.Minute)/time.Second
	var parts []string
	for _, p := range []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {hours, "h"}, {mins, "m"}, {secs, "s"}} {
		if p.n > 0 && len(parts) < 2 {
			parts = append(parts, fmt.Sprintf("%d%s", p.n, p.unit))
		} else if len(parts) > 0 {
			break
		}
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, "")
}

func intOrEmpty(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func timeOrEmpty(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip shortens s to n runes, ending it with "…" when it was longer.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
