package sipgw

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestBadRequests(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxMessage = 2048; c.MaxHeaders = 20 })
	via := "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-bad\r\n"
	ids := "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: bad\r\nCSeq: 1 REGISTER\r\n"
	for _, tc := range []struct {
		name, msg string
		want      int
	}{
		{"garbled header", "REGISTER sip:dialtone SIP/2.0\r\n" + via + ids + "Contact <nocolon\r\n\x00\x01: :\r\n\r\n", 400},
		{"header without a colon", "REGISTER sip:dialtone SIP/2.0\r\n" + via + ids + "Contact <sip:a@b>\r\n\r\n", 400},
		{"no CSeq", "REGISTER sip:dialtone SIP/2.0\r\n" + via + "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n\r\n", 400},
		{"CSeq of another method", "REGISTER sip:dialtone SIP/2.0\r\n" + via + strings.Replace(ids, "1 REGISTER", "1 INVITE", 1) + "\r\n", 400},
		{"too many headers", "REGISTER sip:dialtone SIP/2.0\r\n" + via + ids + strings.Repeat("X-A: b\r\n", 30) + "\r\n", 400},
		{"too large", "REGISTER sip:dialtone SIP/2.0\r\n" + via + ids + "X-Pad: " + strings.Repeat("a", 3000) + "\r\n\r\n", 513},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dialPeer(t, "UDP", h.udp)
			p.send(tc.msg)
			if got := p.recv().StatusCode; got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
	// The server is unaffected: a good request is still answered.
	p := dialPeer(t, "UDP", h.udp)
	p.send(p.register(testNumber))
	if got := p.recv().StatusCode; got != 401 {
		t.Fatalf("good request after bad ones: %d, want 401", got)
	}
	if st := h.g.Stats(); st.Malformed != 5 || st.TooLarge != 1 || st.Nonces != 0 {
		t.Fatalf("stats %+v, want 5 malformed, 1 too large, no nonce remembered", st)
	}
}

// Over TCP a header flood is refused after parsing.
func TestTooManyHeadersTCP(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxHeaders = 20 })
	p := dialPeer(t, "TCP", h.tcp)
	p.send(p.register(testNumber, strings.TrimSuffix(strings.Repeat("X-A: b\r\n", 30), "\r\n")))
	if got := p.recv().StatusCode; got != 400 {
		t.Fatalf("got %d, want 400", got)
	}
}

// One source past its rate is dropped; another is served meanwhile.
func TestRatePerSource(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Rate = 0.001; c.Burst = 5 })
	loud := dialPeer(t, "UDP", h.udp)
	for range 10 {
		loud.send(loud.register(testNumber))
	}
	for range 5 {
		if got := loud.recv().StatusCode; got != 401 {
			t.Fatalf("within the burst: %d", got)
		}
	}
	waitFor(t, "5 messages dropped", func() bool { return h.g.Stats().RateLimited == 5 })
	// A different source address (127.0.0.2) is not held back.
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, net.UDPAddrFromAddrPort(mustAddrPort(t, h.udp)))
	if err != nil {
		t.Skipf("no 127.0.0.2: %v", err)
	}
	quiet := &peer{t: t, conn: c, proto: "UDP", call: "quiet"}
	defer c.Close()
	quiet.send(quiet.register(testNumber))
	if got := quiet.recv().StatusCode; got != 401 {
		t.Fatalf("other source: %d, want 401", got)
	}
}

func TestOptions(t *testing.T) {
	h := newHarness(t, nil)
	p := dialPeer(t, "UDP", h.udp)
	p.send(strings.Replace(p.register(testNumber), "REGISTER", "OPTIONS", -1))
	if got := p.recv().StatusCode; got != 200 {
		t.Fatalf("OPTIONS: %d", got)
	}
}

// Over TCP a source past its rate loses its connection.
func TestRatePerSourceTCP(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Rate = 0.001; c.Burst = 1 })
	p := dialPeer(t, "TCP", h.tcp)
	p.send(p.register(testNumber))
	if got := p.recv().StatusCode; got != 401 {
		t.Fatalf("within the burst: %d", got)
	}
	p.send(p.register(testNumber))
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := p.r.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the rate: %v, want the connection closed", err)
	}
	if got := h.g.Stats().RateLimited; got != 1 {
		t.Fatalf("rate limited %d, want 1", got)
	}
}
