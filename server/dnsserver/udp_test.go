package dnsserver

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// serveUDPOnly runs Serve on a UDP socket alone and returns its address.
func serveUDPOnly(t *testing.T, s *Server, pc *net.UDPConn) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, pc, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// ask sends one query from a connected socket, which takes replies only
// from the address it asked, and waits for the reply.
func ask(t *testing.T, network, addr string, req *dns.Msg) *dns.Msg {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dc := &dns.Conn{Conn: c}
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := dc.WriteMsg(req); err != nil {
		t.Fatal(err)
	}
	m, err := dc.ReadMsg()
	if err != nil {
		t.Fatalf("asking %s: %v", addr, err)
	}
	return m
}

// TestServeWildcardRepliesFromAddressAsked: a socket on every address
// answers from the address each query came to, on the fast path (A) and
// the miekg/dns one (CHAOS), or a client (whose socket is connected to the
// address it asked) never sees the reply.
func TestServeWildcardRepliesFromAddressAsked(t *testing.T) {
	for _, tc := range []struct {
		name, listen, network, ask string
	}{
		{"IPv4", "0.0.0.0:0", "udp4", "127.0.0.2"},
		{"dual stack, IPv4 client", "[::]:0", "udp", "127.0.0.3"},
		{"dual stack, IPv6 client", "[::]:0", "udp6", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := ListenUDP(context.Background(), tc.listen)
			if err != nil {
				t.Skipf("listening on %s: %v", tc.listen, err)
			}
			s := newTestServer(t, standardResolver())
			serveUDPOnly(t, s, pc)
			_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
			addr := net.JoinHostPort(tc.ask, port)
			if tc.network == "udp6" {
				if c, err := net.Dial("udp6", addr); err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				} else {
					c.Close()
				}
			}
			m := ask(t, tc.network, addr, query("15551234567.dialtone.internal.", dns.TypeA))
			checkRRs(t, "answer", m.Answer, []string{"15551234567.dialtone.internal.\t5\tIN\tA\t127.77.0.1"})
			m = ask(t, tc.network, addr, withClass(query("version.bind.", dns.TypeTXT), dns.ClassCHAOS))
			if m.Rcode != dns.RcodeRefused {
				t.Errorf("CHAOS: rcode %s, want REFUSED", rcodeName(m.Rcode))
			}
		})
	}
}

// TestServeOpensASocketPerWorker: with SO_REUSEPORT, Serve opens one
// socket per worker on the same address, and closes them all when it
// returns.
func TestServeOpensASocketPerWorker(t *testing.T) {
	if !haveBatches {
		t.Skip("a socket per worker is Linux's (recvmmsg workers)")
	}
	pc, err := ListenUDP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	if !reusesPort(pc) {
		t.Fatal("ListenUDP's socket does not reuse its port")
	}
	s, err := New(Config{Resolver: standardResolver(), Rate: -1, UDPWorkers: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, pc, nil) }()
	// Clients from many ports land on every socket; each must answer.
	for range 32 {
		m := ask(t, "udp", addr, query("15551234567.dialtone.internal.", dns.TypeA))
		if len(m.Answer) != 1 {
			t.Fatalf("answer %v", m.Answer)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// All closed: the address is free for a socket without SO_REUSEPORT.
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("after Serve returned: %v", err)
	}
	c.Close()
}

// TestServeUDPCountsFastReplies: replies from the fast path are in Stats
// as the miekg/dns path's are.
func TestServeUDPCountsFastReplies(t *testing.T) {
	s := newTestServer(t, standardResolver())
	addr := serve(t, s)
	ask(t, "udp", addr, query("15551234567.dialtone.internal.", dns.TypeA))
	ask(t, "udp", addr, query("15557654321.dialtone.internal.", dns.TypeA))
	ask(t, "udp", addr, query("15559999999.dialtone.internal.", dns.TypeA))
	ask(t, "udp", addr, query("example.com.", dns.TypeA))
	// (The miekg/dns path counts a reply after sending it, so its counts
	// are not read here: they may lag the reply.)
	st := s.Stats()
	if st.Replies["NOERROR"] != 2 || st.Replies["NXDOMAIN"] != 1 || st.Replies["REFUSED"] != 1 || st.NoData != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestServeUDPOtherPacketConn: a PacketConn that is not a *net.UDPConn is
// still served, by miekg/dns alone.
func TestServeUDPOtherPacketConn(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, standardResolver())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, wrappedPC{pc}, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	m := ask(t, "udp", pc.LocalAddr().String(), query("15551234567.dialtone.internal.", dns.TypeA))
	if len(m.Answer) != 1 {
		t.Fatalf("answer %v", m.Answer)
	}
}

type wrappedPC struct{ net.PacketConn }

// TestServeUDPAllocatesNothingPerQuery: answering from compiled answers
// over real sockets allocates nothing per query, reading and writing
// included (x/net's ReadBatch allocated each source address twice), so a
// busy DNS makes no work for the garbage collector. The client reuses its
// buffers and addresses, so the process's count of allocations is the
// server's.
func TestServeUDPAllocatesNothingPerQuery(t *testing.T) {
	pc, err := ListenUDP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, standardResolver())
	serveUDPOnly(t, s, pc)
	dst := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var queries [][]byte // a live number, an idle one (NODATA), an unknown one (NXDOMAIN)
	for _, name := range []string{"15551234567.dialtone.internal.", "15557654321.dialtone.internal.", "15559999999.dialtone.internal."} {
		p, err := query(name, dns.TypeA).Pack()
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, p)
	}
	buf := make([]byte, 1500)
	round := func(n int) {
		for i := range n {
			q := queries[i%len(queries)]
			if _, err := c.WriteToUDPAddrPort(q, dst); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	round(30) // compile the answers on every worker the client lands on
	const n = 3000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	round(n)
	runtime.ReadMemStats(&after)
	if per := float64(after.Mallocs-before.Mallocs) / n; per > 0.05 {
		t.Errorf("%.2f allocations per query, want none", per)
	}
	if st := s.Stats(); st.Replies["NOERROR"]+st.Replies["NXDOMAIN"] < n {
		t.Errorf("stats %+v: not every query was answered", st)
	}
}
