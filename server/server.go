package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/dialtone/dialtone/assets"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/connlimit"
	"github.com/dialtone/dialtone/server/dnsserver"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/relay"
	"github.com/dialtone/dialtone/server/signaling"
	"github.com/dialtone/dialtone/server/sipgw"
	"github.com/dialtone/dialtone/server/store"
	"github.com/dialtone/dialtone/server/switchboard"
	"github.com/dialtone/dialtone/server/web"
)

// Server is a running dialtone server.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	pool  *lease.Pool
	sb    *switchboard.Switchboard
	sig   *signaling.Server
	dns   *dnsserver.Server
	relay *relay.Relay
	echo  Service
	sip   *sipgw.Gateway

	sigLn, dnsLn, relayLn, adminLn, sipLn net.Listener
	sipTLSLn                              net.Listener // SIP over TLS, before TLS: the TCP listener
	dnsPC, relayPC, sipPC                 net.PacketConn
	sigURL                                string

	budget  *connlimit.Budget
	limited []*connlimit.Listener
}

// Addrs are the addresses the server actually bound.
type Addrs struct {
	Signal, DNS, Relay, Admin, SIP string
	// SIPTLS is SIP over TLS's address; empty when off.
	SIPTLS string
	// URL is what clients dial: ws://host:port/v1 or wss://….
	URL string
	// Web is the browser phone's address, http://host:port/ or https://…;
	// empty when the server does not serve it.
	Web string
}

// New opens the store, builds every part, and binds every listener, so that
// Addrs is known before Run.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	if s.store, err = store.Open(ctx, cfg.DataDir); err != nil {
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	s.pool, err = lease.New(lease.Config{Prefixes: cfg.Pools, PortLo: cfg.PortLo, PortHi: cfg.PortHi, TTL: cfg.LeaseTTL, HoldDown: cfg.HoldDown})
	if err != nil {
		return nil, fmt.Errorf("building the lease pool: %w", err)
	}
	if err := s.bind(); err != nil {
		return nil, err
	}
	if err := s.limitListeners(); err != nil {
		return nil, err
	}
	s.logAdmin()
	calls := &callsProxy{}
	var sbRelay switchboard.Relay
	if s.relayPC != nil {
		if s.relay, err = relay.New(relay.Config{Calls: calls, PublicIP: cfg.RelayPublicIP, Logger: s.log.With("part", "relay"),
			TCPMessageTimeout: cfg.RelayTCPMessageTimeout, TCPIdleTimeout: cfg.RelayTCPIdleTimeout}); err != nil {
			return nil, fmt.Errorf("building the relay: %w", err)
		}
		sbRelay = s.relay
	}
	media := cfg.Media
	if media == "" {
		media = wire.MediaRelay
	}
	s.sb, err = switchboard.New(ctx, switchboard.Config{
		Store: s.store, Leases: s.pool, Relay: sbRelay, Registration: cfg.Registration, Media: media,
		RingTimeout: cfg.RingTimeout, Grace: cfg.Grace, Logger: s.log.With("part", "switchboard"),
		RenewEvery: renewEvery(cfg.LeaseTTL), DialLimits: cfg.DialLimits, RecordsKeep: cfg.RecordsKeep, Heartbeat: cfg.Heartbeat,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the switchboard: %w", err)
	}
	calls.set(s.sb)
	if s.sig, err = signaling.New(signaling.Config{Switchboard: s.sb, Logger: s.log.With("part", "signaling"),
		MaxConnsPerIP: cfg.MaxConnsPerIP, HandshakeTimeout: cfg.HandshakeTimeout}); err != nil {
		return nil, err
	}
	if s.dnsPC != nil {
		s.dns, err = dnsserver.New(dnsserver.Config{Zone: cfg.Zone, Allow: cfg.DNSAllow, Resolver: resolver{s.sb, s.sigURL}, Logger: s.log.With("part", "dns"),
			Rate: cfg.DNSRate, Slip: cfg.DNSSlip, UDPWorkers: cfg.DNSWorkers})
		if err != nil {
			return nil, fmt.Errorf("building the DNS server: %w", err)
		}
	}
	if s.sipPC != nil {
		sipTLS, err := s.sipTLSListener()
		if err != nil {
			return nil, err
		}
		if s.sip, err = sipgw.New(sipgw.Config{Credentials: s.store, Algorithms: cfg.SIPDigest, Directory: directory{s},
			Routes: cfg.SIPRoutes, TrunkAllow: cfg.SIPTrunkAllow, Rate: cfg.SIPRate, Burst: int(2 * cfg.SIPRate), Opus: cfg.SIPOpus,
			TLSListener: sipTLS,
			Switchboard: s.sb, Leases: s.pool, Logger: s.log.With("part", "sip")}); err != nil {
			return nil, fmt.Errorf("building the SIP registrar: %w", err)
		}
		s.sb.SetGateway(s.sip)
		calls.setGateway(s.sip)
	}
	if cfg.Echo != nil {
		if s.echo, err = cfg.Echo(s.sb, s.log.With("part", "echo")); err != nil {
			return nil, fmt.Errorf("starting the echo test: %w", err)
		}
	}
	return s, nil
}

// renewEvery renews leases well inside their life.
func renewEvery(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = lease.DefaultTTL
	}
	return ttl / 3
}

func (s *Server) bind() (err error) {
	cfg := s.cfg
	if s.sigLn, err = net.Listen("tcp", cfg.Listen); err != nil {
		return fmt.Errorf("listening for signalling on %s: %w", cfg.Listen, err)
	}
	scheme := "ws"
	if cfg.TLSCert != "" {
		scheme = "wss"
	}
	s.sigURL = scheme + "://" + s.sigLn.Addr().String() + wire.Path
	if cfg.DNS != "" {
		if s.dnsPC, s.dnsLn, err = listenDNS(cfg.DNS); err != nil {
			return fmt.Errorf("listening for DNS on %s: %w", cfg.DNS, err)
		}
	}
	if cfg.Relay != "" {
		if s.relayPC, s.relayLn, err = listenBoth(cfg.Relay); err != nil {
			return fmt.Errorf("listening for the relay on %s: %w", cfg.Relay, err)
		}
	}
	if cfg.SIP != "" {
		if s.sipPC, s.sipLn, err = listenBoth(cfg.SIP); err != nil {
			return fmt.Errorf("listening for SIP on %s: %w", cfg.SIP, err)
		}
	}
	if cfg.SIPTLS != "" {
		if s.sipTLSLn, err = net.Listen("tcp", cfg.SIPTLS); err != nil {
			return fmt.Errorf("listening for SIP over TLS on %s: %w", cfg.SIPTLS, err)
		}
	}
	if cfg.Admin != "" {
		if s.adminLn, err = net.Listen("tcp", cfg.Admin); err != nil {
			return fmt.Errorf("listening for admin on %s: %w", cfg.Admin, err)
		}
	}
	return nil
}

// listenBoth binds UDP and TCP on the same port; with port 0 it retries
// until the port UDP got is free for TCP too.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	return listenBothWith(addr, func(a string) (net.PacketConn, error) { return net.ListenPacket("udp", a) })
}

// listenDNS is listenBoth with SO_REUSEPORT on the UDP socket, so that the
// DNS can open a socket per CPU beside it.
func listenDNS(addr string) (net.PacketConn, net.Listener, error) {
	return listenBothWith(addr, func(a string) (net.PacketConn, error) { return dnsserver.ListenUDP(context.Background(), a) })
}

func listenBothWith(addr string, listenUDP func(string) (net.PacketConn, error)) (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 10 {
		pc, err := listenUDP(addr)
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
		if _, port, _ := net.SplitHostPort(addr); port != "0" {
			break
		}
	}
	return nil, nil, lastErr
}

// Addrs returns the bound addresses.
func (s *Server) Addrs() Addrs {
	a := Addrs{Signal: s.sigLn.Addr().String(), URL: s.sigURL}
	if s.cfg.Web {
		a.Web = webURL(s.sigURL)
	}
	if s.dnsPC != nil {
		a.DNS = s.dnsPC.LocalAddr().String()
	}
	if s.relayPC != nil {
		a.Relay = s.relayPC.LocalAddr().String()
	}
	if s.adminLn != nil {
		a.Admin = s.adminLn.Addr().String()
	}
	if s.sipPC != nil {
		a.SIP = s.sipPC.LocalAddr().String()
	}
	if s.sipTLSLn != nil {
		a.SIPTLS = s.sipTLSLn.Addr().String()
	}
	return a
}

// Switchboard returns the server's switchboard (for services and tests).
func (s *Server) Switchboard() *switchboard.Switchboard { return s.sb }

// Leases returns the server's lease pool (for tests and the admin API).
func (s *Server) Leases() *lease.Pool { return s.pool }

// SIP returns the SIP registrar, or nil when --sip is off.
func (s *Server) SIP() *sipgw.Gateway { return s.sip }

// Store returns the server's store.
func (s *Server) Store() *store.Store { return s.store }

// Run serves until ctx ends, then shuts down: calls are ended and their
// parties told, leases released, records written, listeners closed.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	if s.relay != nil {
		run("relay", func() error { return s.relay.Serve(ctx, s.relayPC, s.relayLn) })
		// Credentials name the relay's URLs only once it serves; no call
		// may be accepted before then.
		select {
		case <-s.relay.Ready():
		case <-ctx.Done():
		}
	}
	mux := http.NewServeMux()
	mux.Handle(wire.Path, s.sig)
	if s.cfg.Web {
		page, err := web.New(web.Config{Files: map[string][]byte{"ringtone.wav": assets.RingtoneWAV()}})
		if err != nil {
			return fmt.Errorf("building the browser phone: %w", err)
		}
		mux.Handle("/", page)
		mux.Handle(wire.FormatPath, web.NewFormatter(web.FormatConfig{}))
	}
	// Timeouts for HTTP before the upgrade: a WebSocket, once hijacked, has
	// the signalling transport's own.
	sigHTTP := &http.Server{Handler: mux, ReadHeaderTimeout: s.cfg.HTTPTimeout, IdleTimeout: s.cfg.HTTPTimeout}
	run("signalling", func() error {
		if s.cfg.TLSCert != "" {
			cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
			if err != nil {
				return fmt.Errorf("loading the TLS key pair: %w", err)
			}
			sigHTTP.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			return sigHTTP.ServeTLS(s.sigLn, "", "")
		}
		return sigHTTP.Serve(s.sigLn)
	})
	if s.sip != nil {
		run("sip", func() error { return s.sip.Serve(ctx, s.sipPC, s.sipLn) })
	}
	if s.dns != nil {
		run("dns", func() error { return s.dns.Serve(ctx, s.dnsPC, s.dnsLn) })
	}
	var adminHTTP *http.Server
	if s.adminLn != nil {
		// No write timeout: a CPU profile takes its 30 s to write.
		adminHTTP = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: s.cfg.HTTPTimeout,
			ReadTimeout: s.cfg.HTTPTimeout, IdleTimeout: s.cfg.HTTPTimeout}
		run("admin", func() error { return adminHTTP.Serve(s.adminLn) })
	}
	<-ctx.Done()
	s.log.Info("shutting down")
	s.sb.Close() // ends every call, telling each party why
	if s.echo != nil {
		s.echo.Close()
	}
	shutCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := s.sig.Close(shutCtx); err != nil {
		s.log.Warn("closing signalling", "err", err)
	}
	_ = sigHTTP.Shutdown(shutCtx)
	if adminHTTP != nil {
		_ = adminHTTP.Shutdown(shutCtx)
	}
	wg.Wait()
	s.closeAll()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// closeAll releases what New acquired.
func (s *Server) closeAll() {
	for _, ln := range []net.Listener{s.sigLn, s.dnsLn, s.relayLn, s.adminLn, s.sipLn, s.sipTLSLn} {
		if ln != nil {
			ln.Close()
		}
	}
	for _, pc := range []net.PacketConn{s.dnsPC, s.relayPC, s.sipPC} {
		if pc != nil {
			pc.Close()
		}
	}
	if s.store != nil {
		s.store.Close()
	}
}

// callsProxy lets the relay be built before the switchboard it asks, and
// adds the SIP gateway's second addresses on leases to their peers.
type callsProxy struct {
	mu sync.RWMutex
	sb *switchboard.Switchboard
	gw interface {
		Aliases(leases []netip.AddrPort) []netip.AddrPort
	}
}

func (p *callsProxy) set(sb *switchboard.Switchboard) { p.mu.Lock(); p.sb = sb; p.mu.Unlock() }

func (p *callsProxy) setGateway(g *sipgw.Gateway) { p.mu.Lock(); p.gw = g; p.mu.Unlock() }

func (p *callsProxy) get() *switchboard.Switchboard {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.sb
}

func (p *callsProxy) Lease(n string) (netip.AddrPort, bool) {
	if sb := p.get(); sb != nil {
		return sb.Lease(n)
	}
	return netip.AddrPort{}, false
}

func (p *callsProxy) Peers(n string) []netip.AddrPort {
	sb := p.get()
	if sb == nil {
		return nil
	}
	peers := sb.Peers(n)
	p.mu.RLock()
	gw := p.gw
	p.mu.RUnlock()
	if gw != nil && len(peers) > 0 {
		peers = append(peers, gw.Aliases(peers)...)
	}
	return peers
}

func (p *callsProxy) Live(id, n string) bool {
	sb := p.get()
	return sb != nil && sb.Live(id, n)
}

// resolver turns the switchboard's view of a number into a DNS entry.
type resolver struct {
	sb     *switchboard.Switchboard
	sigURL string
}

func (r resolver) Resolve(n string) dnsserver.Entry {
	res := r.sb.Resolve(n)
	// Addr, not a slice of one: the DNS looks a number up on every query.
	return dnsserver.Entry{Registered: res.Registered, TTL: res.TTL, Addr: res.Addr}
}

// webURL is the page's address beside the signalling URL: same host and
// port, http for ws and https for wss.
func webURL(sig string) string {
	u := strings.TrimSuffix(sig, wire.Path) + "/"
	if rest, ok := strings.CutPrefix(u, "wss://"); ok {
		return "https://" + rest
	}
	return "http://" + strings.TrimPrefix(u, "ws://")
}
