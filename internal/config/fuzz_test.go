package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes, starting from the broken corpus and the valid
// configurations. Whatever the input, Parse must not panic; a refusal is a *config.Error
// whose every problem names a field and says what is wrong; an accepted configuration
// keeps every service's bounds within ECS's limits, and reads back the same when
// encoding/json writes it out, so the decoding and encoding/json agree on what it holds.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, filepath.Join("..", "..", "config", "stepscaler.json"), filepath.Join("..", "..", "config", "scheduled-scaling.json"))
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(everyField))

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.json", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz.json" || len(ce.Problems) == 0 {
				t.Fatalf("Parse() error = %#v, want a *config.Error with problems", err)
			}
			for _, p := range ce.Problems {
				if p.Field == "" || p.Message == "" {
					t.Fatalf("problem without a field or a message: %+v", p)
				}
			}
			return
		}
		for _, target := range c.Targets() {
			if p := target.Policy; p.MinCapacity < 0 || p.MinCapacity > p.MaxCapacity || p.MaxCapacity > maxServiceTasks {
				t.Fatalf("accepted %s with bounds [%d, %d]", p.AlarmName, p.MinCapacity, p.MaxCapacity)
			}
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("again.json", out)
		if err != nil {
			t.Fatalf("accepted, but not once written out by encoding/json: %v\n%s", err, out)
		}
		if back, _ := json.Marshal(again); !bytes.Equal(back, out) {
			t.Fatalf("read back differently:\n%s\n%s", out, back)
		}
	})
}
