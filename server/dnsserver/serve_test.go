package dnsserver

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// serve runs s on fresh loopback UDP and TCP sockets on the same port and
// returns that address. Cleanup stops it and checks that Serve returned nil.
func serve(t testing.TB, s *Server) string {
	t.Helper()
	var (
		pc  *net.UDPConn
		ln  net.Listener
		err error
	)
	// The port UDP got may be taken for TCP on a busy machine: try another.
	for range 10 {
		if pc, err = ListenUDP(context.Background(), "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, pc, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	if ln.Addr().String() != pc.LocalAddr().String() {
		t.Fatalf("UDP and TCP on different ports")
	}
	return pc.LocalAddr().String()
}

func exchange(t testing.TB, network, addr string, req *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	m, _, err := c.Exchange(req, addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", network, req.Question[0].Name, err)
	}
	return m
}

func TestServeUDPAndTCP(t *testing.T) {
	s := newTestServer(t, standardResolver())
	addr := serve(t, s)
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			m := exchange(t, network, addr, query("15551234567.dialtone.internal.", dns.TypeA))
			checkRRs(t, "answer", m.Answer, []string{"15551234567.dialtone.internal.\t5\tIN\tA\t127.77.0.1"})
			m = exchange(t, network, addr, query("15559999999.dialtone.internal.", dns.TypeA))
			if m.Rcode != dns.RcodeNameError {
				t.Errorf("unknown number: rcode %s, want NXDOMAIN", rcodeName(m.Rcode))
			}
			m = exchange(t, network, addr, query("7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR))
			if len(m.Answer) != 1 || m.Answer[0].(*dns.NAPTR).Service != "E2U+x-dialtone" {
				t.Errorf("NAPTR answer %v", m.Answer)
			}
		})
	}
}

// TestServeTruncatedRetriesOverTCP checks the whole TC dance: a reply too big
// for UDP comes back truncated, and the same question over TCP gets it all.
func TestServeTruncatedRetriesOverTCP(t *testing.T) {
	res := newFakeResolver()
	var addrs []netip.Addr
	for i := range 100 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 77, 1, byte(i)}))
	}
	res.set("+15551234567", Entry{Registered: true, Addrs: addrs, TTL: time.Minute})
	addr := serve(t, newTestServer(t, res))
	req := query("15551234567.dialtone.internal.", dns.TypeA)
	m := exchange(t, "udp", addr, req)
	if !m.Truncated || len(m.Answer) >= 100 {
		t.Errorf("UDP: TC %v with %d answers, want TC with fewer than 100", m.Truncated, len(m.Answer))
	}
	m = exchange(t, "tcp", addr, req)
	if m.Truncated || len(m.Answer) != 100 {
		t.Errorf("TCP: TC %v with %d answers, want all 100", m.Truncated, len(m.Answer))
	}
}

// TestServeFollowsLeaseTable changes the table under a running server: the
// answers follow, with nothing cached in between.
func TestServeFollowsLeaseTable(t *testing.T) {
	res := newFakeResolver()
	addr := serve(t, newTestServer(t, res))
	const name = "15551234567.dialtone.internal."
	ask := func() *dns.Msg { return exchange(t, "udp", addr, query(name, dns.TypeA)) }

	if m := ask(); m.Rcode != dns.RcodeNameError {
		t.Fatalf("before registration: rcode %s, want NXDOMAIN", rcodeName(m.Rcode))
	}
	res.set("+15551234567", Entry{Registered: true})
	if m := ask(); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 {
		t.Fatalf("registered, offline: rcode %s answers %d, want NODATA", rcodeName(m.Rcode), len(m.Answer))
	}
	res.set("+15551234567", Entry{Registered: true, Addrs: []netip.Addr{netip.MustParseAddr("127.77.0.42")}, TTL: 3 * time.Second})
	m := ask()
	checkRRs(t, "answer during the call", m.Answer, []string{name + "\t3\tIN\tA\t127.77.0.42"})
	res.set("+15551234567", Entry{Registered: true})
	if m := ask(); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 {
		t.Fatalf("after hang-up: rcode %s answers %d, want NODATA", rcodeName(m.Rcode), len(m.Answer))
	}
}

// TestServeRawPackets sends packets no resolver library would: garbage
// gets FORMERR and is counted, and the server keeps answering.
func TestServeRawPackets(t *testing.T) {
	s := newTestServer(t, standardResolver())
	addr := serve(t, s)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	q := query("15551234567.dialtone.internal.", dns.TypeA)
	raw, _ := q.Pack()
	garbage := append(raw[:12:12], 0xff, 0xff, 0xff) // a question promised, junk given
	for _, p := range [][]byte{raw[:5], garbage} {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	dc := &dns.Conn{Conn: conn}
	m, err := dc.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	if m.Id != q.Id || m.Rcode != dns.RcodeFormatError {
		t.Errorf("reply to junk: id %d rcode %s, want id %d FORMERR", m.Id, rcodeName(m.Rcode), q.Id)
	}
	checkRRs(t, "answer", exchange(t, "udp", addr, q).Answer,
		[]string{"15551234567.dialtone.internal.\t5\tIN\tA\t127.77.0.1"})
	// The short packet is counted as it is read, the junk before its
	// FORMERR is written.
	if got := s.Stats().Malformed; got != 2 {
		t.Errorf("Malformed %d, want 2", got)
	}
}

func TestAccept(t *testing.T) {
	s := newTestServer(t, newFakeResolver())
	tests := []struct {
		name string
		hdr  dns.Header
		want dns.MsgAcceptAction
	}{
		{"query", dns.Header{Qdcount: 1, Arcount: 1}, dns.MsgAccept},
		{"no question, left to ServeDNS", dns.Header{}, dns.MsgAccept},
		{"two questions, left to ServeDNS", dns.Header{Qdcount: 2}, dns.MsgAccept},
		{"NOTIFY, left to ServeDNS", dns.Header{Bits: dns.OpcodeNotify << 11, Qdcount: 1}, dns.MsgAccept},
		{"response", dns.Header{Bits: 1 << 15, Qdcount: 1}, dns.MsgIgnore},
		{"answers", dns.Header{Qdcount: 1, Ancount: 2}, dns.MsgReject},
		{"authority", dns.Header{Qdcount: 1, Nscount: 2}, dns.MsgReject},
		{"additional", dns.Header{Qdcount: 1, Arcount: 3}, dns.MsgReject},
	}
	for _, tt := range tests {
		if got := s.accept(tt.hdr); got != tt.want {
			t.Errorf("%s: accept = %d, want %d", tt.name, got, tt.want)
		}
	}
	if st := s.Stats(); st.Dropped != 1 || st.Malformed != 3 {
		t.Errorf("Dropped %d Malformed %d, want 1 and 3", st.Dropped, st.Malformed)
	}
}

func TestServeNeedsAListener(t *testing.T) {
	s := newTestServer(t, newFakeResolver())
	if err := s.Serve(context.Background(), nil, nil); err == nil {
		t.Error("Serve with no sockets returned nil")
	}
}

// TestServeStopsWhenListenerFails checks that Serve returns (and closes the
// UDP side) when the TCP listener dies under it.
func TestServeStopsWhenListenerFails(t *testing.T) {
	s := newTestServer(t, newFakeResolver())
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := s.Serve(context.Background(), pc, ln); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
	if _, err := pc.WriteTo([]byte{0}, pc.LocalAddr()); err == nil {
		t.Error("UDP socket still open after Serve returned")
	}
}

// TestServeCancelledAtOnce shuts down before the servers had a chance to
// start, the window miekg/dns refuses to shut down in.
func TestServeCancelledAtOnce(t *testing.T) {
	s := newTestServer(t, newFakeResolver())
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Serve(ctx, pc, ln); err != nil {
			t.Fatalf("Serve: %v", err)
		}
	}
}

// TestServeTCPSilentClosed: a TCP client that does not finish its first
// query within ReadTimeout, or sends no next one within IdleTimeout, is
// closed (per-source caps on TCP connections are the listener's).
func TestServeTCPSilentClosed(t *testing.T) {
	const read, idle = 200 * time.Millisecond, 400 * time.Millisecond
	s, err := New(Config{Resolver: standardResolver(), ReadTimeout: read, IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, s)
	// Each time is taken before the event the server's deadline follows,
	// so that it bounds the closing time from below.
	halfAt := time.Now()
	half, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	half.Write([]byte{0}) // half a length prefix
	c, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	idleAt := time.Now()
	if err := c.WriteMsg(query("15551234567.dialtone.internal.", dns.TypeA)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		conn  net.Conn
		since time.Time
		after time.Duration
	}{{"half a query", half, halfAt, read}, {"idle after a query", c.Conn, idleAt, idle}} {
		tc.conn.SetReadDeadline(tc.since.Add(10 * idle))
		_, err := tc.conn.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("%s: still open after %v", tc.name, 10*idle)
		}
		if d := time.Since(tc.since); d < tc.after {
			t.Fatalf("%s: closed after %v, before %v", tc.name, d, tc.after)
		}
	}
}

// Replies on the wire use name compression: each is as short as its own
// compressed packing, and shorter than the uncompressed one.
func TestServeCompressesNames(t *testing.T) {
	addr := serve(t, newTestServer(t, standardResolver()))
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []*dns.Msg{
		query("15551234567.dialtone.internal.", dns.TypeA),
		query("15559999999.dialtone.internal.", dns.TypeA), // NXDOMAIN
		query("15557654321.dialtone.internal.", dns.TypeA), // NODATA
		query("7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR),
		query("dialtone.internal.", dns.TypeNS),
	} {
		raw, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(raw); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		m.Compress = true
		compressed, _ := m.Pack()
		m.Compress = false
		plain, _ := m.Pack()
		if n != len(compressed) || n >= len(plain) {
			t.Errorf("%s: reply %d bytes, compressed %d, uncompressed %d", q.Question[0].Name, n, len(compressed), len(plain))
		}
		t.Logf("%s %s: %d bytes (uncompressed %d)", q.Question[0].Name, dns.Type(q.Question[0].Qtype), n, len(plain))
	}
}
