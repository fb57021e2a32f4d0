package stepscaler

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/steps/record"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// TestDashboardWidgets: the example configuration's dashboard, widget by widget, in
// order, and its name.
func TestDashboardWidgets(t *testing.T) {
	_, tmpl := synthesized(t)
	dash := byConstructID(t, tmpl, "AWS::CloudWatch::Dashboard", "Dashboard")
	if name := render(dash.props["DashboardName"]); name != "Stepscaler-us-east-1" {
		t.Errorf("DashboardName = %s, want Stepscaler-us-east-1 (the deployment, then the Region: dashboards are global)", name)
	}
	type widget struct {
		kind, title string
		x, y, w     float64
	}
	want := []widget{
		{"text", "", 0, 0, 24},
		{"metric", "Executions by outcome", 0, 3, 6},
		{"metric", "Scaling activities by status and direction", 6, 3, 6},
		{"metric", "Not scaled, by reason", 12, 3, 6},
		{"metric", "Seconds from alarm to update and to stable", 18, 3, 6},
		{"alarm", "Stepscaler health", 0, 9, 24},
		{"metric", "prod/web: tasks", 0, 15, 6},
		{"alarm", "prod/web: alarms", 6, 15, 6},
		{"metric", "prod/web: scaling activities", 12, 15, 6},
		{"metric", "prod/web: seconds from alarm to update and to stable", 18, 15, 6},
		{"metric", "prod/worker: tasks", 0, 21, 6},
		{"alarm", "prod/worker: alarms", 6, 21, 6},
		{"metric", "prod/worker: scaling activities", 12, 21, 6},
	}
	var got []widget
	for _, w := range dashboardBody(t, dash.raw)["widgets"].([]any) {
		m := w.(map[string]any)
		title, _ := m["properties"].(map[string]any)["title"].(string)
		got = append(got, widget{m["type"].(string), title, m["x"].(float64), m["y"].(float64), m["width"].(float64)})
	}
	if !slices.Equal(got, want) {
		t.Errorf("widgets:\n got %v\nwant %v", got, want)
	}
}

// The metrics AWS publishes that the dashboard may show, from AWS's documentation:
//   - AWS/States, dimension StateMachineArn: "ExecutionsAborted, ExecutionsFailed,
//     ExecutionsSucceeded, ExecutionsTimedOut" among the execution metrics
//     ("Monitoring Step Functions metrics using Amazon CloudWatch", Step Functions
//     Developer Guide);
//   - ECS/ContainerInsights, dimensions ClusterName and ServiceName: DesiredTaskCount,
//     RunningTaskCount, PendingTaskCount ("Amazon ECS Container Insights metrics",
//     CloudWatch User Guide).
var awsPublished = map[string][]string{
	"AWS/States":            {"ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"},
	"ECS/ContainerInsights": {"DesiredTaskCount", "RunningTaskCount", "PendingTaskCount"},
}

// TestDashboardShowsWhatIsPublished parses the synthesized dashboard and checks that every
// metric a widget shows is one the record step really publishes, as found by running the
// record handler over the outcomes the example's services can have and reading its
// output as CloudWatch does, or one AWS publishes (awsPublished); that every search finds
// published metrics; that the alarm widgets show the configured and operational alarms;
// and, the other way round, that every metric the handler published shows on the
// dashboard.
func TestDashboardShowsWhatIsPublished(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the record handler against DynamoDB in process")
	}
	_, tmpl := synthesized(t)
	cfg := loadExample(t)
	published := publishedMetrics(t, cfg, StackName)
	if len(published) == 0 {
		t.Fatal("the record handler published nothing")
	}
	body := dashboardBody(t, byConstructID(t, tmpl, "AWS::CloudWatch::Dashboard", "Dashboard").raw)
	sm := "{Ref:" + resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id + "}"

	shown := map[string]bool{} // published metrics a widget shows
	for _, ref := range dashboardRefs(t, body) {
		switch {
		case ref.search != nil:
			matched := 0
			for id, d := range published {
				if ref.search.matches(d) {
					shown[id] = true
					matched++
				}
			}
			if matched == 0 {
				t.Errorf("%s: the search %s finds no metric the record step publishes", ref.widget, ref.search.expr)
			}
		case ref.metric.Namespace == metrics.Namespace:
			if _, ok := published[ref.metric.Metric()]; !ok {
				t.Errorf("%s: %s is not a metric the record step publishes", ref.widget, ref.metric.Metric())
			}
			shown[ref.metric.Metric()] = true
		default:
			checkAWSMetric(t, ref.widget, ref.metric, cfg, sm)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(published)) {
		if !shown[id] {
			t.Errorf("the record step publishes %s, which no widget shows", id)
		}
	}
	checkAlarmWidgets(t, tmpl, body, cfg)
	t.Logf("%d metrics published by the record handler", len(published))
}

func checkAWSMetric(t *testing.T, widget string, m metrics.Datum, cfg *config.Config, stateMachine string) {
	t.Helper()
	names, ok := awsPublished[m.Namespace]
	if !ok || !slices.Contains(names, m.Name) {
		t.Errorf("%s: %s is neither published by the record step nor an AWS metric the dashboard may use", widget, m.Metric())
		return
	}
	dims := slices.Sorted(maps.Keys(m.Dimensions))
	switch m.Namespace {
	case "AWS/States":
		if !slices.Equal(dims, []string{"StateMachineArn"}) || m.Dimensions["StateMachineArn"] != stateMachine {
			t.Errorf("%s: %s is not the state machine's (%s)", widget, m.Metric(), stateMachine)
		}
	case "ECS/ContainerInsights":
		configured := slices.ContainsFunc(cfg.Services, func(s config.Service) bool {
			return m.Dimensions["ClusterName"] == s.Cluster && m.Dimensions["ServiceName"] == s.Service
		})
		if !slices.Equal(dims, []string{"ClusterName", "ServiceName"}) || !configured {
			t.Errorf("%s: %s is not a configured service's", widget, m.Metric())
		}
	}
}

// checkAlarmWidgets: "Stepscaler health" shows the operational alarms, and each
// service's alarm widget exactly its configured alarms, created ones by their ARN
// attribute, existing ones by the ARN their name gives in the stack's account.
func checkAlarmWidgets(t *testing.T, tmpl map[string]any, body map[string]any, cfg *config.Config) {
	t.Helper()
	alarmName := map[string]string{} // "{GetAtt:<id>.Arn}" → alarm name
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		alarmName["{GetAtt:"+a.id+".Arn}"] = render(a.props["AlarmName"])
	}
	want := map[string][]string{"Stepscaler health": {}}
	for _, id := range operationalAlarmIDs() {
		want["Stepscaler health"] = append(want["Stepscaler health"], StackName+"-"+id)
	}
	for _, s := range cfg.Services {
		title := s.Cluster + "/" + s.Service + ": alarms"
		for _, a := range s.Alarms {
			want[title] = append(want[title], a.AlarmName)
		}
	}
	seen := 0
	for _, w := range body["widgets"].([]any) {
		m := w.(map[string]any)
		if m["type"] != "alarm" {
			continue
		}
		props := m["properties"].(map[string]any)
		title, _ := props["title"].(string)
		var names []string
		for _, arn := range props["alarms"].([]any) {
			s := arn.(string)
			if name, ok := alarmName[s]; ok {
				names = append(names, name)
			} else if name, ok := strings.CutPrefix(s, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"); ok {
				names = append(names, name)
			} else {
				t.Errorf("%s: %s is not an alarm of the stack nor a configured alarm's ARN", title, s)
			}
		}
		if w, ok := want[title]; !ok || !equalSets(names, w) {
			t.Errorf("%s shows %v, want %v", title, names, w)
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("%d alarm widgets, want %d", seen, len(want))
	}
}

// dashboardRef is one metric or search a widget graphs.
type dashboardRef struct {
	widget string
	metric metrics.Datum // namespace, name and dimensions; no value
	search *searchRef
}

// searchRef is a search expression: SEARCH('{Namespace,Dim...} Key="value" ...', ...).
type searchRef struct {
	expr      string
	namespace string
	dims      []string          // the schema's dimension names
	terms     map[string]string // MetricName and dimension values it requires
}

// matches is the search's documented meaning ("CloudWatch search expression syntax",
// CloudWatch User Guide): the metric is in the schema's namespace and has exactly the
// schema's dimensions, and the exact-match terms hold.
func (s *searchRef) matches(d metrics.Datum) bool {
	if d.Namespace != s.namespace || !equalSets(slices.Collect(maps.Keys(d.Dimensions)), s.dims) {
		return false
	}
	for k, v := range s.terms {
		got, ok := d.Dimensions[k]
		if k == "MetricName" {
			got, ok = d.Name, true
		}
		if !ok || got != v {
			return false
		}
	}
	return true
}

var (
	searchPattern = regexp.MustCompile(`^SEARCH\('\{([^}]*)\} (.*)', '(\w+)', (\d+)\)$`)
	termPattern   = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// dashboardRefs reads every metric widget's metrics, in the dashboard body's format
// ("Metric Widget: Format for Each Metric in the Array", CloudWatch API Reference):
// [Namespace, MetricName, DimensionName, DimensionValue, ..., {rendering}], or
// [{"expression": ...}]. The "." shorthand (repeat the previous entry's value) is not
// used by the CDK; meeting it fails the test rather than misreading it.
func dashboardRefs(t *testing.T, body map[string]any) []dashboardRef {
	t.Helper()
	var out []dashboardRef
	for _, w := range body["widgets"].([]any) {
		m := w.(map[string]any)
		props := m["properties"].(map[string]any)
		title, _ := props["title"].(string)
		switch m["type"] {
		case "text", "alarm":
			continue
		case "metric":
		default:
			t.Errorf("widget %q has the type %v, which the test does not read", title, m["type"])
			continue
		}
		for _, e := range props["metrics"].([]any) {
			entry := e.([]any)
			if expr, ok := entry[0].(map[string]any); ok {
				s, err := parseSearch(expr["expression"].(string))
				if err != nil {
					t.Errorf("%s: %v", title, err)
					continue
				}
				out = append(out, dashboardRef{widget: title, search: s})
				continue
			}
			var parts []string
			for _, x := range entry {
				if s, ok := x.(string); ok {
					if s == "." || s == ".." {
						t.Fatalf("%s: the metric %v uses the %q shorthand", title, entry, s)
					}
					parts = append(parts, s)
				}
			}
			if len(parts) < 2 || len(parts)%2 != 0 {
				t.Errorf("%s: cannot read the metric %v", title, entry)
				continue
			}
			d := metrics.Datum{Namespace: parts[0], Name: parts[1], Dimensions: map[string]string{}}
			for i := 2; i < len(parts); i += 2 {
				d.Dimensions[parts[i]] = parts[i+1]
			}
			out = append(out, dashboardRef{widget: title, metric: d})
		}
	}
	return out
}

func parseSearch(expr string) (*searchRef, error) {
	m := searchPattern.FindStringSubmatch(expr)
	if m == nil {
		return nil, fmt.Errorf("the expression %s is not a search the test reads", expr)
	}
	schema := strings.Split(m[1], ",")
	s := &searchRef{expr: expr, namespace: schema[0], dims: schema[1:], terms: map[string]string{}}
	rest := m[2]
	for _, t := range termPattern.FindAllStringSubmatch(rest, -1) {
		s.terms[t[1]] = t[2]
		rest = strings.Replace(rest, t[0], "", 1)
	}
	if strings.TrimSpace(rest) != "" {
		return nil, fmt.Errorf("the search %s has terms other than exact matches: %q", expr, rest)
	}
	return s, nil
}

// publishedMetrics runs the record handler, as functions/record-outcome wires it, against
// DynamoDB in process, over the outcomes each configured service's executions can end
// with, and returns what CloudWatch would extract from its output, by metric.
func publishedMetrics(t *testing.T, cfg *config.Config, deployment string) map[string]metrics.Datum {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	db := dynamodb.New(dynamodb.Options{Region: permRegion, BaseEndpoint: aws.String(srv.URL), Credentials: creds, RetryMaxAttempts: 1})
	const table = "stepscaler-dashboard"
	if err := store.CreateTable(t.Context(), db, table); err != nil {
		t.Fatalf("create the table: %v", err)
	}
	st := store.New(db, table)
	var out bytes.Buffer
	emf, err := metrics.NewEmitter(&out, deployment)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 10, 5, 0, 0, time.UTC)
	h := record.New(st, cfg, 42*24*time.Hour, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)), emf)

	for _, svc := range cfg.Services {
		ref := scaling.ServiceRef{Cluster: svc.Cluster, Service: svc.Service}
		for i, state := range possibleOutcomes(t, svc, now) {
			name := fmt.Sprintf("%s-%s-%d", svc.Cluster, svc.Service, i)
			lease, err := st.AcquireLease(t.Context(), ref, name, now.Add(-time.Minute), time.Hour)
			if err != nil {
				t.Fatalf("acquire the lease for %s: %v", name, err)
			}
			if state.Lease == nil {
				state.Lease = &lease
			}
			state.Input.Service = ref
			req := workflow.RecordRequest{State: state,
				Execution: workflow.Execution{Name: name, ID: "arn:aws:states:us-east-1:123456789012:execution:Scale:" + name, StartTime: now.Add(-2 * time.Minute)}}
			if _, err := h.Record(t.Context(), req); err != nil {
				t.Fatalf("record %s: %v", name, err)
			}
			// Held leases are released by their owner: give this one back for the next.
			if err := st.Release(t.Context(), ref, name); err != nil {
				t.Fatalf("release %s: %v", name, err)
			}
		}
	}

	published := map[string]metrics.Datum{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		data, ok, err := metrics.Extract(sc.Bytes())
		if !ok || err != nil {
			t.Fatalf("the handler wrote a line CloudWatch would not read as EMF (ok %v, %v): %s", ok, err, sc.Text())
		}
		for _, d := range data {
			published[d.Metric()] = d
		}
	}
	return published
}

// possibleOutcomes are the states a service's executions can reach "Record outcome" or
// "Record failure" with, one per kind of outcome: for a service that scales, a scale-out
// and a scale-in that settled (started by a notification, and by the evaluation after
// reading when the alarm went into ALARM), one that timed out, one another actor
// overrode, a failure after the update and one before reading anything, a decision
// held back at the maximum and a lease held by another execution; for a dry-run service,
// which never updates, a dry run, a decision held back and a failure.
func possibleOutcomes(t *testing.T, svc config.Service, now time.Time) []workflow.State {
	t.Helper()
	var out, in string
	for _, a := range svc.Alarms {
		switch {
		case a.Direction == scaling.Out && out == "":
			out = a.AlarmName
		case a.Direction == scaling.In && in == "":
			in = a.AlarmName
		}
	}
	if out == "" || in == "" {
		t.Fatalf("%s/%s needs a scale-out and a scale-in alarm for the test", svc.Cluster, svc.Service)
	}
	changed := now.Add(-3 * time.Minute)
	updated := now.Add(-90 * time.Second)
	before := &service.Snapshot{Name: svc.Service, Status: service.StatusActive, DesiredCount: 4, RunningCount: 4}
	scale := func(alarm string, dir scaling.Direction, to int) *scaling.Decision {
		return &scaling.Decision{AlarmName: alarm, Scale: true, Direction: dir, From: 4, To: to, Base: 4, Description: "Setting desired count."}
	}
	watch := func(status stability.Status, desired int) *stability.Watch {
		return &stability.Watch{DesiredCount: desired, Since: updated, Deadline: updated.Add(10 * time.Minute), PollSeconds: 15,
			Verdict: stability.Verdict{Status: status, Reason: "test"}, Last: stability.Counts{Desired: desired, Running: desired}, Checks: 3}
	}
	notified := workflow.Input{Trigger: workflow.Trigger{Source: workflow.SourceNotification, Minute: changed.Truncate(time.Minute),
		Alarm: out, StateChangeTime: &changed}}
	scheduled := workflow.Input{Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: now.Truncate(time.Minute)}}
	read := func(alarm string) *workflow.Alarms {
		return &workflow.Alarms{ReadAt: now, Alarms: []scaling.AlarmReading{{Name: alarm, State: scaling.StateAlarm}},
			Transitioned: map[string]time.Time{alarm: changed}}
	}
	failure := &workflow.StepError{Error: "TransientError", Cause: `{"errorMessage":"throttled","errorType":"TransientError"}`}
	atMax := &scaling.Decision{AlarmName: out, Direction: scaling.Out, From: 4, To: 4, Base: 4, Description: "Not scaled.",
		NotScaledReasons: []scaling.NotScaledReason{{Code: scaling.AlreadyAtMaxCapacity, Alarm: out, Message: "at max"}}}

	if svc.DryRun {
		dry := scale(out, scaling.Out, 6)
		dry.DryRun = true
		return []workflow.State{
			{Input: scheduled, Alarms: read(out), Before: before, Plan: dry},
			{Input: scheduled, Alarms: read(out), Before: before, Plan: atMax},
			{Input: scheduled, Error: failure},
		}
	}
	return []workflow.State{
		{Input: notified, Alarms: read(out), Before: before, Plan: scale(out, scaling.Out, 6), Watch: watch(stability.Stable, 6)},
		{Input: scheduled, Alarms: read(in), Before: before, Plan: scale(in, scaling.In, 3), Watch: watch(stability.Stable, 3)},
		{Input: scheduled, Alarms: read(out), Before: before, Plan: scale(out, scaling.Out, 6), Watch: watch(stability.TimedOut, 6)},
		{Input: scheduled, Alarms: read(in), Before: before, Plan: scale(in, scaling.In, 3), Watch: watch(stability.Overridden, 9)},
		{Input: scheduled, Alarms: read(out), Before: before, Plan: scale(out, scaling.Out, 6), Watch: watch(stability.InProgress, 6), Error: failure},
		{Input: scheduled, Error: failure},
		{Input: scheduled, Alarms: read(out), Before: before, Plan: atMax},
		{Input: scheduled, Lease: &activity.Lease{Acquired: false, Owner: "another-execution"}},
	}
}

// TestDashboardSize: CloudWatch takes at most 500 widgets a dashboard and 100 alarms an
// alarm status widget; a configuration past either is refused at synth. 6 deployment
// widgets and 4 per service: 123 services are 498 widgets, 124 are 502.
func TestDashboardSize(t *testing.T) {
	services := func(n, alarms int) *config.Config {
		cfg := &config.Config{}
		for i := range n {
			s := config.Service{Cluster: "c", Service: fmt.Sprintf("s%d", i)}
			for j := range alarms {
				s.Alarms = append(s.Alarms, config.Alarm{AlarmName: fmt.Sprintf("a%d-%d", i, j)})
			}
			cfg.Services = append(cfg.Services, s)
		}
		return cfg
	}
	if err := checkDashboardSize(services(123, 1)); err != nil {
		t.Errorf("123 services: %v", err)
	}
	if err := checkDashboardSize(services(124, 1)); err == nil || !strings.Contains(err.Error(), "502 widgets") {
		t.Errorf("124 services: %v, want the 502 widgets refused", err)
	}
	if err := checkDashboardSize(services(1, 100)); err != nil {
		t.Errorf("100 alarms: %v", err)
	}
	if err := checkDashboardSize(services(1, 101)); err == nil || !strings.Contains(err.Error(), "101 alarms") {
		t.Errorf("101 alarms: %v, want refused", err)
	}
}
