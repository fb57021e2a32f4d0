package cwemu

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// metricRef names a metric: CloudWatch treats each combination of namespace, name and
// dimensions as its own metric, and a query's dimensions must equal the metric's exactly
// ("Dimension combinations", Amazon CloudWatch User Guide).
type metricRef struct {
	namespace, name string
	dims            []wireDimension // as given; key sorts them
}

// metricKey is a metricRef in comparable form: dimensions sorted by name, so that their
// order does not matter.
type metricKey struct {
	namespace, name, dims string
}

func (m metricRef) key() metricKey {
	dims := slices.Clone(m.dims)
	slices.SortFunc(dims, func(a, b wireDimension) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for _, d := range dims {
		b.WriteString(d.Name)
		b.WriteByte(0)
		b.WriteString(d.Value)
		b.WriteByte(0)
	}
	return metricKey{namespace: m.namespace, name: m.name, dims: b.String()}
}

// sample is one datum as PutMetricData stored it: raw values with their counts, or a
// statistic set.
type sample struct {
	at     time.Time
	unit   string
	values []float64
	counts []float64
	set    *statisticSet
}

type statisticSet struct {
	count, sum, min, max float64
}

// metricSeries holds one metric's samples, kept sorted by time.
type metricSeries struct {
	samples []sample
}

func (s *metricSeries) add(x sample) {
	i := sort.Search(len(s.samples), func(i int) bool { return s.samples[i].at.After(x.at) })
	s.samples = slices.Insert(s.samples, i, x)
}

// between returns the samples with from <= at < to.
func (s *metricSeries) between(from, to time.Time) []sample {
	lo := sort.Search(len(s.samples), func(i int) bool { return !s.samples[i].at.Before(from) })
	hi := sort.Search(len(s.samples), func(i int) bool { return !s.samples[i].at.Before(to) })
	return s.samples[lo:hi]
}

// PutMetricData limits, from the API Reference (PutMetricData, MetricDatum).
const (
	maxDatumsPerCall    = 1000
	maxValuesPerDatum   = 150
	maxDimensions       = 30
	maxTimestampAge     = 14 * 24 * time.Hour
	maxTimestampFuture  = 2 * time.Hour
	highResolution      = 1
	standardResolution  = 60
	maxDimensionNameLen = 255
)

// valueLimit is 2^360: "Values must be in the range of -2^360 to 2^360" (PutMetricData).
var valueLimit = math.Ldexp(1, 360)

// putMetricData stores metric data, validated as the PutMetricData API Reference says:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
func (e *Emulator) putMetricData(c *call, in *putMetricDataInput) (noBody, error) {
	if in.Namespace == nil {
		return noBody{}, missingParameter("Namespace")
	}
	if err := validNamespace(*in.Namespace, "Namespace"); err != nil {
		return noBody{}, err
	}
	if len(in.EntityMetricData) > 0 {
		return noBody{}, unsupported("EntityMetricData (send the metrics in MetricData)")
	}
	if len(in.MetricData) == 0 {
		return noBody{}, missingParameter("MetricData")
	}
	if len(in.MetricData) > maxDatumsPerCall {
		return noBody{}, invalidValue("The collection MetricData must not have a size greater than %d.", maxDatumsPerCall)
	}
	type stored struct {
		ref metricRef
		s   sample
	}
	// Validate every datum before storing any: a request with an invalid datum stores
	// nothing.
	batch := make([]stored, 0, len(in.MetricData))
	for i, d := range in.MetricData {
		ref, s, err := datum(d, *in.Namespace, i+1, c.now)
		if err != nil {
			return noBody{}, err
		}
		batch = append(batch, stored{ref, s})
	}
	for _, b := range batch {
		e.store(b.ref, b.s)
	}
	return noBody{}, nil
}

// datum validates the i-th (from 1) MetricDatum and turns it into a sample.
func datum(d wireDatum, namespace string, i int, now time.Time) (metricRef, sample, error) {
	at := func(member string) string { return "MetricData.member." + itoa(i) + "." + member }
	if d.MetricName == nil || *d.MetricName == "" {
		return metricRef{}, sample{}, missingParameter(at("MetricName"))
	}
	if err := validDimensions(d.Dimensions, at("Dimensions")); err != nil {
		return metricRef{}, sample{}, err
	}
	if d.Unit != "" && !slices.Contains(standardUnits, d.Unit) {
		return metricRef{}, sample{}, enumValue(d.Unit, lowerFirst(at("Unit")), standardUnits)
	}
	resolution := standardResolution
	if d.StorageResolution != nil {
		resolution = int(*d.StorageResolution)
		if resolution != highResolution && resolution != standardResolution {
			return metricRef{}, sample{}, invalidValue("The value %d for parameter %s is invalid: StorageResolution must be 1 or 60.", resolution, at("StorageResolution"))
		}
	}
	ts := now
	if d.Timestamp != nil {
		ts = d.Timestamp.UTC()
		switch {
		case ts.Before(now.Add(-maxTimestampAge)):
			return metricRef{}, sample{}, invalidValue("The parameter %s must specify a time within the past two weeks.", at("Timestamp"))
		case ts.After(now.Add(maxTimestampFuture)):
			return metricRef{}, sample{}, invalidValue("The parameter %s must specify a time no more than two hours in the future.", at("Timestamp"))
		}
	}
	// Standard-resolution data is stored at one-minute granularity; a period shorter than
	// a minute finds it only in the period that starts on the minute (PutMetricAlarm,
	// Period).
	if resolution == standardResolution {
		ts = ts.Truncate(time.Minute)
	} else {
		ts = ts.Truncate(time.Second)
	}
	s := sample{at: ts, unit: d.Unit}
	if err := datumValues(d, at, &s); err != nil {
		return metricRef{}, sample{}, err
	}
	return metricRef{namespace: namespace, name: *d.MetricName, dims: d.Dimensions}, s, nil
}

// datumValues fills s from exactly one of Value, Values (with Counts) and
// StatisticValues.
func datumValues(d wireDatum, at func(string) string, s *sample) error {
	given := 0
	for _, present := range []bool{d.Value != nil, len(d.Values) > 0, d.StatisticValues != nil} {
		if present {
			given++
		}
	}
	switch {
	case given == 0:
		return errorf("MissingParameter", "At least one of the parameters %s, %s or %s must be specified.", at("Value"), at("Values"), at("StatisticValues"))
	case given > 1:
		return invalidCombination("The parameters %s, %s and %s are mutually exclusive and you have specified more than one.", at("Value"), at("Values"), at("StatisticValues"))
	}
	switch {
	case d.Value != nil:
		if err := validValue(*d.Value, at("Value")); err != nil {
			return err
		}
		s.values, s.counts = []float64{*d.Value}, []float64{1}
	case len(d.Values) > 0:
		return rawValues(d, at, s)
	default:
		return statistics(*d.StatisticValues, at("StatisticValues"), s)
	}
	return nil
}

func rawValues(d wireDatum, at func(string) string, s *sample) error {
	if len(d.Values) > maxValuesPerDatum {
		return invalidValue("The collection %s must not have a size greater than %d.", at("Values"), maxValuesPerDatum)
	}
	if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) {
		return invalidCombination("The parameters %s and %s must be of the same size.", at("Values"), at("Counts"))
	}
	counts := d.Counts
	if len(counts) == 0 {
		// "If you omit the Counts array, the default of 1 is used as the value for
		// each count" (MetricDatum).
		counts = make([]float64, len(d.Values))
		for i := range counts {
			counts[i] = 1
		}
	}
	for i, v := range d.Values {
		if err := validValue(v, at("Values.member."+itoa(i+1))); err != nil {
			return err
		}
		if c := counts[i]; c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			return invalidValue("The value %v for parameter %s is invalid.", c, at("Counts.member."+itoa(i+1)))
		}
	}
	s.values, s.counts = slices.Clone(d.Values), slices.Clone(counts)
	return nil
}

func statistics(set wireStatisticSet, at string, s *sample) error {
	members := []struct {
		name string
		v    *float64
	}{{"SampleCount", set.SampleCount}, {"Sum", set.Sum}, {"Minimum", set.Minimum}, {"Maximum", set.Maximum}}
	for _, m := range members {
		if m.v == nil {
			return missingParameter(at + "." + m.name)
		}
		if err := validValue(*m.v, at+"."+m.name); err != nil {
			return err
		}
	}
	switch {
	case *set.SampleCount <= 0:
		return invalidValue("The parameter %s.SampleCount must be greater than 0.", at)
	case *set.Maximum < *set.Minimum:
		return invalidValue("The parameter %s.Maximum must be greater than %s.Minimum.", at, at)
	}
	s.set = &statisticSet{count: *set.SampleCount, sum: *set.Sum, min: *set.Minimum, max: *set.Maximum}
	return nil
}

// validValue applies "CloudWatch rejects values that are either too small or too large.
// Values must be in the range of -2^360 to 2^360. In addition, special values (for
// example, NaN, +Infinity, -Infinity) are not supported." (PutMetricData).
func validValue(v float64, member string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > valueLimit {
		return invalidValue("The value %v for parameter %s is invalid.", v, member)
	}
	return nil
}

func validNamespace(ns, member string) error {
	switch {
	case ns == "":
		return lengthAtLeast(ns, lowerFirst(member), 1)
	case len(ns) > 255:
		return lengthAtMost(ns, lowerFirst(member), 255)
	case strings.HasPrefix(ns, "AWS/"):
		// "To avoid conflicts with Amazon Web Services service namespaces, you should
		// not specify a namespace that begins with AWS/" (PutMetricData); CloudWatch
		// refuses such data.
		return invalidValue("The value %s for parameter %s is invalid.", ns, member)
	case strings.IndexFunc(ns, isControl) >= 0:
		return invalidValue("The value for parameter %s contains control characters.", member)
	}
	return nil
}

func validDimensions(dims []wireDimension, member string) error {
	if len(dims) > maxDimensions {
		return invalidValue("The collection %s must not have a size greater than %d.", member, maxDimensions)
	}
	seen := map[string]bool{}
	for i, d := range dims {
		at := member + ".member." + itoa(i+1)
		switch {
		case d.Name == "":
			return missingParameter(at + ".Name")
		case len(d.Name) > maxDimensionNameLen:
			return lengthAtMost(d.Name, lowerFirst(at+".Name"), maxDimensionNameLen)
		case d.Value == "":
			return missingParameter(at + ".Value")
		case seen[d.Name]:
			return invalidValue("The parameter %s.Name must be unique: %s appears more than once.", at, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// standardUnits is the StandardUnit enumeration of the CloudWatch API.
var standardUnits = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None",
}
