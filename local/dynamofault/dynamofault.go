// Package dynamofault is a proxy in front of a DynamoDB endpoint that fails chosen
// requests the way DynamoDB fails them: before the request takes effect (a throttle, a
// server error, an access denial), or after it took effect with its answer lost or late
// (a write that committed while the caller timed out). The local stack puts it between
// the functions and DynamoDB, so scenarios can fail each of the workflow's writes.
package dynamofault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stepscaler/stepscaler/local/emulator"
)

// Error codes DynamoDB answers with, and their HTTP statuses ("Error handling with
// DynamoDB", Amazon DynamoDB Developer Guide: 400 for the client's errors, throttling
// included; 500 and 503 for the service's).
const (
	ProvisionedThroughputExceeded = "ProvisionedThroughputExceededException"
	Throttling                    = "ThrottlingException"
	AccessDenied                  = "AccessDeniedException"
	InternalServerError           = "InternalServerError"
	ServiceUnavailable            = "ServiceUnavailable"
)

func status(code string) int {
	switch code {
	case InternalServerError:
		return http.StatusInternalServerError
	case ServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// Fault fails the next Times requests that match it.
type Fault struct {
	// Operation is the DynamoDB operation ("PutItem", "UpdateItem"; "" any).
	Operation string
	// Match are strings that must all occur in the request body: they tell apart
	// requests of one operation, such as the store's updates of one service's state item
	// by its key and the attributes they set.
	Match []string
	// Error is the error code answered (default InternalServerError).
	Error string
	// Times is how many requests fail (at least 1).
	Times int
	// AfterCommit passes the request on and answers the error once it took effect.
	AfterCommit bool
	// Delay holds the answer this long first: with AfterCommit and a Delay past the
	// function's timeout, a write that commits while its caller has given up.
	Delay time.Duration
}

// Proxy forwards requests to a DynamoDB endpoint, failing those its faults match.
type Proxy struct {
	target string
	client *http.Client
	srv    *emulator.Server

	mu     sync.Mutex
	faults []*Fault
	calls  map[string]int
}

// Start serves a proxy to the DynamoDB endpoint target on a local port.
func Start(target string, log *slog.Logger) (*Proxy, error) {
	p := &Proxy{target: strings.TrimSuffix(target, "/"), client: &http.Client{}, calls: map[string]int{}}
	srv, err := emulator.Serve("dynamofault", "127.0.0.1:0", p, log)
	if err != nil {
		return nil, err
	}
	p.srv = srv
	return p, nil
}

// URL is the proxy's endpoint.
func (p *Proxy) URL() string { return p.srv.URL() }

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

// Inject queues f; faults match in the order they were injected. The function it
// returns withdraws f, if it is not used up yet.
func (p *Proxy) Inject(f Fault) (withdraw func()) {
	f.Times = max(f.Times, 1)
	if f.Error == "" {
		f.Error = InternalServerError
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.faults = slices.DeleteFunc(p.faults, func(q *Fault) bool { return q == &f })
	}
}

// Calls is how many requests of operation ("" all) reached the proxy.
func (p *Proxy) Calls(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if operation != "" {
		return p.calls[operation]
	}
	n := 0
	for _, c := range p.calls {
		n += c
	}
	return n
}

// take counts a request and consumes a use of the first fault matching it.
func (p *Proxy) take(op string, body []byte) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	for i, f := range p.faults {
		if (f.Operation != "" && f.Operation != op) || !matches(body, f.Match) {
			continue
		}
		if f.Times--; f.Times == 0 {
			p.faults = append(p.faults[:i], p.faults[i+1:]...)
		}
		return *f, true
	}
	return Fault{}, false
}

func matches(body []byte, all []string) bool {
	for _, m := range all {
		if !bytes.Contains(body, []byte(m)) {
			return false
		}
	}
	return true
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// X-Amz-Target: DynamoDB_20120810.<Operation>
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	f, faulty := p.take(op, body)
	if faulty && !f.AfterCommit {
		p.fail(w, r, f)
		return
	}
	resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "dynamofault: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, "dynamofault: "+err.Error(), http.StatusBadGateway)
		return
	}
	if faulty {
		p.fail(w, r, f)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	req.Host = r.Host // the signature covers it
	return p.client.Do(req)
}

// fail answers f's error, as DynamoDB's JSON protocol writes one, after f's delay or
// when the caller gives up, whichever comes first.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, f Fault) {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	doc, _ := json.Marshal(map[string]string{
		"__type":  "com.amazonaws.dynamodb.v20120810#" + f.Error,
		"message": fmt.Sprintf("Injected fault: %s.", f.Error),
	})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status(f.Error))
	w.Write(doc)
}
