package alarm

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// NewStateReason is prose meant for people, and CloudWatch has never promised
// its wording, so everything here is best effort: it extracts what it
// recognises and otherwise returns nothing, never an error. The forms seen
// are, for example:
//
//	Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).
//	Threshold Crossed: 2 out of the last 3 datapoints [85.2 (27/11/26 10:01:00), 90.1 (27/11/26 10:00:00)] were greater than the threshold (80.0) (minimum 2 datapoints for OK -> ALARM transition).
//	Threshold Crossed: 1 datapoint [12.5 (27/11/26 10:05:00)] was not greater than the threshold (80.0).
//	Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].

// datapointLayout is the reason's timestamp format, dd/MM/yy HH:mm:ss in UTC.
const datapointLayout = "02/01/06 15:04:05"

// maxDatapoints bounds how many datapoints are kept from one reason. CloudWatch
// quotes at most EvaluationPeriods of them; the bound only stops a hostile
// 256 KiB reason from turning into a hundred thousand allocations.
const maxDatapoints = 1000

// ParseReason extracts the datapoints (newest first) and the threshold quoted in a
// NewStateReason or a DescribeAlarms StateReason. It never fails: what it does not
// recognise it leaves out.
func ParseReason(reason string) ([]Datapoint, *float64) {
	return reasonDatapoints(reason), reasonThreshold(reason)
}

// reasonDatapoints returns the first bracketed list after the word
// "datapoint" whose entries all read as "VALUE" or "VALUE (TIME)". Lists that
// do not, such as "[Breaching]", are skipped.
func reasonDatapoints(reason string) []Datapoint {
	i := strings.Index(reason, "datapoint")
	if i < 0 {
		return nil
	}
	rest := reason[i:]
	for {
		open := strings.IndexByte(rest, '[')
		if open < 0 {
			return nil
		}
		rest = rest[open+1:]
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil
		}
		if dps := datapointList(rest[:end]); dps != nil {
			return dps
		}
		rest = rest[end+1:]
	}
}

// datapointList parses "85.2 (27/11/26 10:01:00), 90.1 (27/11/26 10:00:00)",
// returning nil unless every entry is a datapoint.
func datapointList(list string) []Datapoint {
	var dps []Datapoint
	for list != "" {
		entry, rest, _ := strings.Cut(list, ",")
		list = rest
		dp, ok := datapoint(strings.TrimSpace(entry))
		if !ok {
			return nil
		}
		if len(dps) < maxDatapoints {
			dps = append(dps, dp)
		}
	}
	return dps
}

// datapoint parses "85.2 (27/11/26 10:01:00)" or "85.2". The value must be a
// finite number; the time is left zero if it does not parse, because the
// value alone is still worth having.
func datapoint(s string) (Datapoint, bool) {
	value, when, hasTime := strings.Cut(s, "(")
	if hasTime {
		var closed bool
		when, closed = strings.CutSuffix(when, ")")
		if !closed {
			return Datapoint{}, false
		}
	}
	v, ok := finite(strings.TrimSpace(value))
	if !ok {
		return Datapoint{}, false
	}
	dp := Datapoint{Value: v}
	if hasTime {
		if t, err := time.Parse(datapointLayout, strings.TrimSpace(when)); err == nil {
			dp.Time = t
		}
	}
	return dp, true
}

// reasonThreshold returns the number in the first "threshold (N)" that holds
// one. Anomaly-detection reasons say "thresholds [...]" and yield nothing,
// which is right: their threshold is a band, not a number.
func reasonThreshold(reason string) *float64 {
	const marker = "threshold ("
	for rest := reason; ; {
		i := strings.Index(rest, marker)
		if i < 0 {
			return nil
		}
		rest = rest[i+len(marker):]
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return nil
		}
		if v, ok := finite(strings.TrimSpace(rest[:end])); ok {
			return &v
		}
	}
}

// finite parses a decimal number as CloudWatch prints it ("1234.0",
// "1.5E-4"), refusing NaN, infinities, and Go-only syntax such as hex floats
// and underscores, which are not numbers in prose.
func finite(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}
