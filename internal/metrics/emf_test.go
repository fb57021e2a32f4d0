package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// specViolations checks a log line against "Specification: Embedded metric format"
// (CloudWatch User Guide), written from the specification's text independently of the
// package's own checks:
//   - the line is one JSON object (nothing before or after it);
//   - its _aws member is an object with Timestamp, an integer count of milliseconds, and
//     CloudWatchMetrics, an array of MetricDirective objects;
//   - "MetricDirectives MUST contain the following members: Namespace, Dimensions,
//     Metrics" and the objects the specification defines "MUST NOT contain any additional
//     members";
//   - Metrics "MUST NOT contain more than 100 MetricDefinition objects", each with a Name
//     and an optional Unit;
//   - a dimension set holds at most 30 keys (a CloudWatch metric's dimensions);
//   - "The root node MUST contain all Target members": every dimension key a member with
//     a string value, every metric name a member with a number (or an array of at most
//     100 numbers).
func specViolations(line []byte) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	if dec.More() {
		bad("data after the JSON object")
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		return append(problems, "no _aws object")
	}
	for k := range meta {
		if k != "Timestamp" && k != "CloudWatchMetrics" {
			bad("_aws has the additional member %s", k)
		}
	}
	if ts, ok := meta["Timestamp"].(json.Number); !ok {
		bad("_aws.Timestamp missing")
	} else if _, err := ts.Int64(); err != nil {
		bad("_aws.Timestamp %s is not an integer", ts)
	}
	dirs, ok := meta["CloudWatchMetrics"].([]any)
	if !ok {
		return append(problems, "_aws.CloudWatchMetrics is not an array")
	}
	for i, d := range dirs {
		dir, ok := d.(map[string]any)
		if !ok {
			bad("directive %d is not an object", i)
			continue
		}
		for k := range dir {
			if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
				bad("directive %d has the additional member %s", i, k)
			}
		}
		if ns, ok := dir["Namespace"].(string); !ok || ns == "" {
			bad("directive %d: Namespace %v", i, dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) == 0 {
			bad("directive %d: Dimensions %v is not a non-empty array of dimension sets", i, dir["Dimensions"])
		}
		for _, s := range sets {
			keys, ok := s.([]any)
			if !ok || len(keys) > 30 {
				bad("directive %d: dimension set %v is not an array of at most 30 keys", i, s)
				continue
			}
			for _, k := range keys {
				name, _ := k.(string)
				if _, isString := root[name].(string); !isString {
					bad("directive %d: dimension %v is not a string member of the root", i, k)
				}
			}
		}
		defs, ok := dir["Metrics"].([]any)
		if !ok || len(defs) > 100 {
			bad("directive %d: Metrics is not an array of at most 100 definitions", i)
		}
		for _, m := range defs {
			def, _ := m.(map[string]any)
			for k := range def {
				if k != "Name" && k != "Unit" {
					bad("directive %d: metric definition has the additional member %s", i, k)
				}
			}
			name, _ := def["Name"].(string)
			switch v := root[name].(type) {
			case json.Number:
			case []any:
				if len(v) > 100 {
					bad("metric %s has %d values", name, len(v))
				}
			default:
				bad("metric %q is not a numeric member of the root", name)
			}
		}
	}
	return problems
}

var recordedAt = time.Date(2026, 11, 27, 10, 1, 0, 0, time.UTC)

// 2026-11-27T10:01:00Z in milliseconds: 20784 days from 1970-01-01 (56 × 365 + 14 leap
// days to 2026, and 330 days into 2026) × 86400 s + 36060 s.
const recordedAtMillis = 1795773660000

func seconds(s float64) *time.Duration {
	d := time.Duration(s * float64(time.Second))
	return &d
}

func count(n int) *int { return &n }

// TestDocuments works each outcome's documents out by hand.
func TestDocuments(t *testing.T) {
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	const activities = `{"Namespace": "Stepscaler",
	  "Dimensions": [["Deployment", "Status", "Direction"], ["Deployment", "ClusterName", "ServiceName", "Status"]],
	  "Metrics": [{"Name": "Activities", "Unit": "Count"}]}`
	const desired = `{"Namespace": "Stepscaler", "Dimensions": [["Deployment", "ClusterName", "ServiceName"]],
	  "Metrics": [{"Name": "DesiredCount", "Unit": "Count"}]}`
	tests := []struct {
		name    string
		outcome Outcome
		want    []string
	}{
		{
			name: "scaled in and stable",
			outcome: Outcome{Service: web, ActivityID: "e1", Status: "Successful", Direction: "in", DesiredCount: count(4),
				ToUpdate: seconds(42.5), ToStable: seconds(97.25), At: recordedAt},
			want: []string{`{"_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [` + activities + `, ` + desired + `,
			  {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "ClusterName", "ServiceName"], ["Deployment", "Direction"]],
			   "Metrics": [{"Name": "TimeToUpdate", "Unit": "Seconds"}, {"Name": "TimeToStable", "Unit": "Seconds"}]}]},
			  "Deployment": "prod-scaler", "ClusterName": "prod", "ServiceName": "web", "Status": "Successful",
			  "Direction": "in", "activityId": "e1", "Activities": 1, "DesiredCount": 4, "TimeToUpdate": 42.5, "TimeToStable": 97.25}`},
		},
		{
			name: "updated, then timed out: no time to stable",
			outcome: Outcome{Service: web, ActivityID: "e2", Status: "Unfulfilled", Direction: "out", DesiredCount: count(6),
				ToUpdate: seconds(3), At: recordedAt},
			want: []string{`{"_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [` + activities + `, ` + desired + `,
			  {"Namespace": "Stepscaler", "Dimensions": [["Deployment", "ClusterName", "ServiceName"], ["Deployment", "Direction"]],
			   "Metrics": [{"Name": "TimeToUpdate", "Unit": "Seconds"}]}]},
			  "Deployment": "prod-scaler", "ClusterName": "prod", "ServiceName": "web", "Status": "Unfulfilled",
			  "Direction": "out", "activityId": "e2", "Activities": 1, "DesiredCount": 6, "TimeToUpdate": 3}`},
		},
		{
			name: "not scaled for two reasons: a document each",
			outcome: Outcome{Service: web, ActivityID: "e3", Status: "NotScaled", Direction: "out", DesiredCount: count(20),
				Reasons: []string{"AlreadyAtMaxCapacity", "CooldownActive"}, At: recordedAt},
			want: []string{
				`{"_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [` + activities + `, ` + desired + `]},
				  "Deployment": "prod-scaler", "ClusterName": "prod", "ServiceName": "web", "Status": "NotScaled",
				  "Direction": "out", "activityId": "e3", "Activities": 1, "DesiredCount": 20}`,
				`{"_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [{"Namespace": "Stepscaler",
				  "Dimensions": [["Deployment", "Reason"]], "Metrics": [{"Name": "NotScaled", "Unit": "Count"}]}]},
				  "Deployment": "prod-scaler", "Reason": "AlreadyAtMaxCapacity", "ClusterName": "prod", "ServiceName": "web",
				  "activityId": "e3", "NotScaled": 1}`,
				`{"_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [{"Namespace": "Stepscaler",
				  "Dimensions": [["Deployment", "Reason"]], "Metrics": [{"Name": "NotScaled", "Unit": "Count"}]}]},
				  "Deployment": "prod-scaler", "Reason": "CooldownActive", "ClusterName": "prod", "ServiceName": "web",
				  "activityId": "e3", "NotScaled": 1}`,
			},
		},
		{
			name:    "failed before the service was read",
			outcome: Outcome{Service: web, ActivityID: "e4", Status: "Failed", Direction: NoDirection, At: recordedAt},
			want: []string{`{"_aws": {"Timestamp": 1795773660000, "CloudWatchMetrics": [` + activities + `]},
			  "Deployment": "prod-scaler", "ClusterName": "prod", "ServiceName": "web", "Status": "Failed",
			  "Direction": "none", "activityId": "e4", "Activities": 1}`},
		},
	}
	if recordedAt.UnixMilli() != recordedAtMillis {
		t.Fatalf("recordedAt is %d ms, the worked value %d", recordedAt.UnixMilli(), recordedAtMillis)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			e, err := NewEmitter(&out, "prod-scaler")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Emit(tt.outcome); err != nil {
				t.Fatalf("Emit: %v", err)
			}
			lines := strings.SplitAfter(out.String(), "\n")
			if last := len(lines) - 1; lines[last] == "" {
				lines = lines[:last]
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.want), out.String())
			}
			for i, line := range lines {
				if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
					t.Errorf("line %d is not one line: %q", i, line)
				}
				if p := specViolations([]byte(line)); len(p) > 0 {
					t.Errorf("line %d breaks the specification: %v", i, p)
				}
				var got, want any
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				if err := json.Unmarshal([]byte(tt.want[i]), &want); err != nil {
					t.Fatalf("expected document %d: %v", i, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("line %d:\n got %s\nwant %s", i, line, tt.want[i])
				}
			}
		})
	}
}

// TestEncodingRefusesWhatTheSpecificationForbids: a document CloudWatch would reject is
// never written.
func TestEncodingRefusesWhatTheSpecificationForbids(t *testing.T) {
	ok := func() Document {
		return Document{Timestamp: recordedAt,
			Directives: []Directive{{Namespace: "Stepscaler", Dimensions: [][]string{{"Deployment"}}, Metrics: []Definition{{Name: "M", Unit: Count}}}},
			Members:    map[string]any{"Deployment": "d", "M": 1.0}}
	}
	if _, err := json.Marshal(ok()); err != nil {
		t.Fatalf("the valid document: %v", err)
	}
	many := ok()
	many.Directives[0].Metrics = nil
	for i := range 101 {
		name := fmt.Sprintf("M%d", i)
		many.Directives[0].Metrics = append(many.Directives[0].Metrics, Definition{Name: name})
		many.Members[name] = 1.0
	}
	wide := ok()
	var keys []string
	for i := range 31 {
		k := fmt.Sprintf("D%d", i)
		keys = append(keys, k)
		wide.Members[k] = "v"
	}
	wide.Directives[0].Dimensions = [][]string{keys}
	atLimit := ok()
	for _, k := range keys[:30] {
		atLimit.Members[k] = "v"
	}
	atLimit.Directives[0].Dimensions = [][]string{keys[:30]}
	maps := func(f func(d *Document)) Document { d := ok(); f(&d); return d }

	for name, tt := range map[string]struct {
		doc  Document
		want string
	}{
		"101 metrics":              {many, "101 metric definitions"},
		"31 dimensions":            {wide, "has 31 keys"},
		"no metric":                {maps(func(d *Document) { d.Directives[0].Metrics = nil }), "0 metric definitions"},
		"no dimension set":         {maps(func(d *Document) { d.Directives[0].Dimensions = nil }), "at least one dimension set"},
		"dimension not a member":   {maps(func(d *Document) { delete(d.Members, "Deployment") }), "not a member"},
		"dimension not a string":   {maps(func(d *Document) { d.Members["Deployment"] = 3.0 }), "not a string"},
		"non-ASCII dimension":      {maps(func(d *Document) { d.Members["Deployment"] = "déploiement" }), "ASCII"},
		"blank dimension":          {maps(func(d *Document) { d.Members["Deployment"] = "  " }), "ASCII"},
		"metric not a member":      {maps(func(d *Document) { delete(d.Members, "M") }), "not a member"},
		"metric not a number":      {maps(func(d *Document) { d.Members["M"] = "1" }), "neither a number"},
		"unknown unit":             {maps(func(d *Document) { d.Directives[0].Metrics[0].Unit = "Tasks" }), "not a CloudWatch unit"},
		"member named _aws":        {maps(func(d *Document) { d.Members["_aws"] = "x" }), "_aws"},
		"no namespace":             {maps(func(d *Document) { d.Directives[0].Namespace = "" }), "namespace"},
		"101 values of one metric": {maps(func(d *Document) { d.Members["M"] = make([]float64, 101) }), "101 values"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := json.Marshal(tt.doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Marshal = %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if _, err := json.Marshal(atLimit); err != nil {
		t.Errorf("30 dimensions, the limit: %v", err)
	}
}

// TestExtract reads log lines as CloudWatch Logs does.
func TestExtract(t *testing.T) {
	doc := `{"_aws":{"Timestamp":1795773660000,"CloudWatchMetrics":[` +
		`{"Namespace":"Shop","Dimensions":[["Region"],[]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"},{"Name":"Orders"}]}]},` +
		`"Region":"eu-west-1","Latency":[12,30],"Orders":2,"requestId":"r-1"}`
	at := recordedAt
	// Two dimension sets × (two latency values + one order count) = 6 values. Orders has
	// no unit: "a default value of NONE is assumed".
	want := []Datum{
		{"Shop", "Latency", "Milliseconds", map[string]string{"Region": "eu-west-1"}, 12, at},
		{"Shop", "Latency", "Milliseconds", map[string]string{"Region": "eu-west-1"}, 30, at},
		{"Shop", "Orders", "None", map[string]string{"Region": "eu-west-1"}, 2, at},
		{"Shop", "Latency", "Milliseconds", map[string]string{}, 12, at},
		{"Shop", "Latency", "Milliseconds", map[string]string{}, 30, at},
		{"Shop", "Orders", "None", map[string]string{}, 2, at},
	}
	for name, line := range map[string]string{
		"the document":                     doc,
		"after Lambda's plain-text prefix": "2026-11-27T10:01:00.000Z\t6c1a2f3e-0000-4000-8000-000000000001\tINFO\t" + doc,
	} {
		got, ok, err := Extract([]byte(line))
		if !ok || err != nil {
			t.Fatalf("%s: ok %v, %v", name, ok, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	if got := want[0].Metric(); got != "Shop/Latency{Region=eu-west-1}" {
		t.Errorf("Metric() = %s", got)
	}

	for _, line := range []string{
		`{"time":"2026-11-27T10:01:00Z","level":"INFO","msg":"scaling activity recorded"}`,
		`START RequestId: 6c1a2f3e-0000-4000-8000-000000000001 Version: $LATEST`,
		``,
	} {
		if _, ok, err := Extract([]byte(line)); ok || err != nil {
			t.Errorf("%q: ok %v, %v; want no EMF document", line, ok, err)
		}
	}

	for want, line := range map[string]string{
		"Timestamp":             `{"_aws":{"CloudWatchMetrics":[]}}`,
		"not an array":          `{"_aws":{"Timestamp":1,"CloudWatchMetrics":{}}}`,
		"has no Dimensions":     `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Metrics":[{"Name":"M"}]}]},"M":1}`,
		"not a member":          `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M"}]}]},"M":1}`,
		"neither a number":      `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":"one"}`,
		"integer number":        `{"_aws":{"Timestamp":1.5,"CloudWatchMetrics":[]}}`,
		"not a CloudWatch unit": `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M","Unit":"Tasks"}]}]},"M":1}`,
	} {
		if _, ok, err := Extract([]byte(line)); !ok || err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: ok %v, %v; want an error saying %q", line, ok, err, want)
		}
	}
}

// TestEmittedLinesExtract: what the emitter writes, CloudWatch reads back as the values
// meant, once per dimension set.
func TestEmittedLinesExtract(t *testing.T) {
	var out bytes.Buffer
	e, err := NewEmitter(&out, "prod-scaler")
	if err != nil {
		t.Fatal(err)
	}
	o := Outcome{Service: scaling.ServiceRef{Cluster: "prod", Service: "web"}, ActivityID: "e1", Status: "Successful",
		Direction: "out", DesiredCount: count(3), ToUpdate: seconds(20), ToStable: seconds(80), At: recordedAt}
	if err := e.Emit(o); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Extract(bytes.TrimSpace(out.Bytes()))
	if !ok || err != nil {
		t.Fatalf("Extract: ok %v, %v", ok, err)
	}
	var metrics []string
	for _, d := range got {
		metrics = append(metrics, fmt.Sprintf("%s=%g %s", d.Metric(), d.Value, d.Unit))
	}
	want := []string{
		"Stepscaler/Activities{Deployment=prod-scaler,Direction=out,Status=Successful}=1 Count",
		"Stepscaler/Activities{ClusterName=prod,Deployment=prod-scaler,ServiceName=web,Status=Successful}=1 Count",
		"Stepscaler/DesiredCount{ClusterName=prod,Deployment=prod-scaler,ServiceName=web}=3 Count",
		"Stepscaler/TimeToUpdate{ClusterName=prod,Deployment=prod-scaler,ServiceName=web}=20 Seconds",
		"Stepscaler/TimeToStable{ClusterName=prod,Deployment=prod-scaler,ServiceName=web}=80 Seconds",
		"Stepscaler/TimeToUpdate{Deployment=prod-scaler,Direction=out}=20 Seconds",
		"Stepscaler/TimeToStable{Deployment=prod-scaler,Direction=out}=80 Seconds",
	}
	if !slices.Equal(metrics, want) {
		t.Errorf("extracted:\n%s\nwant:\n%s", strings.Join(metrics, "\n"), strings.Join(want, "\n"))
	}
}

func TestDeploymentNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"Stepscaler": true, "MyApp/Scaler": true, "": false, " ": false, "prod\tscaler": false, "skalierer-ä": false,
		strings.Repeat("a", 1024): true, strings.Repeat("a", 1025): false,
	} {
		if err := CheckDeployment(name); (err == nil) != ok {
			t.Errorf("CheckDeployment(%.20q) = %v, want ok %v", name, err, ok)
		}
		if _, err := NewEmitter(&bytes.Buffer{}, name); (err == nil) != ok {
			t.Errorf("NewEmitter(%.20q) = %v, want ok %v", name, err, ok)
		}
	}
}
