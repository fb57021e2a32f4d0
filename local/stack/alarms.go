package stack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/config"
)

// TopicARN is the local alarms topic: every configured alarm has it as its ALARM action.
var TopicARN = fmt.Sprintf("arn:aws:sns:%s:%s:stepscaler-alarms", Region, AccountID)

// createAlarms puts every configured alarm into the CloudWatch emulator with the topic as
// its ALARM action, as the stack deploys them. An alarm the configuration gives no metric
// for (one that exists outside the stack in AWS) gets a stand-in metric of its own in the
// Stepscaler/Local namespace, named after it.
func (s *Stack) createAlarms(ctx context.Context, cfg *config.Config) error {
	for _, svc := range cfg.Services {
		for _, a := range svc.Alarms {
			in := alarmInput(a)
			if _, err := s.CloudWatch.PutMetricAlarm(ctx, in); err != nil {
				return fmt.Errorf("create alarm %s: %w", a.AlarmName, err)
			}
		}
	}
	return nil
}

func alarmInput(a config.Alarm) *cloudwatch.PutMetricAlarmInput {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(a.AlarmName),
		AlarmActions:       []string{TopicARN},
		Namespace:          aws.String(StandInNamespace),
		MetricName:         aws.String(a.AlarmName),
		Statistic:          cwtypes.StatisticAverage,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(0),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}
	m := a.Metric
	if m == nil {
		return in
	}
	in.Threshold = aws.Float64(m.Threshold)
	in.ComparisonOperator = cwtypes.ComparisonOperator(m.ComparisonOperator)
	in.EvaluationPeriods = aws.Int32(int32(m.EvaluationPeriods))
	if m.DatapointsToAlarm > 0 {
		in.DatapointsToAlarm = aws.Int32(int32(m.DatapointsToAlarm))
	}
	if m.TreatMissingData != "" {
		in.TreatMissingData = aws.String(m.TreatMissingData)
	}
	period := aws.Int32(int32(m.PeriodSeconds))
	if m.Expression == "" {
		in.Namespace, in.MetricName, in.Period = aws.String(m.Namespace), aws.String(m.MetricName), period
		in.Dimensions = dimensions(m.Dimensions)
		in.Statistic, in.ExtendedStatistic = statistic(m.Statistic)
		return in
	}
	in.Namespace, in.MetricName, in.Period, in.Statistic = nil, nil, nil, ""
	in.Metrics = append(in.Metrics, cwtypes.MetricDataQuery{Id: aws.String("e1"), Expression: aws.String(m.Expression),
		Label: aws.String(m.Label), ReturnData: aws.Bool(true)})
	for _, q := range m.Metrics {
		stat, ext := statistic(q.Statistic)
		if ext != nil {
			stat = cwtypes.Statistic(*ext)
		}
		in.Metrics = append(in.Metrics, cwtypes.MetricDataQuery{Id: aws.String(q.ID), ReturnData: aws.Bool(false),
			MetricStat: &cwtypes.MetricStat{Period: period, Stat: aws.String(string(stat)),
				Metric: &cwtypes.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.MetricName), Dimensions: dimensions(q.Dimensions)}}})
	}
	return in
}

// StandInNamespace holds the stand-in metrics of alarms the configuration defines no
// metric for.
const StandInNamespace = "Stepscaler/Local"

func statistic(s string) (cwtypes.Statistic, *string) {
	for _, v := range cwtypes.Statistic("").Values() {
		if string(v) == s {
			return v, nil
		}
	}
	return "", aws.String(s) // a percentile: ExtendedStatistic
}

func dimensions(m map[string]string) []cwtypes.Dimension {
	var ds []cwtypes.Dimension
	for k, v := range m {
		ds = append(ds, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	return ds
}

// SetAlarmState sets an alarm's state in the CloudWatch emulator, as a test's load would.
// When the state changes, CloudWatch notifies the topic, and the starter receives the
// notification as SNS delivers it.
func (s *Stack) SetAlarmState(ctx context.Context, name, state, reason string) error {
	_, err := s.CloudWatch.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName:   aws.String(name),
		StateValue:  cwtypes.StateValue(state),
		StateReason: aws.String(reason),
	})
	var missing *cwtypes.ResourceNotFound
	if errors.As(err, &missing) {
		return fmt.Errorf("alarm %s is not in the scaling config: %w", name, err)
	}
	if err != nil {
		return fmt.Errorf("set state of alarm %s: %w", name, err)
	}
	return nil
}

// SetAlarmStateQuietly sets an alarm's state without its notification reaching the
// starter: a notification lost on the way, or one a test delivers itself.
func (s *Stack) SetAlarmStateQuietly(ctx context.Context, name, state, reason string) error {
	s.sns.mute.Add(1)
	defer s.sns.mute.Add(-1)
	return s.SetAlarmState(ctx, name, state, reason)
}

// PutMetric records one datapoint of a metric at a time.
func (s *Stack) PutMetric(ctx context.Context, namespace, name string, dims map[string]string, value float64, at time.Time) error {
	_, err := s.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(namespace),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String(name), Dimensions: dimensions(dims),
			Value: aws.Float64(value), Timestamp: aws.Time(at)}},
	})
	if err != nil {
		return fmt.Errorf("put metric %s/%s: %w", namespace, name, err)
	}
	return nil
}
