package cwemu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

// mathEnv holds two one-minute series over 09:50..09:54, "-" for a missing period:
//
//	m1: 10 20 30  - 50
//	m2:  2  0  -  4  5
func mathEnv(t *testing.T) *env {
	e := start(t, cwemu.Options{})
	for i, v := range []float64{10, 20, 30, -1, 50} {
		if v >= 0 {
			e.putValue(t, "M1", at("09:50:00").Add(minutes(i)), v)
		}
	}
	for i, v := range []float64{2, 0, -1, 4, 5} {
		if v >= 0 {
			e.putValue(t, "M2", at("09:50:00").Add(minutes(i)), v)
		}
	}
	return e
}

func (e *env) evalExpressions(t *testing.T, exprs ...string) (map[string]types.MetricDataResult, error) {
	t.Helper()
	m1, m2 := statQuery("m1", "M1", "Sum", 60), statQuery("m2", "M2", "Sum", 60)
	m1.ReturnData, m2.ReturnData = aws.Bool(false), aws.Bool(false)
	queries := []types.MetricDataQuery{m1, m2}
	for i, x := range exprs {
		queries = append(queries, types.MetricDataQuery{Id: aws.String("e" + string(rune('a'+i))), Expression: aws.String(x)})
	}
	out, err := e.client.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries, StartTime: aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:55:00")), ScanBy: types.ScanByTimestampAscending,
	})
	if err != nil {
		return nil, err
	}
	results := map[string]types.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		results[aws.ToString(r.Id)] = r
	}
	return results, nil
}

// Each expected series is worked out by hand from the guide's rules: "Missing values in
// a time series are treated as 0. If the value of a data point causes a function to
// attempt to divide by zero, the data point is dropped." (basic arithmetic); AVG and SUM
// of an array treat missing values as 0; AVG, MIN, MAX of one series are numbers.
func TestMetricMath(t *testing.T) {
	e := mathEnv(t)
	tests := []struct{ expr, want string }{
		{"m1 + m2", "09:50:00=12 09:51:00=20 09:52:00=30 09:53:00=4 09:54:00=55"},
		{"m1 / m2", "09:50:00=5 09:53:00=0 09:54:00=10"}, // 20/0 and 30/missing dropped
		{"-m1 * 2", "09:50:00=-20 09:51:00=-40 09:52:00=-60 09:54:00=-100"},
		{"(m1 + 10) / 10", "09:50:00=2 09:51:00=3 09:52:00=4 09:54:00=6"},
		{"m1 - AVG(m1)", "09:50:00=-17.5 09:51:00=-7.5 09:52:00=2.5 09:54:00=22.5"}, // AVG = 110 / 4
		{"m1 / MAX(m1) * 100", "09:50:00=20 09:51:00=40 09:52:00=60 09:54:00=100"},
		{"m2 - MIN(m2) + SUM(m2)", "09:50:00=13 09:51:00=11 09:53:00=15 09:54:00=16"}, // MIN 0, SUM 11
		{"SUM([m1, m2])", "09:50:00=12 09:51:00=20 09:52:00=30 09:53:00=4 09:54:00=55"},
		{"AVG([m1, m2])", "09:50:00=6 09:51:00=10 09:52:00=15 09:53:00=2 09:54:00=27.5"},
		{"MAX([m1, m2])", "09:50:00=10 09:51:00=20 09:52:00=30 09:53:00=4 09:54:00=50"},
		{"MIN([m1, m2])", "09:50:00=2 09:51:00=0 09:52:00=30 09:53:00=4 09:54:00=5"},
		{"SUM([m1, m2] * 2)", "09:50:00=24 09:51:00=40 09:52:00=60 09:53:00=8 09:54:00=110"},
		{"FILL(m1, 0)", "09:50:00=10 09:51:00=20 09:52:00=30 09:53:00=0 09:54:00=50"},
		{"FILL(m2, -1.5)", "09:50:00=2 09:51:00=0 09:52:00=-1.5 09:53:00=4 09:54:00=5"},
		{"ABS(m2 - m1)", "09:50:00=8 09:51:00=20 09:52:00=30 09:53:00=4 09:54:00=45"},
		{"m1 ^ 2", "09:50:00=100 09:51:00=400 09:52:00=900 09:54:00=2500"},
		{"2 ^ 3 * m2 / 4", "09:50:00=4 09:51:00=0 09:53:00=8 09:54:00=10"},
		{"MAX(FILL([m1, m2], 1))", "09:50:00=10 09:51:00=20 09:52:00=30 09:53:00=4 09:54:00=50"},
	}
	for _, tt := range tests {
		got, err := e.evalExpressions(t, tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		r := got["ea"]
		if s := series(r); s != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, s, tt.want)
		}
		if aws.ToString(r.Label) != "ea" {
			t.Errorf("%s: label %q, want the Id", tt.expr, aws.ToString(r.Label))
		}
	}
}

// An expression can use another, whether or not that one is returned.
func TestMetricMathChainsExpressions(t *testing.T) {
	e := mathEnv(t)
	m1, m2 := statQuery("m1", "M1", "Sum", 60), statQuery("m2", "M2", "Sum", 60)
	out, err := e.client.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("total"), Expression: aws.String("double / 2 + m1"), Label: aws.String("Total")},
			{Id: aws.String("double"), Expression: aws.String("(m1 + m2) * 2"), ReturnData: aws.Bool(false)},
			m1, m2,
		},
		StartTime: aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:55:00")), ScanBy: types.ScanByTimestampAscending,
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	var ids []string
	for _, r := range out.MetricDataResults {
		ids = append(ids, aws.ToString(r.Id))
	}
	if strings.Join(ids, ",") != "total,m1,m2" {
		t.Errorf("results %v, want total, m1, m2 (double is not returned)", ids)
	}
	if r := out.MetricDataResults[0]; series(r) != "09:50:00=22 09:51:00=40 09:52:00=60 09:53:00=4 09:54:00=105" || aws.ToString(r.Label) != "Total" {
		t.Errorf("total = %s (%q)", series(r), aws.ToString(r.Label))
	}
}

func TestMetricMathErrors(t *testing.T) {
	e := mathEnv(t)
	tests := []struct{ expr, message string }{
		{"RATE(m1)", "The local CloudWatch emulator does not support the function RATE"},
		{"IF(m1, m1, 0)", "does not support the function IF"},
		{"m1 >= 3", "does not support the operator >="},
		{"FILL(m1, REPEAT)", "does not support FILL with REPEAT"},
		{"FILL(m1, m2)", "does not support FILL with anything but a number"},
		{"MAX([m1, 1])", "does not support a number inside an array of time series"},
		{"[m1, m2]", "does not support an expression whose result is an array of time series"},
		{"MAX(m1)", "the final result of a math expression must be a time series"},
		{"m1 + q9", "unrecognized metric id q9"},
		{"m1 +", "Error in expression ea"},
		{"FOO(m1)", "unknown function FOO"},
		{"ABS(2) + m1", "ABS takes a time series"},
		{"TIME_SERIES(5) * 2", "does not support the function TIME_SERIES"},
	}
	for _, tt := range tests {
		_, err := e.evalExpressions(t, tt.expr)
		var validation *types.ValidationException
		wantAPIError(t, err, "ValidationError", 400, &validation)
		if err != nil && !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: %v, want %q", tt.expr, err, tt.message)
		}
	}
}

// Metrics of different periods in one expression would need a rule CloudWatch does not
// document; the emulator refuses them.
func TestMetricMathRefusesMixedPeriods(t *testing.T) {
	e := mathEnv(t)
	_, err := e.client.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			statQuery("m1", "M1", "Sum", 60), statQuery("m5", "M1", "Sum", 300),
			{Id: aws.String("e1"), Expression: aws.String("m1 + m5")},
		},
		StartTime: aws.Time(at("09:50:00")), EndTime: aws.Time(at("09:55:00")),
	})
	wantAPIError(t, err, "ValidationError", 400, noTarget)
	if err != nil && !strings.Contains(err.Error(), "different periods") {
		t.Errorf("mixed periods: %v", err)
	}
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }
