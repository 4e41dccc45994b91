// Package signaling carries call/wire messages over WebSocket between
// clients and the switchboard. It owns the connection concerns — size and
// rate limits, connections per source address, handshake and idle timeouts,
// slow readers — and hands each decoded message to the switchboard. It holds
// no call state.
package signaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
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
	cfg  Config
	log  *slog.Logger
	poll *poller // nil: every connection is read by a goroutine of its own

	// ctx is what the switchboard handles messages under; Close ends it.
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the poller's and the workers' goroutines
	workers workers

	mu     sync.Mutex
	perIP  map[string]int
	conns  map[*conn]struct{}
	closed bool
	gone   chan struct{} // when not nil, closed as the last connection is forgotten

	stats struct {
		accepted, rejected, badMessages, rateLimited, slowClosed, current atomic.Int64
	}
}

// New returns a signalling server. Close releases it.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, perIP: make(map[string]int), conns: make(map[*conn]struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	p, err := newPoller()
	if err != nil {
		// Still serve, a goroutine per connection.
		s.log.Warn("no poller for idle connections", "err", err)
	} else {
		s.poll = p
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			p.run(s.ready)
		}()
	}
	return s, nil
}

// ready tells a connection the poller saw bytes come.
func (s *Server) ready(c *conn) { c.ready() }

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

// ServeHTTP upgrades the request and hands the connection to the poller.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := sourceIP(r.RemoteAddr)
	if !s.admit(ip) {
		s.stats.rejected.Add(1)
		http.Error(w, "too many connections from your address", http.StatusTooManyRequests)
		return
	}
	proto, uerr := checkUpgrade(r, wire.Subprotocol)
	if uerr != nil {
		s.leave(ip)
		uerr.write(w)
		return
	}
	nc, early, err := hijack(w, r, proto, s.cfg.WriteTimeout)
	if err != nil {
		s.leave(ip)
		return
	}
	c := &conn{srv: s, nc: nc, remote: r.RemoteAddr, ip: ip}
	c.limiter = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
	if !s.track(c) {
		nc.Close()
		s.leave(ip)
		return
	}
	if proto == "" {
		c.closeWith(ws.StatusPolicyViolation, "offer the subprotocol "+wire.Subprotocol)
	} else {
		s.stats.accepted.Add(1)
		c.sw = s.cfg.Switchboard.Connect(c, r.RemoteAddr)
	}
	c.start(early)
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

// track counts a new connection, unless the server is closed.
func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.stats.current.Add(1)
	return true
}

// forget is a connection's end, once its socket is closed.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.stats.current.Add(-1)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	if len(s.conns) == 0 && s.gone != nil {
		close(s.gone)
		s.gone = nil
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

// Close closes every connection, refuses new ones, and waits until the
// connections are gone (each has closeWaitFor to answer the close frame)
// or ctx ends, and then for the transport's goroutines.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	var gone chan struct{}
	if len(s.conns) > 0 {
		s.gone = make(chan struct{})
		gone = s.gone
	}
	s.mu.Unlock()
	s.CloseAll()
	var err error
	if gone != nil {
		select {
		case <-gone:
		case <-ctx.Done():
			err = fmt.Errorf("closing signalling connections: %w", ctx.Err())
			s.mu.Lock()
			cs := make([]*conn, 0, len(s.conns))
			for c := range s.conns {
				cs = append(cs, c)
			}
			s.mu.Unlock()
			for _, c := range cs {
				c.abortRead()
			}
		}
	}
	s.cancel()
	s.closeWorkers()
	if s.poll != nil {
		s.poll.close()
	}
	s.wg.Wait()
	return err
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
