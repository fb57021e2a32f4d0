package emulator

import (
	"maps"
	"sync"
)

// Fault makes the next Times requests of Operation ("" for any) fail with
// the error code Error, before any other processing.
type Fault struct {
	Operation string `json:"operation"`
	Error     string `json:"error"`   // default: FaultCodes.Default
	Times     int    `json:"times"`   // at least 1
	Message   string `json:"message"` // default: a generic message
}

// FaultCodes are the error codes of one service that Faults needs to know.
type FaultCodes struct {
	// Default is the error of a Fault that names none: the service's server
	// fault, which clients retry.
	Default string
	// Throttling is the service's throttling error, whose default message is
	// the "Rate exceeded" of AWS's front end.
	Throttling string
}

// Faults is an emulator's queue of injected faults and its count of calls
// per operation.
//
// It shares the emulator's lock rather than having its own: a request is
// counted and meets its fault under that lock, along with the rest of its
// handling, so that whoever injects a fault or reads the counts sees each
// request either not yet started or complete.
type Faults struct {
	mu    sync.Locker
	codes FaultCodes
	queue []*Fault
	calls map[string]int
}

// NewFaults returns an empty queue guarded by mu, the emulator's lock.
func NewFaults(mu sync.Locker, codes FaultCodes) *Faults {
	return &Faults{mu: mu, codes: codes, calls: map[string]int{}}
}

// Inject queues f, with its defaults filled in. Faults match in the order
// they were injected.
func (q *Faults) Inject(f Fault) {
	f.Times = max(f.Times, 1)
	if f.Error == "" {
		f.Error = q.codes.Default
	}
	if f.Message == "" {
		f.Message = "Injected fault."
		if f.Error == q.codes.Throttling {
			f.Message = "Rate exceeded"
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue = append(q.queue, &f)
}

// Count records a request of operation op; the lock must be held.
func (q *Faults) Count(op string) {
	q.calls[op]++
}

// Take consumes one use of the first fault matching op and returns it, with
// the uses it has left; the lock must be held.
func (q *Faults) Take(op string) (Fault, bool) {
	for i, f := range q.queue {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Times--; f.Times == 0 {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
		}
		return *f, true
	}
	return Fault{}, false
}

// Calls returns how many requests of the operation were counted, failed
// ones included; "" counts all operations.
func (q *Faults) Calls(operation string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if operation != "" {
		return q.calls[operation]
	}
	n := 0
	for _, c := range q.calls {
		n += c
	}
	return n
}

// CallCounts returns a copy of the counts, by operation.
func (q *Faults) CallCounts() map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return maps.Clone(q.calls)
}
