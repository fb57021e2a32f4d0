package cwemu

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// GetMetricData limits, from its API Reference: "A single GetMetricData call can include
// as many as 500 MetricDataQuery structures", and MaxDatapoints defaults to 100,800.
const (
	maxQueries           = 500
	defaultMaxDatapoints = 100800
	// maxPeriods bounds the periods one query spans, which the emulator evaluates
	// densely: two weeks (the age limit of PutMetricData) at one-minute periods is
	// 20,160, at one-second periods 1,209,600.
	maxPeriods = 1 << 21
)

var scanByValues = []string{"TimestampDescending", "TimestampAscending"}

// getMetricData returns metric data and metric math results, as the GetMetricData API
// Reference says: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
// Each query's periods start at StartTime rounded as documented (startTime) and end
// before EndTime; a period without data is absent from the result, as in CloudWatch.
func (e *Emulator) getMetricData(c *call, in *getMetricDataInput) (getMetricDataOutput, error) {
	if err := checkGetMetricData(in); err != nil {
		return getMetricDataOutput{}, err
	}
	qs, err := parseQueries(in.MetricDataQueries, queryOptions{member: "MetricDataQueries", accountID: e.opts.AccountID})
	if err != nil {
		return getMetricDataOutput{}, err
	}
	byID := map[string]query{}
	for _, q := range qs {
		byID[q.id] = q
	}
	start, end := in.StartTime.UTC(), in.EndTime.UTC()
	resolvers := map[int]*resolver{} // one per period: queries of one period share a grid
	var results []metricResult
	for _, q := range qs {
		if !q.returnData {
			continue
		}
		p, ok, err := period(q, byID)
		switch {
		case err != nil:
			return getMetricDataOutput{}, err
		case !ok:
			return getMetricDataOutput{}, unsupported("an expression that uses no metric (query %s)", q.id)
		}
		r := resolvers[p]
		if r == nil {
			g, err := queryGrid(start, end, p, c.now)
			if err != nil {
				return getMetricDataOutput{}, err
			}
			r = e.newResolver(qs, g)
			resolvers[p] = r
		}
		s, err := r.series(q.id)
		if err != nil {
			return getMetricDataOutput{}, err
		}
		results = append(results, newMetricResult(q, r.g, s, in.ScanBy != "TimestampAscending"))
	}
	return paginate(results, in)
}

func checkGetMetricData(in *getMetricDataInput) error {
	switch {
	case len(in.MetricDataQueries) == 0:
		return missingParameter("MetricDataQueries")
	case len(in.MetricDataQueries) > maxQueries:
		return lengthAtMost("[...]", "metricDataQueries", maxQueries)
	case in.StartTime == nil:
		return missingParameter("StartTime")
	case in.EndTime == nil:
		return missingParameter("EndTime")
	case !in.StartTime.Before(*in.EndTime):
		return validationError("The parameter StartTime must be less than the parameter EndTime.")
	case in.ScanBy != "" && in.ScanBy != scanByValues[0] && in.ScanBy != scanByValues[1]:
		return enumValue(in.ScanBy, "scanBy", scanByValues)
	case in.MaxDatapoints != nil && *in.MaxDatapoints < 1:
		return valueAtLeast(*in.MaxDatapoints, "maxDatapoints", 1)
	}
	return nil
}

// queryGrid is the run of periods a query returns: from StartTime rounded down, as "CloudWatch
// rounds the specified time stamp" (GetMetricData, StartTime): to an even multiple of the
// period within the minute for periods of 1 to 30 seconds; otherwise to the minute when
// it is less than 15 days ago, to 5 minutes up to 63 days ago, to the hour beyond; and
// up to EndTime, exclusive.
func queryGrid(start, end time.Time, periodSeconds int, now time.Time) (grid, error) {
	p := seconds(periodSeconds)
	switch age := now.Sub(start); {
	case periodSeconds < 60:
		start = start.Truncate(p)
	case age < 15*24*time.Hour:
		start = start.Truncate(time.Minute)
	case age < 63*24*time.Hour:
		start = start.Truncate(5 * time.Minute)
	default:
		start = start.Truncate(time.Hour)
	}
	n := int((end.Sub(start) + p - 1) / p)
	if n > maxPeriods {
		return grid{}, unsupported("a query spanning more than %d periods; shorten the time range or lengthen the period", maxPeriods)
	}
	return grid{start: start, period: p, n: n}, nil
}

// metricResult is one query's datapoints, in the order ScanBy asks for.
type metricResult struct {
	id, label  string
	timestamps []time.Time
	values     []float64
}

func newMetricResult(q query, g grid, s series, newestFirst bool) metricResult {
	r := metricResult{id: q.id, label: q.wire.Label}
	if r.label == "" {
		// CloudWatch generates a default label: the metric name for a metric, the Id
		// for an expression here.
		r.label = q.id
		if q.stat != nil {
			r.label = q.stat.metric.name
		}
	}
	for j := range g.n {
		i := j
		if newestFirst {
			i = g.n - 1 - j
		}
		if s.ok[i] {
			r.timestamps = append(r.timestamps, g.at(i))
			r.values = append(r.values, s.vals[i])
		}
	}
	return r
}

// paginate cuts the results into pages of MaxDatapoints datapoints, taking the results
// in query order: "TimestampDescending returns the newest data first and paginates when
// the MaxDatapoints limit is reached." A result with datapoints left for a later page
// has StatusCode PartialData.
func paginate(results []metricResult, in *getMetricDataInput) (getMetricDataOutput, error) {
	limit := defaultMaxDatapoints
	if in.MaxDatapoints != nil {
		limit = int(*in.MaxDatapoints)
	}
	total := 0
	for _, r := range results {
		total += len(r.values)
	}
	offset := 0
	if in.NextToken != nil {
		var err error
		if offset, err = readDataToken(*in.NextToken, total); err != nil {
			return getMetricDataOutput{}, err
		}
	}
	out := getMetricDataOutput{MetricDataResults: []wireMetricDataResult{}, Messages: []wireMessage{}}
	seen, room := 0, limit
	for _, r := range results {
		from := min(max(offset-seen, 0), len(r.values))
		to := min(from+room, len(r.values))
		seen += len(r.values)
		room -= to - from
		status := "Complete"
		if to < len(r.values) {
			status = "PartialData"
		}
		out.MetricDataResults = append(out.MetricDataResults, wireMetricDataResult{
			ID:         r.id,
			Label:      r.label,
			Timestamps: epochTimes(r.timestamps[from:to]),
			Values:     append([]float64{}, r.values[from:to]...),
			StatusCode: status,
		})
	}
	if next := offset + limit; next < total {
		out.NextToken = dataToken{Offset: next}.String()
	}
	return out, nil
}

// dataToken is GetMetricData's opaque NextToken: how many datapoints earlier pages held.
type dataToken struct {
	Offset int `json:"offset"`
}

func (t dataToken) String() string {
	b, _ := json.Marshal(t) // an int field: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func readDataToken(s string, total int) (int, error) {
	var t dataToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Offset <= 0 || t.Offset > total {
		return 0, errorf("InvalidNextToken", "The service returned an invalid NextToken.")
	}
	return t.Offset, nil
}

func epochTimes(ts []time.Time) []epochTime {
	out := make([]epochTime, len(ts))
	for i, t := range ts {
		out[i] = epochTime(t)
	}
	return out
}
