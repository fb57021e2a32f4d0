package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/starter"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// plan answers "what would Stepscaler do?" for one alarm and one service, with the
// workflow's own decision code.
func plan(args []string) error {
	fs := newFlags("plan")
	cfgPath := fs.String("config", "config/stepscaler.json", "scaling config")
	alarmFile := fs.String("alarm", "", "the alarm notification: the SNS message, or an SNS event as Lambda receives it")
	serviceFile := fs.String("service", "", "the service: the output of aws ecs describe-services --cluster C --services S")
	stateFile := fs.String("state", "", "optional: the service's state item (cooldowns, suspensions), as JSON or as the output of aws dynamodb get-item")
	at := fs.String("time", "", "optional: decide as of this RFC 3339 time (default now)")
	outAlarms := fs.String("out-alarms-in-alarm", "", "optional: comma-separated scale-out alarms to treat as in ALARM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *alarmFile == "" || *serviceFile == "" {
		fs.Usage()
		return fmt.Errorf("--alarm and --service are required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	n, err := readNotification(*alarmFile)
	if err != nil {
		return err
	}
	target, ok := cfg.Lookup(n.AlarmName)
	if !ok {
		return fmt.Errorf("alarm %s is not in %s", n.AlarmName, *cfgPath)
	}
	snap, err := readDescribeServices(*serviceFile, target.Service)
	if err != nil {
		return err
	}
	var state activity.State
	if *stateFile != "" {
		if state, err = readState(*stateFile); err != nil {
			return err
		}
	}
	now := time.Now().UTC()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("--time: %w", err)
		}
	}
	snap.ObservedAt = now
	req := workflow.PlanRequest{
		Policy:  target.Policy,
		Service: snap,
		Lease:   activity.Lease{Acquired: true, State: state},
		AlarmState: workflow.AlarmState{
			AlarmName: n.AlarmName, State: string(n.NewState), InAlarm: true,
			Metric: starter.Breach(n), OutAlarmsInAlarm: splitList(*outAlarms),
		},
	}
	d := workflow.Decide(req, now)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"alarm":    n.AlarmName,
		"service":  target.Service,
		"policy":   target.Policy,
		"metric":   req.AlarmState.Metric,
		"time":     now,
		"decision": d,
	})
}

func readNotification(path string) (alarm.Notification, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return alarm.Notification{}, fmt.Errorf("read alarm: %w", err)
	}
	msgs, err := alarm.Messages(data)
	if err != nil {
		return alarm.Notification{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(msgs) != 1 {
		return alarm.Notification{}, fmt.Errorf("%s holds %d notifications, want one", path, len(msgs))
	}
	n, err := alarm.Parse([]byte(msgs[0]))
	if err != nil {
		return alarm.Notification{}, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// describeServicesOutput is `aws ecs describe-services` output: the API's JSON, which
// the CLI prints with lowerCamel keys and ISO 8601 timestamps.
type describeServicesOutput struct {
	Services []struct {
		ServiceName  string `json:"serviceName"`
		ServiceArn   string `json:"serviceArn"`
		Status       string `json:"status"`
		DesiredCount int    `json:"desiredCount"`
		RunningCount int    `json:"runningCount"`
		PendingCount int    `json:"pendingCount"`
		Deployments  []struct {
			ID                 string    `json:"id"`
			Status             string    `json:"status"`
			RolloutState       string    `json:"rolloutState"`
			RolloutStateReason string    `json:"rolloutStateReason"`
			DesiredCount       int       `json:"desiredCount"`
			RunningCount       int       `json:"runningCount"`
			PendingCount       int       `json:"pendingCount"`
			FailedTasks        int       `json:"failedTasks"`
			UpdatedAt          time.Time `json:"updatedAt"`
		} `json:"deployments"`
	} `json:"services"`
}

func readDescribeServices(path string, want scaling.ServiceRef) (service.Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return service.Snapshot{}, fmt.Errorf("read service: %w", err)
	}
	var out describeServicesOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return service.Snapshot{}, fmt.Errorf("%s is not `aws ecs describe-services` output: %w", path, err)
	}
	for _, s := range out.Services {
		if s.ServiceName != want.Service {
			continue
		}
		snap := service.Snapshot{ARN: s.ServiceArn, Status: s.Status, DesiredCount: s.DesiredCount,
			RunningCount: s.RunningCount, PendingCount: s.PendingCount}
		for _, d := range s.Deployments {
			snap.Deployments = append(snap.Deployments, service.Deployment{ID: d.ID, Status: d.Status,
				RolloutState: d.RolloutState, RolloutStateReason: d.RolloutStateReason, DesiredCount: d.DesiredCount,
				RunningCount: d.RunningCount, PendingCount: d.PendingCount, FailedTasks: d.FailedTasks, UpdatedAt: d.UpdatedAt})
		}
		return snap, nil
	}
	return service.Snapshot{}, fmt.Errorf("%s does not describe service %s", path, want.Service)
}

// readState reads a state item as plain JSON, or as `aws dynamodb get-item` prints it
// ({"Item": {"lastScaleOutAt": {"S": "..."}, ...}}).
func readState(path string) (activity.State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return activity.State{}, fmt.Errorf("read state: %w", err)
	}
	var wrapped struct {
		Item map[string]map[string]any `json:"Item"`
	}
	if json.Unmarshal(data, &wrapped) == nil && wrapped.Item != nil {
		plain := map[string]any{}
		for k, v := range wrapped.Item {
			for typ, val := range v {
				switch typ {
				case "N":
					var n json.Number = json.Number(fmt.Sprint(val))
					plain[k] = n
				default: // S, BOOL
					plain[k] = val
				}
			}
		}
		if data, err = json.Marshal(plain); err != nil {
			return activity.State{}, err
		}
	}
	var st activity.State
	if err := json.Unmarshal(data, &st); err != nil {
		return activity.State{}, fmt.Errorf("%s: not a state item: %w", path, err)
	}
	return st, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
