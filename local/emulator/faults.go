package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"
)

// Fault makes the next Times requests of Operation ("" for any) fail with
// the error code Error, before any other processing; with a Delay, it holds
// them that long first.
type Fault struct {
	Operation string
	Error     string // default: FaultCodes.Default, or none if Delay is set
	Times     int    // at least 1
	Message   string // default: a generic message
	// Delay holds each of the requests this long before anything else is
	// done with it, as a slow or stalled service would: the request then
	// fails with Error, or, if the fault has none, is served as usual, only
	// late. A client that gives up first (a Lambda function that runs out of
	// time) sees no answer at all.
	Delay time.Duration
	// Match, when set, limits the fault to requests whose body contains it
	// (a service's name, say), so that a test can slow one service's calls
	// while other services' executions share the emulator.
	Match string
}

// faultJSON is a Fault in the control API: the Delay as a Go duration string
// ("11s"), as the emulators' other durations.
type faultJSON struct {
	Operation string `json:"operation"`
	Error     string `json:"error"`
	Times     int    `json:"times"`
	Message   string `json:"message"`
	Delay     string `json:"delay,omitempty"`
	Match     string `json:"match,omitempty"`
}

// MarshalJSON writes the fault as the control API does.
func (f Fault) MarshalJSON() ([]byte, error) {
	w := faultJSON{Operation: f.Operation, Error: f.Error, Times: f.Times, Message: f.Message, Match: f.Match}
	if f.Delay != 0 {
		w.Delay = f.Delay.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a fault of the control API, rejecting unknown fields
// (a misspelt control should not pass silently) and delays that are not Go
// durations of zero or more.
func (f *Fault) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w faultJSON
	if err := dec.Decode(&w); err != nil {
		return err
	}
	var delay time.Duration
	if w.Delay != "" {
		d, err := time.ParseDuration(w.Delay)
		if err != nil || d < 0 {
			return fmt.Errorf("fault delay %q: want a Go duration of zero or more, such as \"11s\"", w.Delay)
		}
		delay = d
	}
	*f = Fault{Operation: w.Operation, Error: w.Error, Times: w.Times, Message: w.Message, Delay: delay, Match: w.Match}
	return nil
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
// request either not yet started or complete (or held by a fault's Delay,
// which Take waits out with the lock released).
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
	f.Delay = max(f.Delay, 0)
	if f.Error == "" && f.Delay == 0 {
		f.Error = q.codes.Default
	}
	if f.Message == "" && f.Error != "" {
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

// Take consumes one use of the first fault matching op and the request's
// body and returns it, with the uses it has left; the lock must be held. fail reports whether the
// request is to fail with the fault's Error.
//
// A fault with a Delay holds the request that long before Take returns,
// with the lock released meanwhile, so that the emulator goes on serving
// other requests (some of which may meet later uses of the same fault) and
// its scheduler goes on running: the caller must read the emulator's state,
// its clock included, only after Take. A Delay without an Error only slows
// the request: fail is false.
func (q *Faults) Take(op string, body []byte) (f Fault, fail bool) {
	for i, queued := range q.queue {
		if queued.Operation != "" && queued.Operation != op {
			continue
		}
		if queued.Match != "" && !bytes.Contains(body, []byte(queued.Match)) {
			continue
		}
		if queued.Times--; queued.Times == 0 {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
		}
		f = *queued
		if f.Delay > 0 {
			q.mu.Unlock()
			time.Sleep(f.Delay)
			q.mu.Lock()
		}
		return f, f.Error != ""
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

// Pending returns the uses the queued faults have left.
func (q *Faults) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, f := range q.queue {
		n += f.Times
	}
	return n
}

// CallCounts returns a copy of the counts, by operation.
func (q *Faults) CallCounts() map[string]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return maps.Clone(q.calls)
}
