package emulator_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/local/emulator"
)

func TestServer(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	s, err := emulator.Serve("testemu", "127.0.0.1:0", h, log)
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %q", s.URL())
	}
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body %q", body)
	}

	// The address is taken: listening again fails, with the name and the address.
	addr := strings.TrimPrefix(s.URL(), "http://")
	if _, err := emulator.Serve("testemu", addr, h, log); err == nil || !strings.HasPrefix(err.Error(), "testemu: listen on "+addr+": ") {
		t.Errorf("second Serve on %s: %v", addr, err)
	}

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Error("GET after Close succeeded")
	}
}

// A nil Server is an emulator's that New made: not listening.
func TestNilServer(t *testing.T) {
	var s *emulator.Server
	if s.URL() != "" {
		t.Errorf("URL %q", s.URL())
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
