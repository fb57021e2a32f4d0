package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
)

// describeActivities reads the activity table like `aws application-autoscaling
// describe-scaling-activities`.
func describeActivities(ctx context.Context, g *awsOptions, args []string) error {
	fs := newFlags("describe-scaling-activities")
	svc := addServiceFlags(fs, g, true)
	maxItems := fs.Int("max-items", 20, "how many activities to show, newest first (0: all)")
	notScaled := fs.Bool("include-not-scaled-activities", false, "also list decisions that changed nothing (NotScaled), as the AWS CLI's flag of that name")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := noArguments(fs, rest); err != nil {
		return err
	}
	output, err := g.format()
	if err != nil {
		return err
	}
	store, ref, err := svc.open(ctx, fs)
	if err != nil {
		return err
	}
	all, err := store.List(ctx, ref, 0)
	if err != nil {
		return err
	}
	var acts []activity.Activity
	for _, a := range all {
		if a.StatusCode == activity.StatusNotScaled && !*notScaled {
			continue
		}
		if *maxItems > 0 && len(acts) == *maxItems {
			break
		}
		acts = append(acts, a)
	}
	return printActivities(os.Stdout, acts, output)
}

func printActivities(w io.Writer, acts []activity.Activity, output string) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"ScalingActivities": acts})
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "START\tSTATUS\tFROM\tTO\tALARM\tMESSAGE")
		for _, a := range acts {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", a.StartTime.Format(time.RFC3339), a.StatusCode, a.FromCount, a.ToCount, a.AlarmName, a.StatusMessage)
		}
		return tw.Flush()
	case "text":
		// The AWS CLI's text output: one line per activity, its list's name first, then
		// tab-separated values.
		for _, a := range acts {
			fields := []string{"SCALINGACTIVITIES", a.ActivityID, a.StartTime.UTC().Format(time.RFC3339), a.StatusCode,
				strconv.Itoa(a.FromCount), strconv.Itoa(a.ToCount), a.AlarmName, strings.ReplaceAll(a.StatusMessage, "\t", " ")}
			if _, err := fmt.Fprintln(w, strings.Join(fields, "\t")); err != nil {
				return err
			}
		}
		return nil
	case "off":
		return nil
	default:
		return fmt.Errorf("unknown output format %q", output)
	}
}
