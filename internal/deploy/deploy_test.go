package deploy

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEveryFunctionHasATimeout: each folder under functions/ is in the table, and the
// table names no function that does not exist.
func TestEveryFunctionHasATimeout(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen[e.Name()] = true
		if Timeouts[e.Name()] <= 0 {
			t.Errorf("functions/%s has no timeout", e.Name())
		}
	}
	for name := range Timeouts {
		if !seen[name] {
			t.Errorf("the table lists %s, which is not a folder under functions/", name)
		}
	}
}

// Worked by hand from ECS's documented rates (20 reads/s, 5 writes/s): with half of
// them and describe-service 2, check-stability 3 and update-desired-count 2 instances,
// reads are 0.5 × 20 = 10/s over 5 instances, 2/s each, and writes 0.5 × 5 = 2.5/s over
// 2 instances, 1.25/s each.
func TestECSCallsPerSecond(t *testing.T) {
	concurrency := map[string]int{"describe-service": 2, "check-stability": 3, "update-desired-count": 2, "starter": 7}
	for fn, want := range map[string]float64{
		"describe-service": 2, "check-stability": 2, "update-desired-count": 1.25,
		"starter": 0, "acquire-lease": 0, "plan-scaling": 0,
	} {
		if got := ECSCallsPerSecond(fn, DefaultECSShare, concurrency); got != want {
			t.Errorf("ECSCallsPerSecond(%s) = %v, want %v", fn, got, want)
		}
	}
	// Summed over every instance, the pace is the share of the account's rates, whatever
	// the concurrency.
	for _, c := range []map[string]int{concurrency, {"describe-service": 15, "check-stability": 40, "update-desired-count": 15}} {
		sum := map[string]float64{}
		for fn, bucket := range ecsBuckets {
			sum[bucket] += float64(c[fn]) * ECSCallsPerSecond(fn, 0.3, c)
		}
		if !near(sum["read"], 6) || !near(sum["write"], 1.5) {
			t.Errorf("concurrency %v at a 0.3 share: %v reads/s and %v writes/s, want 6 and 1.5", c, sum["read"], sum["write"])
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
