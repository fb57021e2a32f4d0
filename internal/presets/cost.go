package presets

import "time"

// Prices in US East (N. Virginia), in US dollars, as the AWS price pages give them:
//   - CloudWatch (https://aws.amazon.com/cloudwatch/pricing/): a standard-resolution alarm
//     metric $0.10 a month, a high-resolution one (a 10 s or 30 s period) $0.30; a custom
//     metric $0.30 a month (the first 10,000); PutMetricData $0.01 per 1,000 requests;
//     GetMetricData $0.01 per 1,000 metrics requested.
//   - Step Functions (https://aws.amazon.com/step-functions/pricing/): Standard workflows
//     $0.025 per 1,000 state transitions.
//   - Lambda (https://aws.amazon.com/lambda/pricing/): $0.20 per million requests, and
//     $0.0000133334 per GB-second on arm64.
//
// Free tiers are left out: they are per account, not per service.
const (
	StandardAlarmMonthly       = 0.10
	HighResolutionAlarmMonthly = 0.30
	CustomMetricMonthly        = 0.30
	PutMetricDataPerRequest    = 0.01 / 1000
	GetMetricDataPerMetric     = 0.01 / 1000
	StateTransitionPrice       = 0.025 / 1000
	LambdaRequestPrice         = 0.20 / 1e6
	LambdaArmGBSecond          = 0.0000133334
)

// LambdaGBSecondsPerInvocation is the model's cost of one of the workflow's Lambda
// invocations: 128 MB for 100 ms. The functions make one or two AWS calls each; this is
// an assumption, not a measurement.
const LambdaGBSecondsPerInvocation = 0.128 * 0.1

// Month is the month the monthly figures are given for.
const Month = 30 * 24 * time.Hour

// AlarmsMonthly is what the preset's two alarms cost a month.
func (p Preset) AlarmsMonthly() float64 {
	return AlarmMonthly(p.Out.Period) + AlarmMonthly(p.In.Period)
}

// AlarmMonthly is what one metric alarm of the given period costs a month: a period under
// a minute makes it a high-resolution alarm.
func AlarmMonthly(period time.Duration) float64 {
	if (Shape{Period: period}).HighResolution() {
		return HighResolutionAlarmMonthly
	}
	return StandardAlarmMonthly
}

// PublishPeriod is how often the preset's metric must be published: its shortest alarm
// period.
func (p Preset) PublishPeriod() time.Duration { return min(p.Out.Period, p.In.Period) }

// MetricMonthly is what publishing the preset's metric costs a month (PublishedMetricMonthly
// at its PublishPeriod).
func (p Preset) MetricMonthly(taskMonths float64) float64 {
	return PublishedMetricMonthly(taskMonths, p.PublishPeriod())
}

// PublishedMetricMonthly is what a custom metric costs a month when each of taskMonths
// task-months of tasks (the mean number of tasks over a month) calls PutMetricData once a
// period, plus the custom metric itself. A metric that AWS publishes for free (ECS's
// CPUUtilization at 60 s) costs nothing; every preset's alarms need a finer one.
func PublishedMetricMonthly(taskMonths float64, period time.Duration) float64 {
	requests := taskMonths * float64(Month/period)
	return CustomMetricMonthly + requests*PutMetricDataPerRequest
}
