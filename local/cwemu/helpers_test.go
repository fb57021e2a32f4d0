package cwemu_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

// These tests talk to the emulator with the real aws-sdk-go-v2 CloudWatch client, over
// HTTP, on a clock the test controls.

const (
	account = "123456789012"
	region  = "us-east-1"
	topic   = "arn:aws:sns:us-east-1:123456789012:stepscaler-alarms"
)

// t0 is the tests' usual start time.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// published is one notification the emulator delivered.
type published struct {
	topic, subject, message string
}

// inbox records the emulator's notifications.
type inbox struct {
	mu   sync.Mutex
	msgs []published
}

func (b *inbox) publish(_ context.Context, topicARN, subject, message string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, published{topicARN, subject, message})
	return nil
}

func (b *inbox) all() []published {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]published(nil), b.msgs...)
}

// env is one emulator with its client, clock and inbox.
type env struct {
	emu    *cwemu.Emulator
	client *cloudwatch.Client
	clock  *clock
	inbox  *inbox
}

// start starts an emulator on a clock at t0 (unless opts has one) that publishes to an
// inbox.
func start(t *testing.T, opts cwemu.Options) *env {
	t.Helper()
	t.Parallel()
	return startSerial(t, opts)
}

// startSerial is start for tests that cannot run in parallel.
func startSerial(t *testing.T, opts cwemu.Options) *env {
	t.Helper()
	c := newClock(t0)
	if opts.Clock == nil {
		opts.Clock = c.Now
	}
	in := &inbox{}
	if opts.Publish == nil {
		opts.Publish = in.publish
	}
	emu, err := cwemu.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	r := opts.Region
	if r == "" {
		r = region
	}
	return &env{emu: emu, client: newClient(emu.URL(), r), clock: c, inbox: in}
}

func newClient(endpoint, region string, optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		// The SDK's standard retryer, with backoff short enough for tests.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond }),
	}, optFns...)
}

// noRetries makes the client give up after one attempt.
func noRetries(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} }

var ctx = context.Background()

// cpuAlarm is a single-metric alarm input: CPUUtilization of service web, Average over
// a minute, 3 of 3 periods at or above 80.
func cpuAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		Namespace:          aws.String("Stepscaler/Test"),
		MetricName:         aws.String("CPUUtilization"),
		Dimensions:         []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}},
		Statistic:          types.StatisticAverage,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(3),
		Threshold:          aws.Float64(80),
		ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold,
		AlarmActions:       []string{topic},
	}
}

func (e *env) putAlarm(t *testing.T, in *cloudwatch.PutMetricAlarmInput) {
	t.Helper()
	if _, err := e.client.PutMetricAlarm(ctx, in); err != nil {
		t.Fatalf("PutMetricAlarm %s: %v", aws.ToString(in.AlarmName), err)
	}
}

func (e *env) setState(t *testing.T, name string, state types.StateValue, reason string) {
	t.Helper()
	_, err := e.client.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String(reason)})
	if err != nil {
		t.Fatalf("SetAlarmState %s %s: %v", name, state, err)
	}
}

// metricAlarm describes one metric alarm by name.
func (e *env) metricAlarm(t *testing.T, name string) types.MetricAlarm {
	t.Helper()
	out, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		t.Fatalf("DescribeAlarms %s: %v", name, err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms %s: %d metric alarms", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

// compositeAlarm describes one composite alarm by name.
func (e *env) compositeAlarm(t *testing.T, name string) types.CompositeAlarm {
	t.Helper()
	out, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}, AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}})
	if err != nil {
		t.Fatalf("DescribeAlarms %s: %v", name, err)
	}
	if len(out.CompositeAlarms) != 1 {
		t.Fatalf("DescribeAlarms %s: %d composite alarms", name, len(out.CompositeAlarms))
	}
	return out.CompositeAlarms[0]
}

// putValue publishes one value of metric (namespace Stepscaler/Test, dimension
// ServiceName=web) at the given time.
func (e *env) putValue(t *testing.T, metric string, at time.Time, v float64) {
	t.Helper()
	e.putData(t, types.MetricDatum{
		MetricName: aws.String(metric),
		Dimensions: []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}},
		Timestamp:  aws.Time(at),
		Value:      aws.Float64(v),
	})
}

func (e *env) putData(t *testing.T, data ...types.MetricDatum) {
	t.Helper()
	if _, err := e.client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Stepscaler/Test"), MetricData: data}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

// wantAPIError checks that err is the CloudWatch error code, with the HTTP status, and
// that the SDK decoded it into target's type (nil: a generic API error).
func wantAPIError[T error](t *testing.T, err error, code string, status int, target *T) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an API error", err, err)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("error code %q (%v), want %q", apiErr.ErrorCode(), err, code)
	}
	var httpErr *awshttp.ResponseError
	if !errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != status {
		t.Errorf("error %v: want HTTP status %d", err, status)
	}
	if target != nil && !errors.As(err, target) {
		t.Errorf("error %v (%T) does not decode to %T", err, apiErr, *target)
	}
}

// noTarget is wantAPIError's target for errors the SDK does not model.
var noTarget *error

// httpClient is a plain client for requests the SDK would not make.
var httpClient = &http.Client{Timeout: 5 * time.Second}
