package cwemu_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

func at(hhmmss string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", "2026-11-27 "+hhmmss)
	if err != nil {
		panic(err)
	}
	return t
}

var webDims = []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}}

// statQuery is a metric query of namespace Stepscaler/Test, ServiceName=web.
func statQuery(id, metric, stat string, period int32) types.MetricDataQuery {
	return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
		Metric: &types.Metric{Namespace: aws.String("Stepscaler/Test"), MetricName: aws.String(metric), Dimensions: webDims},
		Period: aws.Int32(period), Stat: aws.String(stat),
	}}
}

// series is a result as "HH:MM:SS=value ..." in the order returned.
func series(r types.MetricDataResult) string {
	if len(r.Timestamps) != len(r.Values) {
		return fmt.Sprintf("%d timestamps, %d values", len(r.Timestamps), len(r.Values))
	}
	var parts []string
	for i, ts := range r.Timestamps {
		parts = append(parts, ts.UTC().Format("15:04:05")+"="+fmt.Sprint(r.Values[i]))
	}
	return strings.Join(parts, " ")
}

func (e *env) getData(t *testing.T, in *cloudwatch.GetMetricDataInput) map[string]types.MetricDataResult {
	t.Helper()
	out, err := e.client.GetMetricData(ctx, in)
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	results := map[string]types.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		if r.StatusCode != types.StatusCodeComplete {
			t.Errorf("%s: StatusCode %s, want Complete", aws.ToString(r.Id), r.StatusCode)
		}
		results[aws.ToString(r.Id)] = r
	}
	return results
}

// Five-minute periods from a StartTime that "CloudWatch rounds ... down to the nearest
// whole minute" (GetMetricData, StartTime): 09:30:34 starts the periods at 09:30:00.
// The statistics are worked out by hand from the values put in each period; the empty
// period 09:40 is absent.
func TestGetMetricDataAggregatesPeriods(t *testing.T) {
	e := start(t, cwemu.Options{})
	for _, p := range []struct {
		at string
		v  float64
	}{{"09:30:05", 10}, {"09:31:50", 20}, {"09:34:59", 30}, {"09:35:00", 40}, {"09:39:00", 50}, {"09:45:30", 60}} {
		e.putValue(t, "Latency", at(p.at), p.v)
	}
	var queries []types.MetricDataQuery
	for _, stat := range []string{"Sum", "Average", "SampleCount", "Minimum", "Maximum"} {
		queries = append(queries, statQuery(strings.ToLower(stat), "Latency", stat, 300))
	}
	want := map[string]string{
		"sum":         "09:45:00=60 09:35:00=90 09:30:00=60",
		"average":     "09:45:00=60 09:35:00=45 09:30:00=20",
		"samplecount": "09:45:00=1 09:35:00=2 09:30:00=3",
		"minimum":     "09:45:00=60 09:35:00=40 09:30:00=10",
		"maximum":     "09:45:00=60 09:35:00=50 09:30:00=30",
	}
	got := e.getData(t, &cloudwatch.GetMetricDataInput{MetricDataQueries: queries, StartTime: aws.Time(at("09:30:34")), EndTime: aws.Time(at("09:50:00"))})
	for id, w := range want {
		if s := series(got[id]); s != w {
			t.Errorf("%s: %s, want %s (newest first)", id, s, w)
		}
		if l := aws.ToString(got[id].Label); l != "Latency" {
			t.Errorf("%s: label %q, want the metric name", id, l)
		}
	}
	asc := e.getData(t, &cloudwatch.GetMetricDataInput{MetricDataQueries: queries[:1], StartTime: aws.Time(at("09:30:34")), EndTime: aws.Time(at("09:50:00")), ScanBy: types.ScanByTimestampAscending})
	if s := series(asc["sum"]); s != "09:30:00=60 09:35:00=90 09:45:00=60" {
		t.Errorf("TimestampAscending: %s", s)
	}
}

// "If you set Period to 5, 10, 20, or 30, the start time of your request is rounded down
// to the nearest time that corresponds to even 5-, 10-, 20-, or 30-second divisions of a
// minute." (GetMetricData, StartTime): from 09:59:13 the 10-second periods start at
// 09:59:10. High-resolution data keeps its seconds.
func TestGetMetricDataHighResolution(t *testing.T) {
	e := start(t, cwemu.Options{})
	for _, p := range []struct {
		at string
		v  float64
	}{{"09:59:12", 1}, {"09:59:18", 3}, {"09:59:25", 5}} {
		e.putData(t, types.MetricDatum{MetricName: aws.String("Hits"), Dimensions: webDims, Timestamp: aws.Time(at(p.at)), Value: aws.Float64(p.v), StorageResolution: aws.Int32(1)})
	}
	// Standard-resolution data is stored by the minute: it falls in the period that
	// starts on the minute.
	e.putData(t, types.MetricDatum{MetricName: aws.String("Hits"), Dimensions: webDims, Timestamp: aws.Time(at("09:58:45")), Value: aws.Float64(100)})
	got := e.getData(t, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{statQuery("h", "Hits", "Sum", 10)},
		StartTime:         aws.Time(at("09:58:03")), EndTime: aws.Time(at("09:59:30")), ScanBy: types.ScanByTimestampAscending,
	})
	if s := series(got["h"]); s != "09:58:00=100 09:59:10=4 09:59:20=5" {
		t.Errorf("10-second periods: %s, want 09:58:00=100 09:59:10=4 09:59:20=5", s)
	}
}

// Start times further back are rounded to 5 minutes (15 to 63 days ago) and to the hour
// (more than 63 days ago). FILL makes every period of the range visible.
func TestGetMetricDataRoundsOldStartTimes(t *testing.T) {
	e := start(t, cwemu.Options{})
	fill := func(period int32) []types.MetricDataQuery {
		q := statQuery("m1", "Nothing", "Sum", period)
		q.ReturnData = aws.Bool(false)
		return []types.MetricDataQuery{q, {Id: aws.String("e1"), Expression: aws.String("FILL(m1, 7)")}}
	}
	tests := []struct {
		start  time.Time
		span   time.Duration
		period int32
		want   string
	}{
		// 10:02:34, 20 days ago: 10:00; periods until 10:12:34.
		{t0.Add(-20*24*time.Hour + 154*time.Second), 10 * time.Minute, 300, "10:00:00=7 10:05:00=7 10:10:00=7"},
		// 10:32:34, 70 days ago: 10:00; periods until 11:12:34.
		{t0.Add(-70*24*time.Hour + 32*time.Minute + 34*time.Second), 40 * time.Minute, 3600, "10:00:00=7 11:00:00=7"},
		// 08:02:34, two hours ago: the minute, 08:02.
		{t0.Add(-2*time.Hour + 154*time.Second), 10 * time.Minute, 300, "08:02:00=7 08:07:00=7 08:12:00=7"},
	}
	for _, tt := range tests {
		got := e.getData(t, &cloudwatch.GetMetricDataInput{MetricDataQueries: fill(tt.period), StartTime: aws.Time(tt.start), EndTime: aws.Time(tt.start.Add(tt.span)), ScanBy: types.ScanByTimestampAscending})
		if s := series(got["e1"]); s != tt.want {
			t.Errorf("start %v: %s, want %s", tt.start, s, tt.want)
		}
	}
}

// Percentiles from raw values: of 1..10, p90 is 9 (nine of the ten values are at or
// below it), p50 5, p10 1, p100 10. With Values/Counts, 9 ones and a hundred: p90 is 1,
// p95 100, and the average (9 + 100) / 10 = 10.9.
func TestGetMetricDataPercentiles(t *testing.T) {
	e := start(t, cwemu.Options{})
	for v := 1; v <= 10; v++ {
		e.putValue(t, "Latency", at("09:50:00").Add(time.Duration(v)*time.Second), float64(v))
	}
	e.putData(t, types.MetricDatum{MetricName: aws.String("Weighted"), Dimensions: webDims, Timestamp: aws.Time(at("09:50:30")),
		Values: []float64{1, 100}, Counts: []float64{9, 1}})
	got := e.getData(t, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			statQuery("p90", "Latency", "p90", 60), statQuery("p50", "Latency", "p50", 60),
			statQuery("p10", "Latency", "p10", 60), statQuery("p100", "Latency", "p100", 60),
			statQuery("wp90", "Weighted", "p90", 60), statQuery("wp95", "Weighted", "p95.5", 60),
			statQuery("wavg", "Weighted", "Average", 60), statQuery("wn", "Weighted", "SampleCount", 60),
		},
		StartTime: aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:51:00")),
	})
	want := map[string]string{
		"p90": "09:50:00=9", "p50": "09:50:00=5", "p10": "09:50:00=1", "p100": "09:50:00=10",
		"wp90": "09:50:00=1", "wp95": "09:50:00=100", "wavg": "09:50:00=10.9", "wn": "09:50:00=10",
	}
	for id, w := range want {
		if s := series(got[id]); s != w {
			t.Errorf("%s: %s, want %s", id, s, w)
		}
	}
}

// "If you publish data using a statistic set instead, you can only retrieve percentile
// statistics for this data if ... The Min and Max are equal, and Sum is equal to Min
// multiplied by SampleCount." (PutMetricData) "Percentile statistics are not available
// for metrics when any of the metric values are negative numbers." (GetMetricStatistics)
func TestGetMetricDataStatisticSetsAndNegatives(t *testing.T) {
	e := start(t, cwemu.Options{})
	set := func(metric string, n, sum, lo, hi float64) types.MetricDatum {
		return types.MetricDatum{MetricName: aws.String(metric), Dimensions: webDims, Timestamp: aws.Time(at("09:50:00")),
			StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(n), Sum: aws.Float64(sum), Minimum: aws.Float64(lo), Maximum: aws.Float64(hi)}}
	}
	e.putData(t, set("Uniform", 4, 20, 5, 5), set("Spread", 3, 12, 2, 6))
	for _, v := range []float64{-1, 2, 3} {
		e.putValue(t, "Signed", at("09:50:00"), v)
	}
	got := e.getData(t, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			statQuery("up50", "Uniform", "p50", 60), statQuery("uavg", "Uniform", "Average", 60),
			statQuery("sp50", "Spread", "p50", 60), statQuery("savg", "Spread", "Average", 60), statQuery("smax", "Spread", "Maximum", 60),
			statQuery("np50", "Signed", "p50", 60), statQuery("nmin", "Signed", "Minimum", 60),
		},
		StartTime: aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:51:00")),
	})
	want := map[string]string{
		"up50": "09:50:00=5", "uavg": "09:50:00=5",
		"sp50": "", "savg": "09:50:00=4", "smax": "09:50:00=6",
		"np50": "", "nmin": "09:50:00=-1",
	}
	for id, w := range want {
		if s := series(got[id]); s != w {
			t.Errorf("%s: %q, want %q", id, s, w)
		}
	}
}

// A query's dimensions must equal the metric's, in any order; units filter when given.
func TestGetMetricDataMatchesDimensionsAndUnits(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putData(t,
		types.MetricDatum{MetricName: aws.String("Dims"), Timestamp: aws.Time(at("09:50:00")), Value: aws.Float64(1),
			Dimensions: []types.Dimension{{Name: aws.String("A"), Value: aws.String("1")}, {Name: aws.String("B"), Value: aws.String("2")}}},
		types.MetricDatum{MetricName: aws.String("Units"), Dimensions: webDims, Timestamp: aws.Time(at("09:50:00")), Value: aws.Float64(10), Unit: types.StandardUnitCount},
		types.MetricDatum{MetricName: aws.String("Units"), Dimensions: webDims, Timestamp: aws.Time(at("09:50:00")), Value: aws.Float64(20), Unit: types.StandardUnitPercent},
	)
	query := func(id string, ds ...string) types.MetricDataQuery {
		q := statQuery(id, "Dims", "Sum", 60)
		q.MetricStat.Metric.Dimensions = nil
		for i := 0; i < len(ds); i += 2 {
			q.MetricStat.Metric.Dimensions = append(q.MetricStat.Metric.Dimensions, types.Dimension{Name: aws.String(ds[i]), Value: aws.String(ds[i+1])})
		}
		return q
	}
	unit := func(id string, u types.StandardUnit) types.MetricDataQuery {
		q := statQuery(id, "Units", "Sum", 60)
		q.MetricStat.Unit = u
		return q
	}
	got := e.getData(t, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			query("swapped", "B", "2", "A", "1"), query("subset", "A", "1"), query("none"), query("other", "A", "1", "B", "3"),
			unit("all", ""), unit("count", types.StandardUnitCount), unit("seconds", types.StandardUnitSeconds),
		},
		StartTime: aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:51:00")),
	})
	want := map[string]string{
		"swapped": "09:50:00=1", "subset": "", "none": "", "other": "",
		"all": "09:50:00=30", "count": "09:50:00=10", "seconds": "",
	}
	for id, w := range want {
		if s := series(got[id]); s != w {
			t.Errorf("%s: %q, want %q", id, s, w)
		}
	}
}

func TestGetMetricDataPaginates(t *testing.T) {
	e := start(t, cwemu.Options{})
	for i, v := range []float64{10, 20, 30, 50} {
		e.putValue(t, "Latency", at("09:50:00").Add(time.Duration(i)*time.Minute), v)
	}
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{statQuery("m1", "Latency", "Sum", 60)},
		StartTime:         aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:55:00")), MaxDatapoints: aws.Int32(3),
	}
	first, err := e.client.GetMetricData(ctx, in)
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	if r := first.MetricDataResults[0]; series(r) != "09:53:00=50 09:52:00=30 09:51:00=20" || r.StatusCode != types.StatusCodePartialData || first.NextToken == nil {
		t.Errorf("first page: %s %s token %v", series(r), r.StatusCode, first.NextToken)
	}
	var values []float64
	p := cloudwatch.NewGetMetricDataPaginator(e.client, in)
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("paginator: %v", err)
		}
		pages++
		values = append(values, out.MetricDataResults[0].Values...)
	}
	if fmt.Sprint(values) != "[50 30 20 10]" || pages != 2 {
		t.Errorf("paginator: %v in %d pages, want [50 30 20 10] in 2", values, pages)
	}
	in.NextToken = aws.String("bogus")
	var bad *types.InvalidNextToken
	_, err = e.client.GetMetricData(ctx, in)
	wantAPIError(t, err, "InvalidNextToken", 400, &bad)
}

func TestGetMetricDataValidation(t *testing.T) {
	e := start(t, cwemu.Options{})
	var queries []types.MetricDataQuery
	for i := range 501 {
		queries = append(queries, statQuery(fmt.Sprintf("q%d", i), "Latency", "Sum", 60))
	}
	tests := []struct {
		name    string
		in      cloudwatch.GetMetricDataInput
		message string
	}{
		{"501 queries", cloudwatch.GetMetricDataInput{MetricDataQueries: queries}, "Member must have length less than or equal to 500"},
		{"start after end", cloudwatch.GetMetricDataInput{MetricDataQueries: queries[:1], StartTime: aws.Time(at("09:51:00")), EndTime: aws.Time(at("09:50:00"))}, "StartTime must be less than"},
		{"period", cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{statQuery("m", "Latency", "Sum", 90)}}, "the period can be 1, 5, 10, 20, 30, 60, or any multiple of 60"},
		{"statistic", cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{statQuery("m", "Latency", "Median", 60)}}, "not a valid statistic"},
		{"unsupported statistic", cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{statQuery("m", "Latency", "IQM", 60)}}, "does not support the statistic IQM"},
	}
	for _, tt := range tests {
		if tt.in.StartTime == nil {
			tt.in.StartTime, tt.in.EndTime = aws.Time(at("09:50:00")), aws.Time(at("09:51:00"))
		}
		var validation *types.ValidationException
		_, err := e.client.GetMetricData(ctx, &tt.in)
		wantAPIError(t, err, "ValidationError", 400, &validation)
		if err != nil && !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.message)
		}
	}
}

func TestPutMetricDataValidation(t *testing.T) {
	e := start(t, cwemu.Options{})
	datum := func(edit func(*types.MetricDatum)) types.MetricDatum {
		d := types.MetricDatum{MetricName: aws.String("Latency"), Dimensions: webDims, Value: aws.Float64(1)}
		if edit != nil {
			edit(&d)
		}
		return d
	}
	many := make([]types.MetricDatum, 1001)
	for i := range many {
		many[i] = datum(nil)
	}
	var (
		value       *types.InvalidParameterValueException
		combination *types.InvalidParameterCombinationException
		missing     *types.MissingRequiredParameterException
	)
	check := func(name, namespace string, data []types.MetricDatum, code, message string, target func(error)) {
		t.Helper()
		_, err := e.client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(namespace), MetricData: data})
		target(err)
		if err != nil && !strings.Contains(err.Error(), message) {
			t.Errorf("%s: %v, want %q", name, err, message)
		}
	}
	isValue := func(err error) { wantAPIError(t, err, "InvalidParameterValue", 400, &value) }
	isCombination := func(err error) { wantAPIError(t, err, "InvalidParameterCombination", 400, &combination) }
	isMissing := func(err error) { wantAPIError(t, err, "MissingParameter", 400, &missing) }

	check("1001 datums", "Stepscaler/Test", many, "InvalidParameterValue", "The collection MetricData must not have a size greater than 1000.", isValue)
	check("15 days old", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.Timestamp = aws.Time(t0.Add(-15 * 24 * time.Hour)) })},
		"", "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.", isValue)
	check("3 hours ahead", "Stepscaler/Test", []types.MetricDatum{datum(nil), datum(func(d *types.MetricDatum) { d.Timestamp = aws.Time(t0.Add(3 * time.Hour)) })},
		"", "MetricData.member.2.Timestamp must specify a time no more than two hours in the future", isValue)
	check("value and set", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) {
		d.StatisticValues = &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}
	})}, "", "mutually exclusive", isCombination)
	check("no value", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.Value = nil })}, "", "At least one of the parameters", isMissing)
	check("151 values", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.Value, d.Values = nil, make([]float64, 151) })},
		"", "must not have a size greater than 150", isValue)
	check("counts", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.Value, d.Values, d.Counts = nil, []float64{1, 2}, []float64{1} })},
		"", "must be of the same size", isCombination)
	check("AWS namespace", "AWS/ECS", []types.MetricDatum{datum(nil)}, "", "The value AWS/ECS for parameter Namespace is invalid.", isValue)
	check("NaN", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.Value = aws.Float64(math.NaN()) })}, "", "MetricData.member.1.Value is invalid", isValue)
	check("2^361", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.Value = aws.Float64(math.Ldexp(1, 361)) })}, "", "is invalid", isValue)
	check("storage resolution", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) { d.StorageResolution = aws.Int32(5) })}, "", "StorageResolution must be 1 or 60", isValue)
	check("maximum below minimum", "Stepscaler/Test", []types.MetricDatum{datum(func(d *types.MetricDatum) {
		d.Value, d.StatisticValues = nil, &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(2), Maximum: aws.Float64(1)}
	})}, "", "The parameter MetricData.member.1.StatisticValues.Maximum must be greater than", isValue)
	check("no data", "Stepscaler/Test", nil, "", "The parameter MetricData is required.", isMissing)
	var validation *types.ValidationException
	_, err := e.client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Stepscaler/Test"), StrictEntityValidation: aws.Bool(true),
		EntityMetricData: []types.EntityMetricData{{
			Entity:     &types.Entity{KeyAttributes: map[string]string{"Type": "Service", "Name": "web", "Environment": "prod"}},
			MetricData: []types.MetricDatum{datum(nil)},
		}}})
	wantAPIError(t, err, "ValidationError", 400, &validation)
	if err != nil && !strings.Contains(err.Error(), "does not support EntityMetricData") {
		t.Errorf("entity data: %v", err)
	}

	// The rejected requests stored nothing, not even their valid datums; the limits are
	// inclusive of their edges.
	edges := []types.MetricDatum{
		datum(func(d *types.MetricDatum) { d.Timestamp = aws.Time(t0.Add(-13 * 24 * time.Hour)) }),
		datum(func(d *types.MetricDatum) { d.Timestamp = aws.Time(t0.Add(119 * time.Minute)) }),
	}
	e.putData(t, edges...)
	got := e.getData(t, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{statQuery("n", "Latency", "SampleCount", 60)},
		StartTime:         aws.Time(t0.Add(-14 * 24 * time.Hour)), EndTime: aws.Time(t0.Add(2 * time.Hour)),
	})
	if s := series(got["n"]); s != "11:59:00=1 10:00:00=1" {
		t.Errorf("stored: %s, want only the two edge datums", s)
	}
}

// The SDK gzips PutMetricData bodies of 10 KiB or more; the emulator reads them.
func TestPutMetricDataGzip(t *testing.T) {
	t.Parallel()
	c := newClock(t0)
	emu, err := cwemu.New(cwemu.Options{Clock: c.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	var mu sync.Mutex
	var encodings []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		encodings = append(encodings, r.Header.Get("Content-Encoding"))
		mu.Unlock()
		emu.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := &env{emu: emu, client: newClient(srv.URL, region), clock: c}

	var data []types.MetricDatum
	for i := range 300 {
		data = append(data, types.MetricDatum{MetricName: aws.String("Latency"), Dimensions: webDims, Timestamp: aws.Time(at("09:50:00")), Value: aws.Float64(float64(i))})
	}
	e.putData(t, data...)
	got := e.getData(t, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{statQuery("n", "Latency", "SampleCount", 60), statQuery("s", "Latency", "Sum", 60)},
		StartTime:         aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:51:00")),
	})
	mu.Lock()
	defer mu.Unlock()
	if len(encodings) < 1 || encodings[0] != "gzip" {
		t.Errorf("Content-Encoding of PutMetricData: %q, want gzip", encodings)
	}
	// 0 + 1 + ... + 299 = 299 · 300 / 2 = 44850.
	if n, s := series(got["n"]), series(got["s"]); n != "09:50:00=300" || s != "09:50:00=44850" {
		t.Errorf("stored %s and %s, want 300 samples summing to 44850", n, s)
	}
}
