package relay

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// fakeCalls is the server's side of Calls: leases by number and parties by
// call.
type fakeCalls struct {
	mu     sync.Mutex
	leases map[string]netip.AddrPort
	calls  map[string][]string // call ID → parties
}

func newFakeCalls() *fakeCalls {
	return &fakeCalls{leases: map[string]netip.AddrPort{}, calls: map[string][]string{}}
}

func (f *fakeCalls) setLease(number, addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if addr == "" {
		delete(f.leases, number)
		return
	}
	f.leases[number] = netip.MustParseAddrPort(addr)
}

func (f *fakeCalls) start(callID string, parties ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[callID] = parties
}

func (f *fakeCalls) end(callID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.calls, callID)
}

func (f *fakeCalls) Lease(number string) (netip.AddrPort, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.leases[number]
	return l, ok
}

func (f *fakeCalls) Peers(number string) []netip.AddrPort {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []netip.AddrPort
	for _, parties := range f.calls {
		if !slices.Contains(parties, number) {
			continue
		}
		for _, p := range parties {
			if l, ok := f.leases[p]; ok && p != number {
				out = append(out, l)
			}
		}
	}
	return out
}

func (f *fakeCalls) Live(callID, number string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.calls[callID], number)
}

// Numbers and leases the tests use. Leases live on 127.77.0.0/16, as in a
// local server's default pool; each test run picks its own port base so
// that parallel packages do not collide.
const (
	numA = "+15550001"
	numB = "+15550002"
	numC = "+15550003"
)

type harness struct {
	t     *testing.T
	calls *fakeCalls
	relay *Relay
	addr  *net.UDPAddr // the TURN server
	clock *fakeClock
	// leases by number
	lease map[string]netip.AddrPort
	// refusals delivers every refusal, for tests that wait for one.
	refusals chan Reason
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// freeLease returns an address on ip whose UDP port is free now.
func freeLease(t testing.TB, ip string) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp4", ip+":0")
	if err != nil {
		t.Fatalf("probing a free port on %s: %v", ip, err)
	}
	ap := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	_ = pc.Close()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func newHarness(t testing.TB, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{
		calls:    newFakeCalls(),
		clock:    &fakeClock{t: time.Unix(1_800_000_000, 0)},
		lease:    map[string]netip.AddrPort{},
		refusals: make(chan Reason, 1024),
	}
	if tt, ok := t.(*testing.T); ok {
		h.t = tt
	}
	for i, n := range []string{numA, numB, numC} {
		l := freeLease(t, netip.AddrFrom4([4]byte{127, 77, 0, byte(i + 1)}).String())
		h.lease[n] = l
		h.calls.setLease(n, l.String())
	}
	cfg := Config{Calls: h.calls, Now: h.clock.Now, Secret: []byte("test secret")}
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.stats.onRefuse = func(why Reason) {
		select {
		case h.refusals <- why:
		default:
		}
	}
	h.relay = r
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = pc.LocalAddr().(*net.UDPAddr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	select {
	case <-r.Ready():
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	return h
}

// waitRefusal waits for a refusal for why.
func (h *harness) waitRefusal(t testing.TB, why Reason) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-h.refusals:
			if got == why {
				return
			}
		case <-timeout:
			t.Fatalf("no %s refusal; stats %+v", why, h.relay.Stats().Refusals)
		}
	}
}

// drainRefusals forgets refusals seen so far.
func (h *harness) drainRefusals() {
	for {
		select {
		case <-h.refusals:
		default:
			return
		}
	}
}

// client is a TURN client (pion's) for user/pass.
func (h *harness) client(t testing.TB, user, pass string) *turn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: h.addr.String(),
		TURNServerAddr: h.addr.String(),
		Conn:           conn,
		Username:       user,
		Password:       pass,
		Realm:          "dialtone",
		RTO:            100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		_ = conn.Close()
	})
	return c
}

// allocate allocates with number's credentials for callID.
func (h *harness) allocate(t testing.TB, callID, number string) (net.PacketConn, error) {
	t.Helper()
	cr := h.relay.Credentials(callID, number)
	c := h.client(t, cr.Username, cr.Password)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := c.AllocateWithContext(ctx)
	if err == nil {
		t.Cleanup(func() { _ = rc.Close() })
	}
	return rc, err
}

// peer is a plain UDP socket standing on addr, as a peer's relay would.
func peer(t testing.TB, addr netip.AddrPort) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatalf("binding peer %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func readFrom(t testing.TB, c net.PacketConn) (string, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 1500)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("reading on %s: %v", c.LocalAddr(), err)
	}
	ap := from.(*net.UDPAddr).AddrPort()
	return string(buf[:n]), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// nothingQueued checks that c has no datagram waiting.
func nothingQueued(t testing.TB, c net.PacketConn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now())
	buf := make([]byte, 1500)
	n, from, err := c.ReadFrom(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%s got %q from %v (err %v), want nothing", c.LocalAddr(), buf[:n], from, err)
	}
}

func udpAddr(ap netip.AddrPort) *net.UDPAddr { return net.UDPAddrFromAddrPort(ap) }
