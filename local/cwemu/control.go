package cwemu

import (
	"net/http"
	"time"

	"github.com/stepscaler/stepscaler/local/emulator"
)

// The control API: the Go control methods over HTTP, for a process that did not start
// the emulator. JSON in, JSON out. See README.md for the routes.

const controlPrefix = emulator.ControlPrefix

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /service/"+serviceName+"/operation/{op}", e.serveAPI)
	mux.HandleFunc("POST "+controlPrefix+"evaluate", e.ctlEvaluate)
	mux.HandleFunc("POST "+controlPrefix+"metrics", e.ctlPublishMetric)
	mux.HandleFunc("POST "+controlPrefix+"faults", e.faults.ServeInjectFault)
	mux.HandleFunc("GET "+controlPrefix+"calls", e.faults.ServeCalls)
	mux.HandleFunc(controlPrefix, emulator.NoControlRoute)
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
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	at := e.now()
	if in.Time != nil {
		at = in.Time.UTC().Truncate(time.Millisecond)
	}
	e.evaluateAlarms(r.Context(), at)
	emulator.WriteControl(w, http.StatusOK, map[string]string{"evaluatedAt": at.Format(time.RFC3339Nano)})
}

func (e *Emulator) ctlPublishMetric(w http.ResponseWriter, r *http.Request) {
	var data []Datum
	if !emulator.DecodeControl(w, r, &data) {
		return
	}
	if err := e.PublishMetric(data...); err != nil {
		emulator.WriteControlError(w, http.StatusBadRequest, err)
		return
	}
	emulator.WriteControl(w, http.StatusCreated, map[string]int{"published": len(data)})
}
