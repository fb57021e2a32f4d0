package simulate

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTraceCSV(t *testing.T) {
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name  string
		input string
		step  time.Duration
		want  []Point
	}{
		{"RFC 3339 with a header", "timestamp,requests\n2026-11-27T10:00:00Z,60\n2026-11-27T10:01:00Z,120\n", time.Minute,
			[]Point{{At: at(0), Value: 60}, {At: at(1), Value: 120}}},
		{"no header, space-separated UTC", "2026-11-27 10:00:00,1\n2026-11-27 10:01:00,2\n2026-11-27 10:02:00,3\n", time.Minute,
			[]Point{{At: at(0), Value: 1}, {At: at(1), Value: 2}, {At: at(2), Value: 3}}},
		{"epoch seconds", "1795773600,5\n1795773900,7\n", 5 * time.Minute,
			[]Point{{At: time.Unix(1795773600, 0).UTC(), Value: 5}, {At: time.Unix(1795773900, 0).UTC(), Value: 7}}},
		{"zone offsets become UTC", "ts,v\n2026-11-27T06:00:00-04:00,1\n2026-11-27T06:01:00-04:00,2\n", time.Minute,
			[]Point{{At: at(0), Value: 1}, {At: at(1), Value: 2}}},
		{"CRLF, BOM, spaces and a comment", "\ufefftimestamp,value\r\n# exported\r\n2026-11-27T10:00:00Z, 4\r\n2026-11-27T10:01:00Z, 5\r\n", time.Minute,
			[]Point{{At: at(0), Value: 4}, {At: at(1), Value: 5}}},
		{"newest first is sorted", "2026-11-27T10:02:00Z,3\n2026-11-27T10:01:00Z,2\n2026-11-27T10:00:00Z,1\n", time.Minute,
			[]Point{{At: at(0), Value: 1}, {At: at(1), Value: 2}, {At: at(2), Value: 3}}},
		{"a skipped bucket is a missing point", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,2\n2026-11-27T10:04:00Z,5\n2026-11-27T10:05:00Z,6\n", time.Minute,
			[]Point{{At: at(0), Value: 1}, {At: at(1), Value: 2}, {At: at(2), Missing: true}, {At: at(3), Missing: true}, {At: at(4), Value: 5}, {At: at(5), Value: 6}}},
		{"an empty value is a missing point, zero is a value", "2026-11-27T10:00:00Z,0\n2026-11-27T10:01:00Z,\n2026-11-27T10:02:00Z,0\n", time.Minute,
			[]Point{{At: at(0)}, {At: at(1), Missing: true}, {At: at(2)}}},
		{"the most common spacing wins over gaps", "2026-11-27T10:00:00Z,1\n2026-11-27T10:05:00Z,1\n2026-11-27T10:10:00Z,1\n2026-11-27T10:20:00Z,1\n", 5 * time.Minute,
			[]Point{{At: at(0), Value: 1}, {At: at(5), Value: 1}, {At: at(10), Value: 1}, {At: at(15), Missing: true}, {At: at(20), Value: 1}}},
		{"fractional counts", "2026-11-27T10:00:00Z,1.5\n2026-11-27T10:01:00Z,2e3\n", time.Minute,
			[]Point{{At: at(0), Value: 1.5}, {At: at(1), Value: 2000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ParseTrace("t.csv", strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			checkTrace(t, tr, tt.step, tt.want)
		})
	}
}

func TestParseTraceCloudWatchJSON(t *testing.T) {
	// As aws cloudwatch get-metric-data prints it: newest first, periods without data
	// left out.
	const out = `{
  "MetricDataResults": [
    {"Id": "requests", "Label": "RequestCount", "StatusCode": "Complete",
     "Timestamps": ["2026-11-27T10:04:00+00:00", "2026-11-27T10:03:00+00:00", "2026-11-27T10:01:00+00:00", "2026-11-27T10:00:00+00:00"],
     "Values": [400.0, 300.0, 100.0, 0.0]},
    {"Id": "errors", "Label": "5XX", "StatusCode": "PartialData",
     "Timestamps": ["2026-11-27T10:10:00Z", "2026-11-27T10:05:00Z"], "Values": [2, 1]}
  ],
  "Messages": []
}`
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	tr, err := ParseTrace("out.json", strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	checkTrace(t, tr, time.Minute, []Point{{At: at(0)}, {At: at(1), Value: 100}, {At: at(2), Missing: true}, {At: at(3), Value: 300}, {At: at(4), Value: 400}})

	tr, err = ParseCloudWatch("out.json", strings.NewReader(out), "errors")
	if err != nil {
		t.Fatal(err)
	}
	checkTrace(t, tr, 5*time.Minute, []Point{{At: at(5), Value: 1}, {At: at(10), Value: 2}})

	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if tr, err = LoadTrace(path + "#errors"); err != nil || len(tr.Points) != 2 {
		t.Fatalf("LoadTrace(path#errors) = %d points, %v; want the errors result", len(tr.Points), err)
	}
}

func TestParseTraceErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"a single point", "2026-11-27T10:00:00Z,1\n", "at least 2 datapoints"},
		{"only missing values", "2026-11-27T10:00:00Z,\n2026-11-27T10:01:00Z,\n2026-11-27T10:02:00Z,1\n", "at least 2 datapoints with a value, got 1"},
		{"empty", "", "at least 2"},
		{"NaN names the line", "t,v\n2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,NaN\n", "line 3: value \"NaN\" is not a finite number"},
		{"infinity", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,+Inf\n", "line 2: value \"+Inf\" is not a finite number"},
		{"overflow", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,1e999\n", "line 2: value \"1e999\" is not a finite number"},
		{"negative", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,-3\n", "line 2: value -3 is negative"},
		{"not a number", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,many\n", "line 2: value \"many\" is not a number"},
		{"bad timestamp", "2026-11-27T10:00:00Z,1\nyesterday,2\n", "line 2: timestamp \"yesterday\""},
		{"half a header", "when,5\n2026-11-27T10:01:00Z,2\n", "line 1: timestamp \"when\""},
		{"epoch milliseconds", "1795773600000,1\n1795773660000,2\n", "line 1: timestamp \"1795773600000\": epoch seconds out of range"},
		{"duplicate timestamps name both lines", "t,v\n2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,2\n2026-11-27T10:00:00Z,3\n", "line 4: timestamp 2026-11-27T10:00:00Z repeats line 2"},
		{"off the grid", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z,1\n2026-11-27T10:02:00Z,1\n2026-11-27T10:02:30Z,1\n", "line 4: timestamp 2026-11-27T10:02:30Z is off the 1m0s grid"},
		{"three fields", "2026-11-27T10:00:00Z,1,x\n", "line 1: want 2 fields"},
		{"one field", "2026-11-27T10:00:00Z,1\n2026-11-27T10:01:00Z\n", "line 2: want 2 fields"},
		{"sub-second buckets", "1795773600.0,1\n1795773600.5,1\n", "below CloudWatch's finest period"},
		{"JSON syntax names the line", "{\n\"MetricDataResults\": [\n}", "line 3: not valid JSON"},
		{"JSON without results", `{"Messages": []}`, "MetricDataResults is empty or absent"},
		{"JSON lengths differ", `{"MetricDataResults":[{"Id":"m","Timestamps":["2026-11-27T10:00:00Z"],"Values":[1,2]}]}`, "MetricDataResults[0] has 1 Timestamps but 2 Values"},
		{"JSON bad timestamp names the field", `{"MetricDataResults":[{"Id":"m","Timestamps":["2026-11-27T10:00:00Z","soon"],"Values":[1,2]}]}`, "MetricDataResults[0].Timestamps[1]: timestamp \"soon\""},
		{"JSON negative value names the field", `{"MetricDataResults":[{"Id":"m","Timestamps":["2026-11-27T10:00:00Z","2026-11-27T10:01:00Z"],"Values":[1,-2]}]}`, "MetricDataResults[0].Values[1]: value -2 is negative"},
		{"JSON wrong type", `{"MetricDataResults":[{"Id":"m","Timestamps":["2026-11-27T10:00:00Z"],"Values":["1"]}]}`, "field MetricDataResults.Values"},
		{"JSON failed query", `{"MetricDataResults":[{"Id":"m","StatusCode":"Forbidden","Timestamps":[],"Values":[]}]}`, "StatusCode is Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTrace("bad", strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "trace bad") {
				t.Errorf("error %q does not name the trace", err)
			}
		})
	}
	if _, err := ParseCloudWatch("x", strings.NewReader(`{"MetricDataResults":[{"Id":"a"},{"Id":"b"}]}`), "c"); err == nil ||
		!strings.Contains(err.Error(), `no MetricDataResults entry has Id "c" (have a, b)`) {
		t.Errorf("unknown id: error = %v", err)
	}
}

func TestLoadShippedTraces(t *testing.T) {
	tests := []struct {
		file   string
		step   time.Duration
		points int
	}{
		{"worldcup98-1998-06-10_16.csv", time.Minute, 10080},
		{"nasa-http-1995-07-01_14-5min.csv", 5 * time.Minute, 4032},
	}
	for _, tt := range tests {
		tr, err := LoadTrace(filepath.Join("..", "..", "traces", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Step != tt.step || len(tr.Points) != tt.points {
			t.Errorf("%s: step %s, %d points; want %s, %d", tt.file, tr.Step, len(tr.Points), tt.step, tt.points)
		}
		if err := tr.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestTraceValidate(t *testing.T) {
	good := minuteTrace(seg{3, 1})
	offGrid := minuteTrace(seg{3, 1})
	offGrid.Points[2].At = offGrid.Points[2].At.Add(time.Second)
	negative := minuteTrace(seg{3, 1})
	negative.Points[1].Value = -1
	tests := []struct {
		name string
		tr   Trace
		want string
	}{
		{"good", good, ""},
		{"no step", Trace{Name: "x", Points: good.Points}, "step must be positive"},
		{"off the grid", offGrid, "point 2 is at"},
		{"negative", negative, "point 1"},
		{"too few known", minuteTrace(seg{1, 1}, seg{3, math.NaN()}), "at least 2 known buckets, got 1"},
	}
	for _, tt := range tests {
		err := tt.tr.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func checkTrace(t *testing.T, tr Trace, step time.Duration, want []Point) {
	t.Helper()
	if tr.Step != step {
		t.Errorf("step = %s, want %s", tr.Step, step)
	}
	if len(tr.Points) != len(want) {
		t.Fatalf("%d points %+v, want %d %+v", len(tr.Points), tr.Points, len(want), want)
	}
	for i, p := range tr.Points {
		if !p.At.Equal(want[i].At) || p.Value != want[i].Value || p.Missing != want[i].Missing || p.At.Location() != time.UTC {
			t.Errorf("point %d = %+v, want %+v (UTC)", i, p, want[i])
		}
	}
}
