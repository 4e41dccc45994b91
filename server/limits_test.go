package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/pion/turn/v5"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/connlimit"
	"github.com/dialtone/dialtone/server/servertest"
)

// attack opens n silent TCP connections from src to addr, the first sending
// the bytes in hello (a slowloris's first move), and returns those the
// server did not reset at once, with when they were opened.
func attack(t *testing.T, src, addr string, n int, hello []byte) ([]net.Conn, time.Time) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	var open []net.Conn
	at := time.Now()
	for range n {
		c, err := d.Dial("tcp4", addr)
		if errors.Is(err, syscall.ECONNRESET) {
			continue // refused before Dial returned
		}
		if err != nil {
			t.Fatalf("dialling %s from %s: %v", addr, src, err)
		}
		t.Cleanup(func() { c.Close() })
		if len(hello) > 0 {
			c.Write(hello)
		}
		open = append(open, c)
	}
	return open, at
}

// closedAfter waits for the server to close c and returns when it did,
// relative to since; it fails if c is still open at since+limit.
func closedAfter(t *testing.T, c net.Conn, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(since.Add(limit))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // an error page, say
		}
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return time.Since(since)
		}
		t.Fatalf("connection from %v still open after %v: %v", c.LocalAddr(), limit, err)
	}
}

func connStats(srv *servertest.Server, name string) connlimit.Stats {
	for _, s := range srv.ConnStats() {
		if s.Name == name {
			return s
		}
	}
	return connlimit.Stats{}
}

// waitRefused waits until listener name has refused want connections per
// source.
func waitRefused(t *testing.T, srv *servertest.Server, name string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(servertest.Wait)
	for connStats(srv, name).Refused[connlimit.RefusedPerSource] < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s refused %v, want %d per source", name, connStats(srv, name).Refused, want)
		}
		time.Sleep(5 * time.Millisecond) // polling a counter, bounded by deadline
	}
}

// TestListenersUnderSlowloris probes every TCP listener as the descriptor
// exhaustion attack did, scaled down: from one source, its per-source cap
// plus k silent or half-sent connections. The excess is refused at once,
// the rest are closed after the listener's timeout (not before), and
// meanwhile a client on another source registers, calls, allocates on the
// relay over TCP, queries the DNS over TCP and reads the admin API.
func TestListenersUnderSlowloris(t *testing.T) {
	const k = 3
	const timeout = 2 * time.Second // HTTP and the relay, as the DNS's first-query timeout
	cfg := servertest.Config(t, servertest.Options{})
	cfg.MaxConnsPerIP = 2 // the signalling listener then caps at 2+8
	cfg.RelayTCPPerIP, cfg.DNSTCPPerIP, cfg.AdminPerIP = 4, 4, 4
	cfg.HTTPTimeout, cfg.RelayTCPMessageTimeout = timeout, timeout
	srv := servertest.Start(t, cfg)
	sigAddr := strings.TrimSuffix(strings.TrimPrefix(srv.Addrs.URL, "ws://"), wire.Path)

	type probe struct {
		name, addr string
		hello      []byte
		timeout    time.Duration
		conns      []net.Conn
		at         time.Time
	}
	probes := []*probe{
		{name: "signalling", addr: sigAddr, hello: []byte("GE"), timeout: timeout},
		{name: "dns", addr: srv.Addrs.DNS, hello: []byte{0}, timeout: 2 * time.Second},
		{name: "relay", addr: srv.Addrs.Relay, hello: []byte{0, 1}, timeout: timeout},
		{name: "admin", addr: srv.Addrs.Admin, hello: []byte("GET /api/numbers HTTP/1.1\r\n"), timeout: timeout},
	}
	for _, p := range probes {
		capN := connStats(srv, p.name).Limits.PerSource
		if capN == 0 {
			t.Fatalf("%s: no per-source cap", p.name)
		}
		p.conns, p.at = attack(t, "127.0.0.2", p.addr, capN+k, p.hello)
		waitRefused(t, srv, p.name, k)
		if got := connStats(srv, p.name).Open; got != capN {
			t.Errorf("%s: %d connections open, want its cap %d", p.name, got, capN)
		}
	}

	// Meanwhile, a client elsewhere gets everything done.
	a := servertest.Register(t, srv.Addrs.URL, alice)
	b := servertest.Register(t, srv.Addrs.URL, bob)
	_, acc, _ := setUp(t, a, b)
	allocateOverTCP(t, srv.Addrs.Relay, acc.Relay)
	r := query(t, srv.Addrs.DNS, fmt.Sprintf("%s.%s", strings.TrimPrefix(alice, "+"), zone), dns.TypeA, "tcp")
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("DNS over TCP under attack: %v", r)
	}
	if body := get(t, "http://"+srv.Addrs.Admin+"/api/numbers"); !strings.Contains(string(body), alice) {
		t.Errorf("admin API under attack: %s", body)
	}

	for _, p := range probes {
		for _, c := range p.conns {
			if d := closedAfter(t, c, p.at, p.timeout+servertest.Wait); d < p.timeout {
				t.Errorf("%s: a silent connection closed after %v, before the %v timeout", p.name, d, p.timeout)
			}
		}
	}
	m := string(get(t, "http://"+srv.Addrs.Admin+"/metrics"))
	for _, want := range []string{
		`dialtone_tcp_refused_total{listener="signalling",reason="per_source"} 3`,
		`dialtone_tcp_refused_total{listener="dns",reason="per_source"} 3`,
		`dialtone_tcp_refused_total{listener="relay",reason="per_source"} 3`,
		`dialtone_tcp_refused_total{listener="admin",reason="per_source"} 3`,
		`dialtone_relay_tcp_closed_total{reason="first_message"} 4`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(m, "dialtone_tcp_refused_total")+"\n"+grepLines(m, "dialtone_relay_tcp"))
		}
	}
}

// allocateOverTCP makes a TURN allocation over TCP with a call's relay
// credentials.
func allocateOverTCP(t *testing.T, addr string, cr *wire.Relay) {
	t.Helper()
	if cr == nil {
		t.Fatal("accepted without relay credentials")
	}
	tc, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr,
		Conn: turn.NewSTUNConn(tc), Username: cr.Username, Password: cr.Credential, Realm: "dialtone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
	defer cancel()
	rc, err := c.AllocateWithContext(ctx)
	if err != nil {
		t.Fatalf("allocating over TCP under attack: %v", err)
	}
	rc.Close()
}

// TestSIPTCPPerSourceCap: the SIP registrar's TCP port is behind the same
// per-source cap and budget as the other listeners, so one source cannot
// hold its descriptors; another source still connects and is answered.
func TestSIPTCPPerSourceCap(t *testing.T) {
	const k = 3
	cfg := servertest.Config(t, servertest.Options{})
	cfg.SIP = "127.0.0.1:0"
	cfg.SIPTCPPerIP = 4
	srv := servertest.Start(t, cfg)
	capN := connStats(srv, "sip").Limits.PerSource
	if capN != 4 {
		t.Fatalf("sip per-source cap %d, want 4", capN)
	}
	attack(t, "127.0.0.2", srv.Addrs.SIP, capN+k, nil)
	waitRefused(t, srv, "sip", k)
	if got := connStats(srv, "sip").Open; got != capN {
		t.Errorf("sip: %d connections open, want its cap %d", got, capN)
	}
	// Another source still gets an answer: OPTIONS over TCP.
	c, err := net.Dial("tcp4", srv.Addrs.SIP)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	req := "OPTIONS sip:" + srv.Addrs.SIP + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP " + local + ";branch=z9hG4bK-limits1\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:" + srv.Addrs.SIP + ">\r\n" +
		"Call-ID: limits-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(servertest.Wait))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 ") {
		t.Fatalf("OPTIONS from another source while one is at its cap: %q, %v", buf[:n], err)
	}
}
