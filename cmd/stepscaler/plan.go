package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/alarmeval"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// plan answers "what would Stepscaler do?" for one service, with the workflow's own
// decision code, from what an operator can capture: the service (aws ecs
// describe-services), its alarms (aws cloudwatch describe-alarms, or one notification)
// and, optionally, its state item.
func plan(args []string) error {
	fs := newFlags("plan")
	cfgPath := fs.String("config", "config/stepscaler.json", "scaling config")
	serviceFile := fs.String("service", "", "the service: the output of aws ecs describe-services --cluster C --services S")
	cluster := fs.String("cluster", "", "the service's cluster, when the config has services of that name in several clusters")
	alarmsFile := fs.String("alarms", "", "the service's alarms: the output of aws cloudwatch describe-alarms --alarm-names ...; states, thresholds and the datapoints each alarm evaluated")
	alarmFile := fs.String("alarm", "", "an alarm notification (the SNS message, or an SNS event as Lambda receives it): that alarm in ALARM, sized from the datapoints it quotes")
	stateFile := fs.String("state", "", "optional: the service's state item (cooldowns, suspensions), as JSON or as the output of aws dynamodb get-item")
	at := fs.String("time", "", "optional: decide as of this RFC 3339 time (default now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *serviceFile == "" || (*alarmsFile == "" && *alarmFile == "") {
		fs.Usage()
		return fmt.Errorf("--service and one of --alarms or --alarm are required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("--time: %w", err)
		}
	}
	snap, target, err := readService(*serviceFile, cfg, *cluster, now)
	if err != nil {
		return err
	}
	readings := map[string]scaling.AlarmReading{}
	if *alarmsFile != "" {
		if readings, err = readAlarms(*alarmsFile, target); err != nil {
			return err
		}
	}
	if *alarmFile != "" {
		n, err := readNotification(*alarmFile)
		if err != nil {
			return err
		}
		p, ok := target.Policy(n.AlarmName)
		if !ok {
			return fmt.Errorf("alarm %s is not one of %s's alarms in %s", n.AlarmName, target.Service, *cfgPath)
		}
		readings[n.AlarmName] = notified(n, p)
	}
	var state activity.State
	if *stateFile != "" {
		if state, err = readState(*stateFile); err != nil {
			return err
		}
	}
	req := workflow.PlanRequest{Service: target.Service, Before: snap, Lease: activity.Lease{Acquired: true, State: state}}
	for _, name := range target.AlarmNames() {
		r, ok := readings[name]
		if !ok {
			r = scaling.AlarmReading{Name: name}
		}
		req.Alarms.Alarms = append(req.Alarms.Alarms, r)
	}
	d := workflow.Decide(target, req, now)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"service":  target.Service,
		"alarms":   req.Alarms.Alarms,
		"time":     now,
		"decision": d,
	})
}

// readService reads describe-services output and finds the configured service it
// describes.
func readService(path string, cfg *config.Config, cluster string, now time.Time) (service.Snapshot, config.ServiceTarget, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return service.Snapshot{}, config.ServiceTarget{}, fmt.Errorf("read service: %w", err)
	}
	snaps, _, err := service.ParseDescribeServices(data, now)
	if err != nil {
		return service.Snapshot{}, config.ServiceTarget{}, fmt.Errorf("%s is not `aws ecs describe-services` output: %w", path, err)
	}
	var matches []config.ServiceTarget
	var snap service.Snapshot
	for _, s := range snaps {
		for _, t := range cfg.ServiceTargets() {
			if t.Service.Service == s.Name && (cluster == "" || t.Service.Cluster == cluster) {
				matches, snap = append(matches, t), s
			}
		}
	}
	switch len(matches) {
	case 0:
		return service.Snapshot{}, config.ServiceTarget{}, fmt.Errorf("%s describes no service of the scaling config", path)
	case 1:
		return snap, matches[0], nil
	default:
		return service.Snapshot{}, config.ServiceTarget{}, fmt.Errorf("%s matches several configured services; name the cluster with --cluster", path)
	}
}

// readAlarms reads describe-alarms output: each alarm's state, and the datapoints its last
// evaluation used (StateReasonData) as its metric's value, with its threshold.
func readAlarms(path string, target config.ServiceTarget) (map[string]scaling.AlarmReading, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read alarms: %w", err)
	}
	var out struct {
		MetricAlarms *[]struct {
			AlarmName       string
			StateValue      string
			Threshold       *float64
			StateReasonData string
		}
		CompositeAlarms []struct {
			AlarmName  string
			StateValue string
		}
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s is not `aws cloudwatch describe-alarms` output: %w", path, err)
	}
	if out.MetricAlarms == nil {
		return nil, fmt.Errorf("%s is not `aws cloudwatch describe-alarms` output: it has no MetricAlarms", path)
	}
	readings := map[string]scaling.AlarmReading{}
	for _, c := range out.CompositeAlarms {
		readings[c.AlarmName] = scaling.AlarmReading{Name: c.AlarmName, State: c.StateValue,
			MetricNote: "a composite alarm has no metric"}
	}
	for _, m := range *out.MetricAlarms {
		r := scaling.AlarmReading{Name: m.AlarmName, State: m.StateValue}
		p, ok := target.Policy(m.AlarmName)
		values, err := reasonDatapoints(m.StateReasonData)
		switch {
		case !ok:
			continue
		case err != nil:
			return nil, fmt.Errorf("%s: alarm %s: StateReasonData: %w", path, m.AlarmName, err)
		case m.Threshold == nil:
			r.MetricNote = "the alarm has no static threshold"
		default:
			if v, ok := alarmeval.Aggregate(values, len(values), p.MetricAggregationType); ok {
				r.Metric = &scaling.MetricValue{Value: v, Threshold: *m.Threshold}
			} else {
				r.MetricNote = "StateReasonData holds no datapoint"
			}
		}
		readings[m.AlarmName] = r
	}
	return readings, nil
}

// reasonDatapoints are the datapoints of a StateReasonData document: the evaluated ones
// that have a value, else recentDatapoints.
func reasonDatapoints(data string) ([]alarmeval.Datapoint, error) {
	if data == "" {
		return nil, nil
	}
	var d struct {
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		EvaluatedDatapoints []struct {
			Value *float64 `json:"value"`
		} `json:"evaluatedDatapoints"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, err
	}
	var dps []alarmeval.Datapoint
	for _, e := range d.EvaluatedDatapoints {
		if e.Value != nil {
			dps = append(dps, alarmeval.Datapoint{Value: *e.Value})
		}
	}
	if len(dps) == 0 {
		for _, v := range d.RecentDatapoints {
			dps = append(dps, alarmeval.Datapoint{Value: v})
		}
	}
	return dps, nil
}

// notified reads a notification as its alarm in ALARM, sized from the datapoints its
// reason quotes.
func notified(n alarm.Notification, p scaling.Policy) scaling.AlarmReading {
	r := scaling.AlarmReading{Name: n.AlarmName, State: string(n.NewState)}
	dps := make([]alarmeval.Datapoint, len(n.Datapoints))
	for i, dp := range n.Datapoints {
		dps[i] = alarmeval.Datapoint{Value: dp.Value}
	}
	v, ok := alarmeval.Aggregate(dps, len(dps), p.MetricAggregationType)
	switch {
	case n.Threshold == nil:
		r.MetricNote = "the notification quotes no threshold"
	case !ok:
		r.MetricNote = "the notification quotes no datapoint"
	default:
		r.Metric = &scaling.MetricValue{Value: v, Threshold: *n.Threshold}
	}
	return r
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
					plain[k] = json.Number(fmt.Sprint(val))
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
