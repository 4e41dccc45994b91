package sipgw

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// floodSource is the flooder's address: another loopback address than the
// user's 127.0.0.1, so that the per-source rate tells them apart.
var floodSource = net.IPv4(127, 0, 0, 9)

// flood sends the messages next builds from src as fast as one socket
// takes them until ctx ends, and counts what it sent and how many of its
// transactions were answered.
type flood struct {
	sent, answered atomic.Uint64
	wg             sync.WaitGroup
}

func startFlood(ctx context.Context, t *testing.T, src net.IP, server string, next func(local string, i int) string) *flood {
	t.Helper()
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: src}, net.UDPAddrFromAddrPort(mustAddrPort(t, server)))
	if err != nil {
		t.Skipf("no %v on loopback: %v", src, err)
	}
	f := &flood{}
	local := c.LocalAddr().String()
	f.wg.Add(2)
	go func() {
		defer f.wg.Done()
		buf := make([]byte, 65536)
		seen := map[string]bool{}
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			// A final response to an INVITE is resent until ACKed, and
			// the flooder never ACKs: count transactions, not datagrams.
			if m, err := sip.ParseMessage(buf[:n]); err == nil && m.CallID() != nil && !seen[m.CallID().Value()] {
				seen[m.CallID().Value()] = true
				f.answered.Add(1)
			}
		}
	}()
	go func() {
		defer f.wg.Done()
		defer c.Close() // ends the reader
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := c.Write([]byte(next(local, i))); err == nil {
				f.sent.Add(1)
			}
		}
	}()
	t.Cleanup(f.wg.Wait)
	return f
}

// floodMessage builds the i-th message of a flood: REGISTER or INVITE for
// testNumber, each a new transaction, with auth (a header) or without.
func floodMessage(method, auth string) func(local string, i int) string {
	return func(local string, i int) string {
		to, cseq := testNumber, "REGISTER"
		ruri := "sip:dialtone"
		if method == "INVITE" {
			to, cseq, ruri = "+12025550102", "INVITE", "sip:+12025550102@dialtone"
		}
		h := []string{
			method + " " + ruri + " SIP/2.0",
			fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-flood-%d;rport", local, i),
			"Max-Forwards: 70",
			fmt.Sprintf("From: <sip:%s@dialtone>;tag=f%d", testNumber, i),
			fmt.Sprintf("To: <sip:%s@dialtone>", to),
			fmt.Sprintf("Call-ID: flood-%d", i),
			fmt.Sprintf("CSeq: 1 %s", cseq),
			fmt.Sprintf("Contact: <sip:%s@%s>", testNumber, local),
		}
		if auth != "" {
			h = append(h, auth)
		}
		return strings.Join(h, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
	}
}

// wrongDigest is an Authorization (or Proxy-Authorization) header answering
// a real challenge of h's with a wrong password, so that the gateway must
// look the number up and hash to refuse it.
func wrongDigest(t *testing.T, h *harness, header, method, uri string) string {
	t.Helper()
	nonce, err := h.g.nonces.issue(h.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	c := &digest.Challenge{Realm: DefaultRealm, Nonce: nonce, Algorithm: "MD5", QOP: []string{"auth"}}
	cred, err := digest.Digest(c, digest.Options{Method: method, URI: uri, Username: testNumber, Password: "flood", Count: 1, Cnonce: "f"})
	if err != nil {
		t.Fatal(err)
	}
	return header + ": " + cred.String()
}

// rightDigests builds a flood of INVITEs that each carry a right answer
// to one challenge, counting up its nonce count as a real phone would.
func rightDigests(t *testing.T, h *harness) func(local string, i int) string {
	t.Helper()
	nonce, err := h.g.nonces.issue(h.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	c := &digest.Challenge{Realm: DefaultRealm, Nonce: nonce, Algorithm: "SHA-256", QOP: []string{"auth"}}
	return func(local string, i int) string {
		cred, err := digest.Digest(c, digest.Options{Method: "INVITE", URI: "sip:+12025550102@dialtone", Username: testNumber,
			Password: h.password, Count: i + 1, Cnonce: "f"})
		if err != nil {
			panic(err) // the flood's goroutine; digest.Digest fails only on a bad algorithm
		}
		return floodMessage("INVITE", "Proxy-Authorization: "+cred.String())(local, i)
	}
}

// latencies sums up the user's transactions: the median and the worst of
// each step over its sessions.
func latencies(sessions []map[string]time.Duration) string {
	var out []string
	for _, step := range []string{"REGISTER", "REGISTER with digest", "INVITE", "INVITE with digest"} {
		var ds []time.Duration
		for _, s := range sessions {
			ds = append(ds, s[step])
		}
		slices.Sort(ds)
		out = append(out, fmt.Sprintf("%s p50 %v max %v", step, ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond)))
	}
	return strings.Join(out, "; ")
}

// transact sends the request built last and waits for its final response, resending it
// on RFC 3261's UDP timers (T1 = 500 ms, doubling) as a phone would; it
// returns the response and how long it took.
func (p *peer) transact(msg string) (*sip.Response, time.Duration) {
	p.t.Helper()
	start := time.Now()
	buf := make([]byte, 65536)
	wait := 500 * time.Millisecond
	for time.Since(start) < 32*time.Second { // Timer F
		p.send(msg)
		p.conn.SetReadDeadline(time.Now().Add(wait))
		for {
			n, err := p.conn.Read(buf)
			if err != nil {
				break // resend
			}
			m, err := sip.ParseMessage(buf[:n])
			if err != nil {
				p.t.Fatalf("parsing %q: %v", buf[:n], err)
			}
			// A late copy of the last step's answer is not this one's.
			if res, ok := m.(*sip.Response); ok && res.StatusCode >= 200 && res.CSeq() != nil && int(res.CSeq().SeqNo) == p.cseq {
				return res, time.Since(start)
			}
		}
		wait = min(2*wait, 4*time.Second)
	}
	p.t.Fatalf("no answer to %q within Timer F", strings.SplitN(msg, "\r\n", 2)[0])
	return nil, 0
}

// userSession is what the other user does during a flood: register with
// its digest, then place a call (a known number; no switchboard here, so
// the call is answered 480 after authentication). It returns the latency
// of each transaction.
func userSession(t *testing.T, h *harness, p *peer) map[string]time.Duration {
	t.Helper()
	lat := map[string]time.Duration{}
	step := func(name, msg string, want int) *sip.Response {
		t.Helper()
		res, d := p.transact(msg)
		lat[name] = d
		if res.StatusCode != want {
			t.Fatalf("%s: %d %s, want %d", name, res.StatusCode, res.Reason, want)
		}
		return res
	}
	res := step("REGISTER", p.register(testNumber), 401)
	step("REGISTER with digest", p.register(testNumber, authorize(t, res, "SHA-256", testNumber, h.password, 1)), 200)
	const callee = "+12025550102"
	res = step("INVITE", p.invite(testNumber, callee), 407)
	p.ack(res, callee)
	res = step("INVITE with digest", p.invite(testNumber, callee, proxyAuthorize(t, res, callee, testNumber, h.password)), 480)
	p.ack(res, callee)
	return lat
}

// TestFloodDoesNotSlowOthers: one address floods REGISTERs or INVITEs, with
// and without digest credentials, as fast as a socket sends; meanwhile a
// user on another address registers and places a call, and is answered,
// while the flooder is held to its rate.
func TestFloodDoesNotSlowOthers(t *testing.T) {
	for _, tc := range []struct {
		name, method, header, uri string
	}{
		{"REGISTER", "REGISTER", "", ""},
		{"REGISTER with a wrong digest", "REGISTER", "Authorization", "sip:dialtone"},
		{"INVITE", "INVITE", "", ""},
		{"INVITE with a wrong digest", "INVITE", "Proxy-Authorization", "sip:+12025550102@dialtone"},
		{"INVITE with the right digest", "INVITE", "Proxy-Authorization", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The rate needs the real clock: the harness's stands still.
			h := newHarness(t, func(c *Config) { c.Directory = directory{"+12025550102": true}; c.Now = time.Now })
			next := floodMessage(tc.method, "")
			switch {
			case tc.header != "" && tc.uri != "":
				next = floodMessage(tc.method, wrongDigest(t, h, tc.header, tc.method, tc.uri))
			case tc.header != "":
				next = rightDigests(t, h)
			}
			quiet := userSession(t, h, dialPeer(t, "UDP", h.udp))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			f := startFlood(ctx, t, floodSource, h.udp, next)
			// The flood is on well past its burst.
			// (A flooder computing digests under -race on a loaded machine
			// takes seconds to get there: waitFor's 5 s is too short.)
			for deadline := time.Now().Add(30 * time.Second); h.g.Stats().RateLimited <= 5000; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the flood was not rate limited: %+v, %d sent", h.g.Stats(), f.sent.Load())
				}
			}
			// With the session before the flood, five sessions of six
			// messages stay within the user's own burst.
			var lat []map[string]time.Duration
			for range 5 {
				lat = append(lat, userSession(t, h, dialPeer(t, "UDP", h.udp)))
			}
			cancel()
			f.wg.Wait()
			elapsed := time.Since(start)
			st := h.g.Stats()
			t.Logf("flood: %d sent, %d answered, %d rate limited in %v; the user's 5 sessions: %s; before the flood: %s",
				f.sent.Load(), f.answered.Load(), st.RateLimited, elapsed.Round(time.Millisecond), latencies(lat),
				latencies([]map[string]time.Duration{quiet}))
			// The flooder got its burst and its rate, no more.
			allowed := float64(h.g.cfg.Burst) + h.g.cfg.Rate*elapsed.Seconds()
			if got := float64(f.answered.Load()); got > allowed+1 {
				t.Errorf("the flooder got %v answers in %v, more than its rate lets through (%v)", got, elapsed, allowed)
			}
			if st.RateLimited == 0 || st.RateLimited+f.answered.Load() > f.sent.Load()+100 {
				t.Errorf("stats %+v do not add up with %d sent", st, f.sent.Load())
			}
		})
	}
}

// TestFloodPipelinedTCP: over TCP one write may carry many messages, and
// the stack parses all of a read; each message counts against the rate,
// not each read.
func TestFloodPipelinedTCP(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Rate = 0.001; c.Burst = 10 })
	loud := dialPeer(t, "TCP", h.tcp)
	var batch strings.Builder
	for range 100 {
		batch.WriteString(loud.register(testNumber))
	}
	loud.send(batch.String())
	answered := 0
	for {
		loud.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		l, err := loud.r.ReadString('\n')
		if err != nil {
			break // closed, or no more answers
		}
		if strings.HasPrefix(l, "SIP/2.0 ") {
			answered++
		}
	}
	if answered > 10 {
		t.Fatalf("one read of 100 REGISTERs got %d answers; the burst is 10", answered)
	}
	if got := h.g.Stats().RateLimited; got == 0 {
		t.Fatalf("nothing rate limited")
	}
	// Another source is served meanwhile.
	quiet := dialPeer(t, "UDP", h.udp)
	quiet.send(quiet.register(testNumber))
	if got := quiet.recv().StatusCode; got != 401 {
		t.Fatalf("other source: %d, want 401", got)
	}
}

// TestSourcesTableFull: the table of sources is bounded, and a full one
// does not shut out a newcomer: the source seen longest ago gives way
// (it only gets a full bucket again). Otherwise one packet a minute from
// each of MaxSources spoofed UDP addresses would keep every new phone out.
func TestSourcesTableFull(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxSources = 4 })
	for i := range 8 {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 3, byte(10+i))}, net.UDPAddrFromAddrPort(mustAddrPort(t, h.udp)))
		if err != nil {
			t.Skipf("no 127.0.3.x on loopback: %v", err)
		}
		p := &peer{t: t, conn: c, proto: "UDP", call: fmt.Sprintf("src-%d", i)}
		p.send(p.register(testNumber))
		if got := p.recv().StatusCode; got != 401 {
			t.Fatalf("source %d of a table of 4: %d, want 401", i, got)
		}
		c.Close()
	}
	if n := h.g.sources.len(); n != 4 {
		t.Fatalf("%d sources tracked, want the bound 4", n)
	}
}
