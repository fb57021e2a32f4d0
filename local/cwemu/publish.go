package cwemu

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Datum is one value of a metric, for PublishMetric.
type Datum struct {
	Namespace  string      `json:"namespace"`
	MetricName string      `json:"metricName"`
	Dimensions []Dimension `json:"dimensions,omitempty"`
	// Timestamp is when the value was measured; zero means the emulator's clock's now.
	Timestamp time.Time `json:"timestamp,omitzero"`
	Value     float64   `json:"value"`
	// Unit is a CloudWatch StandardUnit, or "" for none.
	Unit string `json:"unit,omitempty"`
	// StorageResolution is 1 for a high-resolution metric; 0 or 60 for a standard one.
	StorageResolution int `json:"storageResolution,omitempty"`
}

// Dimension is a metric dimension.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ErrInvalidDatum is the error of PublishMetric for data PutMetricData would refuse.
var ErrInvalidDatum = errors.New("invalid metric datum")

// PublishMetric stores metric data the way an AWS service publishes its own, so that a
// test or a local demo can feed alarms on AWS/ECS, AWS/ApplicationELB or AWS/SQS
// metrics: it applies PutMetricData's rules (at most 30 dimensions, timestamps from two
// weeks ago to two hours ahead, finite values), except that it accepts the AWS/
// namespaces, which PutMetricData refuses to customers. Nothing is stored unless every
// datum is valid.
func (e *Emulator) PublishMetric(data ...Datum) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	type stored struct {
		ref metricRef
		s   sample
	}
	batch := make([]stored, 0, len(data))
	for i, d := range data {
		ns := d.Namespace
		if err := validNamespace(strings.TrimPrefix(ns, "AWS/"), "Namespace"); err != nil || ns == "AWS/" {
			return fmt.Errorf("cwemu: publish metric %d: %w: namespace %q", i+1, ErrInvalidDatum, ns)
		}
		w := wireDatum{MetricName: &data[i].MetricName, Value: &data[i].Value, Unit: d.Unit}
		for _, dim := range d.Dimensions {
			w.Dimensions = append(w.Dimensions, wireDimension(dim))
		}
		if !d.Timestamp.IsZero() {
			w.Timestamp = &data[i].Timestamp
		}
		if d.StorageResolution != 0 {
			w.StorageResolution = ptr(int32(d.StorageResolution))
		}
		ref, s, err := datum(w, ns, i+1, now)
		if err != nil {
			return fmt.Errorf("cwemu: publish metric %d: %w: %v", i+1, ErrInvalidDatum, err)
		}
		batch = append(batch, stored{ref, s})
	}
	for _, b := range batch {
		e.store(b.ref, b.s)
	}
	return nil
}

// store adds a validated sample to its metric.
func (e *Emulator) store(ref metricRef, s sample) {
	k := ref.key()
	series := e.metrics[k]
	if series == nil {
		series = &metricSeries{}
		e.metrics[k] = series
	}
	series.add(s)
}
