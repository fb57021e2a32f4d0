package alarm

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// maxSeedSize bounds the corpus files a fuzz target is seeded with. The fuzzer mutates
// and minimizes a 256 KiB input slowly, and learns nothing from its size the table tests
// do not check (TestHostileMessages runs every file).
const maxSeedSize = 64 * 1024

// addSeeds seeds a fuzz target with the captured notifications, the hostile corpus and
// a few shapes of their own.
func addSeeds(f *testing.F) {
	for _, file := range append(testdataMessages, "sns-lambda-event.json", "sns-http-envelope.json") {
		f.Add(readTestdata(f, file))
	}
	hostile, err := filepath.Glob(filepath.Join(hostileDir, "*"))
	if err != nil || len(hostile) == 0 {
		f.Fatalf("no hostile corpus in %s: %v", hostileDir, err)
	}
	for _, file := range hostile {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= maxSeedSize {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"AlarmName":"a","NewStateValue":"OK","StateChangeTime":"2026-11-27T10:00:00Z","AlarmRule":"TRUE"}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{\"Message\":\"{}\"}"}]}`))
	f.Add([]byte(`{"Trigger":{"Period":1e999}}`))
	f.Add([]byte(`[]`))
}

// FuzzParse checks that Parse never panics, that whatever it accepts meets
// the documented guarantees, and that Marshal and Parse agree.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Problem == "" {
				t.Fatalf("error %v (%T) is not a *FieldError with a problem", err, err)
			}
			return
		}
		checkNotification(t, n)

		b, err := Marshal(n)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(Marshal(n)): %v\nmarshalled: %s", err, b)
		}
		if !reflect.DeepEqual(n, again) {
			t.Fatalf("Parse(Marshal(n)) != n\nn:     %#v\nagain: %#v\nmarshalled: %s", n, again, b)
		}
	})
}

func checkNotification(t *testing.T, n Notification) {
	t.Helper()
	if problem := checkAlarmName(n.AlarmName); problem != "" {
		t.Fatalf("accepted AlarmName %q: %s", n.AlarmName, problem)
	}
	if !n.NewState.Valid() {
		t.Fatalf("accepted NewState %q", n.NewState)
	}
	if n.OldState != "" && !n.OldState.Valid() {
		t.Fatalf("accepted OldState %q", n.OldState)
	}
	if n.StateChangeTime.IsZero() {
		t.Fatal("accepted a zero StateChangeTime")
	}
	switch n.Kind {
	case KindMetric, KindMetricMath:
		if n.Trigger == nil {
			t.Fatalf("Kind %s without Trigger", n.Kind)
		}
	case KindComposite:
		if n.Trigger != nil || n.AlarmRule == "" {
			t.Fatal("composite alarm with Trigger or without AlarmRule")
		}
	default:
		t.Fatalf("accepted Kind %q", n.Kind)
	}
	if n.Region != "" && !isRegionCode(n.Region) {
		t.Fatalf("Region %q is not a region code", n.Region)
	}
	if n.Threshold != nil && (*n.Threshold != *n.Threshold) {
		t.Fatal("Threshold is NaN")
	}
	for _, dp := range n.Datapoints {
		if dp.Value != dp.Value {
			t.Fatal("datapoint is NaN")
		}
	}
	if len(n.Datapoints) > maxDatapoints {
		t.Fatalf("%d datapoints", len(n.Datapoints))
	}
}

// FuzzMessages checks that Messages never panics and that what it returns is
// usable input for Parse.
func FuzzMessages(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := Messages(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Problem == "" {
				t.Fatalf("error %v (%T) is not a *FieldError with a problem", err, err)
			}
			return
		}
		if len(msgs) == 0 {
			t.Fatal("no messages and no error")
		}
		for _, m := range msgs {
			if m == "" {
				t.Fatal("empty message")
			}
			if n, err := Parse([]byte(m)); err == nil {
				checkNotification(t, n)
			}
		}
	})
}
