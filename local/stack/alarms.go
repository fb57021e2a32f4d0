package stack

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/internal/alarm"
	"github.com/stepscaler/stepscaler/internal/config"
)

// createAlarms puts every configured alarm into the local CloudWatch, so the workflow
// can read their states as it does in AWS. Alarms without a metric in the config get a
// stand-in metric: only their state matters here.
func (s *Stack) createAlarms(ctx context.Context, cfg *config.Config) error {
	for _, svc := range cfg.Services {
		for _, a := range svc.Alarms {
			in := &cloudwatch.PutMetricAlarmInput{
				AlarmName:          aws.String(a.AlarmName),
				Namespace:          aws.String("Stepscaler/Local"),
				MetricName:         aws.String("Load"),
				Statistic:          cwtypes.StatisticAverage,
				Period:             aws.Int32(60),
				EvaluationPeriods:  aws.Int32(1),
				Threshold:          aws.Float64(0),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
				AlarmActions:       []string{fmt.Sprintf("arn:aws:sns:%s:%s:stepscaler-alarms", Region, AccountID)},
			}
			if m := a.Metric; m != nil && m.MetricName != "" {
				in.Namespace, in.MetricName = aws.String(m.Namespace), aws.String(m.MetricName)
				in.Threshold, in.Period, in.EvaluationPeriods = aws.Float64(m.Threshold), aws.Int32(int32(m.PeriodSeconds)), aws.Int32(int32(m.EvaluationPeriods))
				in.ComparisonOperator = cwtypes.ComparisonOperator(m.ComparisonOperator)
			}
			if _, err := s.CloudWatch.PutMetricAlarm(ctx, in); err != nil {
				return fmt.Errorf("create alarm %s: %w", a.AlarmName, err)
			}
		}
	}
	return nil
}

// SetAlarmState sets an alarm's state in the local CloudWatch, as a test's load would.
// The reason may quote datapoints the way CloudWatch does ("... datapoints [85.0 (...)]
// was greater than the threshold (70.0) ..."): the workflow reads the breach from it.
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

// mirrorNotifications sets each notified alarm's state in the local CloudWatch to the
// one its notification reports: in AWS, the notification exists because the alarm is in
// that state. Messages that do not parse, or name alarms CloudWatch does not know, are
// left for the starter to reject.
func (s *Stack) mirrorNotifications(ctx context.Context, messages []string) {
	for _, m := range messages {
		n, err := alarm.Parse([]byte(m))
		if err != nil {
			continue
		}
		_ = s.SetAlarmState(ctx, n.AlarmName, string(n.NewState), n.Reason)
	}
}
