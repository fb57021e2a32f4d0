package cwemu

import (
	"math"
	"testing"
)

// Java's Double.toString, as CloudWatch's documents show it ("threshold":80.0,
// "recentDatapoints":[0.322580645161292]) and as the Java documentation defines it:
// decimal between 10^-3 and 10^7, computerized scientific notation outside.
func TestJavaDouble(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{80, "80.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{0.5, "0.5"},
		{1318.5, "1318.5"},
		{0.322580645161292, "0.322580645161292"},
		{-17.5, "-17.5"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{0.00015, "1.5E-4"},
		{9999999, "9999999.0"},
		{1e7, "1.0E7"},
		{12345678.9, "1.23456789E7"},
		{-2.5e-9, "-2.5E-9"},
	}
	for _, tt := range tests {
		if got := javaDouble(tt.v); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestUpperSnake(t *testing.T) {
	for in, want := range map[string]string{"SampleCount": "SAMPLE_COUNT", "Average": "AVERAGE", "Maximum": "MAXIMUM"} {
		if got := upperSnake(in); got != want {
			t.Errorf("upperSnake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSubjectIsCutAtSNSLimit(t *testing.T) {
	long := subject("ALARM", string(make([]byte, 120)), "US East (N. Virginia)")
	if n := len([]rune(long)); n != 100 {
		t.Errorf("subject of %d characters, want 100", n)
	}
	if got := subject("OK", "web", "EU (London)"); got != `OK: "web" in EU (London)` {
		t.Errorf("subject %q", got)
	}
}
