// Package metrics publishes what the record step recorded as CloudWatch metrics, in the
// embedded metric format (EMF): JSON documents written one a line to the function's
// standard output, which Lambda sends to CloudWatch Logs, where CloudWatch extracts the
// metrics ("Using the embedded metric format with Lambda", CloudWatch User Guide). No
// PutMetricData call, no permission beyond the log writes every function has, no latency
// on the scaling path.
//
// The documents follow "Specification: Embedded metric format" (CloudWatch User Guide):
// a root object whose _aws member holds the Timestamp (milliseconds since the epoch) and
// CloudWatchMetrics, an array of metric directives (Namespace, Dimensions: an array of
// dimension sets, Metrics: at most 100 metric definitions, each a Name and a Unit); every
// dimension and metric a directive names is a member of the root, a dimension's value a
// string, a metric's a number. A dimension set holds at most 30 dimension keys, the
// limit of a CloudWatch metric's dimensions (Dimension, CloudWatch API Reference; the
// EMF client libraries enforce the same 30, for example aws-embedded-metrics-node 3.0.0).
//
// Which metrics and dimensions, and why they cost what they cost, is in outcome.go.
package metrics

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// Limits of the specification, checked when a document is encoded and when one is read.
const (
	// MaxMetricsPerDirective: "This array MUST NOT contain more than 100 MetricDefinition
	// objects."
	MaxMetricsPerDirective = 100
	// MaxDimensionsPerSet: the dimensions a CloudWatch metric may have.
	MaxDimensionsPerSet = 30
	// MaxValuesPerMetric: "Numeric array metric targets MUST NOT have more than 100
	// members."
	MaxValuesPerMetric = 100
	// maxNameLength bounds a namespace, a metric name and a dimension key (the
	// specification's JSON schema: maxLength 255).
	maxNameLength = 255
	// maxDimensionValueLength: a dimension value's length (Dimension, CloudWatch API
	// Reference).
	maxDimensionValueLength = 1024
	// metadataMember is the root member that holds the metadata.
	metadataMember = "_aws"
)

// Unit is a CloudWatch metric unit (MetricDatum, CloudWatch API Reference).
type Unit string

// The units Stepscaler's metrics use.
const (
	Count   Unit = "Count"
	Seconds Unit = "Seconds"
	None    Unit = "None"
)

// validUnits are the units the specification's JSON schema accepts.
var validUnits = map[Unit]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// Document is one EMF log event.
type Document struct {
	// Timestamp is the time of the metrics' values.
	Timestamp time.Time
	// Directives say which root members are metrics, and with which dimensions.
	Directives []Directive
	// Members are the root's other members: dimension values (strings), metric values
	// (numbers) and properties that are neither, kept in the log for searching.
	Members map[string]any
}

// Directive is a MetricDirective object.
type Directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []Definition `json:"Metrics"`
}

// Definition is a MetricDefinition object.
type Definition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []Directive `json:"CloudWatchMetrics"`
}

// MarshalJSON encodes the document as its log line's JSON, after checking it against the
// specification: a document CloudWatch would reject must not be logged as if it counted.
func (d Document) MarshalJSON() ([]byte, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	root := make(map[string]any, len(d.Members)+1)
	maps.Copy(root, d.Members)
	root[metadataMember] = metadata{Timestamp: d.Timestamp.UnixMilli(), CloudWatchMetrics: d.Directives}
	return json.Marshal(root)
}

// check applies the specification's rules to a document about to be encoded.
func (d Document) check() error {
	if _, ok := d.Members[metadataMember]; ok {
		return fmt.Errorf("emf: a member may not be called %s", metadataMember)
	}
	if len(d.Directives) == 0 {
		return fmt.Errorf("emf: a document needs at least one metric directive")
	}
	for _, dir := range d.Directives {
		if err := dir.check(func(name string) (any, bool) { v, ok := d.Members[name]; return v, ok }); err != nil {
			return err
		}
	}
	return nil
}

// check applies the rules to one directive; member looks a root member up.
func (dir Directive) check(member func(string) (any, bool)) error {
	if dir.Namespace == "" || len(dir.Namespace) > maxNameLength {
		return fmt.Errorf("emf: namespace %q must have 1 to %d characters", dir.Namespace, maxNameLength)
	}
	if len(dir.Dimensions) == 0 {
		return fmt.Errorf("emf: namespace %s: Dimensions needs at least one dimension set (which may be empty)", dir.Namespace)
	}
	if n := len(dir.Metrics); n == 0 || n > MaxMetricsPerDirective {
		return fmt.Errorf("emf: namespace %s: %d metric definitions, want 1 to %d", dir.Namespace, n, MaxMetricsPerDirective)
	}
	for _, set := range dir.Dimensions {
		if len(set) > MaxDimensionsPerSet {
			return fmt.Errorf("emf: dimension set %v has %d keys, over %d", set, len(set), MaxDimensionsPerSet)
		}
		for _, key := range set {
			v, ok := member(key)
			s, isString := v.(string)
			switch {
			case key == "" || len(key) > maxNameLength:
				return fmt.Errorf("emf: dimension key %q must have 1 to %d characters", key, maxNameLength)
			case !ok:
				return fmt.Errorf("emf: dimension %s is not a member of the root", key)
			case !isString:
				return fmt.Errorf("emf: dimension %s has the value %v, not a string", key, v)
			case !validDimensionValue(s):
				return fmt.Errorf("emf: dimension %s has the value %q: a dimension value is 1 to %d ASCII characters, not all blank, no control characters",
					key, s, maxDimensionValueLength)
			}
		}
	}
	for _, m := range dir.Metrics {
		if m.Name == "" || len(m.Name) > maxNameLength {
			return fmt.Errorf("emf: metric name %q must have 1 to %d characters", m.Name, maxNameLength)
		}
		if m.Unit != "" && !validUnits[m.Unit] {
			return fmt.Errorf("emf: metric %s has the unit %q, not a CloudWatch unit", m.Name, m.Unit)
		}
		v, ok := member(m.Name)
		if !ok {
			return fmt.Errorf("emf: metric %s is not a member of the root", m.Name)
		}
		if _, err := metricValues(v); err != nil {
			return fmt.Errorf("emf: metric %s: %w", m.Name, err)
		}
	}
	return nil
}

// validDimensionValue follows Dimension (CloudWatch API Reference): "Dimension values must
// contain only ASCII characters and must include at least one non-whitespace character.
// ASCII control characters are not supported as part of dimension values."
func validDimensionValue(s string) bool {
	if s == "" || len(s) > maxDimensionValueLength {
		return false
	}
	blank := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
		if c != ' ' {
			blank = false
		}
	}
	return !blank
}

// metricValues reads a metric target: a number, or an array of at most
// MaxValuesPerMetric numbers.
func metricValues(v any) ([]float64, error) {
	switch x := v.(type) {
	case float64:
		return []float64{x}, nil
	case int:
		return []float64{float64(x)}, nil
	case []float64:
		if len(x) > MaxValuesPerMetric {
			return nil, fmt.Errorf("%d values, over %d", len(x), MaxValuesPerMetric)
		}
		return x, nil
	case []any:
		if len(x) > MaxValuesPerMetric {
			return nil, fmt.Errorf("%d values, over %d", len(x), MaxValuesPerMetric)
		}
		out := make([]float64, 0, len(x))
		for _, e := range x {
			f, ok := e.(float64)
			if !ok {
				return nil, fmt.Errorf("the array holds %v, not a number", e)
			}
			out = append(out, f)
		}
		return out, nil
	}
	return nil, fmt.Errorf("the value %v is neither a number nor an array of numbers", v)
}
