package sfnlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const (
	testASL    = "testdata/test.asl.json"
	workARN    = "arn:aws:lambda:us-east-1:123456789012:function:StepscalerTestWork"
	recoverARN = "arn:aws:lambda:us-east-1:123456789012:function:StepscalerTestRecover"
	rieInvoke  = "/2015-03-31/functions/function/invocations"
)

var substitutions = map[string]string{"WorkFunctionArn": workARN, "RecoverFunctionArn": recoverARN}

// serverLog collects the stderr of every server the tests start; it is
// printed when a test fails.
var serverLog syncBuffer

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	code := m.Run()
	envs.mu.Lock()
	for _, e := range envs.m {
		if e.srv != nil {
			if err := e.srv.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "closing server:", err)
				code = 1
			}
		}
		e.work.srv.Close()
		e.recover.srv.Close()
	}
	envs.mu.Unlock()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- server log ---\n%s", serverLog.String())
	}
	os.Exit(code)
}

// ---------------------------------------------------------------------------
// Stand-in Lambda functions that answer the RIE invoke path like RIE does.

type invocation struct {
	body       map[string]any
	requestID  string // the X-Amzn-RequestId the endpoint sent, which RIE uses as the invocation's id
	start, end time.Time
}

// request is what a stand-in function sees of an invocation.
type request struct {
	body      map[string]any
	requestID string
}

type fakeFunction struct {
	srv     *httptest.Server
	respond func(w http.ResponseWriter, req request, attempt int)

	mu          sync.Mutex
	calls       map[string][]invocation // by execution name
	inFlight    int
	maxInFlight int
}

func newFakeFunction(respond func(w http.ResponseWriter, req request, attempt int)) *fakeFunction {
	f := &fakeFunction{respond: respond, calls: map[string][]invocation{}}
	f.srv = httptest.NewServer(f)
	return f
}

func (f *fakeFunction) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != rieInvoke {
		http.Error(w, "not the RIE invoke path", http.StatusNotFound)
		return
	}
	start := time.Now()
	f.mu.Lock()
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()

	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		body = map[string]any{"unparsable": string(raw)}
	}
	name, _ := body["executionName"].(string)
	f.mu.Lock()
	attempt := len(f.calls[name]) + 1
	f.mu.Unlock()

	// Build the response before leaving the in-flight section so that the
	// caller cannot see it (and send the next invocation) any earlier.
	rec := httptest.NewRecorder()
	requestID := r.Header.Get("X-Amzn-RequestId")
	f.respond(rec, request{body: body, requestID: requestID}, attempt)

	f.mu.Lock()
	f.inFlight--
	f.calls[name] = append(f.calls[name], invocation{body: body, requestID: requestID, start: start, end: time.Now()})
	f.mu.Unlock()

	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (f *fakeFunction) callsFor(name string) []invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls[name])
}

func (f *fakeFunction) maxConcurrent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}

// writeJSON answers with v marshalled as a runtime does (no trailing newline).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// functionError answers like RIE does for a function error: HTTP 200, no
// X-Amz-Function-Error header, the payload the runtime posted.
func functionError(w http.ResponseWriter, errorType, message string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"errorType":    errorType,
		"errorMessage": message,
		"stackTrace":   []string{"work.go:1"},
	})
}

// What RIE answers, as the pinned version does (internal/lambda/rie/handlers.go)
// and as measured with a Go bootstrap under it: rieTimeoutText, HTTP 200, when
// the function runs out of time (here AWS_LAMBDA_FUNCTION_TIMEOUT=3) ...
const rieTimeoutText = "Task timed out after 3.00 seconds"

// ... and rieExitError, HTTP 502, when the runtime exits mid-invocation.
func rieExitError(requestID string) string {
	return `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + requestID + ` Error: Runtime exited with error: exit status 2"}`
}

// panicPayload is what aws-lambda-go posts for a panic before the process
// exits; RIE answers it with HTTP 502.
const panicPayload = `{"errorMessage":"oh no","errorType":"string","stackTrace":[{"path":"work.go","line":1,"label":"handle"}]}`

// work behaves according to payload.behavior of the execution input.
func work(w http.ResponseWriter, req request, attempt int) {
	payload, _ := req.body["payload"].(map[string]any)
	behavior, _ := payload["behavior"].(string)
	switch {
	case behavior == "boom":
		functionError(w, "Boom", "it went boom")
	case behavior == "unexpected":
		functionError(w, "Unexpected", "nobody catches this")
	case behavior == "500once" && attempt == 1:
		// RIE's answer when it fails itself (ErrInternalServerError).
		w.WriteHeader(http.StatusInternalServerError)
	case behavior == "transient2" && attempt <= 2:
		functionError(w, "Transient", fmt.Sprintf("attempt %d", attempt))
	case behavior == "timeout", behavior == "timeoutonce" && attempt == 1:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(rieTimeoutText))
	case behavior == "crash":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(rieExitError(req.requestID)))
	case behavior == "sandboxonce" && attempt == 1:
		// RIE's answer to an invocation that came while it was still resetting the
		// runtime after a timeout (rapid: "Invoke failed error=ErrGateCanceled").
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(`{"errorType":"Sandbox.Failure","errorMessage":"RequestId: ` + req.requestID + ` Error: ErrGateCanceled"}`))
	case behavior == "panic":
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(panicPayload))
	case behavior == "untyped":
		// Lambda's answer for an error without a type, which RIE never gives.
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		writeJSON(w, http.StatusOK, map[string]any{"errorMessage": "no type"})
	case behavior == "size":
		// A JSON string of exactly payload.bytes bytes of UTF-8, made of payload.char.
		n, _ := payload["bytes"].(float64)
		char, _ := payload["char"].(string)
		if char == "" {
			char = "x"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`"` + strings.Repeat(char, (int(n)-2)/len(char)) + `"`))
	default:
		if behavior == "slow" {
			time.Sleep(150 * time.Millisecond)
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "attempt": attempt})
	}
}

func recoverFn(w http.ResponseWriter, req request, attempt int) {
	writeJSON(w, http.StatusOK, map[string]any{"recovered": true, "sawError": req.body["error"]})
}

// ---------------------------------------------------------------------------
// Shared servers: "fast" overrides Wait and Retry intervals, "real" does not.

type env struct {
	srv           *Server
	client        *sfn.Client
	work, recover *fakeFunction
	err           error
	once          sync.Once
}

var envs = struct {
	mu sync.Mutex
	m  map[string]*env
}{m: map[string]*env{}}

func fastEnv(t *testing.T) *env {
	d := 10 * time.Millisecond
	return sharedEnv(t, "fast", func(o *Options) {
		o.WaitOverride = &d
		o.RetryOverride = &d
		o.Name = "StepscalerTest"
	})
}

// limitsMaxEvents is the limits server's history quota: small, so that a loop
// reaches it at once.
const limitsMaxEvents = 40

// limitsEnv runs testdata/limits.asl.json with fast retries and a history of
// at most limitsMaxEvents events.
func limitsEnv(t *testing.T) *env {
	d := 10 * time.Millisecond
	return sharedEnv(t, "limits", func(o *Options) {
		o.Definition = "testdata/limits.asl.json"
		o.RetryOverride = &d
		o.MaxHistoryEvents = limitsMaxEvents
		o.Name = "StepscalerLimits"
	})
}

// realEnv uses the defaults: real Wait and Retry intervals, name Scale.
func realEnv(t *testing.T) *env {
	return sharedEnv(t, "real", func(o *Options) {})
}

// sharedEnv starts the server of the given kind once; servers of different
// kinds start concurrently.
func sharedEnv(t *testing.T, kind string, configure func(*Options)) *env {
	t.Helper()
	envs.mu.Lock()
	e, ok := envs.m[kind]
	if !ok {
		e = &env{work: newFakeFunction(work), recover: newFakeFunction(recoverFn)}
		envs.m[kind] = e
	}
	envs.mu.Unlock()
	e.once.Do(func() {
		o := Options{
			Definition:    testASL,
			Substitutions: substitutions,
			Lambdas:       map[string]string{workARN: e.work.srv.URL, recoverARN: e.recover.srv.URL},
			Log:           &serverLog,
		}
		configure(&o)
		e.srv, e.err = Start(context.Background(), o)
		if e.err == nil {
			e.client = newClient(e.srv.URL())
		}
	})
	if e.err != nil {
		t.Fatalf("starting %s server: %v", kind, e.err)
	}
	return e
}

func newClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
}

// ---------------------------------------------------------------------------
// Helpers.

var nameSeq atomic.Int64

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// uniqueName is a valid execution name derived from the test name.
func uniqueName(t *testing.T) string {
	n := fmt.Sprintf("%s-%d", nameUnsafe.ReplaceAllString(t.Name(), "-"), nameSeq.Add(1))
	if len(n) > 80 {
		n = n[len(n)-80:]
	}
	return n
}

func (e *env) start(t *testing.T, name, input string) *sfn.StartExecutionOutput {
	t.Helper()
	out, err := e.client.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(e.srv.StateMachineARN()),
		Name:            aws.String(name),
		Input:           aws.String(input),
	})
	if err != nil {
		t.Fatalf("StartExecution(%s): %v", name, err)
	}
	return out
}

// waitDone polls DescribeExecution until the execution is no longer RUNNING.
func (e *env) waitDone(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := e.client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still RUNNING after 20s; history: %v", arn, eventTypes(e.history(t, arn)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// run starts an execution and waits for it to finish.
func (e *env) run(t *testing.T, input string) (string, *sfn.DescribeExecutionOutput) {
	t.Helper()
	name := uniqueName(t)
	out := e.start(t, name, input)
	return name, e.waitDone(t, aws.ToString(out.ExecutionArn))
}

// history returns all events, oldest first, following nextToken.
func (e *env) history(t *testing.T, arn string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(e.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		events = append(events, page.Events...)
	}
	return events
}

func eventTypes(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = string(ev.Type)
	}
	return out
}

// containsRun reports whether want appears in got as a contiguous run.
func containsRun(got, want []string) bool {
	for i := 0; i+len(want) <= len(got); i++ {
		if slices.Equal(got[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func decodeJSON(t *testing.T, s *string) map[string]any {
	t.Helper()
	var m map[string]any
	if s == nil {
		t.Fatalf("expected a JSON document, got nil")
	}
	if err := json.Unmarshal([]byte(*s), &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, *s)
	}
	return m
}

// wantAPIError checks that err is (or wraps) a *T, e.g. *types.InvalidName.
func wantAPIError[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %T: %v", target, err, err)
	}
	return target
}
