package main

import (
	"fmt"
	"strings"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

func validateConfig(args []string) error {
	fs := newFlags("validate-config")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: stepscaler validate-config FILE")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError(2)
	}
	cfg, err := config.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Printf("%s: valid, %d services, %d alarms\n", fs.Arg(0), len(cfg.Services), len(cfg.AlarmNames()))
	for _, s := range cfg.Services {
		printService(cfg, s)
	}
	return nil
}

// printService shows what the configuration makes of one service: its bounds, each
// alarm's policy and, for the alarms the stack creates, when the alarm fires (for a
// preset's alarms, the only place a user sees them), and its scheduled actions.
func printService(cfg *config.Config, s config.Service) {
	ref := scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service}
	t, _ := cfg.Service(ref)
	var notes []string
	if s.Preset != nil {
		notes = append(notes, "preset "+s.Preset.Name)
	}
	if s.DryRun {
		notes = append(notes, "dry run")
	}
	fmt.Printf("%s within [%d, %d]%s\n", ref, s.MinCapacity, s.MaxCapacity, parenthesized(notes))
	for i, a := range s.Alarms {
		p := t.Policies[i]
		fmt.Printf("  %-40s scale-%-3s %s, cooldown %ds\n", a.AlarmName, p.Direction, p.Summary(), p.CooldownSeconds)
		if m := a.Metric; m != nil {
			fmt.Printf("  %-40s fires when %s\n", "", condition(m))
		}
	}
	for _, sa := range s.ScheduledActions {
		var sets []string
		if v := sa.ScalableTargetAction.MinCapacity; v != nil {
			sets = append(sets, fmt.Sprintf("min %d", *v))
		}
		if v := sa.ScalableTargetAction.MaxCapacity; v != nil {
			sets = append(sets, fmt.Sprintf("max %d", *v))
		}
		zone := sa.Timezone
		if zone == "" {
			zone = "UTC"
		}
		fmt.Printf("  %-40s scheduled %s (%s) sets %s\n", sa.ScheduledActionName, sa.Schedule, zone, strings.Join(sets, " and "))
	}
}

// condition says when a metric block's alarm fires, in PutMetricAlarm's terms.
func condition(m *config.Metric) string {
	metric := m.Expression
	if metric == "" {
		metric = m.Namespace + " " + m.MetricName + " " + m.Statistic
	}
	datapoints := m.DatapointsToAlarm
	if datapoints == 0 {
		datapoints = m.EvaluationPeriods
	}
	ops := map[string]string{"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">",
		"LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<="}
	return fmt.Sprintf("%s %s %v in %d of %d periods of %ds", metric, ops[m.ComparisonOperator], m.Threshold,
		datapoints, m.EvaluationPeriods, m.PeriodSeconds)
}

func parenthesized(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, ", ") + ")"
}
