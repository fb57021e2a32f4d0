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

// FormatTable writes one aligned row per result: the provisioning measures, the scaling
// actions, how long capacity took to catch up, and the task-minutes billed.
func FormatTable(w io.Writer, results []Result) error {
	// Numbers read best right-aligned; names padded to one width stay left-aligned.
	width := len("autoscaler")
	for _, r := range results {
		width = max(width, utf8.RuneCountInString(r.Autoscaler))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tunder task-min\tover task-min\tviolation min\tactions\tttc mean\tttc p95\tunreached\ttask-min\t\n", width, "autoscaler")
	for _, r := range results {
		m := r.Measures
		mean, p95 := "-", "-"
		if m.Rises > m.TimeToCapacity.Unreached {
			mean, p95 = seconds(m.TimeToCapacity.Mean), seconds(m.TimeToCapacity.P95)
		}
		fmt.Fprintf(tw, "%-*s\t%.1f\t%.1f\t%.1f\t%d\t%s\t%s\t%d\t%.0f\t\n", width, r.Autoscaler,
			m.UnderTaskMinutes, m.OverTaskMinutes, m.ViolationMinutes, m.ScalingActions,
			mean, p95, m.TimeToCapacity.Unreached, m.TaskMinutes)
	}
	return tw.Flush()
}

func seconds(d time.Duration) string {
	return d.Round(time.Second).String()
}
