package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Datum is one value CloudWatch extracts from a document: a document yields one datum per
// metric, per dimension set of its directive, per value.
type Datum struct {
	Namespace  string
	Name       string
	Unit       Unit
	Dimensions map[string]string
	Value      float64
	Timestamp  time.Time
}

// Metric names the datum's metric as CloudWatch identifies it: namespace, name and
// dimensions (CloudWatch concepts, "Metrics": a metric is identified by its namespace,
// name and dimensions), e.g. Stepscaler/Activities{Deployment=x,Status=Successful}.
func (d Datum) Metric() string {
	keys := slices.Sorted(maps.Keys(d.Dimensions))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+d.Dimensions[k])
	}
	return d.Namespace + "/" + d.Name + "{" + strings.Join(parts, ",") + "}"
}

// Extract reads one log line as CloudWatch Logs reads an EMF event: a line that is not a
// JSON object with an _aws member is no EMF document (ok is false: a function's other
// log lines); an EMF document that breaks the specification is an error, and yields
// nothing, as CloudWatch extracts nothing from it.
//
// On Lambda "a valid embedded metric format document after [Lambda's] metadata is
// considered valid" (the specification, PutLogEvents request format): with the plain-text
// log format Lambda may prefix the line with a timestamp and a request id. The JSON
// object is therefore taken from the line's first "{".
func Extract(line []byte) (data []Datum, ok bool, err error) {
	start := bytes.IndexByte(line, '{')
	if start < 0 {
		return nil, false, nil
	}
	var root map[string]any
	if json.Unmarshal(bytes.TrimSpace(line[start:]), &root) != nil {
		return nil, false, nil
	}
	rawMeta, isEMF := root[metadataMember]
	if !isEMF {
		return nil, false, nil
	}
	meta, err := readMetadata(rawMeta)
	if err != nil {
		return nil, true, err
	}
	member := func(name string) (any, bool) { v, ok := root[name]; return v, ok }
	for _, dir := range meta.CloudWatchMetrics {
		if err := dir.check(member); err != nil {
			return nil, true, err
		}
		for _, set := range dir.Dimensions {
			dims := make(map[string]string, len(set))
			for _, key := range set {
				dims[key] = root[key].(string) // check made sure
			}
			for _, m := range dir.Metrics {
				values, _ := metricValues(root[m.Name]) // check made sure
				unit := m.Unit
				if unit == "" {
					unit = None // "If a value is not provided, then a default value of NONE is assumed."
				}
				for _, v := range values {
					data = append(data, Datum{Namespace: dir.Namespace, Name: m.Name, Unit: unit,
						Dimensions: maps.Clone(dims), Value: v, Timestamp: meta.timestamp})
				}
			}
		}
	}
	return data, true, nil
}

type readMeta struct {
	CloudWatchMetrics []Directive
	timestamp         time.Time
}

// readMetadata reads the _aws member: an object with the CloudWatchMetrics array and the
// Timestamp, an integer number of milliseconds (both required by the specification's
// JSON schema).
func readMetadata(raw any) (readMeta, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return readMeta{}, fmt.Errorf("emf: %s is %v, not an object", metadataMember, raw)
	}
	ts, ok := obj["Timestamp"].(float64)
	if !ok || ts != float64(int64(ts)) {
		return readMeta{}, fmt.Errorf("emf: %s.Timestamp is %v, not an integer number of milliseconds", metadataMember, obj["Timestamp"])
	}
	list, ok := obj["CloudWatchMetrics"].([]any)
	if !ok {
		return readMeta{}, fmt.Errorf("emf: %s.CloudWatchMetrics is %v, not an array", metadataMember, obj["CloudWatchMetrics"])
	}
	// Re-decode the directives strictly: a directive member of the wrong type is an error.
	data, err := json.Marshal(list)
	if err != nil {
		return readMeta{}, err
	}
	var dirs []Directive
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&dirs); err != nil {
		return readMeta{}, fmt.Errorf("emf: %s.CloudWatchMetrics: %w", metadataMember, err)
	}
	for i, raw := range list {
		d, _ := raw.(map[string]any)
		for _, key := range []string{"Namespace", "Dimensions", "Metrics"} {
			if _, ok := d[key]; !ok {
				return readMeta{}, fmt.Errorf("emf: metric directive %d has no %s", i, key)
			}
		}
	}
	return readMeta{CloudWatchMetrics: dirs, timestamp: time.UnixMilli(int64(ts)).UTC()}, nil
}
