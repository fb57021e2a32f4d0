package emulator_test

import (
	"sync"
	"testing"

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
				f, ok := q.Take(tk.op)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			q := emulator.NewFaults(&mu, codes)
			q.Inject(tt.in)
			mu.Lock()
			got, ok := q.Take("Update")
			mu.Unlock()
			if !ok || got != tt.want {
				t.Errorf("took %+v, %v; want %+v", got, ok, tt.want)
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
