package sipgw

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/server/store"
)

const testNumber = "+12025550101"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a gateway serving on 127.0.0.1 port 0 with a real store.
type harness struct {
	g        *Gateway
	clock    *clock
	udp, tcp string
	password string
}

func newHarness(t *testing.T, tweak func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pass, err := st.CreateSIPPassword(ctx, testNumber, DefaultRealm)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)}
	cfg := Config{Credentials: st, Now: clk.now}
	if tweak != nil {
		tweak(&cfg)
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{g: g, clock: clk, udp: pc.LocalAddr().String(), tcp: ln.Addr().String(), password: pass}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Serve(runCtx, pc, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

// peer is a SIP client on a real socket, speaking raw text.
type peer struct {
	t     *testing.T
	conn  net.Conn
	r     *bufio.Reader
	proto string
	cseq  int
	call  string
}

func dialPeer(t *testing.T, proto, addr string) *peer {
	t.Helper()
	c, err := net.Dial(strings.ToLower(proto), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, conn: c, r: bufio.NewReader(c), proto: proto, call: fmt.Sprintf("call-%p", c)}
}

// register builds a REGISTER for user with extra header lines.
func (p *peer) register(user string, extra ...string) string {
	p.cseq++
	local := p.conn.LocalAddr().String()
	h := []string{
		"REGISTER sip:dialtone SIP/2.0",
		fmt.Sprintf("Via: SIP/2.0/%s %s;branch=z9hG4bK-%d-%s;rport", p.proto, local, p.cseq, p.call),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@dialtone>;tag=t1", user),
		fmt.Sprintf("To: <sip:%s@dialtone>", user),
		"Call-ID: " + p.call,
		fmt.Sprintf("CSeq: %d REGISTER", p.cseq),
		fmt.Sprintf("Contact: <sip:%s@%s;transport=%s>", user, local, strings.ToLower(p.proto)),
		"User-Agent: test",
	}
	h = append(h, extra...)
	return strings.Join(h, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
}

func (p *peer) send(msg string) {
	p.t.Helper()
	if _, err := p.conn.Write([]byte(msg)); err != nil {
		p.t.Fatal(err)
	}
}

// recv reads one response other than 100 Trying, which the server sends
// to an INVITE whose answer takes it more than 200 ms (a loaded machine).
func (p *peer) recv() *sip.Response {
	p.t.Helper()
	for {
		res := p.recvAny()
		if res.StatusCode != sip.StatusTrying {
			return res
		}
	}
}

// recvAny reads one response.
func (p *peer) recvAny() *sip.Response {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var data []byte
	if p.proto == "UDP" {
		buf := make([]byte, 65536)
		n, err := p.conn.Read(buf)
		if err != nil {
			p.t.Fatalf("reading a response: %v", err)
		}
		data = buf[:n]
	} else {
		var b strings.Builder
		for {
			l, err := p.r.ReadString('\n')
			if err != nil {
				p.t.Fatalf("reading a response: %v", err)
			}
			b.WriteString(l)
			if l == "\r\n" {
				break
			}
		}
		data = []byte(b.String()) // the tests' responses have no body
	}
	m, err := sip.ParseMessage(data)
	if err != nil {
		p.t.Fatalf("parsing response %q: %v", data, err)
	}
	res, ok := m.(*sip.Response)
	if !ok {
		p.t.Fatalf("got a request %q", data)
	}
	return res
}

// authorize answers the challenge for alg in res.
func authorize(t *testing.T, res *sip.Response, alg, user, password string, nc int) string {
	t.Helper()
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatal(err)
		}
		if c.Algorithm != alg {
			continue
		}
		cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:dialtone", Username: user, Password: password, Count: nc, Cnonce: "abc"})
		if err != nil {
			t.Fatal(err)
		}
		return "Authorization: " + cred.String()
	}
	t.Fatalf("no %s challenge in %v", alg, res)
	return ""
}

// waitFor polls cond until it holds; the gateway's counters have no events
// to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func sipHeader(name, value string) sip.Header { return sip.NewHeader(name, value) }
