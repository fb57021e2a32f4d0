// Package alarms is the "Read alarms and metrics" step: what CloudWatch says of every
// alarm of the service now, and, for the alarms in ALARM whose policy sizes its step
// from the metric, that metric's value over the alarm's evaluation periods. A
// notification is a hint that something changed, never the evidence: the decision rests
// on what this step reads.
package alarms

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/stepscaler/stepscaler/internal/awscw"
	"github.com/stepscaler/stepscaler/internal/breach"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// Handler serves the step.
type Handler struct {
	cw     awscw.Client
	config *config.Config
	now    func() time.Time
	log    *slog.Logger
}

// New returns the step's handler.
func New(cw awscw.Client, cfg *config.Config, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{cw: cw, config: cfg, now: now, log: log}
}

// Read reads the service's alarms and, where a policy needs it, their metrics.
func (h *Handler) Read(ctx context.Context, req workflow.AlarmsRequest) (workflow.Alarms, error) {
	target, err := steps.Target(h.config, req.Service)
	if err != nil {
		return workflow.Alarms{}, err
	}
	now := h.now().UTC()
	found, err := awscw.DescribeAlarms(ctx, h.cw, target.AlarmNames(), h.config.MayHaveCompositeAlarms(), "")
	if err != nil {
		return workflow.Alarms{}, steps.Classify(err, "read the alarms of "+req.Service.String())
	}
	out := workflow.Alarms{ReadAt: now, Alarms: make([]scaling.AlarmReading, 0, len(target.Policies)),
		Transitioned: map[string]time.Time{}}
	for _, p := range target.Policies {
		r := scaling.AlarmReading{Name: p.AlarmName}
		a, ok := found[p.AlarmName]
		if !ok {
			// A composite alarm the configuration does not declare ("alarmType": "composite")
			// is not asked for, so it is not found either.
			h.log.Warn("configured alarm not found in CloudWatch (a composite alarm must be declared with alarmType composite)",
				"alarm", p.AlarmName, "service", req.Service.String())
		} else {
			r.State = a.State
			if !a.Transitioned.IsZero() {
				out.Transitioned[p.AlarmName] = a.Transitioned
				since := a.Transitioned
				r.StateSince = &since // for a scale-in stabilization window (scaling.Policy)
			}
		}
		if ok && r.State == scaling.StateAlarm && p.SizesFromMetric() {
			r.Metric, r.MetricNote = h.metric(ctx, a, p, now)
		}
		out.Alarms = append(out.Alarms, r)
	}
	return out, nil
}

// metric reads an alarm's metric over its evaluation periods and combines it as the policy
// says. A metric that cannot be read is a note, not an error: the policy then records
// NoMetricValue with the note, and the next minute's evaluation reads it again.
func (h *Handler) metric(ctx context.Context, a awscw.Alarm, p scaling.Policy, now time.Time) (*scaling.MetricValue, string) {
	if !a.HasMetric() {
		return nil, fmt.Sprintf("alarm %s is a composite alarm, which has no metric to size a step from", a.Name)
	}
	w, ok := breach.WindowAt(now, a.Period, a.EvaluationPeriods)
	if !ok {
		return nil, fmt.Sprintf("alarm %s has no period or evaluation periods to read its metric over", a.Name)
	}
	values, err := awscw.Series(ctx, h.cw, a, w)
	if err != nil {
		h.log.Warn("cannot read the alarm's metric", "alarm", a.Name, "error", err.Error())
		return nil, err.Error()
	}
	v, ok := w.Value(values, p.MetricAggregationType)
	if !ok {
		return nil, fmt.Sprintf("the metric of alarm %s has no datapoint from %s to %s", a.Name,
			w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
	}
	m := &scaling.MetricValue{Value: v}
	if p.ScaleOutLeadSeconds > 0 {
		// Only a policy that sizes ahead of the trend reads it (scaling.Policy).
		m.SlopePerSecond, _ = w.Trend(values)
	}
	switch {
	case a.Threshold != nil:
		m.Threshold = *a.Threshold
	case len(p.StepAdjustments) > 0:
		return nil, fmt.Sprintf("alarm %s compares with an anomaly-detection band, not a threshold, so no step adjustment can be chosen", a.Name)
	}
	return m, ""
}
