package service

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseDescribeServices: any input either parses or yields a *ParseError, never a
// panic; a parse is deterministic, stamps every snapshot with observedAt, and survives the
// JSON round trip the snapshot makes through the execution's state.
func FuzzParseDescribeServices(f *testing.F) {
	docs, err := filepath.Glob("../stability/testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range docs {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"services":[{"events":[{"createdAt":1.619719924711E9}]}]}`))
	f.Add([]byte(`{"failures":[{"arn":"x","reason":"MISSING"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		snaps, failures, err := ParseDescribeServices(data, observed)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is a %T, not a *ParseError", err, err)
			}
			return
		}
		again, againFailures, err := ParseDescribeServices(data, observed)
		if err != nil || !reflect.DeepEqual(snaps, again) || !reflect.DeepEqual(failures, againFailures) {
			t.Fatalf("second parse differs: %v", err)
		}
		for _, s := range snaps {
			if !s.ObservedAt.Equal(observed) || s.Deployments == nil {
				t.Fatalf("snapshot %+v: want observedAt %s and a non-nil deployment list", s, observed)
			}
			encoded, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var decoded Snapshot
			if err := json.Unmarshal(encoded, &decoded); err != nil {
				t.Fatalf("round trip: %v", err)
			}
			if !reflect.DeepEqual(decoded.ForPayload(), s.ForPayload()) {
				t.Fatalf("round trip changed the snapshot:\n%+v\n%+v", decoded, s)
			}
		}
	})
}
