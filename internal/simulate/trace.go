package simulate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Point is one bucket of a trace: the number of requests counted in the bucket that
// starts at At. A Missing point is a bucket the history has no count for, which is not
// the same as a count of zero.
type Point struct {
	At      time.Time `json:"at"`
	Value   float64   `json:"value"`
	Missing bool      `json:"missing,omitempty"`
}

// Trace is a request-count history on a regular grid: Points[i].At is Points[0].At plus
// i steps, with Missing points where the history has a gap.
type Trace struct {
	Name   string
	Step   time.Duration
	Points []Point
}

// Limits that keep a mistaken input from exhausting memory: years of one-minute buckets
// or months of one-second ones fit.
const (
	maxTraceBytes  = 512 << 20
	maxTracePoints = 10_000_000
)

// FromValues builds a trace of len(values) buckets of step starting at start; a NaN value
// marks a missing bucket. It is meant for synthetic traces: tests, examples, what-ifs.
func FromValues(name string, start time.Time, step time.Duration, values []float64) Trace {
	tr := Trace{Name: name, Step: step, Points: make([]Point, len(values))}
	for i, v := range values {
		p := Point{At: start.Add(time.Duration(i) * step).UTC(), Value: v}
		if math.IsNaN(v) {
			p.Value, p.Missing = 0, true
		}
		tr.Points[i] = p
	}
	return tr
}

// Validate checks what the engine relies on: a positive step, a regular grid, at least
// two known buckets, finite non-negative counts. The parsers only return valid traces; a
// trace built by hand is checked by Run.
func (tr Trace) Validate() error {
	if tr.Step <= 0 {
		return fmt.Errorf("trace %s: step must be positive, got %s", tr.Name, tr.Step)
	}
	known := 0
	for i, p := range tr.Points {
		if want := tr.Points[0].At.Add(time.Duration(i) * tr.Step); !p.At.Equal(want) {
			return fmt.Errorf("trace %s: point %d is at %s, want %s on the %s grid", tr.Name, i, p.At.Format(time.RFC3339), want.Format(time.RFC3339), tr.Step)
		}
		if p.Missing {
			continue
		}
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) || p.Value < 0 {
			return fmt.Errorf("trace %s: point %d (%s) has value %v; want a finite count of at least 0", tr.Name, i, p.At.Format(time.RFC3339), p.Value)
		}
		known++
	}
	if known < 2 {
		return fmt.Errorf("trace %s: need at least 2 known buckets, got %d", tr.Name, known)
	}
	return nil
}

// LoadTrace reads a trace file: CSV or the JSON of aws cloudwatch get-metric-data (see
// ParseTrace). For JSON with several results, "file.json#id" picks the result with that Id.
func LoadTrace(path string) (Trace, error) {
	id := ""
	if _, err := os.Stat(path); err != nil {
		// Only when the path as given does not exist is '#' read as the id separator, so a
		// file whose name holds a '#' still loads.
		if i := strings.LastIndexByte(path, '#'); i > 0 {
			if _, err2 := os.Stat(path[:i]); err2 == nil {
				path, id = path[:i], path[i+1:]
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return Trace{}, fmt.Errorf("load trace: %w", err)
	}
	defer f.Close()
	if id != "" {
		return ParseCloudWatch(path, f, id)
	}
	return ParseTrace(path, f)
}

// ParseTrace reads a trace in either format, told apart by the first character: '{'
// starts CloudWatch JSON (the first result is used), anything else is CSV. name appears in
// errors and becomes the trace's name.
func ParseTrace(name string, r io.Reader) (Trace, error) {
	data, err := readAll(name, r)
	if err != nil {
		return Trace{}, err
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return parseCloudWatch(name, data, "")
	}
	return parseCSV(name, data)
}

// ParseCSV reads "timestamp,value" lines: an optional header, then one bucket per line,
// the value being the number of requests in the bucket that starts at the timestamp.
// Timestamps are RFC 3339, "2006-01-02 15:04:05" (UTC) or epoch seconds. An empty value is
// a missing bucket; so is a timestamp the grid expects and the file skips.
func ParseCSV(name string, r io.Reader) (Trace, error) {
	data, err := readAll(name, r)
	if err != nil {
		return Trace{}, err
	}
	return parseCSV(name, data)
}

// ParseCloudWatch reads what aws cloudwatch get-metric-data prints:
// {"MetricDataResults":[{"Id","Label","Timestamps":[...],"Values":[...],"StatusCode"}]}.
// It uses the result with the given Id, or the first when id is empty. CloudWatch lists
// the newest datapoint first and leaves out periods without data; both are handled.
func ParseCloudWatch(name string, r io.Reader, id string) (Trace, error) {
	data, err := readAll(name, r)
	if err != nil {
		return Trace{}, err
	}
	return parseCloudWatch(name, data, id)
}

func readAll(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTraceBytes+1))
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", name, err)
	}
	if len(data) > maxTraceBytes {
		return nil, fmt.Errorf("trace %s: larger than %d MiB", name, maxTraceBytes>>20)
	}
	return data, nil
}

// rawPoint is a parsed datapoint before it is put on the grid; where names its origin
// ("line 7", "MetricDataResults[0].Timestamps[3]") for error messages.
type rawPoint struct {
	at      time.Time
	value   float64
	missing bool
	where   string
}

func parseCSV(name string, data []byte) (Trace, error) {
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cr.ReuseRecord = true
	var pts []rawPoint
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Trace{}, fmt.Errorf("trace %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("line %d", line)
		if len(rec) != 2 {
			return Trace{}, fmt.Errorf("trace %s: %s: want 2 fields (timestamp,value), got %d", name, where, len(rec))
		}
		ts, vs := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		at, terr := parseTimestamp(ts)
		if first {
			first = false
			// A header is a first line whose fields are neither a time nor a number; one
			// that is half right is a mistake worth reporting instead.
			if _, verr := strconv.ParseFloat(vs, 64); terr != nil && (verr != nil || vs == "") {
				continue
			}
		}
		if terr != nil {
			return Trace{}, fmt.Errorf("trace %s: %s: %w", name, where, terr)
		}
		p := rawPoint{at: at, where: where}
		if vs == "" {
			p.missing = true
		} else if p.value, err = parseCount(vs); err != nil {
			return Trace{}, fmt.Errorf("trace %s: %s: %w", name, where, err)
		}
		pts = append(pts, p)
	}
	return onGrid(name, pts)
}

// parseTimestamp accepts the forms traces come in. Timestamps without a zone are UTC,
// which is what CloudWatch and most log tools export.
func parseTimestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty timestamp")
	}
	if isEpoch(s) {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || sec > 1e11 {
			return time.Time{}, fmt.Errorf("timestamp %q: epoch seconds out of range (milliseconds are not accepted)", s)
		}
		whole, frac := math.Modf(sec)
		return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want RFC 3339, \"2006-01-02 15:04:05\" (UTC) or epoch seconds", s)
}

func isEpoch(s string) bool {
	dot := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return true
}

func parseCount(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("value %q is not a number", s)
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("value %q is not a finite number", s)
	}
	return v, checkCount(v)
}

func checkCount(v float64) error {
	if v < 0 {
		return fmt.Errorf("value %v is negative; a request count cannot be", v)
	}
	return nil
}

// cloudWatchOutput is the part of get-metric-data's output a trace needs.
type cloudWatchOutput struct {
	MetricDataResults []struct {
		ID         string    `json:"Id"`
		Label      string    `json:"Label"`
		Timestamps []string  `json:"Timestamps"`
		Values     []float64 `json:"Values"`
		StatusCode string    `json:"StatusCode"`
	} `json:"MetricDataResults"`
}

func parseCloudWatch(name string, data []byte, id string) (Trace, error) {
	var out cloudWatchOutput
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\ufeff")), &out); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
			return Trace{}, fmt.Errorf("trace %s: line %d: not valid JSON: %v", name, line, err)
		case errors.As(err, &typ):
			return Trace{}, fmt.Errorf("trace %s: field %s: expected %s, got JSON %s", name, typ.Field, typ.Type, typ.Value)
		}
		return Trace{}, fmt.Errorf("trace %s: %w", name, err)
	}
	if len(out.MetricDataResults) == 0 {
		return Trace{}, fmt.Errorf("trace %s: MetricDataResults is empty or absent; want the output of aws cloudwatch get-metric-data", name)
	}
	idx := 0
	if id != "" {
		ids := make([]string, len(out.MetricDataResults))
		idx = -1
		for i, r := range out.MetricDataResults {
			ids[i] = r.ID
			if r.ID == id {
				idx = i
			}
		}
		if idx < 0 {
			return Trace{}, fmt.Errorf("trace %s: no MetricDataResults entry has Id %q (have %s)", name, id, strings.Join(ids, ", "))
		}
	}
	res := out.MetricDataResults[idx]
	at := fmt.Sprintf("MetricDataResults[%d]", idx)
	switch res.StatusCode {
	case "", "Complete", "PartialData":
		// PartialData only means more pages existed; the CLI fetched and merged them.
	default:
		return Trace{}, fmt.Errorf("trace %s: %s.StatusCode is %s; the data is not usable", name, at, res.StatusCode)
	}
	if len(res.Timestamps) != len(res.Values) {
		return Trace{}, fmt.Errorf("trace %s: %s has %d Timestamps but %d Values", name, at, len(res.Timestamps), len(res.Values))
	}
	pts := make([]rawPoint, len(res.Values))
	for i, ts := range res.Timestamps {
		where := fmt.Sprintf("%s.Timestamps[%d]", at, i)
		t, err := parseTimestamp(ts)
		if err != nil {
			return Trace{}, fmt.Errorf("trace %s: %s: %w", name, where, err)
		}
		// JSON has no NaN or infinity, so a decoded value is finite.
		if err := checkCount(res.Values[i]); err != nil {
			return Trace{}, fmt.Errorf("trace %s: %s.Values[%d]: %w", name, at, i, err)
		}
		pts[i] = rawPoint{at: t, value: res.Values[i], where: where}
	}
	return onGrid(name, pts)
}

// onGrid sorts the datapoints, infers the bucket from the most common spacing, and lays
// them on a regular grid with missing points in the gaps. It rejects what cannot be laid
// out: two values for one bucket, or a timestamp between grid lines.
func onGrid(name string, pts []rawPoint) (Trace, error) {
	slices.SortStableFunc(pts, func(a, b rawPoint) int { return a.at.Compare(b.at) })
	known := 0
	for i, p := range pts {
		if i > 0 && p.at.Equal(pts[i-1].at) {
			return Trace{}, fmt.Errorf("trace %s: %s: timestamp %s repeats %s", name, p.where, p.at.Format(time.RFC3339), pts[i-1].where)
		}
		if !p.missing {
			known++
		}
	}
	if known < 2 {
		return Trace{}, fmt.Errorf("trace %s: need at least 2 datapoints with a value, got %d", name, known)
	}
	step := commonSpacing(pts)
	if step < time.Second {
		return Trace{}, fmt.Errorf("trace %s: buckets %s apart are below CloudWatch's finest period of 1s", name, step)
	}
	first, last := pts[0].at, pts[len(pts)-1].at
	n := int64(last.Sub(first)/step) + 1
	if n > maxTracePoints {
		return Trace{}, fmt.Errorf("trace %s: %s to %s in buckets of %s makes %d points, more than %d", name,
			first.Format(time.RFC3339), last.Format(time.RFC3339), step, n, maxTracePoints)
	}
	tr := Trace{Name: name, Step: step, Points: make([]Point, n)}
	for i := range tr.Points {
		tr.Points[i] = Point{At: first.Add(time.Duration(i) * step), Missing: true}
	}
	for _, p := range pts {
		off := p.at.Sub(first)
		if off%step != 0 {
			return Trace{}, fmt.Errorf("trace %s: %s: timestamp %s is off the %s grid that starts at %s", name, p.where,
				p.at.Format(time.RFC3339Nano), step, first.Format(time.RFC3339))
		}
		tr.Points[off/step] = Point{At: p.at, Value: p.value, Missing: p.missing}
	}
	return tr, nil
}

// commonSpacing is the most frequent gap between consecutive timestamps, the smallest on a
// tie: the bucket length of a history with occasional gaps.
func commonSpacing(pts []rawPoint) time.Duration {
	counts := map[time.Duration]int{}
	for i := 1; i < len(pts); i++ {
		counts[pts[i].at.Sub(pts[i-1].at)]++
	}
	var best time.Duration
	for d, c := range counts {
		if c > counts[best] || (c == counts[best] && d < best) {
			best = d
		}
	}
	return best
}
