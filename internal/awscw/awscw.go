// Package awscw reads what Stepscaler needs from Amazon CloudWatch: the state and
// definition of the configured alarms, and an alarm's own metric over a window. It is the
// only package that knows CloudWatch's wire types.
package awscw

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/breach"
)

// Client is the part of the CloudWatch client Stepscaler uses.
type Client interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Describer is the part of the client the per-minute evaluation uses.
type Describer interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// MaxAlarmNames is DescribeAlarms' limit on AlarmNames per request, and the most alarms
// one page returns (MaxRecords, 1-100; DescribeAlarms, CloudWatch API Reference).
const MaxAlarmNames = 100

// Alarm is one alarm as DescribeAlarms reports it.
type Alarm struct {
	Name  string
	State string // OK, ALARM, INSUFFICIENT_DATA
	// Transitioned is StateTransitionedTimestamp, "the date and time that the alarm's
	// StateValue most recently changed" (CloudWatch API Reference); zero when none.
	Transitioned time.Time
	// Composite is true for a composite alarm, which has no metric.
	Composite bool
	// Threshold is nil for an anomaly-detection alarm, which compares with a band.
	Threshold         *float64
	Period            time.Duration
	EvaluationPeriods int
	// queries are the GetMetricData queries that read the alarm's metric (its one metric,
	// or its metric-math expression with the metrics it uses), and returnID the query
	// whose series the alarm evaluates.
	queries  []cwtypes.MetricDataQuery
	returnID string
}

// DescribeAlarms reads the named alarms, as few requests as the API allows (100 names
// each), following NextToken. state, when not empty, asks only for alarms in that state.
// Composite alarms are asked for only with composites: CloudWatch returns them only to a
// caller allowed cloudwatch:DescribeAlarms on "*" (API Reference), and the stack grants
// that only when the configuration may name one. Alarms CloudWatch does not know are
// absent from the result.
func DescribeAlarms(ctx context.Context, c Describer, names []string, composites bool, state string) (map[string]Alarm, error) {
	types := []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}
	if composites {
		types = append(types, cwtypes.AlarmTypeCompositeAlarm)
	}
	found := make(map[string]Alarm, len(names))
	for start := 0; start < len(names); start += MaxAlarmNames {
		in := &cloudwatch.DescribeAlarmsInput{
			AlarmNames: names[start:min(start+MaxAlarmNames, len(names))],
			AlarmTypes: types,
			MaxRecords: aws.Int32(MaxAlarmNames),
			StateValue: cwtypes.StateValue(state),
		}
		p := cloudwatch.NewDescribeAlarmsPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe alarms: %w", err)
			}
			for _, m := range page.MetricAlarms {
				a := metricAlarm(m)
				found[a.Name] = a
			}
			for _, c := range page.CompositeAlarms {
				name := aws.ToString(c.AlarmName)
				found[name] = Alarm{Name: name, State: string(c.StateValue), Composite: true,
					Transitioned: aws.ToTime(c.StateTransitionedTimestamp).UTC()}
			}
		}
	}
	return found, nil
}

func metricAlarm(m cwtypes.MetricAlarm) Alarm {
	a := Alarm{
		Name:              aws.ToString(m.AlarmName),
		State:             string(m.StateValue),
		Transitioned:      aws.ToTime(m.StateTransitionedTimestamp).UTC(),
		Threshold:         m.Threshold,
		EvaluationPeriods: int(aws.ToInt32(m.EvaluationPeriods)),
		Period:            time.Duration(aws.ToInt32(m.Period)) * time.Second,
	}
	if aws.ToString(m.ThresholdMetricId) != "" {
		a.Threshold = nil // an anomaly band, not a static threshold
	}
	if aws.ToString(m.MetricName) != "" {
		stat := string(m.Statistic)
		if stat == "" {
			stat = aws.ToString(m.ExtendedStatistic)
		}
		a.returnID = "m"
		a.queries = []cwtypes.MetricDataQuery{{
			Id: aws.String("m"),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions},
				Period: m.Period,
				Stat:   aws.String(stat),
				Unit:   m.Unit,
			},
			ReturnData: aws.Bool(true),
		}}
		return a
	}
	// A metric-math alarm: its queries as defined, the one with ReturnData evaluated.
	// Its period is its queries' (the alarm itself has none). An anomaly-detection alarm
	// returns two series, its metric and the band it compares with (ThresholdMetricId):
	// the metric is the one to size from, and the band is not asked for.
	band := aws.ToString(m.ThresholdMetricId)
	for _, q := range m.Metrics {
		id := aws.ToString(q.Id)
		if id == band {
			continue
		}
		a.queries = append(a.queries, q)
		if aws.ToBool(q.ReturnData) {
			a.returnID = id
		}
		period := aws.ToInt32(q.Period)
		if q.MetricStat != nil {
			period = max(period, aws.ToInt32(q.MetricStat.Period))
		}
		a.Period = max(a.Period, time.Duration(period)*time.Second)
	}
	return a
}

// HasMetric reports whether the alarm's metric can be read.
func (a Alarm) HasMetric() bool { return !a.Composite && len(a.queries) > 0 && a.returnID != "" }

// Series reads the alarm's metric over the window, by period start. Only the series the
// alarm evaluates is returned.
func Series(ctx context.Context, c Client, a Alarm, w breach.Window) (map[time.Time]float64, error) {
	if !a.HasMetric() {
		return nil, fmt.Errorf("alarm %s has no metric to read", a.Name)
	}
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: a.queries,
		StartTime:         aws.Time(w.Start),
		EndTime:           aws.Time(w.End),
		ScanBy:            cwtypes.ScanByTimestampAscending,
	}
	values := map[time.Time]float64{}
	p := cloudwatch.NewGetMetricDataPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("get metric data of alarm %s: %w", a.Name, err)
		}
		for _, r := range page.MetricDataResults {
			if aws.ToString(r.Id) != a.returnID {
				continue
			}
			for i, ts := range r.Timestamps {
				if i < len(r.Values) {
					values[ts.UTC().Truncate(w.Period)] = r.Values[i]
				}
			}
		}
	}
	return values, nil
}
