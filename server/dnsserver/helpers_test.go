package dnsserver

import (
	"flag"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

var update = flag.Bool("update", false, "rewrite golden files and the fuzz seed corpus")

// fakeResolver is a lease table the test edits.
type fakeResolver struct {
	mu      sync.Mutex
	entries map[string]Entry
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{entries: make(map[string]Entry)}
}

func (f *fakeResolver) Resolve(number string) Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entries[number]
}

func (f *fakeResolver) set(number string, e Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries[number] = e
}

// standardResolver holds the numbers the tests share:
//
//	+15551234567  leased 127.77.0.1 and fd00::1, 30 s left, custom URI
//	+15557654321  registered, offline
//	+15550000001  leased 127.77.0.2 only, 2.5 s left
//	600           the echo service, leased 127.77.0.6
//	+4930123456   leased, lease life already over
func standardResolver() *fakeResolver {
	f := newFakeResolver()
	f.set("+15551234567", Entry{
		Registered: true,
		Addrs:      []netip.Addr{netip.MustParseAddr("127.77.0.1"), netip.MustParseAddr("fd00::1")},
		TTL:        30 * time.Second,
		URI:        "dialtone:+15551234567@example.net",
	})
	f.set("+15557654321", Entry{Registered: true})
	f.set("+15550000001", Entry{
		Registered: true,
		Addrs:      []netip.Addr{netip.MustParseAddr("127.77.0.2")},
		TTL:        2500 * time.Millisecond,
	})
	f.set("600", Entry{
		Registered: true,
		Addrs:      []netip.Addr{netip.MustParseAddr("127.77.0.6")},
		TTL:        time.Hour,
	})
	f.set("+4930123456", Entry{
		Registered: true,
		Addrs:      []netip.Addr{netip.MustParseAddr("127.77.0.9")},
		TTL:        0,
	})
	return f
}

func newTestServer(t testing.TB, res Resolver) *Server {
	t.Helper()
	s, err := New(Config{
		Resolver: res,
		NSAddrs:  []netip.Addr{netip.MustParseAddr("127.0.0.53")},
		Rate:     -1, // these tests are about answers; rrl_test.go is about the limit
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recorder is a dns.ResponseWriter that keeps what was written. It packs and
// unpacks the reply, as the wire would.
type recorder struct {
	local, remote net.Addr
	msg           *dns.Msg
	raw           []byte
	writes        int
	packErr       error
}

func newRecorder(remote string, tcp bool) *recorder {
	ap := netip.MustParseAddrPort(remote)
	if tcp {
		return &recorder{
			local:  net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:53")),
			remote: net.TCPAddrFromAddrPort(ap),
		}
	}
	return &recorder{
		local:  net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:53")),
		remote: net.UDPAddrFromAddrPort(ap),
	}
}

func (r *recorder) LocalAddr() net.Addr  { return r.local }
func (r *recorder) RemoteAddr() net.Addr { return r.remote }
func (r *recorder) WriteMsg(m *dns.Msg) error {
	raw, err := m.Pack()
	if err != nil {
		r.packErr = err
		return err
	}
	return r.write(raw)
}
func (r *recorder) Write(b []byte) (int, error) { return len(b), r.write(b) }
func (r *recorder) write(raw []byte) error {
	r.writes++
	r.raw = raw
	r.msg = new(dns.Msg)
	return r.msg.Unpack(raw)
}
func (r *recorder) Close() error        { return nil }
func (r *recorder) TsigStatus() error   { return nil }
func (r *recorder) TsigTimersOnly(bool) {}
func (r *recorder) Hijack()             {}

func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = 4242
	return m
}
