// Package signaling carries call/wire messages over WebSocket between
// clients and the switchboard. It owns the connection concerns — size and
// rate limits, connections per source address, handshake and idle timeouts,
// slow readers — and hands each decoded message to the switchboard. It holds
// no call state.
package signaling

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/connlimit"
	"github.com/dialtone/dialtone/server/switchboard"
)

// Config describes a Server. Zero values take the documented defaults.
type Config struct {
	Switchboard *switchboard.Switchboard // required

	// MaxConnsPerIP bounds concurrent connections from one source address;
	// default 64.
	MaxConnsPerIP int
	// Rate and Burst bound messages per second per connection; defaults 50
	// and 200 (a call set-up trickles a burst of ICE candidates, and a bot
	// may set up calls back to back).
	Rate  float64
	Burst int
	// MaxStrikes is how many rejected messages a connection may send before
	// it is closed; default 20.
	MaxStrikes int
	// HandshakeTimeout is how long a connection may take to register;
	// default 10s.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection that sends nothing, not even a ping;
	// default 30s (three of the switchboard's keepalive intervals).
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to a client; default 10s.
	WriteTimeout time.Duration
	// SendQueue is how many messages may wait for a slow client before it
	// is disconnected; default 256.
	SendQueue int

	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Switchboard == nil {
		return errors.New("signaling needs a switchboard")
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = 64
	}
	if c.Rate <= 0 {
		c.Rate = 50
	}
	if c.Burst <= 0 {
		c.Burst = 200
	}
	if c.MaxStrikes <= 0 {
		c.MaxStrikes = 20
	}
	for _, d := range []struct {
		p *time.Duration
		v time.Duration
	}{{&c.HandshakeTimeout, 10 * time.Second}, {&c.IdleTimeout, 30 * time.Second}, {&c.WriteTimeout, 10 * time.Second}} {
		if *d.p <= 0 {
			*d.p = d.v
		}
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Server accepts signalling connections. It is an http.Handler for wire.Path.
type Server struct {
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	perIP map[string]int
	conns map[*conn]struct{}

	stats struct {
		accepted, rejected, badMessages, rateLimited, slowClosed, current atomic.Int64
	}
}

// New returns a signalling server.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, log: cfg.Logger, perIP: make(map[string]int), conns: make(map[*conn]struct{})}, nil
}

// Stats are the transport's counters.
type Stats struct {
	Connections                                              int64
	Accepted, Rejected, BadMessages, RateLimited, SlowClosed int64
}

// Stats returns a snapshot.
func (s *Server) Stats() Stats {
	return Stats{Connections: s.stats.current.Load(), Accepted: s.stats.accepted.Load(), Rejected: s.stats.rejected.Load(),
		BadMessages: s.stats.badMessages.Load(), RateLimited: s.stats.rateLimited.Load(), SlowClosed: s.stats.slowClosed.Load()}
}

// ServeHTTP upgrades the request and serves the connection until it ends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := sourceIP(r.RemoteAddr)
	if !s.admit(ip) {
		s.stats.rejected.Add(1)
		http.Error(w, "too many connections from your address", http.StatusTooManyRequests)
		return
	}
	defer s.leave(ip)
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		return // Accept has answered the client
	}
	if ws.Subprotocol() != wire.Subprotocol {
		ws.Close(websocket.StatusPolicyViolation, "offer the subprotocol "+wire.Subprotocol)
		return
	}
	ws.SetReadLimit(wire.MaxMessage)
	s.stats.accepted.Add(1)
	c := &conn{srv: s, ws: ws, remote: r.RemoteAddr}
	c.limiter = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
	c.sw = s.cfg.Switchboard.Connect(c, r.RemoteAddr)
	s.track(c, true)
	defer s.track(c, false)
	c.serve(r.Context())
}

func (s *Server) admit(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perIP[ip] >= s.cfg.MaxConnsPerIP {
		return false
	}
	s.perIP[ip]++
	return true
}

func (s *Server) leave(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}

func (s *Server) track(c *conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[c] = struct{}{}
		s.stats.current.Add(1)
	} else {
		delete(s.conns, c)
		s.stats.current.Add(-1)
	}
}

// CloseAll closes every connection, as a server going down does after the
// switchboard has told the clients why.
func (s *Server) CloseAll() {
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.Close("server shutting down")
	}
}

// sourceIP is the key connections per source are counted under: the IPv4
// address or the IPv6 /64, as on the listener (connlimit.Source).
func sourceIP(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return remote
	}
	return connlimit.SourceOf(ap.Addr()).String()
}
