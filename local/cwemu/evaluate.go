package cwemu

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// EvaluateAlarms evaluates every metric alarm as CloudWatch does at now, from the metric
// data stored so far, and publishes the notifications of the state changes (composite
// alarms follow their children) before it returns. Alarms on anomaly detection bands are
// not evaluated.
//
// Each alarm is evaluated over its evaluation range: the EvaluationPeriods + 2 periods
// that end at now, truncated to the minute (to 10 seconds for a period under a minute).
// The windows slide with the evaluation time, as CloudWatch's default sliding evaluation
// window does ("The window advances each time the alarm is evaluated", Amazon
// CloudWatch User Guide, Alarm evaluation window), and the N + 2 range is the one the
// repository's backtest uses (internal/simulate), which reproduces the guide's missing
// data tables. Each period's datapoint is the alarm's statistic over the samples in it;
// the rule is package alarmeval's.
func (e *Emulator) EvaluateAlarms(now time.Time) {
	e.evaluateAlarms(context.Background(), now.UTC().Truncate(time.Millisecond))
}

func (e *Emulator) evaluateAlarms(ctx context.Context, now time.Time) {
	e.mu.Lock()
	var names []string
	for name, a := range e.alarms {
		if a.metric != nil && !a.metric.anomaly() {
			names = append(names, name)
		}
	}
	e.mu.Unlock()
	sort.Strings(names)
	e.evaluate(ctx, now, names)
}

// EvaluateAlarm evaluates the named metric alarms only, as EvaluateAlarms does. CloudWatch
// evaluates each alarm on its own schedule, so evaluating some of them at an instant is
// as faithful as evaluating all; a test uses it to leave other tests' alarms alone.
func (e *Emulator) EvaluateAlarm(now time.Time, names ...string) error {
	e.mu.Lock()
	for _, name := range names {
		if a, ok := e.alarms[name]; !ok || a.metric == nil || a.metric.anomaly() {
			e.mu.Unlock()
			return fmt.Errorf("cwemu: no metric alarm %q to evaluate", name)
		}
	}
	e.mu.Unlock()
	e.evaluate(context.Background(), now.UTC().Truncate(time.Millisecond), names)
	return nil
}

func (e *Emulator) evaluate(ctx context.Context, now time.Time, names []string) {
	e.mu.Lock()
	c := &call{now: now}
	for _, name := range names {
		if a, ok := e.alarms[name]; ok {
			e.evaluateMetricAlarm(c, a)
		}
	}
	e.mu.Unlock()
	e.deliver(ctx, c.deliveries)
}

// evaluateMetricAlarm evaluates one alarm at c.now and makes the transition, if any.
func (e *Emulator) evaluateMetricAlarm(c *call, a *alarm) {
	cfg := a.metric
	ev, err := e.evaluationRange(cfg, c.now)
	if err != nil {
		e.log.Warn("cwemu: alarm not evaluated", "alarm", a.name, "err", err)
		return
	}
	ev.outcome = alarmeval.Explain(cfg.rule(), ev.dps, a.state)
	if ev.outcome.State == a.state {
		return
	}
	e.transition(c, a, ev.outcome.State, metricReason(cfg, ev, a.state), metricReasonData(cfg, ev, c.now), map[string]bool{a.name: true})
}

// evaluationRange fetches the datapoints of the alarm's evaluation range at now.
func (e *Emulator) evaluationRange(cfg *metricConfig, now time.Time) (evaluation, error) {
	interval := time.Minute
	if cfg.period < 60 {
		interval = 10 * time.Second
	}
	r := cfg.evaluationPeriods + 2
	p := seconds(cfg.period)
	end := now.Truncate(interval)
	g := grid{start: end.Add(-time.Duration(r) * p), period: p, n: r}
	ev := evaluation{g: g, dps: make([]alarmeval.Datapoint, r)}
	if cfg.math() {
		s, err := e.newResolver(cfg.queries, g).series(cfg.watched)
		if err != nil {
			return evaluation{}, err
		}
		for i := range ev.dps {
			ev.dps[i] = alarmeval.Datapoint{Value: s.vals[i], Missing: !s.ok[i]}
		}
		return ev, nil
	}
	buckets := e.buckets(cfg.ref, cfg.unit, g)
	ev.counts = make([]float64, r)
	for i, b := range buckets {
		v, ok := b.value(cfg.stat)
		ev.dps[i] = alarmeval.Datapoint{Value: v, Missing: !ok}
		if b != nil {
			ev.counts[i] = b.count
		}
	}
	return ev, nil
}
