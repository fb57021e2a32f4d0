package starter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/local/sfnlocal"
)

// The deployment the tests play: the function runs in account 123456789012, eu-west-2,
// and testdata/stepscaler.json accepts alarms of 210987654321 in eu-west-1 as well.
const (
	ownFunctionARN = "arn:aws:lambda:eu-west-2:123456789012:function:stepscaler-starter"
	holdASL        = "testdata/hold.asl.json"
	doneASL        = "testdata/done.asl.json"
)

// clock is the starter's now in every test: the corpus's transitions are dated from it.
var clock = time.Date(2026, 11, 27, 10, 10, 0, 0, time.UTC)

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("testdata", "stepscaler.json"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// invocation is the context Lambda hands the handler: the request ID and the ARN the
// function was invoked by.
func invocation(ctx context.Context, functionARN string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "0f4f8c3e-request", InvokedFunctionArn: functionARN})
}

// sfnClient is the real Step Functions client, pointed at url, with the SDK's own
// retries off so that a test sees each failure as the starter does after them.
func sfnClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           "eu-west-2",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
}

// startEndpoint starts a local Step Functions endpoint of the test's own, running
// definition, so that no other test (or an earlier -count run) has taken its
// execution names.
func startEndpoint(t testing.TB, definition string) *sfnlocal.Server {
	t.Helper()
	srv, err := sfnlocal.Start(context.Background(), sfnlocal.Options{
		Definition: definition, Region: "eu-west-2", Account: "123456789012", Name: "Scale",
	})
	if err != nil {
		t.Fatalf("start the local Step Functions endpoint: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close the local Step Functions endpoint: %v", err)
		}
	})
	return srv
}

// closedPort returns the URL of a port nobody listens on: every call fails as a
// network error.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	return addr
}

// newStarter returns a starter with the test configuration and clock, whose log lines
// (JSON, as in Lambda) go to the returned buffer.
func newStarter(t testing.TB, client *sfn.Client, stateMachineARN string) (*Starter, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s := New(testConfig(t), executions.NewStarter(client, stateMachineARN), func() time.Time { return clock },
		slog.New(slog.NewJSONHandler(logs, nil)))
	return s, logs
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the log lines written since the last take, decoded.
func (b *syncBuffer) take(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	text := b.buf.String()
	b.buf.Reset()
	b.mu.Unlock()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, l)
		}
		lines = append(lines, m)
	}
	return lines
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fault is one answer the fault proxy gives StartExecution instead of Step Functions:
// an HTTP status and an AWS JSON 1.0 body. A zero fault lets the call through.
type fault struct {
	status int
	body   string
}

// faultProxy stands between the starter's client and the local Step Functions endpoint,
// answering StartExecution calls with the queued faults, in order, and passing
// everything else (and StartExecution once the queue is empty) through.
type faultProxy struct {
	mu     sync.Mutex
	faults []fault
	srv    *httptest.Server
}

func newFaultProxy(t testing.TB, upstream string) *faultProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".StartExecution") {
			if f, ok := p.next(); ok && f.status != 0 {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.Header().Set("X-Amzn-Requestid", "injected-fault")
				w.WriteHeader(f.status)
				io.WriteString(w, f.body)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) inject(fs ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, fs...)
}

func (p *faultProxy) next() (fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.faults) == 0 {
		return fault{}, false
	}
	f := p.faults[0]
	p.faults = p.faults[1:]
	return f, true
}

// awsError is an AWS JSON 1.0 error body.
func awsError(code, message string) string {
	return fmt.Sprintf(`{"__type":%q,"message":%q}`, code, message)
}
