// Package cwemu is an in-process emulator of the Amazon CloudWatch API (metric alarms,
// composite alarms and metric data), for tests and local runs that must never reach AWS.
//
// It speaks the protocol the aws-sdk-go-v2 CloudWatch client speaks (Smithy RPC v2 CBOR,
// AWS-query-compatible errors, gzipped request bodies), so the unmodified client works
// against it with BaseEndpoint set to URL, or AWS_ENDPOINT_URL_CLOUDWATCH for a process
// configured from the environment. Metric alarms are evaluated from the stored metric
// data by the rule in package alarmeval, on a clock the caller controls
// (EvaluateAlarms), and notify their SNS actions through Options.Publish with the message
// CloudWatch sends. Tests steer it through the Go API or, from another process, through
// the HTTP control API under /_emulator/.
//
// See README.md for what is emulated, what is not, and the sources.
package cwemu

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/stepscaler/stepscaler/local/emulator"
)

// Options configure an Emulator. The zero value is usable.
type Options struct {
	// Addr is the address Start listens on. Default "127.0.0.1:0".
	Addr string
	// Region and AccountID appear in ARNs and notifications. Defaults "us-east-1" and
	// "123456789012".
	Region    string
	AccountID string
	// Clock is the emulator's time: timestamps, PutMetricData's time window,
	// GetMetricData's start time rounding, background evaluation. Default time.Now.
	Clock func() time.Time
	// Publish delivers an alarm notification to an SNS topic: it is called once per
	// topic ARN in the alarm's actions for the new state, with the subject and message
	// CloudWatch sends. Nil: notifications are dropped (and logged at debug level).
	Publish func(ctx context.Context, topicARN, subject, message string) error
	// EvaluateEvery, when positive, evaluates every alarm in the background at that
	// interval, on Clock, so a local demo can let alarms evolve by themselves. Zero: only
	// when EvaluateAlarms is called.
	EvaluateEvery time.Duration
	// Logger receives request, transition and publishing logs. Default: discarded.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "123456789012"
	}
	if !accountPattern.MatchString(o.AccountID) {
		return o, fmt.Errorf("cwemu: options: account ID %q is not 12 digits", o.AccountID)
	}
	if !regionPattern.MatchString(o.Region) {
		return o, fmt.Errorf("cwemu: options: region %q is not a region code", o.Region)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.EvaluateEvery < 0 {
		return o, fmt.Errorf("cwemu: options: negative EvaluateEvery %s", o.EvaluateEvery)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Emulator is an emulated CloudWatch endpoint for one account and Region. It is safe for
// concurrent use.
type Emulator struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler

	mu      sync.Mutex
	alarms  map[string]*alarm // by name; metric and composite alarms share one namespace
	metrics map[metricKey]*metricSeries
	faults  *emulator.Faults // shares mu

	server    *emulator.Server // nil if New made the Emulator
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New returns an Emulator that is not listening; serve its Handler. Call Close to stop
// its background evaluation.
func New(opts Options) (*Emulator, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		opts:    opts,
		log:     opts.Logger,
		alarms:  map[string]*alarm{},
		metrics: map[metricKey]*metricSeries{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	e.faults = emulator.NewFaults(&e.mu, faultCodes)
	e.handler = e.routes()
	if opts.EvaluateEvery > 0 {
		go e.evaluateInBackground(opts.EvaluateEvery)
	} else {
		close(e.done)
	}
	return e, nil
}

// Start returns an Emulator listening on opts.Addr; its endpoint is URL.
func Start(opts Options) (*Emulator, error) {
	e, err := New(opts)
	if err != nil {
		return nil, err
	}
	if e.server, err = emulator.Serve("cwemu", e.opts.Addr, e.handler, e.log); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// URL is the endpoint to give the SDK as BaseEndpoint, or "" if New made the Emulator.
func (e *Emulator) URL() string { return e.server.URL() }

// Handler serves both the CloudWatch API and the control API.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Close stops the background evaluation and, if Start made the Emulator, the server.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		close(e.stop)
		<-e.done
		e.closeErr = e.server.Close()
	})
	return e.closeErr
}

// evaluateInBackground runs EvaluateAlarms every interval until Close, with a context
// that Close cancels so that a slow Publish does not hold it up forever.
func (e *Emulator) evaluateInBackground(interval time.Duration) {
	defer close(e.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-e.stop
		cancel()
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.evaluateAlarms(ctx, e.now())
		}
	}
}

// now is the emulator's clock, in UTC and at CloudWatch's millisecond precision.
func (e *Emulator) now() time.Time { return e.opts.Clock().UTC().Truncate(time.Millisecond) }
