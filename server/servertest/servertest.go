// Package servertest runs a real dialtone server in process, on loopback
// port 0, for integration tests, and offers a protocol-level client that
// speaks call/wire over a real WebSocket. It is for tests only.
package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/switchboard"
)

// Options adjusts the test server. Zero values get fast test defaults.
type Options struct {
	Registration string
	Media        string
	NoRelay      bool
	Pool         string // prefix; default a random /24 in 127.100.0.0–127.199.255.0
	PortLo       uint16
	PortHi       uint16
	RingTimeout  time.Duration
	Grace        time.Duration
	LeaseTTL     time.Duration
	HoldDown     time.Duration
	DataDir      string
	Echo         server.ServiceFactory
	// DialLimits are the server's dial limits; nil turns them off, so that
	// tests that dial often from one address test what they mean to.
	DialLimits *switchboard.DialLimits
	Logger     *slog.Logger
}

// Server is a running test server.
type Server struct {
	*server.Server
	Addrs  server.Addrs
	Config server.Config
	cancel context.CancelFunc
	done   chan error
}

// New starts a server for t and stops it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	cfg := Config(t, o)
	return Start(t, cfg)
}

// Config builds the server configuration New would use.
func Config(t testing.TB, o Options) server.Config {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Pool == "" {
		// Packages' tests run at once; each server gets its own /24 so their
		// leases (and the relay sockets bound on them) never collide.
		o.Pool = fmt.Sprintf("127.%d.%d.0/24", 100+rand.IntN(100), rand.IntN(256))
	}
	cfg := server.Config{
		Listen: "127.0.0.1:0", DNS: "127.0.0.1:0", Relay: "127.0.0.1:0", Admin: "127.0.0.1:0",
		Pools: []netip.Prefix{netip.MustParsePrefix(o.Pool)}, PortLo: o.PortLo, PortHi: o.PortHi,
		DataDir: o.DataDir, Registration: o.Registration, Media: o.Media,
		RingTimeout: o.RingTimeout, Grace: o.Grace, LeaseTTL: o.LeaseTTL, HoldDown: o.HoldDown,
		Echo: o.Echo, Logger: o.Logger, DialLimits: switchboard.DialLimits{Off: true},
	}
	if o.DialLimits != nil {
		cfg.DialLimits = *o.DialLimits
	}
	if o.NoRelay {
		cfg.Relay = ""
		if cfg.Media == "" {
			cfg.Media = "auto"
		}
	}
	if cfg.Logger == nil && os.Getenv("DIALTONE_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// Start runs a server from cfg for the length of the test.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting the test server: %v", err)
	}
	s := &Server{Server: srv, Addrs: srv.Addrs(), Config: cfg, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Run(ctx) }()
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop shuts the server down and waits for it; later calls do nothing.
func (s *Server) Stop(t testing.TB) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("server did not stop within 20s")
	}
}
