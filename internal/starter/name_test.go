package starter

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// Step Functions execution names: 1-80 characters; we keep to those CloudWatch logging
// accepts too.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func TestExecutionName(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 3, 12, 347e6, time.UTC)
	tests := []struct {
		name, key string
		prefix    string
	}{
		{"plain name", "web-cpu-high", "web-cpu-high-20261127T100312347Z-"},
		{"ARN keeps the alarm name", "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:web-cpu-high", "web-cpu-high-20261127T100312347Z-"},
		{"spaces and punctuation", "Web CPU > 70% (prod)", "Web-CPU-70-prod-20261127T100312347Z-"},
		{"non-ASCII", "überlast-ä", "berlast-20261127T100312347Z-"},
		{"nothing usable", "***", "alarm-20261127T100312347Z-"},
		{"long name is cut", strings.Repeat("a", 255), strings.Repeat("a", 49) + "-20261127T100312347Z-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExecutionName(tt.key, at)
			if !validName.MatchString(got) {
				t.Fatalf("ExecutionName = %q: not a valid execution name", got)
			}
			if !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("ExecutionName = %q, want prefix %q", got, tt.prefix)
			}
			if again := ExecutionName(tt.key, at.In(time.FixedZone("x", 3600))); again != got {
				t.Errorf("not deterministic across time zones: %q vs %q", again, got)
			}
		})
	}
	base := ExecutionName("web-cpu-high", at)
	for _, other := range []string{
		ExecutionName("web-cpu-high", at.Add(time.Millisecond)),
		ExecutionName("web-cpu-highs", at),
		ExecutionName(strings.Repeat("a", 255)+"x", at),
	} {
		if other == base {
			t.Errorf("distinct transitions share the name %q", base)
		}
	}
	if a, b := ExecutionName(strings.Repeat("a", 200)+"1", at), ExecutionName(strings.Repeat("a", 200)+"2", at); a == b {
		t.Errorf("long names differing after the cut share the name %q", a)
	}
}

func FuzzExecutionName(f *testing.F) {
	f.Add("web-cpu-high", int64(0))
	f.Add("arn:aws:cloudwatch:us-east-1:1:alarm:x y", int64(1764237792347))
	f.Fuzz(func(t *testing.T, key string, ms int64) {
		if n := ExecutionName(key, time.UnixMilli(ms%(1<<41))); !validName.MatchString(n) {
			t.Fatalf("ExecutionName(%q) = %q", key, n)
		}
	})
}
