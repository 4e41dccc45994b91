package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/call"
)

// sipUA is a SIP phone on a real UDP socket speaking raw text, enough to
// register and place a call, resending on RFC 3261's timers as a phone
// does.
type sipUA struct {
	t      *testing.T
	conn   net.Conn
	number string
	cseq   int
	callID string
}

func dialUA(t *testing.T, server, number string) *sipUA {
	t.Helper()
	c, err := net.Dial("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &sipUA{t: t, conn: c, number: number, callID: fmt.Sprintf("ua-%d", time.Now().UnixNano())}
}

// request builds a request; the CSeq counts up.
func (u *sipUA) request(method, ruri, to string, extra []string, body string) string {
	u.cseq++
	local := u.conn.LocalAddr().String()
	h := []string{
		method + " " + ruri + " SIP/2.0",
		fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d;rport", local, u.callID, u.cseq),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@dialtone>;tag=ua", u.number),
		"To: " + to,
		"Call-ID: " + u.callID + "-" + strings.ToLower(method[:1]),
		fmt.Sprintf("CSeq: %d %s", u.cseq, method),
		fmt.Sprintf("Contact: <sip:%s@%s>", u.number, local),
	}
	h = append(h, extra...)
	if body != "" {
		h = append(h, "Content-Type: application/sdp")
	}
	return strings.Join(h, "\r\n") + fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n", len(body)) + body
}

// transact sends msg (the request built last) until its final response
// comes, and returns it with the time it took.
func (u *sipUA) transact(msg string) (*sip.Response, time.Duration) {
	u.t.Helper()
	start := time.Now()
	buf := make([]byte, 65536)
	wait := 500 * time.Millisecond
	for time.Since(start) < 32*time.Second {
		if _, err := u.conn.Write([]byte(msg)); err != nil {
			u.t.Fatal(err)
		}
		u.conn.SetReadDeadline(time.Now().Add(wait))
		for {
			n, err := u.conn.Read(buf)
			if err != nil {
				break
			}
			m, err := sip.ParseMessage(buf[:n])
			if err != nil {
				u.t.Fatalf("parsing %q: %v", buf[:n], err)
			}
			if res, ok := m.(*sip.Response); ok && res.StatusCode >= 200 && int(res.CSeq().SeqNo) == u.cseq {
				return res, time.Since(start)
			}
		}
		wait = min(2*wait, 4*time.Second)
	}
	u.t.Fatalf("no answer to %q within Timer F", strings.SplitN(msg, "\r\n", 2)[0])
	return nil, 0
}

// answer builds the Authorization (or Proxy-Authorization) answering res's
// SHA-256 challenge.
func (u *sipUA) answer(res *sip.Response, method, uri, password string) string {
	u.t.Helper()
	name, header := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		name, header = "Proxy-Authenticate", "Proxy-Authorization"
	}
	for _, h := range res.GetHeaders(name) {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil || c.Algorithm != "SHA-256" {
			continue
		}
		cred, err := digest.Digest(c, digest.Options{Method: method, URI: uri, Username: u.number, Password: password, Count: 1, Cnonce: "ua"})
		if err != nil {
			u.t.Fatal(err)
		}
		return header + ": " + cred.String()
	}
	u.t.Fatalf("no SHA-256 challenge in %v", res)
	return ""
}

// inDialog builds an ACK or BYE in the dialog res (a 2xx to INVITE) set up.
func (u *sipUA) inDialog(method string, res *sip.Response, seq int) string {
	target := res.GetHeader("Contact").(*sip.ContactHeader).Address.String()
	local := u.conn.LocalAddr().String()
	return strings.Join([]string{
		method + " " + target + " SIP/2.0",
		fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%s-%d;rport", local, u.callID, method, seq),
		"Max-Forwards: 70",
		res.From().String(), res.To().String(), res.CallID().String(),
		fmt.Sprintf("CSeq: %d %s", seq, method),
	}, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
}

const opusOffer = "v=0\r\no=ua 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\n"

// floodUDP sends REGISTERs and INVITEs, alternately and each a new
// transaction, from src to server as fast as a socket sends, until ctx
// ends.
func floodUDP(ctx context.Context, t *testing.T, wg *sync.WaitGroup, src net.IP, server, number, callee string) {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: src}, raddr)
	if err != nil {
		t.Skipf("no %v on loopback: %v", src, err)
	}
	u := &sipUA{t: t, conn: c, number: number}
	msgs := make([]string, 0, 2000)
	for i := range cap(msgs) {
		u.callID = fmt.Sprintf("flood-%d", i)
		if i%2 == 0 {
			msgs = append(msgs, u.request("REGISTER", "sip:dialtone", "<sip:"+number+"@dialtone>", nil, ""))
		} else {
			msgs = append(msgs, u.request("INVITE", "sip:"+callee+"@dialtone", "<sip:"+callee+"@dialtone>", nil, opusOffer))
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.Close()
		for i := 0; ctx.Err() == nil; i++ {
			c.Write([]byte(msgs[i%len(msgs)])) // a full buffer drops it: a flood does not care
		}
	}()
}

// TestSIPFloodDoesNotSlowOthers, against the real server: one address
// (127.0.0.9) floods REGISTERs and INVITEs as fast as it can; meanwhile a
// SIP phone on 127.0.0.1 registers with its digest and calls a dialtone
// phone, which rings and answers, and the phone hangs up. The flooder is
// held to its rate (dropped, counted in /metrics).
func TestSIPFloodDoesNotSlowOthers(t *testing.T) {
	rs, pass := sipServer(t, "--pool", "127.77.26.0/24")
	const callee = "+15550100051"
	answerer := startCall(t, rs.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1", "--mic", "tone:660")
	answerer.waitFor(t, call.EventRegistered)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	floodUDP(ctx, t, &wg, net.IPv4(127, 0, 0, 9), rs.addrs["sip"], sipTestNumber, callee)
	waitMetricAbove(t, adminOf(rs), `dialtone_sip_events_total{event="rate_limited"}`, 10000)

	u := dialUA(t, rs.addrs["sip"], sipTestNumber)
	to := "<sip:" + sipTestNumber + "@dialtone>"
	res, d1 := u.transact(u.request("REGISTER", "sip:dialtone", to, nil, ""))
	if res.StatusCode != 401 {
		t.Fatalf("REGISTER: %d, want 401", res.StatusCode)
	}
	res, d2 := u.transact(u.request("REGISTER", "sip:dialtone", to, []string{u.answer(res, "REGISTER", "sip:dialtone", pass), "Expires: 120"}, ""))
	if res.StatusCode != 200 {
		t.Fatalf("REGISTER with digest: %d, want 200", res.StatusCode)
	}
	ruri, calleeTo := "sip:"+callee+"@dialtone", "<sip:"+callee+"@dialtone>"
	res, d3 := u.transact(u.request("INVITE", ruri, calleeTo, nil, opusOffer))
	if res.StatusCode != 407 {
		t.Fatalf("INVITE: %d, want 407", res.StatusCode)
	}
	res, d4 := u.transact(u.request("INVITE", ruri, calleeTo, []string{u.answer(res, "INVITE", ruri, pass)}, opusOffer))
	if res.StatusCode != 200 {
		t.Fatalf("INVITE with digest: %d %s, want 200", res.StatusCode, res.Reason)
	}
	if in := answerer.waitFor(t, call.EventIncoming); in.Peer != sipTestNumber {
		t.Errorf("the dialtone phone shows the call from %q, want %s", in.Peer, sipTestNumber)
	}
	if _, err := u.conn.Write([]byte(u.inDialog("ACK", res, u.cseq))); err != nil {
		t.Fatal(err)
	}
	u.cseq++
	bye, d5 := u.transact(u.inDialog("BYE", res, u.cseq))
	if bye.StatusCode != 200 {
		t.Fatalf("BYE: %d, want 200", bye.StatusCode)
	}
	cancel()
	wg.Wait()
	// This phone sends no media, so the dialtone phone's call ends on the
	// BYE without having connected.
	answerer.waitFor(t, call.EventEnded)
	t.Logf("during the flood: REGISTER %v, with digest %v; INVITE %v, with digest (to the dialtone phone's answer) %v; BYE %v",
		d1, d2, d3, d4, d5)
}

// waitMetricAbove polls /metrics until the sample name is above min.
func waitMetricAbove(t *testing.T, admin, name string, min float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m := httpGet(t, "http://"+admin+"/metrics")
		if v := metricValue(m, name); v > min {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s above %v:\n%s", name, min, grepLines(m, "sip"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSIPTCPConnectionFlood: one address opens many SIP TCP connections
// and holds them; past its cap (64) they are closed at accept, and a phone
// on another address still connects and is answered, as is the flooder on
// the connections it kept.
func TestSIPTCPConnectionFlood(t *testing.T) {
	rs, _ := sipServer(t, "--pool", "127.77.27.0/24")
	const n = 150
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
	var held []net.Conn
	for i := range n {
		c, err := d.Dial("tcp", rs.addrs["sip"])
		if err != nil {
			if i < 64 {
				t.Fatalf("dialling from 127.0.0.9 within the cap: %v", err)
			}
			continue // closed at accept before the handshake was seen through
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	waitMetric(t, adminOf(rs), fmt.Sprintf(`dialtone_tcp_refused_total{listener="sip",reason="per_source"} %d`, n-64))

	register := func(c net.Conn) int {
		t.Helper()
		u := &sipUA{t: t, conn: c, number: sipTestNumber, callID: fmt.Sprintf("tcp-%p", c)}
		msg := strings.Replace(u.request("REGISTER", "sip:dialtone", "<sip:"+sipTestNumber+"@dialtone>", nil, ""), "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 65536)
		got := ""
		for !strings.Contains(got, "\r\n\r\n") {
			k, err := c.Read(buf)
			if err != nil {
				t.Fatalf("reading the answer to a REGISTER over TCP: %v (so far %q)", err, got)
			}
			got += string(buf[:k])
		}
		m, err := sip.ParseMessage([]byte(got))
		if err != nil {
			t.Fatal(err)
		}
		return m.(*sip.Response).StatusCode
	}
	other, err := net.Dial("tcp", rs.addrs["sip"])
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := register(other); got != 401 {
		t.Fatalf("another address over TCP: %d, want 401", got)
	}
	// The flooder's first connections were accepted and still work.
	if got := register(held[0]); got != 401 {
		t.Fatalf("the flooder's first connection: %d, want 401", got)
	}
}
