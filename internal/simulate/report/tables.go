package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/simulate"
)

// formatScales writes the line-up's controllable under / over at every scale, one column
// per scale, with what the bounds cost every autoscaler alike.
func formatScales(w io.Writer, o Options, scales []scaleResults) error {
	fmt.Fprintf(w, "%s\n", o.heading(scales[0].scale))
	fmt.Fprintln(w, "Controllable under / over-provisioning in task-minutes, by demand scale. The bounds cost")
	fmt.Fprintln(w, "every autoscaler the same on top of these (last row).")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "autoscaler\t")
	for _, s := range scales {
		fmt.Fprintf(tw, "×%g\t", s.scale)
	}
	fmt.Fprintln(tw)
	for i, r := range scales[0].results {
		fmt.Fprintf(tw, "%s\t", r.Autoscaler)
		for _, s := range scales {
			m := s.results[i].Measures
			fmt.Fprintf(tw, "%.1f / %.1f\t", m.ControllableUnderTaskMinutes, m.ControllableOverTaskMinutes)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprint(tw, "(the bounds)\t")
	for _, s := range scales {
		m := s.results[0].Measures
		fmt.Fprintf(tw, "%.1f / %.1f\t", m.BoundUnderTaskMinutes, m.BoundOverTaskMinutes)
	}
	fmt.Fprintln(tw)
	return tw.Flush()
}

// formatSensitivity writes, for each knob and value, every autoscaler's controllable
// under / over and its rank on each (1 is the least), so a reader sees whether a
// modelling choice changes who wins.
func formatSensitivity(w io.Writer, o Options, rows []simulate.SensitivityRow) error {
	fmt.Fprintf(w, "%s\n", o.heading(o.mainScale()))
	fmt.Fprintln(w, "How the results move with each modelling choice (the others at their defaults): controllable")
	fmt.Fprintln(w, "under / over-provisioning in task-minutes and, in brackets, the rank on each among the")
	fmt.Fprintln(w, "autoscalers but the oracle (1 is the least; ties share a rank).")
	knobs := map[string]simulate.Knob{}
	for _, k := range o.Knobs {
		knobs[k.Name] = k
	}
	last := ""
	var tw *tabwriter.Writer
	for _, row := range rows {
		if row.Knob != last {
			if tw != nil {
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			k := knobs[row.Knob]
			fmt.Fprintf(w, "\n--%s (default %s): %s\n", row.Knob, k.Default, k.Source)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprint(tw, "value\t")
			for _, r := range row.Results {
				if r.Autoscaler != "oracle" {
					fmt.Fprintf(tw, "%s\t", shortName(r.Autoscaler))
				}
			}
			fmt.Fprintln(tw)
			last = row.Knob
		}
		value := row.Value
		if row.Default {
			value += " *"
		}
		fmt.Fprintf(tw, "%s\t", value)
		under, over := ranks(row.Results, func(m simulate.Measures) float64 { return m.ControllableUnderTaskMinutes }),
			ranks(row.Results, func(m simulate.Measures) float64 { return m.ControllableOverTaskMinutes })
		for i, r := range row.Results {
			if r.Autoscaler == "oracle" {
				continue
			}
			m := r.Measures
			fmt.Fprintf(tw, "%.0f [%d] / %.0f [%d]\t", m.ControllableUnderTaskMinutes, under[i], m.ControllableOverTaskMinutes, over[i])
		}
		fmt.Fprintln(tw)
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// ranks gives each result its rank on the measure among all but the oracle, ties sharing
// the better rank.
func ranks(rs []simulate.Result, measure func(simulate.Measures) float64) []int {
	var values []float64
	for _, r := range rs {
		if r.Autoscaler != "oracle" {
			values = append(values, measure(r.Measures))
		}
	}
	slices.Sort(values)
	out := make([]int, len(rs))
	for i, r := range rs {
		v := measure(r.Measures)
		out[i] = 1 + slices.IndexFunc(values, func(x float64) bool { return x >= v })
	}
	return out
}

// formatCost writes what each Stepscaler policy costs to run over a month at this
// trace's pace: Step Functions state transitions, Lambda invocations and GetMetricData
// for the executions the run started, the alarms, and for the presets the metric they
// need published.
func formatCost(w io.Writer, o Options, tr simulate.Trace, rs []simulate.Result) error {
	span := time.Duration(len(tr.Points)) * tr.Step
	perMonth := float64(presets.Month) / float64(span)
	fmt.Fprintf(w, "%s\n", o.heading(o.mainScale()))
	fmt.Fprintf(w, "What each Stepscaler policy costs a month at this trace's pace (the %s replayed, scaled to 30 days),\n", span)
	fmt.Fprintln(w, "in US dollars at US East (N. Virginia) prices, free tiers left out (see internal/presets/cost.go).")
	fmt.Fprintln(w, "The per-minute evaluation Lambda and the alarms' SNS notifications are shared by every service and left out.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\texecutions\tstate transitions\tStep Functions\tLambda\tGetMetricData\talarms\tmetric\ttotal\tmean tasks\t")
	byName := map[string]presets.Preset{}
	for _, p := range o.Presets {
		byName["stepscaler "+p.Name] = p
	}
	for _, r := range rs {
		if !strings.HasPrefix(r.Autoscaler, "stepscaler") {
			continue
		}
		n := r.Notes
		executions := float64(n["executions"]) * perMonth
		transitions := float64(n["state transitions"]) * perMonth
		invocations := float64(n["lambda invocations"]) * perMonth
		// Every execution that gets the lease reads each alarm's metric once.
		reads := float64(n["executions"]-n["not scaled: ScalingInProgress"]) * perMonth * float64(alarmsOf(o, r.Autoscaler))
		sfn := transitions * presets.StateTransitionPrice
		lambda := invocations * (presets.LambdaRequestPrice + presets.LambdaGBSecondsPerInvocation*presets.LambdaArmGBSecond)
		gmd := reads * presets.GetMetricDataPerMetric
		meanTasks := r.Measures.TaskMinutes / span.Minutes()
		var alarms, metric float64
		if p, ok := byName[r.Autoscaler]; ok {
			alarms, metric = p.AlarmsMonthly(), p.MetricMonthly(meanTasks)
		} else {
			alarms, metric = configuredCost(o.Stepscaler, o.Setup.AlarmPeriod, meanTasks)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t\n", shortName(r.Autoscaler),
			executions, transitions, sfn, lambda, gmd, alarms, metric, sfn+lambda+gmd+alarms+metric, meanTasks)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The configured policy's alarms are priced by their periods; its metric is counted as one AWS publishes for free")
	fmt.Fprintln(w, "(ECS CPUUtilization) unless an alarm's period is under a minute, which needs a custom high-resolution one.")
	fmt.Fprintln(w, "Such a metric, and a preset's, is counted as each task calling PutMetricData once a period, plus the custom metric;")
	fmt.Fprintln(w, "AAS target tracking's two alarms cost $0.20 a month, its scaling nothing more.")
	return nil
}

// configuredCost is what the configured policy's alarms and metric cost a month: each
// alarm by its period, and when one has a period under a minute, a custom metric published
// at the shortest (AWS services publish at one minute at best, see docs/configuration.md,
// Presets).
func configuredCost(st *simulate.Stepscaler, setupPeriod time.Duration, meanTasks float64) (alarms, metric float64) {
	shortest := time.Duration(0)
	for _, pa := range st.Policies {
		period := pa.Alarm.Period
		if period == 0 { // the alarm takes the setup's
			period = cmp.Or(setupPeriod, simulate.DefaultAlarmPeriod)
		}
		alarms += presets.AlarmMonthly(period)
		if shortest == 0 || period < shortest {
			shortest = period
		}
	}
	if shortest > 0 && shortest < time.Minute {
		metric = presets.PublishedMetricMonthly(meanTasks, shortest)
	}
	return alarms, metric
}

// alarmsOf is how many alarms the named Stepscaler policy has.
func alarmsOf(o Options, name string) int {
	if name == o.Stepscaler.Name() {
		return len(o.Stepscaler.Policies)
	}
	return 2
}
