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
