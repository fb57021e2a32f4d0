package cwemu

import (
	"fmt"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// evaluation is one evaluation of a metric alarm: the range's periods, their values
// (and sample counts, for an alarm on one metric), and the rule's outcome.
type evaluation struct {
	g       grid
	dps     []alarmeval.Datapoint
	counts  []float64 // nil for metric math
	outcome alarmeval.Outcome
}

// metricReason is a metric alarm's StateReason in CloudWatch's wording, as captured
// notifications and DescribeAlarms output show it:
//
//	Insufficient Data: 5 datapoints were unknown.
//	Threshold Crossed: 1 datapoint [3.0 (26/10/24 18:59:00)] was greater than or equal to the threshold (1.0).
//	Threshold Crossed: 2 out of the last 3 datapoints [0.734 (27/11/26 10:04:00), 0.612 (27/11/26 10:02:00)] were greater than the threshold (0.5) (minimum 2 datapoints for OK -> ALARM transition).
//	Threshold Crossed: 1 datapoint [1.0 (25/09/26 21:51:00)] was not less than the threshold (1.0) and 1 missing datapoint was treated as [Breaching].
//	Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].
//
// The "M out of the last N" form with its "(minimum ...)" clause is the one alarms with
// DatapointsToAlarm show. The datapoints quoted, newest first, are the evaluated ones
// that support the new state: breaching ones for ALARM, the others for OK.
func metricReason(cfg *metricConfig, ev evaluation, old alarmeval.State) string {
	out := ev.outcome
	if out.State == alarmeval.InsufficientData {
		n := len(out.Evaluated)
		return fmt.Sprintf("Insufficient Data: %d datapoint%s %s unknown.", n, plural(n), wasWere(n))
	}
	rule := cfg.rule()
	alarming := out.State == alarmeval.Alarm
	var support []int
	real := 0
	for _, i := range out.Evaluated {
		if ev.dps[i].Missing {
			continue
		}
		real++
		if rule.Breaches(ev.dps[i].Value) == alarming {
			support = append(support, i)
		}
	}
	treated := "[NonBreaching]"
	if cfg.treatMissing() == alarmeval.Breaching {
		treated = "[Breaching]"
	}
	filled := out.Filled
	missingClause := fmt.Sprintf("%d missing datapoint%s %s treated as %s", filled, plural(filled), wasWere(filled), treated)

	var b strings.Builder
	b.WriteString("Threshold Crossed: ")
	switch k := len(support); {
	case k == 0 && real == 0:
		fmt.Fprintf(&b, "no datapoints were received for %d period%s and %s", filled, plural(filled), missingClause)
	case k == 0:
		b.WriteString(missingClause)
	default:
		if cfg.datapointsToAlarm != nil {
			fmt.Fprintf(&b, "%d out of the last %d datapoints ", k, cfg.evaluationPeriods)
		} else {
			fmt.Fprintf(&b, "%d datapoint%s ", k, plural(k))
		}
		fmt.Fprintf(&b, "%s %s ", ev.quote(support), wasWere(k))
		if !alarming {
			b.WriteString("not ")
		}
		fmt.Fprintf(&b, "%s the threshold (%s)", operatorWords[cfg.comparisonOperator], javaDouble(rule.Threshold))
		if filled > 0 {
			b.WriteString(" and " + missingClause)
		}
	}
	if cfg.datapointsToAlarm != nil {
		least := cfg.m()
		if !alarming {
			least = cfg.evaluationPeriods - cfg.m() + 1
		}
		fmt.Fprintf(&b, " (minimum %d datapoint%s for %s -> %s transition)", least, plural(least), old, out.State)
	}
	b.WriteString(".")
	return b.String()
}

var operatorWords = map[string]string{
	alarmeval.GreaterThanOrEqualToThreshold: "greater than or equal to",
	alarmeval.GreaterThanThreshold:          "greater than",
	alarmeval.LessThanThreshold:             "less than",
	alarmeval.LessThanOrEqualToThreshold:    "less than or equal to",
}

// quote lists datapoints as a reason does: [85.2 (27/11/26 10:01:00), ...], each with
// its period's start time.
func (ev evaluation) quote(indexes []int) string {
	parts := make([]string, len(indexes))
	for j, i := range indexes {
		parts[j] = javaDouble(ev.dps[i].Value) + " (" + ev.g.at(i).UTC().Format(reasonTimeLayout) + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// reasonData is a metric alarm's StateReasonData, the document DescribeAlarms returns:
//
//	{"version":"1.0","queryDate":"2023-04-07T09:09:15.917+0000","startDate":"2023-04-07T09:08:00.000+0000",
//	 "unit":"Count","statistic":"Minimum","period":60,"recentDatapoints":[0.0],"threshold":1.0,
//	 "evaluatedDatapoints":[{"timestamp":"2023-04-07T09:08:00.000+0000","sampleCount":1.0,"value":0.0}]}
//
// (a public capture of DescribeAlarms output). recentDatapoints are the real datapoints
// of the evaluation range, oldest first, and startDate the time of the first of them
// (absent when there are none, as in captured INSUFFICIENT_DATA documents);
// evaluatedDatapoints are the periods the decision rests on, newest first, a missing
// one with its timestamp only. A metric-math alarm has no statistic, unit or
// sampleCount.
type reasonData struct {
	Version             string               `json:"version"`
	QueryDate           string               `json:"queryDate"`
	StartDate           string               `json:"startDate,omitempty"`
	Unit                string               `json:"unit,omitempty"`
	Statistic           string               `json:"statistic,omitempty"`
	Period              int                  `json:"period"`
	RecentDatapoints    []javaNumber         `json:"recentDatapoints"`
	Threshold           *javaNumber          `json:"threshold,omitempty"`
	EvaluatedDatapoints []evaluatedDatapoint `json:"evaluatedDatapoints"`
}

type evaluatedDatapoint struct {
	Timestamp   string      `json:"timestamp"`
	SampleCount *javaNumber `json:"sampleCount,omitempty"`
	Value       *javaNumber `json:"value,omitempty"`
}

func metricReasonData(cfg *metricConfig, ev evaluation, queryDate time.Time) string {
	d := reasonData{
		Version:             "1.0",
		QueryDate:           jsonTime(queryDate),
		Period:              cfg.period,
		RecentDatapoints:    []javaNumber{},
		EvaluatedDatapoints: []evaluatedDatapoint{},
	}
	if !cfg.math() {
		d.Unit = cfg.unit
		d.Statistic = cfg.statistic + cfg.extendedStatistic // one of them is set
	}
	if cfg.threshold != nil {
		d.Threshold = ptr(javaNumber(*cfg.threshold))
	}
	for i, dp := range ev.dps {
		if dp.Missing {
			continue
		}
		if len(d.RecentDatapoints) == 0 {
			d.StartDate = jsonTime(ev.g.at(i))
		}
		d.RecentDatapoints = append(d.RecentDatapoints, javaNumber(dp.Value))
	}
	for _, i := range ev.outcome.Evaluated {
		e := evaluatedDatapoint{Timestamp: jsonTime(ev.g.at(i))}
		if !ev.dps[i].Missing {
			e.Value = ptr(javaNumber(ev.dps[i].Value))
			if ev.counts != nil {
				e.SampleCount = ptr(javaNumber(ev.counts[i]))
			}
		}
		d.EvaluatedDatapoints = append(d.EvaluatedDatapoints, e)
	}
	return marshalJSON(d)
}
