package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

const (
	readHeaderTimeout = 10 * time.Second
	shutdownTimeout   = 5 * time.Second
)

// Server serves an emulator's handler over HTTP. A nil *Server stands for
// an emulator that is not listening: its URL is "" and it closes at once.
type Server struct {
	name string
	url  string
	srv  *http.Server
}

// Serve listens on addr and serves h in the background until Close. name
// (the emulator's package name) prefixes its errors and logs; serving
// errors go to log.
func Serve(name, addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", name, addr, err)
	}
	s := &Server{
		name: name,
		url:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout},
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(name+": serve", "err", err)
		}
	}()
	return s, nil
}

// URL is the server's endpoint, such as "http://127.0.0.1:52110".
func (s *Server) URL() string {
	if s == nil {
		return ""
	}
	return s.url
}

// Close shuts the server down, giving requests in flight a few seconds to
// finish. Call it once.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("%s: shut down server: %w", s.name, err)
	}
	return nil
}
