package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stepscaler/stepscaler/local/emulator"
)

func TestControlHandlers(t *testing.T) {
	var mu sync.Mutex
	q := emulator.NewFaults(&mu, codes)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+emulator.ControlPrefix+"faults", q.ServeInjectFault)
	mux.HandleFunc("GET "+emulator.ControlPrefix+"calls", q.ServeCalls)
	mux.HandleFunc(emulator.ControlPrefix, emulator.NoControlRoute)

	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"inject echoes the fault as given", "POST", "/_emulator/faults", `{"operation":"Update","error":"Throttled"}`,
			http.StatusCreated, `{"operation":"Update","error":"Throttled","times":0,"message":""}`},
		{"unknown field", "POST", "/_emulator/faults", `{"operation":"Update","eror":"Throttled"}`,
			http.StatusBadRequest, `{"error":"decode request body: json: unknown field \"eror\""}`},
		{"not JSON", "POST", "/_emulator/faults", `operation=Update`,
			http.StatusBadRequest, `{"error":"decode request body: invalid character 'o' looking for beginning of value"}`},
		{"calls", "GET", "/_emulator/calls", ``,
			http.StatusOK, `{}`},
		{"no route", "GET", "/_emulator/nothing", ``,
			http.StatusNotFound, `{"error":"no control route GET /_emulator/nothing"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.status || strings.TrimSpace(rec.Body.String()) != tt.want {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	// The injected fault is queued with its defaults.
	mu.Lock()
	f, ok := q.Take("Update", nil)
	mu.Unlock()
	if !ok || f.Error != "Throttled" || f.Message != "Rate exceeded" {
		t.Errorf("queued %+v, %v", f, ok)
	}

	mu.Lock()
	q.Count("Update")
	mu.Unlock()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/_emulator/calls", nil))
	var counts map[string]int
	if err := json.Unmarshal(rec.Body.Bytes(), &counts); err != nil || counts["Update"] != 1 || len(counts) != 1 {
		t.Errorf("calls %s (%v), want Update 1", rec.Body, err)
	}
}
