package cwemu

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// A MetricDataQuery list, as GetMetricData and metric-math alarms take it (API
// Reference, MetricDataQuery and MetricStat):
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html

// query is one validated MetricDataQuery: a metric query (stat set) or an expression.
type query struct {
	wire       wireQuery
	id         string
	returnData bool
	stat       *metricStat
	expr       node
}

type metricStat struct {
	metric metricRef
	period int // seconds
	stat   statistic
	unit   string
}

// "The valid characters are letters, numbers, and underscore. The first character must
// be a lowercase letter." (MetricDataQuery.Id)
var queryIDPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,254}$`)

// queryOptions say what the caller accepts beyond plain metric math.
type queryOptions struct {
	member    string // the list's member name, for messages: MetricDataQueries or Metrics
	accountID string // the emulator's account: AccountId may name only it
	// bandID is the query an anomaly-detection alarm compares with (ThresholdMetricId):
	// its expression is stored and never evaluated.
	bandID string
}

// parseQueries validates a MetricDataQuery list and the references between its
// expressions.
func parseQueries(in []wireQuery, opts queryOptions) ([]query, error) {
	out := make([]query, 0, len(in))
	ids := map[string]bool{}
	for i, w := range in {
		at := fmt.Sprintf("%s.member.%d", opts.member, i+1)
		q, err := parseQuery(w, at, opts)
		if err != nil {
			return nil, err
		}
		if ids[q.id] {
			return nil, validationError("The value %s of parameter %s.Id is not unique: every query Id must be unique within the request.", q.id, at)
		}
		ids[q.id] = true
		out = append(out, q)
	}
	if err := checkReferences(out); err != nil {
		return nil, err
	}
	return out, nil
}

func parseQuery(w wireQuery, at string, opts queryOptions) (query, error) {
	q := query{wire: w, id: w.ID, returnData: w.ReturnData == nil || *w.ReturnData}
	switch {
	case w.ID == "":
		return q, missingParameter(at + ".Id")
	case !queryIDPattern.MatchString(w.ID):
		return q, validationError("The value %s for parameter %s.Id is invalid: an Id starts with a lower-case letter and holds only letters, numbers and underscores.", w.ID, at)
	case (w.MetricStat == nil) == (w.Expression == ""):
		return q, validationError("The query %s must specify either Expression or MetricStat, but not both.", w.ID)
	case w.AccountID != "" && w.AccountID != opts.accountID:
		return q, unsupported("cross-account queries (AccountId %s)", w.AccountID)
	}
	if w.MetricStat != nil {
		ms, err := parseMetricStat(*w.MetricStat, at+".MetricStat")
		if err != nil {
			return q, err
		}
		q.stat = &ms
		return q, nil
	}
	if len(w.Expression) > 2048 {
		return q, lengthAtMost(w.Expression, lowerFirst(at)+".expression", 2048)
	}
	if w.ID == opts.bandID && opts.bandID != "" {
		return q, nil // the anomaly band: kept, never evaluated
	}
	n, err := parseExpression(w.Expression)
	if err != nil {
		return q, expressionError(w.ID, err)
	}
	q.expr = n
	return q, nil
}

func parseMetricStat(w wireMetricStat, at string) (metricStat, error) {
	switch {
	case w.Metric == nil:
		return metricStat{}, missingParameter(at + ".Metric")
	case w.Metric.Namespace == "":
		return metricStat{}, missingParameter(at + ".Metric.Namespace")
	case w.Metric.MetricName == "":
		return metricStat{}, missingParameter(at + ".Metric.MetricName")
	case w.Period == nil:
		return metricStat{}, missingParameter(at + ".Period")
	case w.Stat == "":
		return metricStat{}, missingParameter(at + ".Stat")
	}
	if err := validDimensions(w.Metric.Dimensions, at+".Metric.Dimensions"); err != nil {
		return metricStat{}, err
	}
	if !validQueryPeriod(int(*w.Period)) {
		return metricStat{}, validationError("The value %d for parameter %s.Period is invalid: the period can be 1, 5, 10, 20, 30, 60, or any multiple of 60.", *w.Period, at)
	}
	st, ok, supported := parseStatistic(w.Stat)
	switch {
	case !ok:
		return metricStat{}, validationError("The value %s for parameter %s.Stat is not a valid statistic.", w.Stat, at)
	case !supported:
		return metricStat{}, unsupported("the statistic %s (SampleCount, Average, Sum, Minimum, Maximum and percentiles are)", w.Stat)
	}
	if w.Unit != "" && !slices.Contains(standardUnits, w.Unit) {
		return metricStat{}, enumValue(w.Unit, lowerFirst(at)+".unit", standardUnits)
	}
	return metricStat{
		metric: metricRef{namespace: w.Metric.Namespace, name: w.Metric.MetricName, dims: w.Metric.Dimensions},
		period: int(*w.Period),
		stat:   st,
		unit:   w.Unit,
	}, nil
}

// validQueryPeriod: "the period can be 1, 5, 10, 20, 30, 60, or any multiple of 60"
// (MetricStat.Period).
func validQueryPeriod(p int) bool {
	return slices.Contains([]int{1, 5, 10, 20, 30}, p) || (p >= 60 && p%60 == 0)
}

// checkReferences makes sure every id an expression uses names a query of the list,
// and that expressions do not refer to themselves, directly or not.
func checkReferences(qs []query) error {
	byID := map[string]query{}
	for _, q := range qs {
		byID[q.id] = q
	}
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var visit func(q query) error
	visit = func(q query) error {
		switch mark[q.id] {
		case visiting:
			return validationError("Error in expression %s: it refers to itself, directly or through other expressions.", q.id)
		case done:
			return nil
		}
		mark[q.id] = visiting
		for _, id := range refs(q.expr) {
			ref, ok := byID[id]
			if !ok {
				return validationError("Error in expression %s: unrecognized metric id %s.", q.id, id)
			}
			if err := visit(ref); err != nil {
				return err
			}
		}
		mark[q.id] = done
		return nil
	}
	for _, q := range qs {
		if err := visit(q); err != nil {
			return err
		}
	}
	return nil
}

// period is the period of q's data: its own for a metric query, that of the metric
// queries it uses for an expression, which must agree. ok is false for an expression
// that uses no metric.
func period(q query, byID map[string]query) (int, bool, error) {
	if q.stat != nil {
		return q.stat.period, true, nil
	}
	p, found := 0, false
	for _, id := range refs(q.expr) {
		rp, ok, err := period(byID[id], byID)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			continue
		}
		if found && rp != p {
			return 0, false, unsupported("an expression over metrics of different periods (%ds and %ds, in query %s)", p, rp, q.id)
		}
		p, found = rp, true
	}
	return p, found, nil
}

// resolver evaluates queries over one grid, each at most once.
type resolver struct {
	e    *Emulator
	byID map[string]query
	g    grid
	memo map[string]series
}

func (e *Emulator) newResolver(qs []query, g grid) *resolver {
	byID := make(map[string]query, len(qs))
	for _, q := range qs {
		byID[q.id] = q
	}
	return &resolver{e: e, byID: byID, g: g, memo: map[string]series{}}
}

// series returns the query's series over the grid. An expression must give a single
// time series, as "The final result of any math expression must be a single time series
// or an array of time series" requires; arrays as results the emulator does not support.
func (r *resolver) series(id string) (series, error) {
	if s, ok := r.memo[id]; ok {
		return s, nil
	}
	q := r.byID[id]
	var s series
	switch {
	case q.stat != nil:
		s = statSeries(r.e.buckets(q.stat.metric, q.stat.unit, r.g), q.stat.stat)
	case q.expr == nil:
		return series{}, unsupported("evaluating the anomaly detection band %s", id)
	default:
		ev := &evaluator{n: r.g.n, resolve: r.series}
		v, err := ev.eval(q.expr)
		var aerr *apiError
		switch {
		case errors.As(err, &aerr): // from an expression this one uses
			return series{}, aerr
		case err != nil:
			return series{}, expressionError(id, err)
		}
		switch v.kind {
		case scalarValue:
			return series{}, validationError("Error in expression %s: the result is a number; the final result of a math expression must be a time series.", id)
		case arrayValue:
			return series{}, unsupported("an expression whose result is an array of time series (query %s)", id)
		}
		s = v.ts
	}
	r.memo[id] = s
	return s, nil
}

func seconds(p int) time.Duration { return time.Duration(p) * time.Second }
