package scaling

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Alarm states as CloudWatch spells them.
const (
	StateAlarm            = "ALARM"
	StateOK               = "OK"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// AlarmReading is what CloudWatch says of one of a service's alarms at the moment the
// workflow reads it: its state, and the value of its metric now, which step and
// TargetRatio policies size from.
type AlarmReading struct {
	Name string `json:"name"`
	// State is OK, ALARM or INSUFFICIENT_DATA; empty when CloudWatch does not know the
	// alarm (deleted, or never created).
	State string `json:"state"`
	// Metric is the alarm's metric now, aggregated over its evaluation periods, with the
	// alarm's threshold; nil when it could not be read (see MetricNote).
	Metric *MetricValue `json:"metric"`
	// MetricNote says why Metric is nil, when the policy needed it.
	MetricNote string `json:"metricNote,omitempty"`
	// StateSince is when the alarm entered its state (DescribeAlarms'
	// StateUpdatedTimestamp, which moves only when the state does); nil when unknown. A
	// scale-in stabilization window reads it.
	StateSince *time.Time `json:"stateSince,omitempty"`
}

// Decide is the decision for a service across all of its alarms, as Application Auto
// Scaling applies several policies to one scalable target:
//   - only alarms CloudWatch reports in ALARM now count; with none there is nothing to do;
//   - "If a scale-out alarm and a scale-in alarm are both in ALARM ... Application Auto
//     Scaling gives precedence to the policy that provides the largest capacity": a
//     scale-out alarm in ALARM holds every scale-in back (PutScalingPolicy, Application
//     Auto Scaling API Reference; "Step scaling policies for Application Auto Scaling");
//   - among the policies of the winning direction, the one that gives the largest
//     capacity decides, for scale-out and scale-in alike.
//
// Each alarm's own policy is planned with Plan. When none of them scales, the decision
// carries every alarm's not-scaled reasons, so the record says why each held back.
// Either way it carries the highest recommendation of the TargetRatio policies planned,
// as the HPA takes the highest across its metrics, for the state item to keep.
func Decide(policies []Policy, alarms []AlarmReading, o Observation) Decision {
	from := o.Service.DesiredCount
	none := Decision{From: from, To: from, Base: from}
	reading := make(map[string]AlarmReading, len(alarms))
	for _, a := range alarms {
		reading[a.Name] = a
	}
	var outs, ins []Policy
	for _, p := range policies {
		if reading[p.AlarmName].State != StateAlarm {
			continue
		}
		switch p.Direction {
		case Out:
			outs = append(outs, p)
		case In:
			ins = append(ins, p)
		}
	}
	if len(outs)+len(ins) == 0 {
		return none.notScaled(NotScaledReason{Code: NoAlarmInAlarm,
			Message: "CloudWatch reports none of the service's alarms in ALARM (" + statesOf(policies, reading) + ")"})
	}
	if len(policies) > 0 {
		none.DryRun = policies[0].DryRun
	}
	if o.NotScalable != "" {
		return none.notScaled(NotScaledReason{Code: ServiceNotScalable, Message: o.NotScalable})
	}

	chosen := outs
	var held []NotScaledReason
	if len(outs) > 0 {
		for _, p := range ins {
			held = append(held, NotScaledReason{Code: ScaleInBlockedByScaleOutAlarm, Alarm: p.AlarmName,
				Message: fmt.Sprintf("scale-in alarm %s yields to scale-out alarm %s, in ALARM", p.AlarmName, names(outs))})
		}
	} else {
		chosen = ins
	}

	var best *Decision
	var reasons []NotScaledReason
	var rec *Recommendation
	for _, p := range chosen {
		po := o
		po.Metric, po.AlarmSince = reading[p.AlarmName].Metric, reading[p.AlarmName].StateSince
		d := Plan(p, po)
		if r := d.Recommendation; r != nil && (rec == nil || r.Tasks > rec.Tasks) {
			rec = r
		}
		if !d.Scale {
			for _, r := range d.NotScaledReasons {
				if r.Code == NoMetricValue && reading[p.AlarmName].MetricNote != "" {
					r.Message += ": " + reading[p.AlarmName].MetricNote
				}
				reasons = append(reasons, r)
			}
			continue
		}
		// The largest capacity wins, for scale-in too (it removes the fewest tasks).
		if best == nil || d.To > best.To {
			best = &d
		}
	}
	if best != nil {
		best.Recommendation = rec
		return *best
	}
	// Nothing scales: the first policy's decision carries the direction and base, and the
	// reasons of every alarm follow in the order the configuration lists them.
	po := o
	po.Metric, po.AlarmSince = reading[chosen[0].AlarmName].Metric, reading[chosen[0].AlarmName].StateSince
	d := Plan(chosen[0], po)
	d.NotScaledReasons = append(reasons, held...)
	d.Description = "Not scaled: " + joinMessages(d.NotScaledReasons) + "."
	d.Recommendation = rec
	return d
}

func statesOf(policies []Policy, reading map[string]AlarmReading) string {
	parts := make([]string, 0, len(policies))
	for _, p := range policies {
		state := reading[p.AlarmName].State
		if state == "" {
			state = "unknown to CloudWatch"
		}
		parts = append(parts, p.AlarmName+" "+state)
	}
	return strings.Join(parts, ", ")
}

func names(ps []Policy) string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.AlarmName
	}
	return strings.Join(n, ", ")
}

func joinMessages(rs []NotScaledReason) string {
	var msgs []string
	for _, r := range rs {
		m := r.Message
		if r.Alarm != "" && !strings.Contains(m, r.Alarm) {
			m = r.Alarm + ": " + m
		}
		if !slices.Contains(msgs, m) {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, "; ")
}
