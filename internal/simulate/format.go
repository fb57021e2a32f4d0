package simulate

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// All is the usual line-up: Stepscaler and, on the same alarms and policies, the seed
// Lambda and AAS step scaling; then AAS target tracking and the HPA sizing for
// targetValue (0: 70% of the setup's TaskCapacity); and the oracle.
func All(st *Stepscaler, targetValue float64) []Autoscaler {
	return []Autoscaler{
		st,
		&Seed{Policies: st.Policies},
		&AASStepScaling{Policies: st.Policies},
		NewAASTargetTracking(targetValue),
		NewHPA(targetValue),
		&Oracle{},
	}
}

// FormatTable writes one aligned row per result: controllable under- and
// over-provisioning first (what the autoscaler decides), then the raw figures, the idle
// capacity beyond the autoscaler's own target, the scaling actions, how capacity followed
// the rises of the need (how many, how many found it short, how many it never met, the
// mean time to capacity over every rise met, over the late ones, and the longest), and
// the task-minutes billed. A first line gives what the bounds cost every autoscaler
// alike.
func FormatTable(w io.Writer, results []Result) error {
	if len(results) == 0 {
		return nil
	}
	b := results[0].Measures
	if _, err := fmt.Fprintf(w, "The bounds alone cost every autoscaler %.1f task-minutes short (need above max) and %.1f idle (min above need).\n\n",
		b.BoundUnderTaskMinutes, b.BoundOverTaskMinutes); err != nil {
		return err
	}
	// Numbers read best right-aligned; names padded to one width stay left-aligned.
	width := len("autoscaler")
	for _, r := range results {
		width = max(width, utf8.RuneCountInString(r.Autoscaler))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tctrl under\tctrl over\tunder\tover\tover target\ttarget\tactions\trises\tlate\tnever met\tttc mean\tttc late\tttc max\ttask-min\t\n", width, "autoscaler")
	for _, r := range results {
		m := r.Measures
		ttc := m.TimeToCapacity
		mean, late, most := "-", "-", "-"
		if ttc.Met > 0 {
			mean, most = seconds(ttc.Mean), seconds(ttc.Max)
		}
		if ttc.Late > ttc.NeverMet {
			late = seconds(ttc.LateMean)
		}
		target := "-"
		if m.TargetValue > 0 {
			target = fmt.Sprintf("%g", m.TargetValue)
		}
		fmt.Fprintf(tw, "%-*s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%.0f\t\n", width, r.Autoscaler,
			m.ControllableUnderTaskMinutes, m.ControllableOverTaskMinutes, m.UnderTaskMinutes, m.OverTaskMinutes,
			m.OverTargetTaskMinutes, target, m.ScalingActions, ttc.Rises, ttc.Late, ttc.NeverMet, mean, late, most, m.TaskMinutes)
	}
	return tw.Flush()
}

func seconds(d time.Duration) string {
	return d.Round(time.Second).String()
}
