package relay

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/turn/v5"
)

// Calls is what the relay asks the server about live calls. It is
// implemented by the server and must be safe for concurrent use; the relay
// calls it on allocation, on permission and, at most a few times a second
// per allocation, from the packet path. The relay never holds its own locks
// while calling it, so Calls may call back into the Relay.
type Calls interface {
	// Lease returns the number's leased address (IP and port) while it holds one.
	Lease(number string) (netip.AddrPort, bool)
	// Peers returns the leased addresses the number may exchange media with
	// now: the leases of the other parties of its live calls.
	Peers(number string) []netip.AddrPort
	// Live reports whether callID is a live call with number as a party.
	Live(callID, number string) bool
}

// Config configures a Relay. The zero value is valid except for Calls.
type Config struct {
	// Realm is the TURN realm. Default "dialtone".
	Realm string
	// Secret keys the credential HMAC. Default: 32 random bytes, so
	// credentials do not survive a restart. Set it to share credentials
	// between processes (or with coturn's static-auth-secret in benchmarks).
	Secret []byte
	// CredentialTTL is how long Credentials stay good for new allocations.
	// Default 10 minutes.
	CredentialTTL time.Duration
	// Calls answers for leases and live calls. Required.
	Calls Calls
	// Logger receives the relay's logs and pion/turn's. Default: discard.
	Logger *slog.Logger
	// PublicIP is advertised in Credentials.URLs when the relay listens on
	// an unspecified address (0.0.0.0 or ::). Without it such a relay
	// advertises loopback.
	PublicIP netip.Addr
	// URLs, when set, replace the TURN URLs derived from the listeners,
	// e.g. "turn:relay.example.net:3478?transport=udp".
	URLs []string
	// MaxAllocations bounds the allocations one number holds for one call.
	// ICE makes one per TURN URL; an ICE restart briefly makes a second set.
	// Default: twice the number of listeners Serve gets (2 for UDP only).
	MaxAllocations int
	// AllocationLifetime caps the lifetime a client may request (pion/turn
	// default 10 minutes). Clients refresh well before it ends.
	AllocationLifetime time.Duration
	// SocketBuffer sets SO_RCVBUF and SO_SNDBUF on the TURN socket and on
	// every relay socket, so that bursts of media are not dropped by the
	// kernel before the relay reads them. Default 2 MiB; the kernel caps it
	// at net.core.rmem_max / wmem_max. Negative leaves the system default.
	SocketBuffer int
	// ListenerSockets is how many UDP sockets the TURN listener is spread
	// over, each with its own read loop: Serve binds more sockets on the
	// address of the one it is given, in one SO_REUSEPORT group (Linux;
	// elsewhere the listener stays one socket). Default GOMAXPROCS; 1
	// keeps the one socket.
	ListenerSockets int
	// Now is the clock for credential expiry. Default time.Now.
	Now func() time.Time

	// TURN over TCP: a connection must complete its first message within
	// TCPMessageTimeout of connecting, and any message within
	// TCPMessageTimeout of its first byte (default 5s); without an
	// allocation it must complete a message every TCPIdleTimeout (default
	// 30s); a write to it may take TCPWriteTimeout (default 10s). Otherwise
	// it is closed. Per-source and total caps on the connections are the
	// listener's (the server wraps it with connlimit).
	TCPMessageTimeout, TCPIdleTimeout, TCPWriteTimeout time.Duration
}

func (c *Config) validate() error {
	if c.Calls == nil {
		return ErrNoCalls
	}
	if c.Realm == "" {
		c.Realm = "dialtone"
	}
	if len(c.Secret) == 0 {
		c.Secret = make([]byte, 32)
		if _, err := rand.Read(c.Secret); err != nil {
			return fmt.Errorf("generating relay secret: %w", err)
		}
	}
	if c.CredentialTTL <= 0 {
		c.CredentialTTL = 10 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SocketBuffer == 0 {
		c.SocketBuffer = 2 << 20
	}
	if c.ListenerSockets <= 0 {
		c.ListenerSockets = runtime.GOMAXPROCS(0)
	}
	for _, d := range []struct {
		p *time.Duration
		v time.Duration
	}{{&c.TCPMessageTimeout, 5 * time.Second}, {&c.TCPIdleTimeout, 30 * time.Second}, {&c.TCPWriteTimeout, 10 * time.Second}} {
		if *d.p <= 0 {
			*d.p = d.v
		}
	}
	return nil
}

// Log attribute keys.
const (
	keyNumber = "number"
	keyCallID = "call.id"
	keyLease  = "lease.addr"
	keyRelay  = "relay.addr"
	keyClient = "client.addr"
)

// Relay is the embedded TURN server. Create it with New, run it with Serve.
type Relay struct {
	cfg   Config
	log   *slog.Logger
	stats *stats
	// For the ChannelData the relay relays itself (channels.go): the TURN
	// listener, and UDP clients' allocation sockets by client address.
	turn       atomic.Pointer[turnConn]
	listeners  []*turnConn // all of the listener's sockets; set before Ready
	udpClients sync.Map    // netip.AddrPort → *leaseConn

	// gen changes whenever calls end, leases go or allocations come and go,
	// so that cached peer sets are fetched again.
	gen     atomic.Uint64
	serving atomic.Bool
	ready   chan struct{}
	urls    atomic.Pointer[[]string]
	own     atomic.Pointer[[]netip.AddrPort] // the relay's listening addresses

	mu       sync.Mutex
	closed   bool
	conns    map[*leaseConn]struct{}
	byBound  map[netip.AddrPort]*leaseConn // relay address → allocation socket
	byClient map[string]*leaseConn         // client address → allocation socket
	streams  map[string]*streamConn        // client address → TURN-over-TCP connection
}

// New returns a Relay for cfg.
func New(cfg Config) (*Relay, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &Relay{
		cfg:      cfg,
		ready:    make(chan struct{}),
		log:      cfg.Logger,
		stats:    newStats(),
		conns:    map[*leaseConn]struct{}{},
		byBound:  map[netip.AddrPort]*leaseConn{},
		byClient: map[string]*leaseConn{},
		streams:  map[string]*streamConn{},
	}
	urls := append([]string(nil), cfg.URLs...)
	r.urls.Store(&urls)
	r.own.Store(&[]netip.AddrPort{})
	return r, nil
}

func (r *Relay) now() time.Time { return r.cfg.Now() }

// URLs returns the TURN URLs clients use: Config.URLs, or those derived
// from the listeners once Serve has started.
func (r *Relay) URLs() []string { return append([]string(nil), *r.urls.Load()...) }

// Serve runs the TURN server on pc (UDP) and on any stream listeners (TURN
// over TCP; the relayed transport is always UDP) until ctx ends. It then
// closes pc, the listeners and every allocation, and returns nil. Serve may
// be called once.
func (r *Relay) Serve(ctx context.Context, pc net.PacketConn, lns ...net.Listener) error {
	if !r.serving.CompareAndSwap(false, true) {
		return ErrServing
	}
	r.setListeners(pc, lns)
	if r.cfg.MaxAllocations <= 0 {
		r.mu.Lock()
		r.cfg.MaxAllocations = 2 * (1 + len(lns))
		r.mu.Unlock()
	}
	r.sizeBuffers(pc)
	pcs := r.listenerConns(pc)
	gen := generator{r}
	sc := turn.ServerConfig{
		Realm:              r.cfg.Realm,
		AuthHandler:        r.authenticate,
		LoggerFactory:      slogFactory{r.log},
		AllocationLifetime: r.cfg.AllocationLifetime,
		EventHandler: turn.EventHandler{
			OnAuth:              r.onAuth,
			OnAllocationCreated: r.onAllocationCreated,
			OnAllocationDeleted: r.onAllocationDeleted,
			OnPermissionCreated: r.onPermissionCreated,
			OnPermissionDeleted: r.onPermissionDeleted,
			OnChannelCreated:    r.onChannelCreated,
			OnChannelDeleted:    r.onChannelDeleted,
		},
	}
	for _, pc := range pcs {
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, turn.PacketConnConfig{
			PacketConn: pc, RelayAddressGenerator: gen, PermissionHandler: r.permit,
		})
	}
	for _, ln := range lns {
		sc.ListenerConfigs = append(sc.ListenerConfigs, turn.ListenerConfig{
			Listener: streamListener{ln, r}, RelayAddressGenerator: gen, PermissionHandler: r.permit,
		})
	}
	srv, err := turn.NewServer(sc)
	if err != nil {
		return fmt.Errorf("starting TURN server: %w", err)
	}
	r.log.Info("relay serving", "urls", r.URLs())
	close(r.ready)
	<-ctx.Done()

	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	if err := srv.Close(); err != nil {
		r.log.Warn("closing TURN server", "err", err)
	}
	r.closeWhere(func(*leaseConn) bool { return true })
	return nil
}

// listenerConns wraps pc, and the further sockets it is spread over, as
// the batched PacketConns pion/turn reads (batch.go). pion/turn keeps each
// socket's allocations apart; the kernel keeps a client on one socket.
func (r *Relay) listenerConns(pc net.PacketConn) []net.PacketConn {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return []net.PacketConn{pc}
	}
	more, err := spread(uc, r.cfg.ListenerSockets)
	if err != nil {
		r.log.Warn("relay listener stays one socket", "err", err)
	}
	r.listeners = []*turnConn{newTurnConn(r, uc)}
	r.turn.Store(r.listeners[0])
	for _, c := range more {
		r.sizeBuffers(c)
		r.listeners = append(r.listeners, newTurnConn(r, c))
	}
	out := make([]net.PacketConn, len(r.listeners))
	for i, tc := range r.listeners {
		out[i] = tc
	}
	return out
}

func (r *Relay) setListeners(pc net.PacketConn, lns []net.Listener) {
	var own []netip.AddrPort
	var urls []string
	add := func(a net.Addr, transport string) {
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		own = append(own, ap)
		ip := ap.Addr()
		if ip.IsUnspecified() {
			switch {
			case r.cfg.PublicIP.IsValid():
				ip = r.cfg.PublicIP
			case ip.Is4():
				ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			default:
				ip = netip.IPv6Loopback()
			}
		}
		urls = append(urls, fmt.Sprintf("turn:%s?transport=%s", netip.AddrPortFrom(ip, ap.Port()), transport))
	}
	add(pc.LocalAddr(), "udp")
	for _, ln := range lns {
		add(ln.Addr(), "tcp")
	}
	r.own.Store(&own)
	if len(r.cfg.URLs) == 0 {
		r.urls.Store(&urls)
	}
}

type bufferSizer interface {
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
}

// sizeBuffers applies Config.SocketBuffer to c where it can (a *net.UDPConn).
func (r *Relay) sizeBuffers(c any) {
	b, ok := c.(bufferSizer)
	if !ok || r.cfg.SocketBuffer < 0 {
		return
	}
	if err := b.SetReadBuffer(r.cfg.SocketBuffer); err != nil {
		r.log.Debug("relay socket read buffer", "err", err)
	}
	if err := b.SetWriteBuffer(r.cfg.SocketBuffer); err != nil {
		r.log.Debug("relay socket write buffer", "err", err)
	}
}

// Ready is closed once Serve has started the TURN server. Credentials
// carry the URLs derived from the listeners from then on; before, only
// Config.URLs.
func (r *Relay) Ready() <-chan struct{} { return r.ready }

// EndCall closes the allocations made for callID. The server makes the call
// not live (Calls.Live false) before calling it, so that no allocation for
// the call can be made afterwards.
func (r *Relay) EndCall(callID string) {
	n := r.closeWhere(func(c *leaseConn) bool { return c.callID == callID })
	r.log.Debug("relay call ended", keyCallID, callID, "allocations", n)
}

// Release closes every allocation of number and forgets its lease's
// counters (they stay in Stats' totals). The server calls it when the
// number's lease goes, after Calls.Lease stops returning it.
func (r *Relay) Release(number string) {
	var leases []netip.AddrPort
	r.mu.Lock()
	for c := range r.conns {
		if c.number == number {
			leases = append(leases, c.lease)
		}
	}
	r.mu.Unlock()
	n := r.closeWhere(func(c *leaseConn) bool { return c.number == number })
	if l, ok := r.cfg.Calls.Lease(number); ok {
		leases = append(leases, l)
	}
	for _, l := range leases {
		r.stats.forget(l)
	}
	r.log.Debug("relay lease released", keyNumber, number, "allocations", n)
}

// closeWhere closes the allocation sockets that match; pion/turn then
// deletes their allocations, because reading the socket fails.
func (r *Relay) closeWhere(match func(*leaseConn) bool) int {
	r.mu.Lock()
	var doomed []*leaseConn
	for c := range r.conns {
		if match(c) {
			doomed = append(doomed, c)
		}
	}
	r.mu.Unlock()
	r.gen.Add(1)
	for _, c := range doomed {
		_ = c.Close()
	}
	return len(doomed)
}

func (r *Relay) allocationCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

func (r *Relay) onAuth(src, _ net.Addr, _, username, _, method string, ok bool) {
	if !ok {
		r.stats.refuse(ReasonCredentialIntegrity)
		r.log.Debug("relay auth refused", keyClient, src.String(), "username", username, "method", method)
	}
}

// clientKey names a client for the permission handler, which pion/turn
// gives only the client's address. pion files allocations made over TCP
// under the UDP protocol as well, so the key is the address alone; a UDP
// and a TCP client on the same IP and port would share it.
func clientKey(src net.Addr) string { return src.String() }

func (r *Relay) onAllocationCreated(src, _ net.Addr, _, _, _ string, relayAddr net.Addr, _ int) {
	ap, err := netip.ParseAddrPort(relayAddr.String())
	if err != nil {
		return
	}
	key := clientKey(src)
	r.mu.Lock()
	c := r.byBound[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())]
	if c != nil {
		c.client = key
		r.byClient[key] = c
		if ua, ok := src.(*net.UDPAddr); ok {
			c.udpClient.Store(ua)
			r.udpClients.Store(udpKey(ua), c)
		}
	}
	r.mu.Unlock()
	r.streamAllocated(key, +1)
	if c != nil {
		r.log.Info("relay allocation", keyNumber, c.number, keyCallID, c.callID,
			keyLease, c.lease.String(), keyRelay, c.bound.String(), keyClient, src.String())
	}
}

func (r *Relay) onAllocationDeleted(src, _ net.Addr, _, _, _ string) {
	key := clientKey(src)
	r.mu.Lock()
	if c := r.byClient[key]; c != nil {
		delete(r.byClient, key)
		c.client = ""
		c.forgetUDPClient()
	}
	r.mu.Unlock()
	r.streamAllocated(key, -1)
}
