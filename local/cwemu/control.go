package cwemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The control API: the Go control methods over HTTP, for a process that did not start
// the emulator. JSON in, JSON out. See README.md for the routes.

const controlPrefix = "/_emulator/"

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /service/"+serviceName+"/operation/{op}", e.serveAPI)
	mux.HandleFunc("POST "+controlPrefix+"evaluate", e.ctlEvaluate)
	mux.HandleFunc("POST "+controlPrefix+"metrics", e.ctlPublishMetric)
	mux.HandleFunc("POST "+controlPrefix+"faults", e.ctlInjectFault)
	mux.HandleFunc("GET "+controlPrefix+"calls", e.ctlCalls)
	mux.HandleFunc(controlPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeControlError(w, http.StatusNotFound, fmt.Errorf("no control route %s %s", r.Method, r.URL.Path))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newRequestID(), errorf("UnknownOperation", "%s %s is not a CloudWatch RPC v2 CBOR operation (POST /service/%s/operation/<Operation>).", r.Method, r.URL.Path, serviceName))
	})
	return mux
}

// ctlEvaluate runs EvaluateAlarms at the given time, or the emulator's clock's now.
func (e *Emulator) ctlEvaluate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Time *time.Time `json:"time"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	at := e.now()
	if in.Time != nil {
		at = in.Time.UTC().Truncate(time.Millisecond)
	}
	e.evaluateAlarms(r.Context(), at)
	writeControl(w, http.StatusOK, map[string]string{"evaluatedAt": at.Format(time.RFC3339Nano)})
}

func (e *Emulator) ctlPublishMetric(w http.ResponseWriter, r *http.Request) {
	var data []Datum
	if !decodeControl(w, r, &data) {
		return
	}
	if err := e.PublishMetric(data...); err != nil {
		writeControlError(w, http.StatusBadRequest, err)
		return
	}
	writeControl(w, http.StatusCreated, map[string]int{"published": len(data)})
}

func (e *Emulator) ctlInjectFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !decodeControl(w, r, &f) {
		return
	}
	e.InjectFault(f)
	writeControl(w, http.StatusCreated, f)
}

func (e *Emulator) ctlCalls(w http.ResponseWriter, _ *http.Request) {
	writeControl(w, http.StatusOK, e.callCounts())
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields() // a misspelt control field should not pass silently
	if err := dec.Decode(v); err != nil {
		writeControlError(w, http.StatusBadRequest, fmt.Errorf("decode request body: %w", err))
		return false
	}
	return true
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

func writeControlError(w http.ResponseWriter, status int, err error) {
	writeControl(w, status, map[string]string{"error": err.Error()})
}
