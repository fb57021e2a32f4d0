package emulator_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/local/emulator"
)

var codes = emulator.FaultCodes{Default: "ServerFault", Throttling: "Throttled"}

// take is one request in a scenario: its operation and the error it meets
// ("" for none).
type take struct {
	op, want string
}

func TestFaultQueue(t *testing.T) {
	tests := []struct {
		name   string
		inject []emulator.Fault
		takes  []take
	}{
		{
			name:  "empty",
			takes: []take{{"Describe", ""}},
		},
		{
			name:   "in injection order",
			inject: []emulator.Fault{{Operation: "Update", Error: "First"}, {Operation: "Update", Error: "Second"}},
			takes:  []take{{"Update", "First"}, {"Update", "Second"}, {"Update", ""}},
		},
		{
			name:   "Times uses, at least one",
			inject: []emulator.Fault{{Error: "Thrice", Times: 3}, {Error: "Once", Times: -2}},
			takes:  []take{{"A", "Thrice"}, {"B", "Thrice"}, {"C", "Thrice"}, {"D", "Once"}, {"E", ""}},
		},
		{
			name:   "its operation only",
			inject: []emulator.Fault{{Operation: "Update", Error: "UpdateFault"}},
			takes:  []take{{"Describe", ""}, {"Update", "UpdateFault"}, {"Update", ""}},
		},
		{
			name:   "the first match, not the first fault",
			inject: []emulator.Fault{{Operation: "Update", Error: "UpdateFault"}, {Operation: "Describe", Error: "DescribeFault"}},
			takes:  []take{{"Describe", "DescribeFault"}, {"Describe", ""}, {"Update", "UpdateFault"}},
		},
		{
			name:   "operation \"\" matches any",
			inject: []emulator.Fault{{Error: "Any", Times: 2}, {Operation: "Update", Error: "UpdateFault"}},
			takes:  []take{{"Update", "Any"}, {"Describe", "Any"}, {"Describe", ""}, {"Update", "UpdateFault"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			q := emulator.NewFaults(&mu, codes)
			for _, f := range tt.inject {
				q.Inject(f)
			}
			for i, tk := range tt.takes {
				mu.Lock()
				f, ok := q.Take(tk.op, nil)
				mu.Unlock()
				if ok != (tk.want != "") || f.Error != tk.want {
					t.Errorf("take %d (%s): %q, %v; want %q", i, tk.op, f.Error, ok, tk.want)
				}
			}
		})
	}
}

// Inject fills in a fault's defaults; Take returns it with the uses it has left.
func TestFaultDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   emulator.Fault
		want emulator.Fault
	}{
		{"server fault", emulator.Fault{}, emulator.Fault{Error: "ServerFault", Times: 0, Message: "Injected fault."}},
		{"throttling", emulator.Fault{Error: "Throttled"}, emulator.Fault{Error: "Throttled", Times: 0, Message: "Rate exceeded"}},
		{"other code", emulator.Fault{Error: "NotFound"}, emulator.Fault{Error: "NotFound", Times: 0, Message: "Injected fault."}},
		{"given message", emulator.Fault{Error: "Throttled", Message: "Slow down"}, emulator.Fault{Error: "Throttled", Times: 0, Message: "Slow down"}},
		{"uses left", emulator.Fault{Operation: "Update", Times: 3}, emulator.Fault{Operation: "Update", Error: "ServerFault", Times: 2, Message: "Injected fault."}},
		{"delay only", emulator.Fault{Delay: time.Millisecond}, emulator.Fault{Times: 0, Delay: time.Millisecond}},
		{"delay and error", emulator.Fault{Error: "Throttled", Delay: time.Millisecond}, emulator.Fault{Error: "Throttled", Times: 0, Message: "Rate exceeded", Delay: time.Millisecond}},
		{"negative delay", emulator.Fault{Delay: -time.Second}, emulator.Fault{Error: "ServerFault", Times: 0, Message: "Injected fault."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			q := emulator.NewFaults(&mu, codes)
			q.Inject(tt.in)
			mu.Lock()
			got, fail := q.Take("Update", nil)
			mu.Unlock()
			if fail != (tt.want.Error != "") || got != tt.want {
				t.Errorf("took %+v, %v; want %+v", got, fail, tt.want)
			}
		})
	}
}

func TestCallCounts(t *testing.T) {
	var mu sync.Mutex
	q := emulator.NewFaults(&mu, codes)
	if got := q.CallCounts(); got == nil || len(got) != 0 {
		t.Errorf("no calls: %v, want an empty map", got)
	}
	mu.Lock()
	for _, op := range []string{"Update", "Describe", "Update", "Create"} {
		q.Count(op)
	}
	mu.Unlock()
	for op, want := range map[string]int{"Update": 2, "Describe": 1, "Create": 1, "Delete": 0, "": 4} {
		if got := q.Calls(op); got != want {
			t.Errorf("Calls(%q) = %d, want %d", op, got, want)
		}
	}
	counts := q.CallCounts()
	counts["Update"] = 99 // a copy: the queue's counts do not change
	if got := q.Calls("Update"); got != 2 {
		t.Errorf("Calls(Update) after changing the copy = %d, want 2", got)
	}
}

// A delayed request is held with the emulator's lock released: other
// requests, later uses of the same fault among them, go on meanwhile.
func TestFaultDelay(t *testing.T) {
	const delay = 200 * time.Millisecond
	var mu sync.Mutex
	q := emulator.NewFaults(&mu, codes)
	q.Inject(emulator.Fault{Operation: "Describe", Delay: delay, Times: 2})
	q.Inject(emulator.Fault{Operation: "Update", Error: "Throttled", Delay: delay})

	type result struct {
		op    string
		fail  bool
		err   string
		taken time.Duration
	}
	results := make(chan result, 3)
	begin := time.Now()
	for _, op := range []string{"Describe", "Describe", "Update"} {
		go func() {
			mu.Lock()
			defer mu.Unlock()
			start := time.Now()
			f, fail := q.Take(op, nil)
			results <- result{op, fail, f.Error, time.Since(start)}
		}()
	}
	// The lock is free while the three requests are held.
	time.Sleep(delay / 4)
	locked := time.Now()
	mu.Lock()
	waited := time.Since(locked)
	q.Count("List")
	f, fail := q.Take("List", nil) // no fault of its own: not held
	mu.Unlock()
	if waited > delay/2 || fail || f != (emulator.Fault{}) {
		t.Errorf("another request waited %v for the lock and took %+v, %v; want no wait and no fault", waited, f, fail)
	}
	for range 3 {
		r := <-results
		if r.taken < delay {
			t.Errorf("%s held %v, want at least %v", r.op, r.taken, delay)
		}
		if want := r.op == "Update"; r.fail != want || (r.err == "Throttled") != want {
			t.Errorf("%s: fail %v with %q; want a delayed Describe to go through and a delayed Update to fail", r.op, r.fail, r.err)
		}
	}
	// Held at the same time, not one after the other.
	if all := time.Since(begin); all > 2*delay {
		t.Errorf("three requests held %v together, want about %v", all, delay)
	}
	mu.Lock()
	_, fail = q.Take("Describe", nil) // both uses spent
	mu.Unlock()
	if fail {
		t.Error("a third Describe met the fault of two uses")
	}
}

// The control API's form of a fault: the delay as a Go duration string.
func TestFaultJSON(t *testing.T) {
	var f emulator.Fault
	if err := json.Unmarshal([]byte(`{"operation":"DescribeServices","times":5,"delay":"11s"}`), &f); err != nil {
		t.Fatal(err)
	}
	if want := (emulator.Fault{Operation: "DescribeServices", Times: 5, Delay: 11 * time.Second}); f != want {
		t.Errorf("decoded %+v, want %+v", f, want)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"operation":"DescribeServices","error":"","times":5,"message":"","delay":"11s"}`; string(b) != want {
		t.Errorf("encoded %s, want %s", b, want)
	}
	b, _ = json.Marshal(emulator.Fault{Error: "Throttled"})
	if strings.Contains(string(b), "delay") {
		t.Errorf("a fault without a delay encodes as %s", b)
	}
	for _, bad := range []string{`{"delay":"soon"}`, `{"delay":"-1s"}`, `{"delay":11}`, `{"dealy":"1s"}`} {
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s decoded as %+v", bad, f)
		}
	}
}

// A fault with Match meets only the requests whose body contains it; others of the
// same operation pass it by and leave its uses alone.
func TestFaultMatchesTheBody(t *testing.T) {
	var mu sync.Mutex
	q := emulator.NewFaults(&mu, codes)
	q.Inject(emulator.Fault{Operation: "Describe", Match: `"slow-ecs"`, Times: 2})
	if got := q.Pending(); got != 2 {
		t.Errorf("pending %d uses, want 2", got)
	}
	mu.Lock()
	takes := []struct {
		body string
		fail bool
	}{
		{`{"services":["web"]}`, false},
		{`{"services":["slow-ecs"]}`, true},
		{`{"services":["slow-ecs-2"]}`, false}, // the quotes make it exact
		{`{"services":["slow-ecs"]}`, true},
		{`{"services":["slow-ecs"]}`, false}, // both uses spent
	}
	for i, tk := range takes {
		if _, fail := q.Take("Describe", []byte(tk.body)); fail != tk.fail {
			t.Errorf("take %d of %s: fail %v, want %v", i, tk.body, fail, tk.fail)
		}
	}
	mu.Unlock()
	if got := q.Pending(); got != 0 {
		t.Errorf("pending %d uses after both were taken, want 0", got)
	}
}
