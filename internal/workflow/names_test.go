package workflow

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Step Functions execution names: 1-80 characters; we keep to those CloudWatch logging
// accepts too.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func TestExecutionName(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 3, 12, 347e6, time.UTC)
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	tests := []struct {
		name   string
		svc    scaling.ServiceRef
		prefix string
	}{
		{"cluster and service", web, "prod-web-20261127T1003Z-"},
		{"underscores kept", scaling.ServiceRef{Cluster: "prod_eu", Service: "web_api"}, "prod_eu-web_api-20261127T1003Z-"},
		{"long names are cut", scaling.ServiceRef{Cluster: strings.Repeat("c", 255), Service: "web"}, strings.Repeat("c", 54) + "-20261127T1003Z-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExecutionName(tt.svc, at)
			if !validName.MatchString(got) {
				t.Fatalf("ExecutionName = %q: not a valid execution name", got)
			}
			if !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+hashLen {
				t.Errorf("ExecutionName = %q, want prefix %q and a %d-character hash", got, tt.prefix, hashLen)
			}
		})
	}
	// One name per service and minute, whatever the second or the time zone: a
	// notification at 10:03:12 and the schedule's evaluation at 10:03:40 start one execution.
	base := ExecutionName(web, at)
	for _, same := range []time.Time{at.Truncate(time.Minute), at.Add(47 * time.Second), at.In(time.FixedZone("CET", 3600))} {
		if got := ExecutionName(web, same); got != base {
			t.Errorf("ExecutionName(%s) = %q, want %q (same minute)", same, got, base)
		}
	}
	for _, other := range []string{
		ExecutionName(web, at.Add(48*time.Second)), // 10:04:00, the next minute
		ExecutionName(scaling.ServiceRef{Cluster: "prod", Service: "api"}, at),
		ExecutionName(scaling.ServiceRef{Cluster: "prod-web", Service: ""}, at), // same readable prefix
		ExecutionName(scaling.ServiceRef{Cluster: strings.Repeat("c", 255), Service: "x"}, at),
	} {
		if other == base {
			t.Errorf("a different service or minute shares the name %q", base)
		}
	}
	long1 := ExecutionName(scaling.ServiceRef{Cluster: strings.Repeat("c", 200), Service: "a"}, at)
	long2 := ExecutionName(scaling.ServiceRef{Cluster: strings.Repeat("c", 200), Service: "b"}, at)
	if long1 == long2 {
		t.Errorf("long names differing after the cut share the name %q", long1)
	}
}

func TestOfService(t *testing.T) {
	web := scaling.ServiceRef{Cluster: "test", Service: "web"}
	webAPI := scaling.ServiceRef{Cluster: "test", Service: "web-api"}
	at := time.Date(2026, 11, 27, 10, 3, 12, 0, time.UTC)
	name := ExecutionName(web, at)
	if m, ok := OfService(name, web); !ok || !m.Equal(at.Truncate(time.Minute)) {
		t.Errorf("OfService(%q, web) = %s, %v; want 10:03, true", name, m, ok)
	}
	// "test-web-" begins every name of test/web-api too: the hash tells them apart.
	for _, other := range []string{ExecutionName(webAPI, at), "test-web-20261127T1003Z-0000000000", "test-web", ""} {
		if _, ok := OfService(other, web); ok {
			t.Errorf("OfService(%q, web) = true", other)
		}
	}
}

func FuzzExecutionName(f *testing.F) {
	f.Add("prod", "web", int64(0))
	f.Add("a b", "ü/x", int64(1764237792347))
	f.Fuzz(func(t *testing.T, cluster, service string, ms int64) {
		if n := ExecutionName(scaling.ServiceRef{Cluster: cluster, Service: service}, time.UnixMilli(ms%(1<<41))); !validName.MatchString(n) {
			t.Fatalf("ExecutionName(%q, %q) = %q: not a valid execution name", cluster, service, n)
		}
	})
}
