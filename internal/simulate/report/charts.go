package report

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/stepscaler/stepscaler/internal/chart"
	"github.com/stepscaler/stepscaler/internal/simulate"
)

// peakChart draws the line-up around the peak of the need, one panel per autoscaler on
// the same scale, the shortfall and the idle capacity shaded, each panel titled with its
// totals in the window.
func peakChart(w io.Writer, format string, o Options, rs []simulate.Result) error {
	from, to := peakWindow(rs[0].Samples, o.PeakWindow)
	var panels []chart.Panel
	for _, r := range rs {
		need := chart.Series{Name: "needed"}
		capacity := chart.Series{Name: r.Autoscaler}
		under, over := 0.0, 0.0
		var prev time.Time
		for _, s := range r.Samples {
			if s.At.Before(from) || !s.At.Before(to) {
				continue
			}
			n := float64(s.Needed)
			if s.Missing {
				n = math.NaN()
			} else if !prev.IsZero() {
				minutes := s.At.Sub(prev).Minutes()
				under += minutes * max(0, n-float64(s.Running))
				over += minutes * max(0, float64(s.Running)-n)
			}
			prev = s.At
			need.Times, need.Values = append(need.Times, s.At), append(need.Values, n)
			capacity.Times, capacity.Values = append(capacity.Times, s.At), append(capacity.Values, float64(s.Running))
		}
		panels = append(panels, chart.Panel{
			Title: fmt.Sprintf("%s: %.0f task-minutes short, %.0f idle", r.Autoscaler, under, over),
			Need:  need, Capacity: capacity,
		})
	}
	return chart.Panels(w, format, chart.PanelOptions{
		Title:  fmt.Sprintf("%s: tasks serving around the peak (%s, %s)", o.Name, from.UTC().Format("2 Jan 15:04"), o.PeakWindow),
		YLabel: "tasks", Width: 1400,
		NeedName: "tasks needed", CapacityName: "tasks serving", UnderName: "short (under-provisioned)", OverName: "idle (over-provisioned)",
	}, panels)
}

// peakWindow is the span of the given length centred on the first sample with the
// highest need, moved inside the samples' range.
func peakWindow(samples []simulate.Sample, span time.Duration) (time.Time, time.Time) {
	if len(samples) == 0 {
		return time.Time{}, time.Time{}
	}
	peak, best := samples[0].At, -1
	for _, s := range samples {
		if !s.Missing && s.Needed > best {
			best, peak = s.Needed, s.At
		}
	}
	first, last := samples[0].At, samples[len(samples)-1].At
	// Starting on the half hour keeps the time axis's labels round.
	from := peak.Add(-span / 2).Truncate(30 * time.Minute)
	if from.Before(first) {
		from = first
	}
	to := from.Add(span)
	if to.After(last) {
		to = last.Add(time.Nanosecond)
		if from = to.Add(-span); from.Before(first) {
			from = first
		}
	}
	return from, to
}
