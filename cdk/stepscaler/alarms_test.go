package stepscaler

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
)

func TestAlarmsFromExampleConfig(t *testing.T) {
	_, tmpl := synthesized(t)
	topic := "{Ref:" + byConstructID(t, tmpl, "AWS::SNS::Topic", "Topic").id + "}"
	checkAlarms(t, tmpl, loadExample(t), topic)
}

// TestAlarmsFromConfig covers what the example leaves out: a percentile statistic, a
// high-resolution period, datapointsToAlarm and treatMissingData left to their defaults,
// metric math without a label.
func TestAlarmsFromConfig(t *testing.T) {
	synthesized(t) // shares the jsii runtime; also fails early if the app cannot build
	cfg, err := config.Load(filepath.Join("testdata", "alarms.json"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := alarmsTemplate(t, cfg)
	checkAlarms(t, tmpl, cfg, "{Ref:"+byConstructID(t, tmpl, "AWS::SNS::Topic", "Topic").id+"}")
}

// alarmsTemplate synthesizes a stack of a topic and the configuration's alarms.
func alarmsTemplate(t *testing.T, cfg *config.Config) map[string]any {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st := awscdk.NewStack(app, jsii.String("AlarmsOnly"), nil)
	topic := awssns.NewTopic(st, jsii.String("Topic"), nil)
	newConfiguredAlarms(st, cfg, topic)
	return *assertions.Template_FromStack(st, nil).ToJSON()
}

// TestPresetAlarmsInTheTemplate: the checkout service of testdata/alarms.json names the
// latency-first preset on a metric whose full use is 50 per task. Worked by hand from the
// preset's definition: a 60% target is 30, so the scale-out alarm fires above 33 on one
// of three 10 s datapoints and the scale-in alarm below 27 on two of two 30 s ones,
// missing data not breaching, each on the preset's metric and statistic.
func TestPresetAlarmsInTheTemplate(t *testing.T) {
	synthesized(t)
	cfg, err := config.Load(filepath.Join("testdata", "alarms.json"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, a := range resources(alarmsTemplate(t, cfg), "AWS::CloudWatch::Alarm") {
		if name, ok := a.props["AlarmName"].(string); ok {
			byName[name] = a.props
		}
	}
	want := map[string]map[string]any{
		"checkout-out": {"Period": 10.0, "Threshold": 33.0, "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 3.0, "DatapointsToAlarm": 1.0},
		"checkout-in":  {"Period": 30.0, "Threshold": 27.0, "ComparisonOperator": "LessThanThreshold", "EvaluationPeriods": 2.0, "DatapointsToAlarm": 2.0},
	}
	for name, fields := range want {
		p, ok := byName[name]
		if !ok {
			t.Errorf("no alarm %s in the template", name)
			continue
		}
		fields["Namespace"], fields["MetricName"], fields["Statistic"] = "Shop", "InFlightRequestsPerTask", "Maximum"
		fields["TreatMissingData"] = "notBreaching"
		for k, v := range fields {
			if p[k] != v {
				t.Errorf("%s: %s = %v, want %v", name, k, p[k], v)
			}
		}
		if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, "preset latency-first") {
			t.Errorf("%s: AlarmDescription %q does not name the preset", name, d)
		}
	}
}

var percentileStat = regexp.MustCompile(`^p\d`)

// checkAlarms checks that the template has exactly the alarms the configuration describes
// with a metric, each as configured and with the topic as its only alarm action.
func checkAlarms(t *testing.T, tmpl map[string]any, cfg *config.Config, topicRef string) {
	t.Helper()
	byName := map[string]map[string]any{}
	actionsToTopic := 0
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if name, ok := a.props["AlarmName"].(string); ok {
			byName[name] = a.props
		}
		for _, r := range renderAll(a.props["AlarmActions"]) {
			if r == topicRef {
				actionsToTopic++
			}
		}
	}
	withMetric := 0
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			p, created := byName[a.AlarmName]
			if a.Metric == nil {
				if created {
					t.Errorf("alarm %s has no metric in the configuration but was created", a.AlarmName)
				}
				continue
			}
			withMetric++
			if !created {
				t.Errorf("alarm %s was not created", a.AlarmName)
				continue
			}
			t.Run(a.AlarmName, func(t *testing.T) { checkAlarm(t, p, a.Metric, topicRef) })
		}
	}
	if actionsToTopic != withMetric {
		t.Errorf("%d alarms notify the topic, want %d", actionsToTopic, withMetric)
	}
}

func checkAlarm(t *testing.T, p map[string]any, m *config.Metric, topicRef string) {
	datapoints := m.DatapointsToAlarm
	if datapoints == 0 {
		datapoints = m.EvaluationPeriods
	}
	want := map[string]any{
		"Threshold":          m.Threshold,
		"ComparisonOperator": m.ComparisonOperator,
		"EvaluationPeriods":  float64(m.EvaluationPeriods),
		"DatapointsToAlarm":  float64(datapoints),
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %v, want %v", k, p[k], v)
		}
	}
	if m.TreatMissingData == "" {
		if v, ok := p["TreatMissingData"]; ok {
			t.Errorf("TreatMissingData = %v, want CloudWatch's default (absent)", v)
		}
	} else if p["TreatMissingData"] != m.TreatMissingData {
		t.Errorf("TreatMissingData = %v, want %v", p["TreatMissingData"], m.TreatMissingData)
	}
	if a := renderAll(p["AlarmActions"]); len(a) != 1 || a[0] != topicRef {
		t.Errorf("AlarmActions = %v, want [%s]", a, topicRef)
	}

	if m.Expression == "" {
		checkMetric(t, p, m.Namespace, m.MetricName, m.Dimensions)
		if p["Period"] != float64(m.PeriodSeconds) {
			t.Errorf("Period = %v, want %d", p["Period"], m.PeriodSeconds)
		}
		key := "Statistic"
		if percentileStat.MatchString(m.Statistic) {
			key = "ExtendedStatistic"
		}
		if p[key] != m.Statistic {
			t.Errorf("%s = %v, want %s", key, p[key], m.Statistic)
		}
		return
	}

	queries := map[string]map[string]any{}
	var expressions []map[string]any
	for _, q := range p["Metrics"].([]any) {
		qm := q.(map[string]any)
		if _, ok := qm["Expression"]; ok {
			expressions = append(expressions, qm)
		} else {
			queries[qm["Id"].(string)] = qm
		}
	}
	if len(expressions) != 1 {
		t.Fatalf("%d expressions, want 1", len(expressions))
	}
	e := expressions[0]
	if e["Expression"] != m.Expression || e["ReturnData"] != true {
		t.Errorf("expression = %v, want %q returning data", e, m.Expression)
	}
	if m.Label != "" && e["Label"] != m.Label {
		t.Errorf("label = %v, want %q", e["Label"], m.Label)
	}
	var wantIDs []string
	for _, q := range m.Metrics {
		wantIDs = append(wantIDs, q.ID)
		got, ok := queries[q.ID]
		if !ok {
			continue
		}
		ms := got["MetricStat"].(map[string]any)
		checkMetric(t, ms["Metric"].(map[string]any), q.Namespace, q.MetricName, q.Dimensions)
		if ms["Period"] != float64(m.PeriodSeconds) || ms["Stat"] != q.Statistic || got["ReturnData"] != false {
			t.Errorf("metric %s = %v, want period %d, stat %s, no data returned", q.ID, got, m.PeriodSeconds, q.Statistic)
		}
	}
	if !equalSets(sortedKeys(queries), wantIDs) {
		t.Errorf("metric ids = %v, want %v", sortedKeys(queries), wantIDs)
	}
}

func checkMetric(t *testing.T, p map[string]any, namespace, name string, dims map[string]string) {
	t.Helper()
	if p["Namespace"] != namespace || p["MetricName"] != name {
		t.Errorf("metric = %v/%v, want %s/%s", p["Namespace"], p["MetricName"], namespace, name)
	}
	var got, want []string
	if l, ok := p["Dimensions"].([]any); ok {
		for _, d := range l {
			dm := d.(map[string]any)
			got = append(got, render(dm["Name"])+"="+render(dm["Value"]))
		}
	}
	for k, v := range dims {
		want = append(want, k+"="+v)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !equalSets(got, want) {
		t.Errorf("dimensions = %v, want %v", got, want)
	}
}

func TestExampleConfigHasAlarmsToCreateAndToWire(t *testing.T) {
	// The example must keep exercising both paths: alarms the stack creates (single metric
	// and metric math) and an existing alarm that is only wired to the topic.
	cfg := loadExample(t)
	var single, math, existing int
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			switch {
			case a.Metric == nil:
				existing++
			case a.Metric.Expression != "":
				math++
			default:
				single++
			}
		}
	}
	if single == 0 || math == 0 || existing == 0 {
		t.Errorf("%s has %d single-metric, %d metric-math and %d existing alarms; want each kind",
			exampleConfig, single, math, existing)
	}
	if _, err := os.Stat(repoFile(t, exampleConfig)); err != nil {
		t.Fatal(err)
	}
}
