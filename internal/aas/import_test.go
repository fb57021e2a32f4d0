package aas

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// parsed is the configuration an import wrote, read back with the configuration's own
// validation.
func parsed(t *testing.T, r Result) *config.Config {
	t.Helper()
	c, err := config.Parse("imported.json", r.Config)
	if err != nil {
		t.Fatalf("the import wrote an invalid configuration: %v\n%s", err, r.Config)
	}
	return c
}

func alarmNamed(t *testing.T, c *config.Config, name string) config.Alarm {
	t.Helper()
	for _, s := range c.Services {
		for _, a := range s.Alarms {
			if a.AlarmName == name {
				return a
			}
		}
	}
	t.Fatalf("no alarm %q in the configuration", name)
	return config.Alarm{}
}

// TestImportDocumented imports testdata/documented and checks the configuration against
// what the documentation says of each item.
func TestImportDocumented(t *testing.T) {
	r, err := Import(documentedInput(t), Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.NotImported(); n != 0 {
		t.Errorf("%d items not imported: %+v", n, r.Findings)
	}
	c := parsed(t, r)
	if len(c.Services) != 4 || r.Services != 4 || r.Alarms != 9 || r.ScheduledActions != 3 {
		t.Errorf("counted %d services, %d alarms, %d actions; want 4, 9, 3", r.Services, r.Alarms, r.ScheduledActions)
	}
	for _, s := range c.Services {
		if !s.DryRun {
			t.Errorf("%s/%s: dryRun not set", s.Cluster, s.Service)
		}
	}
	// "Creating a step scaling policy using the AWS CLI": ChangeInCapacity, Average,
	// Cooldown 60, steps [0, 15) +1, [15, 25) +2, [25, +inf) +3.
	step := alarmNamed(t, c, "Step-Scaling-AlarmHigh-ECS:service/default/sample-app-service")
	bounds := [][2]*float64{}
	var adjustments []int
	for _, s := range step.StepAdjustments {
		bounds = append(bounds, [2]*float64{s.MetricIntervalLowerBound, s.MetricIntervalUpperBound})
		adjustments = append(adjustments, *s.ScalingAdjustment)
	}
	if step.Direction != scaling.Out || step.AdjustmentType != scaling.ChangeInCapacity || *step.CooldownSeconds != 60 || step.MetricAggregationType != "Average" ||
		!reflect.DeepEqual(adjustments, []int{1, 2, 3}) || *bounds[1][0] != 15 || *bounds[1][1] != 25 || bounds[2][1] != nil {
		t.Errorf("my-step-scaling-policy became %+v", step)
	}
	// The scale-in policy of AAS's step adjustments example keeps its signs.
	in := alarmNamed(t, c, "example-app-cpu-low")
	adjustments = nil
	for _, s := range in.StepAdjustments {
		adjustments = append(adjustments, *s.ScalingAdjustment)
	}
	if in.Direction != scaling.In || !reflect.DeepEqual(adjustments, []int{0, -10, -30}) || *in.CooldownSeconds != 300 {
		t.Errorf("example-app-scale-in became %+v", in)
	}
	// MinAdjustmentMagnitude 2 on a PercentChangeInCapacity policy stays.
	if p := alarmNamed(t, c, "percent-app-cpu-high"); *p.MinAdjustmentMagnitude != 2 {
		t.Errorf("percent-app-scale-out lost MinAdjustmentMagnitude: %+v", p)
	}
	// put-scaling-policy example 1: TargetValue 75, ScaleOutCooldown and ScaleInCooldown
	// 60, on copies of the two alarms AAS made.
	out := alarmNamed(t, c, "stepscaler-default-web-app-cpu75-target-tracking-scaling-policy-out")
	low := alarmNamed(t, c, "stepscaler-default-web-app-cpu75-target-tracking-scaling-policy-in")
	if out.AdjustmentType != scaling.TargetRatio || *out.TargetValue != 75 || *out.Tolerance != 0 || *out.CooldownSeconds != 60 ||
		out.Metric == nil || out.Metric.MetricName != "CPUUtilization" || out.Metric.Threshold != 75 || out.Metric.EvaluationPeriods != 3 ||
		out.Metric.ComparisonOperator != "GreaterThanThreshold" || out.Metric.Dimensions["ServiceName"] != "web-app" {
		t.Errorf("the scale-out entry = %+v, metric %+v", out, out.Metric)
	}
	if low.Direction != scaling.In || *low.TargetValue != 75 || *low.CooldownSeconds != 60 || low.Metric.Threshold != 67.5 || low.Metric.EvaluationPeriods != 15 {
		t.Errorf("the scale-in entry = %+v, metric %+v", low, low.Metric)
	}
	// put-scaling-policy example 3: "DisableScaleIn": true, so no scale-in entry.
	alb := alarmNamed(t, c, "stepscaler-default-web-app-alb-scale-out-target-tracking-scaling-policy-out")
	if alb.Metric.MetricName != "RequestCountPerTarget" || alb.Metric.Statistic != "Sum" {
		t.Errorf("the ALB entry = %+v", alb.Metric)
	}
	for _, s := range c.Services {
		for _, a := range s.Alarms {
			if strings.Contains(a.AlarmName, "alb-scale-out") && a.Direction == scaling.In {
				t.Errorf("DisableScaleIn policy got a scale-in entry %s", a.AlarmName)
			}
		}
	}
	// The alarms the configuration names without creating them: the step policies'.
	want := []string{"web-app-cpu-gt-75", "web-app-cpu-lt-25", "Step-Scaling-AlarmHigh-ECS:service/default/sample-app-service",
		"example-app-cpu-high", "example-app-cpu-low", "percent-app-cpu-high"}
	if !reflect.DeepEqual(r.ExistingAlarms, want) {
		t.Errorf("ExistingAlarms = %v, want %v", r.ExistingAlarms, want)
	}
	// The AWS CLI put-scheduled-action example: rate(5 hours) from 2021-01-30 12:00 to
	// 2021-01-31 22:00 UTC, MinCapacity=3,MaxCapacity=10.
	web := c.Services[0]
	if a := web.ScheduledActions[0]; a.Schedule != "rate(5 hours)" || a.StartTime != "2021-01-30T12:00:00Z" || a.EndTime != "2021-01-31T22:00:00Z" ||
		*a.ScalableTargetAction.MinCapacity != 3 || *a.ScalableTargetAction.MaxCapacity != 10 {
		t.Errorf("my-recurring-action became %+v", a)
	}
	if a := web.ScheduledActions[1]; a.Timezone != "Etc/GMT+9" || a.Schedule != "cron(0 18 ? * MON-FRI *)" {
		t.Errorf("the time zone action became %+v", a)
	}
	// Findings come by service, in describe-scalable-targets' order, after the files'.
	var order []string
	for _, f := range r.Findings {
		if len(order) == 0 || order[len(order)-1] != f.Resource {
			order = append(order, f.Resource)
		}
	}
	if !reflect.DeepEqual(order, []string{"every service", "service/default/web-app", "service/default/sample-app-service", "service/default/example-app", "service/default/percent-app"}) {
		t.Errorf("findings in the order %v", order)
	}
}

const target = `{"ScalableTargets": [{"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": "service/prod/web", "MinCapacity": 2, "MaxCapacity": 20}]}`

// importJSON imports CLI outputs given as text.
func importJSON(t *testing.T, targets, policies, actions, alarms string) (Result, error) {
	t.Helper()
	tg, err := ReadScalableTargets("targets", strings.NewReader(targets))
	if err != nil {
		t.Fatal(err)
	}
	po, err := ReadScalingPolicies("policies", strings.NewReader(policies))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := ReadScheduledActions("actions", strings.NewReader(actions))
	if err != nil {
		t.Fatal(err)
	}
	al, paged, err := ReadAlarms("alarms", strings.NewReader(alarms))
	if err != nil {
		t.Fatal(err)
	}
	return Import(Input{Targets: tg, Policies: po, Actions: ac, Alarms: al, AlarmsPaged: paged}, Options{})
}

func policies(ps ...string) string { return `{"ScalingPolicies": [` + strings.Join(ps, ",") + `]}` }
func actions(as ...string) string  { return `{"ScheduledActions": [` + strings.Join(as, ",") + `]}` }

func alarms(metric []string, composite ...string) string {
	c := make([]string, len(composite))
	for i, name := range composite {
		c[i] = alarmRef(name)
	}
	return `{"MetricAlarms": [` + strings.Join(metric, ",") + `], "CompositeAlarms": [` + strings.Join(c, ",") + `]}`
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Resource + " | " + f.Item + " | " + string(f.Kind) + " | " + f.Message + "\n")
	}
	return b.String()
}

func stepPolicy(name, adjustmentType, steps, alarms string) string {
	return `{"PolicyName": "` + name + `", "PolicyType": "StepScaling", "ServiceNamespace": "ecs", "ResourceId": "service/prod/web",
		"ScalableDimension": "ecs:service:DesiredCount", "StepScalingPolicyConfiguration": {"AdjustmentType": "` + adjustmentType + `",
		"StepAdjustments": [` + steps + `]}, "Alarms": [` + alarms + `]}`
}

func alarmRef(name string) string { return `{"AlarmName": "` + name + `"}` }

func metricAlarm(name, op string, threshold float64, extra string) string {
	return `{"AlarmName": "` + name + `", "Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Statistic": "Average",
		"Dimensions": [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": "web"}], "Period": 60,
		"EvaluationPeriods": 3, "Threshold": ` + strconv.FormatFloat(threshold, 'f', -1, 64) + `, "ComparisonOperator": "` + op + `"` + extra + `}`
}

func trackingPolicy(name, config, alarms string) string {
	return `{"PolicyName": "` + name + `", "PolicyType": "TargetTrackingScaling", "ServiceNamespace": "ecs", "ResourceId": "service/prod/web",
		"ScalableDimension": "ecs:service:DesiredCount", "TargetTrackingScalingPolicyConfiguration": ` + config + `, "Alarms": [` + alarms + `]}`
}

func scheduledAction(name, schedule, extra string) string {
	return `{"ScheduledActionName": "` + name + `", "ServiceNamespace": "ecs", "ResourceId": "service/prod/web", "ScalableDimension": "ecs:service:DesiredCount",
		"Schedule": "` + schedule + `", "CreationTime": 1611990000` + extra + `}`
}

// finding is a finding a test expects: its item, kind and a fragment of its message.
type finding struct {
	item    string
	kind    Kind
	message string
}

func hasFinding(fs []Finding, w finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool {
		return strings.Contains(f.Item, w.item) && f.Kind == w.kind && strings.Contains(f.Message, w.message)
	})
}

// TestImportReportsWhatItCannotMap: every item the configuration cannot hold, or holds
// differently, is reported with why; what can be mapped still is.
func TestImportReportsWhatItCannotMap(t *testing.T) {
	high := metricAlarm("web-high", "GreaterThanThreshold", 70, "")
	low := metricAlarm("web-low", "LessThanThreshold", 20, "")
	up := `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}`
	tests := []struct {
		name        string
		policies    []string
		actions     []string
		alarms      []string // metric alarms besides web-high, web-low and base-high
		composite   []string
		want        []finding
		notImported int
		check       func(t *testing.T, s config.Service)
	}{
		{name: "steps that both add and remove",
			policies: []string{stepPolicy("both", "ChangeInCapacity",
				`{"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}, {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}`, alarmRef("web-high"))},
			want:        []finding{{`policy "both"`, NotImported, "both add and remove tasks"}},
			notImported: 1},
		{name: "steps that never scale",
			policies:    []string{stepPolicy("idle", "ChangeInCapacity", `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 0}`, alarmRef("web-high"))},
			want:        []finding{{`policy "idle"`, NotImported, "every step adjustment is 0"}},
			notImported: 1},
		{name: "a policy no alarm invokes",
			policies:    []string{stepPolicy("orphan", "ChangeInCapacity", up, "")},
			want:        []finding{{`policy "orphan"`, NotImported, "no alarm invokes it"}},
			notImported: 1},
		{name: "one alarm invoking two policies",
			policies: []string{stepPolicy("first", "ChangeInCapacity", up, alarmRef("web-high")),
				stepPolicy("second", "ChangeInCapacity", `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}`, alarmRef("web-high"))},
			want: []finding{{`policy "first"`, Imported, `alarm "web-high"`},
				{`policy "second"`, NotImported, `alarm "web-high" already drives policy "first" of service/prod/web`}},
			notImported: 1},
		{name: "a composite alarm",
			policies:    []string{stepPolicy("c", "ChangeInCapacity", up, alarmRef("busy"))},
			composite:   []string{"busy"},
			want:        []finding{{`policy "c"`, NotImported, "composite alarm"}},
			notImported: 1},
		{name: "an anomaly detection alarm",
			policies:    []string{stepPolicy("a", "ChangeInCapacity", up, alarmRef("band"))},
			alarms:      []string{`{"AlarmName": "band", "ComparisonOperator": "GreaterThanUpperThreshold", "ThresholdMetricId": "ad1", "Metrics": []}`},
			want:        []finding{{`policy "a"`, NotImported, "anomaly detection band"}},
			notImported: 1},
		{name: "ExactCapacity takes its direction from the alarm",
			policies: []string{stepPolicy("night", "ExactCapacity", `{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 2}`, alarmRef("web-low"))},
			want:     []finding{{`policy "night"`, Imported, "scale-in, ExactCapacity"}, {`policy "night"`, Differs, "only scales in"}},
			check: func(t *testing.T, s config.Service) {
				if a := s.Alarms[0]; a.Direction != scaling.In || *a.StepAdjustments[0].ScalingAdjustment != 2 {
					t.Errorf("ExactCapacity entry = %+v", a)
				}
			}},
		{name: "ExactCapacity without its alarm",
			policies:    []string{stepPolicy("night", "ExactCapacity", `{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 2}`, alarmRef("gone"))},
			want:        []finding{{`policy "night"`, NotImported, "only its alarm's comparison says which way"}},
			notImported: 1},
		{name: "MinAdjustmentMagnitude beside ChangeInCapacity is dropped",
			policies: []string{strings.Replace(stepPolicy("m", "ChangeInCapacity", up, alarmRef("web-high")),
				`"AdjustmentType"`, `"MinAdjustmentMagnitude": 2, "AdjustmentType"`, 1)},
			want: []finding{{`policy "m"`, Changed, "MinAdjustmentMagnitude 2 dropped"}},
			check: func(t *testing.T, s config.Service) {
				if a := s.Alarms[0]; a.MinAdjustmentMagnitude != nil {
					t.Errorf("entry kept it: %+v", a)
				}
			}},
		{name: "a predictive scaling policy",
			policies:    []string{`{"PolicyName": "forecast", "PolicyType": "PredictiveScaling", "ServiceNamespace": "ecs", "ResourceId": "service/prod/web", "ScalableDimension": "ecs:service:DesiredCount"}`},
			want:        []finding{{`policy "forecast"`, NotImported, "policy type PredictiveScaling"}},
			notImported: 1},
		{name: "another service's policy",
			policies:    []string{strings.Replace(stepPolicy("p", "ChangeInCapacity", up, alarmRef("web-high")), "service/prod/web", "service/prod/api", 1)},
			want:        []finding{{`policy "p"`, NotImported, "its scalable target is not imported"}},
			notImported: 1},
		{name: "target tracking without its alarms",
			policies:    []string{trackingPolicy("tt", `{"TargetValue": 50}`, alarmRef("TargetTracking-service/prod/web-AlarmHigh-1"))},
			want:        []finding{{`policy "tt"`, NotImported, "TargetTracking-service/prod/web-AlarmHigh-1"}},
			notImported: 1},
		{name: "target tracking without a scale-in alarm",
			policies: []string{trackingPolicy("tt", `{"TargetValue": 50}`, alarmRef("hi")+","+alarmRef("lo"))},
			alarms:   []string{metricAlarm("hi", "GreaterThanThreshold", 50, "")},
			want: []finding{{`policy "tt"`, Imported, "scale-out: TargetRatio to 50"},
				{`policy "tt"`, NotImported, "scale-in: its scale-in alarm is not in --alarms (missing: lo)"}},
			notImported: 1},
		{name: "two target tracking policies that scale in",
			policies: []string{trackingPolicy("cpu", `{"TargetValue": 50}`, alarmRef("cpu-hi")+","+alarmRef("cpu-lo")),
				trackingPolicy("mem", `{"TargetValue": 60}`, alarmRef("mem-hi")+","+alarmRef("mem-lo"))},
			alarms: []string{metricAlarm("cpu-hi", "GreaterThanThreshold", 50, ""), metricAlarm("cpu-lo", "LessThanThreshold", 45, ""),
				metricAlarm("mem-hi", "GreaterThanThreshold", 60, ""), metricAlarm("mem-lo", "LessThanThreshold", 54, "")},
			want: []finding{{`policies "cpu", "mem"`, Differs, "AAS scales in only when every one of these target tracking policies is ready to"}},
			check: func(t *testing.T, s config.Service) {
				var names []string
				for _, a := range s.Alarms {
					names = append(names, a.AlarmName)
				}
				want := []string{"stepscaler-prod-web-cpu-out", "stepscaler-prod-web-cpu-in", "stepscaler-prod-web-mem-out", "stepscaler-prod-web-mem-in", "base-high"}
				if !reflect.DeepEqual(names, want) {
					t.Errorf("entries %v, want %v", names, want)
				}
			}},
		{name: "a target tracking alarm with a statistic the configuration lacks",
			policies:    []string{trackingPolicy("tt", `{"TargetValue": 50, "DisableScaleIn": true}`, alarmRef("hi"))},
			alarms:      []string{strings.Replace(metricAlarm("hi", "GreaterThanThreshold", 50, ""), `"Statistic": "Average"`, `"ExtendedStatistic": "tm90"`, 1)},
			want:        []finding{{`policy "tt"`, NotImported, `statistic "tm90"`}},
			notImported: 1},
		{name: "a metric math target tracking alarm",
			policies: []string{trackingPolicy("backlog", `{"TargetValue": 100, "DisableScaleIn": true}`, alarmRef("math"))},
			alarms: []string{`{"AlarmName": "math", "EvaluationPeriods": 3, "Threshold": 100, "ComparisonOperator": "GreaterThanThreshold", "Metrics": [
				{"Id": "m1", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
					"Dimensions": [{"Name": "QueueName", "Value": "jobs"}]}, "Period": 60, "Stat": "Sum"}},
				{"Id": "m2", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "ECS/ContainerInsights", "MetricName": "RunningTaskCount",
					"Dimensions": [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": "web"}]}, "Period": 60, "Stat": "Average"}},
				{"Id": "e1", "Expression": "m1 / m2", "Label": "Backlog per task", "ReturnData": true}]}`},
			want: []finding{{`policy "backlog"`, Imported, "TargetRatio to 100"}},
			check: func(t *testing.T, s config.Service) {
				m := s.Alarms[0].Metric
				if m.Expression != "m1 / m2" || m.Label != "Backlog per task" || m.PeriodSeconds != 60 || len(m.Metrics) != 2 || m.Metrics[1].Statistic != "Average" {
					t.Errorf("metric math = %+v", m)
				}
			}},
		{name: "at() with a one-digit hour, as AAS's guide prints one",
			actions: []string{scheduledAction("my-one-time-action", "at(2020-12-08T9:36:00)", `, "Timezone": "America/New_York", "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 3}`)},
			want:    []finding{{`scheduled action "my-one-time-action"`, Changed, "written at(2020-12-08T09:36:00)"}},
			check: func(t *testing.T, s config.Service) {
				if a := s.ScheduledActions[0]; a.Schedule != "at(2020-12-08T09:36:00)" || a.Timezone != "America/New_York" {
					t.Errorf("action = %+v", a)
				}
			}},
		{name: "a cron with seconds, and names in small letters",
			actions: []string{scheduledAction("s", "cron(0 30 6 ? * mon-fri *)", `, "ScalableTargetAction": {"MinCapacity": 4}`)},
			want: []finding{{`scheduled action "s"`, Changed, "names in capitals"},
				{`scheduled action "s"`, Changed, `the seconds field "0" dropped`}},
			check: func(t *testing.T, s config.Service) {
				if a := s.ScheduledActions[0]; a.Schedule != "cron(30 6 ? * MON-FRI *)" {
					t.Errorf("schedule = %s", a.Schedule)
				}
			}},
		{name: "a rate without a start counts from its creation",
			actions: []string{scheduledAction("r", "rate(5 hours)", `, "Timezone": "Europe/London", "ScalableTargetAction": {"MaxCapacity": 10}`)},
			want: []finding{{`scheduled action "r"`, Changed, "startTime 2021-01-30T07:00:00Z, its CreationTime"},
				{`scheduled action "r"`, Changed, "Timezone Europe/London dropped"}},
			check: func(t *testing.T, s config.Service) {
				if a := s.ScheduledActions[0]; a.StartTime != "2021-01-30T07:00:00Z" || a.Timezone != "" {
					t.Errorf("action = %+v", a)
				}
			}},
		{name: "at() with a start time",
			actions: []string{scheduledAction("once", "at(2021-03-31T22:00:00)", `, "StartTime": 1612008000, "ScalableTargetAction": {"MinCapacity": 3}`)},
			want:    []finding{{`scheduled action "once"`, Changed, "StartTime and EndTime dropped"}}},
		{name: "a minimum above every maximum: the configuration's rule, reported",
			actions: []string{scheduledAction("peak", "cron(0 8 * * ? *)", `, "ScalableTargetAction": {"MinCapacity": 30}`),
				scheduledAction("fine", "cron(0 9 * * ? *)", `, "ScalableTargetAction": {"MinCapacity": 3, "MaxCapacity": 10}`)},
			want: []finding{{`scheduled action "peak"`, NotImported, "minCapacity 30 without maxCapacity could put the minimum above the maximum"},
				{`scheduled action "fine"`, Imported, "sets the bounds to [3, 10]"}},
			notImported: 1,
			check: func(t *testing.T, s config.Service) {
				if a := s.ScheduledActions; len(a) != 1 || a[0].ScheduledActionName != "fine" {
					t.Errorf("actions = %+v, want only fine", a)
				}
			}},
		{name: "a time zone the database lacks",
			actions:     []string{scheduledAction("z", "cron(0 8 * * ? *)", `, "Timezone": "Mars/Olympus_Mons", "ScalableTargetAction": {"MinCapacity": 3}`)},
			want:        []finding{{`scheduled action "z"`, NotImported, "not a time zone of the IANA database"}},
			notImported: 1},
		{name: "both day fields given",
			actions:     []string{scheduledAction("tue", "cron(30 6 * * 2 *)", `, "ScalableTargetAction": {"MinCapacity": 3}`)},
			want:        []finding{{`scheduled action "tue"`, NotImported, "one of them must be ?"}},
			notImported: 1},
		{name: "another namespace's action",
			actions: []string{`{"ScheduledActionName": "my-one-time-action", "ServiceNamespace": "ec2", "ResourceId": "spot-fleet-request/sfr-40edeb7b-9ae7-44be-bef2-5c4c8EXAMPLE",
				"ScalableDimension": "ec2:spot-fleet-request:TargetCapacity", "Schedule": "at(2020-12-08T9:36:00)", "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 3}}`},
			want:        []finding{{`scheduled action "my-one-time-action"`, NotImported, "ECS services' desired count"}},
			notImported: 1},
	}
	base := stepPolicy("base", "ChangeInCapacity", up, alarmRef("base-high"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			metric := append([]string{high, low, metricAlarm("base-high", "GreaterThanThreshold", 80, "")}, tt.alarms...)
			r, err := importJSON(t, target, policies(append(tt.policies, base)...), actions(tt.actions...), alarms(metric, tt.composite...))
			if err != nil {
				t.Fatalf("%v\n%s", err, findingsText(r.Findings))
			}
			for _, w := range tt.want {
				if !hasFinding(r.Findings, w) {
					t.Errorf("no finding %s %s …%s…; findings:\n%s", w.item, w.kind, w.message, findingsText(r.Findings))
				}
			}
			if n := r.NotImported(); n != tt.notImported {
				t.Errorf("%d not imported, want %d:\n%s", n, tt.notImported, findingsText(r.Findings))
			}
			if tt.check != nil {
				tt.check(t, parsed(t, r).Services[0])
			}
		})
	}
}

// TestImportTargets: what becomes of scalable targets that are not plain ECS services.
func TestImportTargets(t *testing.T) {
	step := policies(stepPolicy("base", "ChangeInCapacity", `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}`, alarmRef("base-high")))
	baseAlarms := alarms([]string{metricAlarm("base-high", "GreaterThanThreshold", 80, "")})
	targets := func(extra string) string {
		return `{"ScalableTargets": [{"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": "service/prod/web",
			"MinCapacity": 2, "MaxCapacity": 20` + extra + `}]}`
	}

	// Suspensions are run-time state: reported with the command that restores them.
	r, err := importJSON(t, targets(`, "SuspendedState": {"DynamicScalingInSuspended": true, "DynamicScalingOutSuspended": false, "ScheduledScalingSuspended": false}`),
		step, actions(), baseAlarms)
	if err != nil || !hasFinding(r.Findings, finding{"scalable target", NotImported, "run `stepscaler suspend --direction in prod/web`"}) {
		t.Errorf("scale-in suspended: %v\n%s", err, findingsText(r.Findings))
	}

	// With scheduled scaling suspended, AAS runs none of the target's actions: importing
	// them would start running them.
	r, err = importJSON(t, targets(`, "SuspendedState": {"ScheduledScalingSuspended": true}`), step,
		actions(scheduledAction("night", "cron(0 20 * * ? *)", `, "ScalableTargetAction": {"MinCapacity": 2}`)), baseAlarms)
	if err != nil || r.ScheduledActions != 0 || !hasFinding(r.Findings, finding{`scheduled action "night"`, NotImported, "scheduled scaling is suspended"}) {
		t.Errorf("scheduled scaling suspended: %v, %d actions\n%s", err, r.ScheduledActions, findingsText(r.Findings))
	}

	// A target the configuration refuses (ECS allows no service above 5000 tasks) is left
	// out with everything on it, in the configuration's words.
	r, err = importJSON(t, `{"ScalableTargets": [
		{"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": "service/prod/web", "MinCapacity": 2, "MaxCapacity": 20},
		{"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": "service/prod/huge", "MinCapacity": 2, "MaxCapacity": 9000}]}`,
		policies(stepPolicy("base", "ChangeInCapacity", `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}`, alarmRef("base-high")),
			strings.Replace(stepPolicy("huge", "ChangeInCapacity", `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}`, alarmRef("huge-high")), "service/prod/web", "service/prod/huge", 1)),
		actions(), alarms([]string{metricAlarm("base-high", "GreaterThanThreshold", 80, ""), metricAlarm("huge-high", "GreaterThanThreshold", 80, "")}))
	if err != nil || r.Services != 1 || !hasFinding(r.Findings, finding{"scalable target", NotImported, "maxCapacity: must be between 1 and 5000, got 9000"}) ||
		slices.Contains(r.ExistingAlarms, "huge-high") {
		t.Errorf("an invalid target: %v, %d services, existing %v\n%s", err, r.Services, r.ExistingAlarms, findingsText(r.Findings))
	}

	// A resource ID that is not service/<cluster>/<service>.
	r, err = importJSON(t, `{"ScalableTargets": [{"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount", "ResourceId": "service/web", "MinCapacity": 1, "MaxCapacity": 2}]}`,
		policies(), actions(), alarms(nil))
	if !errors.Is(err, ErrNothingImported) || !hasFinding(r.Findings, finding{"scalable target", NotImported, "not service/<cluster>/<service>"}) {
		t.Errorf("a bad resource ID: %v\n%s", err, findingsText(r.Findings))
	}

	// A service with neither a policy nor a scheduled action has nothing to scale it by.
	r, err = importJSON(t, targets(""), policies(), actions(), alarms(nil))
	if !errors.Is(err, ErrNothingImported) || !hasFinding(r.Findings, finding{"scalable target", NotImported, "must list at least one alarm, unless the service has a preset or scheduledActions"}) {
		t.Errorf("a bare target: %v\n%s", err, findingsText(r.Findings))
	}
	// One with scheduled actions only is a service.
	r, err = importJSON(t, targets(""), policies(), actions(scheduledAction("night", "cron(0 20 * * ? *)", `, "ScalableTargetAction": {"MinCapacity": 2}`)), alarms(nil))
	if err != nil || r.Services != 1 || r.Alarms != 0 || r.ScheduledActions != 1 {
		t.Errorf("a schedule-only target: %v, %+v\n%s", err, r, findingsText(r.Findings))
	}
}

// TestImportPagedInput: a file that holds one page of several is reported, and its page
// imported.
func TestImportPagedInput(t *testing.T) {
	paged := strings.Replace(target, `]}`, `], "NextToken": "eyJ0b2tlbiI6IDJ9"}`, 1)
	r, err := importJSON(t, paged, policies(stepPolicy("base", "ChangeInCapacity", `{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}`, alarmRef("base-high"))),
		actions(), alarms([]string{metricAlarm("base-high", "GreaterThanThreshold", 80, "")}))
	if err != nil || r.Services != 1 || !hasFinding(r.Findings, finding{"file", NotImported, "one page of several"}) {
		t.Errorf("paged: %v\n%s", err, findingsText(r.Findings))
	}
}
