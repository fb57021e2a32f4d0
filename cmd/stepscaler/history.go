package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/workflow"
)

// resultKeys maps a step to the field its ResultPath adds to the state, so the history
// shows what each step found rather than the whole state again.
var resultKeys = map[string]string{
	"Acquire scaling lease":   "lease",
	"Read alarms and metrics": "alarms",
	"Describe ECS service":    "before",
	"Plan scaling":            "plan",
	"Update desired count":    "watch",
	"Check stability":         "watch",
	"Record outcome":          "outcome",
	"Record failure":          "outcome",
}

// printHistory prints events as the console's table view does: id, type, step, time
// since the start, and a short summary of what the step received or produced.
func printHistory(w io.Writer, events []sfntypes.HistoryEvent) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTEP\tELAPSED\tDETAIL")
	var start = events[0].Timestamp
	for _, e := range events {
		step, detail := describe(e)
		at := aws.ToTime(e.Timestamp).Sub(aws.ToTime(start)).Seconds()
		fmt.Fprintf(tw, "%d\t%s\t%s\t+%.3fs\t%s\n", e.Id, e.Type, step, at, detail)
	}
	tw.Flush()
}

func describe(e sfntypes.HistoryEvent) (step, detail string) {
	switch {
	case e.ExecutionStartedEventDetails != nil:
		return "", "input " + summarize(aws.ToString(e.ExecutionStartedEventDetails.Input), "")
	case e.StateEnteredEventDetails != nil:
		return aws.ToString(e.StateEnteredEventDetails.Name), ""
	case e.StateExitedEventDetails != nil:
		name := aws.ToString(e.StateExitedEventDetails.Name)
		if key, ok := resultKeys[name]; ok {
			return name, key + " " + summarize(aws.ToString(e.StateExitedEventDetails.Output), key)
		}
		return name, ""
	case e.LambdaFunctionFailedEventDetails != nil:
		d := e.LambdaFunctionFailedEventDetails
		return "", aws.ToString(d.Error) + ": " + clip(aws.ToString(d.Cause), 100)
	case e.ExecutionFailedEventDetails != nil:
		d := e.ExecutionFailedEventDetails
		return "", aws.ToString(d.Error) + ": " + clip(aws.ToString(d.Cause), 100)
	case e.TaskFailedEventDetails != nil:
		return "", aws.ToString(e.TaskFailedEventDetails.Error)
	}
	return "", ""
}

// summarize returns the compact JSON of one field of a state (or all of it), clipped.
func summarize(state, key string) string {
	var v map[string]json.RawMessage
	if json.Unmarshal([]byte(state), &v) != nil {
		return clip(state, 100)
	}
	if key == "" {
		var in workflow.Input
		if err := json.Unmarshal([]byte(state), &in); err != nil {
			return clip(state, 100)
		}
		by := "the per-minute evaluation"
		if in.Trigger.Source == workflow.SourceNotification {
			by = "a notification of " + in.Trigger.Alarm
		}
		return fmt.Sprintf("service %s, started by %s", in.Service, by)
	}
	return clip(string(v[key]), 110)
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// currentState is the step an execution is in, from its history.
func currentState(events []sfntypes.HistoryEvent) string {
	for i := len(events) - 1; i >= 0; i-- {
		if d := events[i].StateEnteredEventDetails; d != nil {
			return aws.ToString(d.Name)
		}
	}
	return "starting"
}
