package cwemu

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Statistics over a period, as "CloudWatch statistics definitions" (Amazon CloudWatch
// User Guide) defines them: SampleCount is the number of data points, Sum their total,
// Average Sum/SampleCount, Minimum and Maximum the extremes, and pNN the value below
// which NN percent of the period's data lies.

// The statistics of the Statistic enumeration.
var basicStatistics = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

var (
	// percentilePattern is the percentile form of the model's statistic pattern:
	// p0 to p100, up to ten decimals.
	percentilePattern = regexp.MustCompile(`^p(\d{1,2}(\.\d{0,10})?|100(\.0{0,10})?)$`)
	// otherExtendedPattern matches the other extended statistics CloudWatch computes
	// (trimmed mean, trimmed count and sum, winsorized mean, percentile rank, IQM), which
	// the emulator does not.
	otherExtendedPattern = regexp.MustCompile(`^((tm|tc|ts|wm)(\d{1,2}(\.\d{0,10})?|100)|IQM|(TM|TC|TS|WM|PR)\(.*\))$`)
)

// statistic is a parsed statistic name.
type statistic struct {
	name       string  // as given
	percentile float64 // for pNN
}

func (s statistic) isPercentile() bool { return s.name != "" && s.name[0] == 'p' }

// parseStatistic reads a statistic name. ok is false for a name that is not a statistic;
// supported is false for one CloudWatch computes and the emulator does not.
func parseStatistic(name string) (s statistic, ok, supported bool) {
	switch {
	case slices.Contains(basicStatistics, name):
		return statistic{name: name}, true, true
	case percentilePattern.MatchString(name):
		p, err := strconv.ParseFloat(name[1:], 64)
		return statistic{name: name, percentile: p}, err == nil, err == nil
	case otherExtendedPattern.MatchString(name):
		return statistic{name: name}, true, false
	}
	return statistic{}, false, false
}

// grid is a run of consecutive periods: period i is [start + i·period, start + (i+1)·period).
type grid struct {
	start  time.Time
	period time.Duration
	n      int
}

func (g grid) at(i int) time.Time { return g.start.Add(time.Duration(i) * g.period) }
func (g grid) end() time.Time     { return g.at(g.n) }

// bucket aggregates one period's samples.
type bucket struct {
	count, sum, min, max float64
	raw                  []weighted // the values with their counts, for percentiles
	percentileOK         bool
}

type weighted struct{ value, weight float64 }

func newBucket() *bucket {
	return &bucket{min: math.Inf(1), max: math.Inf(-1), percentileOK: true}
}

func (b *bucket) add(s sample) {
	if s.set != nil {
		b.addSet(*s.set)
		return
	}
	for i, v := range s.values {
		c := s.counts[i]
		if c == 0 {
			continue
		}
		b.count += c
		b.sum += v * c
		b.min, b.max = math.Min(b.min, v), math.Max(b.max, v)
		b.raw = append(b.raw, weighted{v, c})
		if v < 0 {
			b.percentileOK = false
		}
	}
}

// addSet adds a statistic set. "CloudWatch needs raw data points to calculate percentile
// statistics. If you publish data using a statistic set instead, you can only retrieve
// percentile statistics for this data if one of the following conditions is true: The
// SampleCount value of the statistic set is 1 and Min, Max, and Sum are all equal. The
// Min and Max are equal, and Sum is equal to Min multiplied by SampleCount."
// (PutMetricData). Such a set is SampleCount copies of one value; any other set makes
// the period's percentiles unavailable.
func (b *bucket) addSet(set statisticSet) {
	b.count += set.count
	b.sum += set.sum
	b.min, b.max = math.Min(b.min, set.min), math.Max(b.max, set.max)
	single := set.count == 1 && set.min == set.max && set.max == set.sum
	uniform := set.min == set.max && set.sum == set.min*set.count
	if (single || uniform) && set.min >= 0 {
		b.raw = append(b.raw, weighted{set.min, set.count})
	} else {
		b.percentileOK = false
	}
}

// value computes the statistic; ok is false when the period has no datapoint for it.
// "Percentile statistics are not available for metrics when any of the metric values
// are negative numbers" (GetMetricStatistics).
func (b *bucket) value(s statistic) (float64, bool) {
	if b == nil || b.count <= 0 {
		return 0, false
	}
	switch s.name {
	case "SampleCount":
		return b.count, true
	case "Sum":
		return b.sum, true
	case "Average":
		return b.sum / b.count, true
	case "Minimum":
		return b.min, true
	case "Maximum":
		return b.max, true
	}
	if !s.isPercentile() || !b.percentileOK {
		return 0, false
	}
	return percentile(b.raw, s.percentile), true
}

// percentile is the weighted nearest-rank percentile: the smallest value such that at
// least p percent of the weight lies at or below it. CloudWatch does not document its
// percentile method; nearest rank gives a value that occurs in the data and agrees with
// the definition "p95 ... means that 95 percent of the data within the period is lower
// than this value" up to the rank that holds it.
func percentile(raw []weighted, p float64) float64 {
	sorted := slices.Clone(raw)
	slices.SortFunc(sorted, func(a, b weighted) int {
		switch {
		case a.value < b.value:
			return -1
		case a.value > b.value:
			return 1
		}
		return 0
	})
	total := 0.0
	for _, w := range sorted {
		total += w.weight
	}
	target := p / 100 * total
	cum := 0.0
	for _, w := range sorted {
		cum += w.weight
		if cum >= target*(1-1e-12) {
			return w.value
		}
	}
	return sorted[len(sorted)-1].value
}

// buckets aggregates the samples of one metric (of one unit, or all units when unit is
// "", as GetMetricData does without Unit) into the periods of g; nil entries are
// periods without data.
func (e *Emulator) buckets(ref metricRef, unit string, g grid) []*bucket {
	out := make([]*bucket, g.n)
	series := e.metrics[ref.key()]
	if series == nil {
		return out
	}
	for _, s := range series.between(g.start, g.end()) {
		if unit != "" && s.unit != unit {
			continue
		}
		i := int(s.at.Sub(g.start) / g.period)
		if out[i] == nil {
			out[i] = newBucket()
		}
		out[i].add(s)
	}
	return out
}

// series is a time series over a grid: vals[i] is period i's value when ok[i].
type series struct {
	vals []float64
	ok   []bool
}

func newSeries(n int) series { return series{vals: make([]float64, n), ok: make([]bool, n)} }

// statSeries applies a statistic to each period.
func statSeries(bs []*bucket, s statistic) series {
	out := newSeries(len(bs))
	for i, b := range bs {
		out.vals[i], out.ok[i] = b.value(s)
	}
	return out
}
