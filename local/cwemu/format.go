package cwemu

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// CloudWatch is written in Java, and its numbers and times show it: notifications and
// StateReasonData write 80.0 and 1.0E-4 (Java's Double.toString), reasons write
// "(27/11/26 10:01:00)", JSON documents "2026-11-27T10:02:41.512+0000". The formats
// below reproduce them, as seen in the captured notifications under
// internal/alarm/testdata and in public captures of StateReasonData.

const (
	// jsonTimeLayout is the timestamp of notifications and StateReasonData.
	jsonTimeLayout = "2006-01-02T15:04:05.000-0700"
	// reasonTimeLayout is a datapoint's time in a state reason, dd/MM/yy HH:mm:ss UTC.
	reasonTimeLayout = "02/01/06 15:04:05"
	// compositeReasonTimeLayout is the time in a composite alarm's reason, as in
	// "transitioned to ALARM at Friday 27 November, 2026 10:02:41 UTC".
	compositeReasonTimeLayout = "Monday 2 January, 2006 15:04:05 UTC"
)

func jsonTime(t time.Time) string { return t.UTC().Format(jsonTimeLayout) }

// javaDouble formats v as Java's Double.toString does: plain decimal with at least one
// fractional digit for 10^-3 <= |v| < 10^7, computerized scientific notation ("1.0E7",
// "1.5E-4") otherwise, with the shortest digits that read back as v.
func javaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(v); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'e', -1, 64) // 1.5e-04, 1e+07
	mantissa, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mantissa, ".") {
		mantissa += ".0"
	}
	n, _ := strconv.Atoi(exp) // strconv wrote it
	return mantissa + "E" + strconv.Itoa(n)
}

// javaNumber is a float64 that encodes to JSON as javaDouble writes it.
type javaNumber float64

func (n javaNumber) MarshalJSON() ([]byte, error) { return []byte(javaDouble(float64(n))), nil }

func itoa(i int) string { return strconv.Itoa(i) }

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// wasWere agrees the verb with n.
func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
