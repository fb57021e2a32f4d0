package alarm

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseReason(t *testing.T) {
	tests := []struct {
		name       string
		reason     string
		datapoints []Datapoint
		threshold  *float64
	}{
		{
			name:       "one datapoint",
			reason:     "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
			datapoints: []Datapoint{{Value: 1234, Time: utc("2015-03-06T17:43:27Z")}},
			threshold:  ptr(0),
		},
		{
			name:   "several datapoints",
			reason: "Threshold Crossed: 2 out of the last 3 datapoints [85.2 (27/11/26 10:01:00), 90.1 (27/11/26 10:00:00)] were greater than the threshold (80.0) (minimum 2 datapoints for OK -> ALARM transition).",
			datapoints: []Datapoint{
				{Value: 85.2, Time: utc("2026-11-27T10:01:00Z")},
				{Value: 90.1, Time: utc("2026-11-27T10:00:00Z")},
			},
			threshold: ptr(80),
		},
		{
			name:       "OK transition",
			reason:     "Threshold Crossed: 1 datapoint [12.5 (27/11/26 10:05:00)] was not greater than the threshold (80.0).",
			datapoints: []Datapoint{{Value: 12.5, Time: utc("2026-11-27T10:05:00Z")}},
			threshold:  ptr(80),
		},
		{
			name:      "no datapoints received",
			reason:    "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].",
			threshold: nil,
		},
		{
			name:   "missing datapoints beside real ones",
			reason: "Threshold Crossed: 1 out of the last 2 datapoints [Breaching] and [3.5 (27/11/26 10:00:00)] were less than the threshold (-2.5).",
			datapoints: []Datapoint{
				{Value: 3.5, Time: utc("2026-11-27T10:00:00Z")},
			},
			threshold: ptr(-2.5),
		},
		{
			name:       "Java exponent notation",
			reason:     "Threshold Crossed: 1 datapoint [1.2345678E7 (27/11/26 10:00:00)] was greater than the threshold (1.0E-4).",
			datapoints: []Datapoint{{Value: 1.2345678e7, Time: utc("2026-11-27T10:00:00Z")}},
			threshold:  ptr(1e-4),
		},
		{
			name:       "negative value",
			reason:     "Threshold Crossed: 1 datapoint [-3.0 (27/11/26 10:00:00)] was less than the threshold (0.0).",
			datapoints: []Datapoint{{Value: -3, Time: utc("2026-11-27T10:00:00Z")}},
			threshold:  ptr(0),
		},
		{
			name:       "unparseable time keeps the value",
			reason:     "Threshold Crossed: 1 datapoint [7.0 (Nov 27 10:00)] was greater than the threshold (5.0).",
			datapoints: []Datapoint{{Value: 7}},
			threshold:  ptr(5),
		},
		{
			name:       "datapoint without a time",
			reason:     "Threshold Crossed: 2 datapoints [7.0, 8.0] were greater than the threshold (5.0).",
			datapoints: []Datapoint{{Value: 7}, {Value: 8}},
			threshold:  ptr(5),
		},
		{
			name:      "insufficient data",
			reason:    "Insufficient Data: 5 datapoints were unknown.",
			threshold: nil,
		},
		{
			name:   "unchecked",
			reason: "Unchecked: Initial alarm creation",
		},
		{
			name:   "composite",
			reason: "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:web-api-cpu-high transitioned to ALARM at Friday 27 November, 2026 10:02:41 UTC",
		},
		{
			name:       "anomaly band has no single threshold",
			reason:     "Thresholds Crossed: 1 out of the last 1 datapoints [15230.0 (27/11/26 10:15:00)] was greater than the upper thresholds [11842.611] (minimum 1 datapoint for OK -> ALARM transition).",
			datapoints: []Datapoint{{Value: 15230, Time: utc("2026-11-27T10:15:00Z")}},
		},
		{
			name:   "NaN and Infinity are not datapoints",
			reason: "1 datapoint [NaN (27/11/26 10:00:00)] and [Infinity] vs the threshold (Infinity) then threshold (NaN)",
		},
		{
			name:   "Go-only number syntax is not prose",
			reason: "1 datapoint [0x1p4 (27/11/26 10:00:00)] was above the threshold (1_000)",
		},
		{
			name:   "unclosed bracket",
			reason: "Threshold Crossed: 1 datapoint [7.0 (27/11/26 10:00:00) was greater than the threshold (",
		},
		{
			name:   "unclosed time",
			reason: "datapoint [7.0 (27/11/26 10:00:00]",
		},
		{
			name:      "second threshold mention parses",
			reason:    "threshold (n/a) then the threshold (12)",
			threshold: ptr(12),
		},
		{
			name:   "empty list",
			reason: "datapoints []",
		},
		{name: "empty", reason: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dps, th := ParseReason(tt.reason)
			if !reflect.DeepEqual(dps, tt.datapoints) {
				t.Errorf("datapoints = %+v, want %+v", dps, tt.datapoints)
			}
			if !reflect.DeepEqual(th, tt.threshold) {
				t.Errorf("threshold = %v, want %v", deref(th), deref(tt.threshold))
			}
		})
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// The reason's timestamps are UTC, and dd/MM/yy: 27/11/26 is 27 November.
func TestDatapointTimeIsUTCDayFirst(t *testing.T) {
	dps, _ := ParseReason("1 datapoint [1.0 (27/11/26 23:59:59)]")
	if len(dps) != 1 {
		t.Fatalf("got %d datapoints", len(dps))
	}
	want := time.Date(2026, time.November, 27, 23, 59, 59, 0, time.UTC)
	if !dps[0].Time.Equal(want) || dps[0].Time.Location() != time.UTC {
		t.Errorf("Time = %v, want %v", dps[0].Time, want)
	}
}

func TestDatapointsAreBounded(t *testing.T) {
	list := strings.Repeat("1.0, ", 5000) + "2.0"
	dps, _ := ParseReason("datapoints [" + list + "]")
	if len(dps) != maxDatapoints {
		t.Errorf("kept %d datapoints, want %d", len(dps), maxDatapoints)
	}
}
