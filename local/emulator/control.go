package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ControlPrefix is the path under which an emulator serves its control API:
// its Go control methods over HTTP, JSON in and JSON out, for a process that
// did not start it.
const ControlPrefix = "/_emulator/"

// maxControlBody bounds a control request body.
const maxControlBody = 1 << 20

// DecodeControl decodes the JSON body of a control request into v. On
// failure it answers 400 itself and returns false.
func DecodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields() // a misspelt control field should not pass silently
	if err := dec.Decode(v); err != nil {
		WriteControlError(w, http.StatusBadRequest, fmt.Errorf("decode request body: %w", err))
		return false
	}
	return true
}

// WriteControl answers a control request with v as JSON.
func WriteControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

// WriteControlError answers a control request with {"error": "..."}.
func WriteControlError(w http.ResponseWriter, status int, err error) {
	WriteControl(w, status, map[string]string{"error": err.Error()})
}

// NoControlRoute answers a request under ControlPrefix that no route
// matched.
func NoControlRoute(w http.ResponseWriter, r *http.Request) {
	WriteControlError(w, http.StatusNotFound, fmt.Errorf("no control route %s %s", r.Method, r.URL.Path))
}

// ServeInjectFault is POST ControlPrefix+"faults": it injects the Fault in
// the body and echoes it as given.
func (q *Faults) ServeInjectFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !DecodeControl(w, r, &f) {
		return
	}
	q.Inject(f)
	WriteControl(w, http.StatusCreated, f)
}

// ServeCalls is GET ControlPrefix+"calls": the call counts by operation.
func (q *Faults) ServeCalls(w http.ResponseWriter, _ *http.Request) {
	WriteControl(w, http.StatusOK, q.CallCounts())
}
