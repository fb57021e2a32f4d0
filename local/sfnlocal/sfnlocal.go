// Package sfnlocal starts the local Step Functions endpoint (local/sfn/server.mjs)
// as a child process: a Step Functions AWS JSON 1.0 API on 127.0.0.1 that runs
// the real ASL definition with aws-local-stepfunctions and sends Lambda Task
// states to Lambda Runtime Interface Emulator endpoints. Point the
// aws-sdk-go-v2 sfn client at Server.URL() to use it.
package sfnlocal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerScript is the server's path relative to the repository root.
const ServerScript = "local/sfn/server.mjs"

// engineModule is checked for before starting node, for a clearer error.
const engineModule = "node_modules/aws-local-stepfunctions/package.json"

const (
	readyTimeout = 30 * time.Second
	closeGrace   = 5 * time.Second
)

// Options configures Start.
type Options struct {
	// Definition is the path of the ASL file (relative paths are resolved
	// against the working directory).
	Definition string
	// Substitutions replaces each ${Key} in the definition text by its value,
	// like CloudFormation DefinitionSubstitutions. A placeholder left over
	// makes Start fail.
	Substitutions map[string]string
	// Lambdas maps a Lambda function ARN to the base URL of the Lambda Runtime
	// Interface Emulator serving it (e.g. http://127.0.0.1:9001). Every Task
	// state's Resource must be one of these ARNs.
	Lambdas map[string]string
	// WaitOverride, if not nil, makes every Wait state wait this long instead
	// of what the definition says (millisecond resolution).
	WaitOverride *time.Duration
	// RetryOverride, if not nil, replaces every Retry interval (millisecond
	// resolution).
	RetryOverride *time.Duration
	// MaxHistoryEvents is the most events an execution's history holds; an
	// execution that would record more fails with States.Runtime, as on AWS.
	// 0 means AWS's quota, 25,000; set it lower (at least 2) only for a test
	// that must reach the limit quickly.
	MaxHistoryEvents int
	// Region, Account and Name make up the state machine ARN
	// arn:aws:states:<Region>:<Account>:stateMachine:<Name>.
	// Defaults: us-east-1, 123456789012, Scale.
	Region, Account, Name string
	// Port to listen on (127.0.0.1 only); 0 picks a free port.
	Port int
	// Root is the repository root (holding node_modules and local/sfn). If
	// empty, the nearest parent of the working directory containing
	// local/sfn/server.mjs is used.
	Root string
	// Log receives the server's stderr (one JSON object per line). Nil
	// discards it. Write errors are ignored. If several servers share one
	// writer, it must be safe for concurrent use.
	Log io.Writer
}

// Server is a running local Step Functions endpoint.
type Server struct {
	cmd    *exec.Cmd
	url    string
	arn    string
	stderr *tailBuffer

	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed

	closeOnce sync.Once
	closeErr  error
}

// Start runs `node local/sfn/server.mjs` and waits until it is ready to serve.
// ctx bounds the startup; cancelling it later also stops the server. Call
// Close when done.
func Start(ctx context.Context, o Options) (*Server, error) {
	root, err := findRoot(o.Root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(engineModule))); err != nil {
		return nil, fmt.Errorf("sfnlocal: aws-local-stepfunctions is not installed under %s: run `npm ci` (or `npm install`) there first", filepath.Join(root, "node_modules"))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: node not found in PATH (Node.js 20 or newer is needed to run %s): %w", ServerScript, err)
	}
	if o.Definition == "" {
		return nil, errors.New("sfnlocal: Options.Definition (path of the ASL file) is required")
	}
	definition, err := filepath.Abs(o.Definition)
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: definition: %w", err)
	}
	if _, err := os.Stat(definition); err != nil {
		return nil, fmt.Errorf("sfnlocal: definition: %w", err)
	}

	args := []string{filepath.Join(root, filepath.FromSlash(ServerScript)), "--definition", definition, "--port", strconv.Itoa(o.Port)}
	if len(o.Substitutions) > 0 {
		b, err := json.Marshal(o.Substitutions)
		if err != nil {
			return nil, fmt.Errorf("sfnlocal: substitutions: %w", err)
		}
		args = append(args, "--substitutions", string(b))
	}
	if len(o.Lambdas) > 0 {
		b, err := json.Marshal(o.Lambdas)
		if err != nil {
			return nil, fmt.Errorf("sfnlocal: lambdas: %w", err)
		}
		args = append(args, "--lambda", string(b))
	}
	if o.WaitOverride != nil {
		args = append(args, "--wait-override-ms", strconv.FormatInt(max(0, o.WaitOverride.Milliseconds()), 10))
	}
	if o.RetryOverride != nil {
		args = append(args, "--retry-override-ms", strconv.FormatInt(max(0, o.RetryOverride.Milliseconds()), 10))
	}
	if o.MaxHistoryEvents != 0 {
		args = append(args, "--max-history-events", strconv.Itoa(o.MaxHistoryEvents))
	}
	for _, f := range []struct{ flag, value string }{{"--region", o.Region}, {"--account", o.Account}, {"--name", o.Name}} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}

	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	s := &Server{stderr: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	s.cmd = exec.Command(node, args...)
	s.cmd.Dir = root
	s.cmd.Stderr = io.MultiWriter(s.stderr, ignoreErrors{logw})
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("sfnlocal: %w", err)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("sfnlocal: starting node: %w", err)
	}

	type readyLine struct {
		Ready           bool   `json:"ready"`
		URL             string `json:"url"`
		StateMachineArn string `json:"stateMachineArn"`
	}
	ready := make(chan readyLine, 1)
	stdoutDone := make(chan struct{})
	go func() {
		defer close(stdoutDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			var r readyLine
			if !sent && json.Unmarshal(sc.Bytes(), &r) == nil && r.Ready {
				ready <- r
				sent = true
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		<-stdoutDone // StdoutPipe must be read to EOF before Wait
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()

	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case r := <-ready:
		s.url, s.arn = r.URL, r.StateMachineArn
	case <-s.done:
		return nil, fmt.Errorf("sfnlocal: %s exited before it was ready (%v); is Node.js 20+ installed and `npm ci` run in %s?\n%s", ServerScript, s.waitErr, root, s.stderr.String())
	case <-timer.C:
		s.Close()
		return nil, fmt.Errorf("sfnlocal: node %s was not ready after %v; is `npm ci` run in %s?\n%s", ServerScript, readyTimeout, root, s.stderr.String())
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("sfnlocal: waiting for %s: %w", ServerScript, ctx.Err())
	}
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// URL is the endpoint's base URL, e.g. http://127.0.0.1:41234; use it as the
// sfn client's BaseEndpoint.
func (s *Server) URL() string { return s.url }

// StateMachineARN is the ARN of the one state machine the server runs.
func (s *Server) StateMachineARN() string { return s.arn }

// Close stops the server: SIGTERM, then SIGKILL if it has not exited after a
// grace period. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		select {
		case <-s.done:
			// Exited on its own: report how.
			if s.waitErr != nil {
				s.closeErr = fmt.Errorf("sfnlocal: server had exited: %v\n%s", s.waitErr, s.stderr.String())
			}
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			var exitErr *exec.ExitError
			if s.waitErr != nil && !(errors.As(s.waitErr, &exitErr) && terminatedBySIGTERM(exitErr)) {
				s.closeErr = fmt.Errorf("sfnlocal: server exit: %w", s.waitErr)
			}
		case <-time.After(closeGrace):
			_ = s.cmd.Process.Kill()
			<-s.done
			s.closeErr = fmt.Errorf("sfnlocal: server did not exit within %v of SIGTERM and was killed", closeGrace)
		}
	})
	return s.closeErr
}

func terminatedBySIGTERM(e *exec.ExitError) bool {
	ws, ok := e.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

// findRoot returns root if set, else the nearest parent of the working
// directory that contains the server script.
func findRoot(root string) (string, error) {
	if root != "" {
		abs, err := filepath.Abs(root)
		if err != nil {
			return "", fmt.Errorf("sfnlocal: root: %w", err)
		}
		if _, err := os.Stat(filepath.Join(abs, filepath.FromSlash(ServerScript))); err != nil {
			return "", fmt.Errorf("sfnlocal: %s not found under root %s", ServerScript, abs)
		}
		return abs, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("sfnlocal: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(ServerScript))); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("sfnlocal: no parent of the working directory contains %s; set Options.Root", ServerScript)
		}
		dir = parent
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil)))
}

// ignoreErrors keeps a failing log writer from stalling the server's stderr.
type ignoreErrors struct{ w io.Writer }

func (i ignoreErrors) Write(p []byte) (int, error) {
	_, _ = i.w.Write(p)
	return len(p), nil
}
