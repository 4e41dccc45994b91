package sipgw

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/dialtone/dialtone/call/wire"
)

// delayedCall is a SIP phone's call to the service 600 (a recorder that
// accepts) with an INVITE without SDP, up to the gateway's 200.
type delayedCall struct {
	ph      sipPhone
	h       *harness
	svc     recorder
	callID  string
	ok      *sip.Response // the 200, with the gateway's offer
	service func(m *wire.Message)
}

// sipPhone is the signalling half of a phone played by a test: over UDP
// (udpPhone) or over a TLS connection (tlsPhone).
type sipPhone interface {
	proto() string // Via's transport
	local() string
	contact() string // its Contact URI's parameters, after the address
	sendSIP(msg string)
	recvSIP() (sip.Message, func(msg string)) // a message, and how to answer it
}

func (p *udpPhone) proto() string      { return "UDP" }
func (p *udpPhone) local() string      { return p.pc.LocalAddr().String() }
func (p *udpPhone) contact() string    { return "" }
func (p *udpPhone) sendSIP(msg string) { p.send(msg, p.to) }
func (p *udpPhone) recvSIP() (sip.Message, func(string)) {
	m, from := p.recv()
	return m, func(msg string) { p.send(msg, from) }
}

// tlsPhone is a phone on one TLS connection to the gateway.
type tlsPhone struct {
	t    *testing.T
	conn *tls.Conn
	r    *bufio.Reader
}

func (p *tlsPhone) proto() string   { return "TLS" }
func (p *tlsPhone) local() string   { return p.conn.LocalAddr().String() }
func (p *tlsPhone) contact() string { return ";transport=tls" }
func (p *tlsPhone) sendSIP(msg string) {
	p.t.Helper()
	if _, err := p.conn.Write([]byte(msg)); err != nil {
		p.t.Fatal(err)
	}
}

// recvSIP reads one message: its header, then Content-Length bytes.
func (p *tlsPhone) recvSIP() (sip.Message, func(string)) {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	length := 0
	for {
		l, err := p.r.ReadString('\n')
		if err != nil {
			p.t.Fatalf("reading SIP over TLS: %v", err)
		}
		b.WriteString(l)
		if name, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && strings.EqualFold(name, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if l == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(p.r, body); err != nil {
		p.t.Fatalf("reading a SIP body over TLS: %v", err)
	}
	m, err := sip.ParseMessage(append([]byte(b.String()), body...))
	if err != nil {
		p.t.Fatalf("parsing %q: %v", b.String(), err)
	}
	return m, p.sendSIP
}

// request builds a request of the phone's in the call's dialog.
func (d *delayedCall) request(method, uri string, cseq int, toTag, body string) string {
	local := d.ph.local()
	to := "<sip:600@dialtone>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	h := []string{
		fmt.Sprintf("%s %s SIP/2.0", method, uri),
		fmt.Sprintf("Via: SIP/2.0/%s %s;branch=z9hG4bK-%s-%d-%d;rport", d.ph.proto(), local, strings.ToLower(method), cseq, time.Now().UnixNano()),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@dialtone>;tag=ph1", testNumber),
		"To: " + to,
		"Call-ID: " + d.callID,
		fmt.Sprintf("CSeq: %d %s", cseq, method),
		fmt.Sprintf("Contact: <sip:%s@%s%s>", testNumber, local, d.ph.contact()),
	}
	if body != "" {
		h = append(h, "Content-Type: application/sdp")
	}
	return strings.Join(h, "\r\n") + fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// response waits for the phone's next final response to method.
func (d *delayedCall) response(t *testing.T, method sip.RequestMethod) *sip.Response {
	t.Helper()
	for {
		m, _ := d.ph.recvSIP()
		if r, ok := m.(*sip.Response); ok && r.CSeq().MethodName == method && r.StatusCode >= 200 {
			return r
		}
	}
}

// expectBye waits for the gateway's BYE and answers it 200.
func (d *delayedCall) expectBye(t *testing.T) {
	t.Helper()
	for {
		m, reply := d.ph.recvSIP()
		if r, ok := m.(*sip.Request); ok && r.Method == sip.BYE {
			reply(sip.NewResponseFromRequest(r, 200, "OK", nil).String())
			return
		}
	}
}

// startDelayed calls 600 without SDP, over UDP or (overTLS) over TLS.
func startDelayed(t *testing.T, prefix string, overTLS bool) *delayedCall {
	t.Helper()
	var tlsAddr string
	var pool *x509.CertPool
	h, sb, phone := withSwitchboard(t, prefix, func(c *Config) {
		c.Directory = directory{"600": true}
		if overTLS {
			var cert tls.Certificate
			cert, pool = testCert(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			tlsAddr = ln.Addr().String()
			c.TLSListener = NewTLSListener(ln, cert)
		}
	})
	var ph sipPhone = phone
	if overTLS {
		conn, err := tls.Dial("tcp", tlsAddr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		ph = &tlsPhone{t: t, conn: conn, r: bufio.NewReader(conn)}
	}
	svc := make(recorder, 64)
	conn, err := sb.AttachService("600", "test", svc)
	if err != nil {
		t.Fatal(err)
	}
	d := &delayedCall{ph: ph, h: h, svc: svc, callID: fmt.Sprintf("delayed-%p", phone)}
	d.service = func(m *wire.Message) { m.V = wire.Version; conn.Handle(context.Background(), m) }

	d.ph.sendSIP(d.request("INVITE", "sip:600@dialtone", 1, "", ""))
	res := d.response(t, sip.INVITE)
	if res.StatusCode != 407 {
		t.Fatalf("unauthenticated INVITE: %d", res.StatusCode)
	}
	d.ph.sendSIP(d.request("ACK", "sip:600@dialtone", 1, tagOf(res), ""))
	inv := d.request("INVITE", "sip:600@dialtone", 2, "", "")
	inv = strings.Replace(inv, "Max-Forwards: 70", "Max-Forwards: 70\r\n"+proxyAuthorize(t, res, "600", testNumber, h.password), 1)
	d.ph.sendSIP(inv)
	in := svc.expect(t, wire.TypeIncoming)
	d.service(&wire.Message{Type: wire.TypeAccept, Seq: 1, Call: in.Call})
	d.ok = d.response(t, sip.INVITE)
	if d.ok.StatusCode != 200 {
		t.Fatalf("INVITE without SDP: %d, want 200 with an offer", d.ok.StatusCode)
	}
	return d
}

func tagOf(res *sip.Response) string {
	tag, _ := res.To().Params.Get("tag")
	return tag
}

// ackURI is where the phone's ACK and requests in the dialog go: the
// gateway's Contact.
func (d *delayedCall) ackURI() string { return d.ok.Contact().Address.String() }

var offerAudio = regexp.MustCompile(`(?s)c=IN IP4 ([0-9.]+)\r\n.*m=audio ([0-9]+) RTP/AVP ([0-9 ]+)\r\n`)

// TestDelayedOffer: an INVITE without SDP rings the dialtone party as usual;
// when it accepts, the 200 carries the gateway's offer (Opus, VP8,
// telephone-event, plain RTP over UDP, on the SIP number's lease), the
// answer in the ACK sets the legs up (the dialtone party gets the
// gateway's WebRTC offer, and the phone's RTP is passed on), and a
// re-INVITE without SDP gets the gateway's current SDP as an offer, whose
// answer in the ACK is applied.
func TestDelayedOffer(t *testing.T) {
	d := startDelayed(t, "127.77.193.0/24", false)
	body := string(d.ok.Body())
	m := offerAudio.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "a=rtpmap:111 opus/48000/2") || !strings.Contains(body, "m=video ") ||
		!strings.Contains(body, "VP8/90000") || !strings.Contains(body, "telephone-event/48000") || strings.Contains(body, "a=crypto") {
		t.Fatalf("the 200 carries no offer of Opus, VP8 and telephone-event on RTP/AVP:\n%s", body)
	}
	lease := mustAddrPort(t, m[1]+":"+m[2])
	if !strings.HasPrefix(m[1], "127.77.193.") {
		t.Errorf("the offer's address %s is not the SIP number's lease", lease)
	}
	rtpConn := listenUDP(t)
	answer := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\nm=video 0 RTP/AVP 96\r\n",
		rtpConn.LocalAddr().(*net.UDPAddr).Port)
	d.ph.sendSIP(d.request("ACK", d.ackURI(), 2, tagOf(d.ok), answer))

	sdp := d.svc.expect(t, wire.TypeSDP)
	if sdp.SDPType != wire.SDPOffer || !strings.Contains(sdp.SDP, "m=audio") {
		t.Fatalf("the dialtone party got %s %q, want the gateway's WebRTC offer with audio", sdp.SDPType, sdp.SDP)
	}
	if strings.Contains(sdp.SDP, "m=video") {
		t.Errorf("the dialtone party is offered video the phone refused:\n%s", sdp.SDP)
	}
	before := d.h.g.Stats().RTPFromSIP
	for i := range 5 {
		raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(960 * i), SSRC: 0x77},
			Payload: []byte{0xf8, 0xff, 0xfe}}).Marshal()
		if _, err := rtpConn.WriteToUDPAddrPort(raw, lease); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the phone's RTP passed on", func() bool { return d.h.g.Stats().RTPFromSIP >= before+5 })
	if st := d.h.g.Stats(); st.DelayedOffers != 1 || st.DelayedFailed != 0 || st.Answered != 1 {
		t.Errorf("stats %+v; want one delayed offer, answered, none failed", st)
	}

	// A re-INVITE without SDP: the gateway's current SDP (its offer, the
	// same version) is the offer; the phone answers sendonly in the ACK.
	d.ph.sendSIP(d.request("INVITE", d.ackURI(), 3, tagOf(d.ok), ""))
	re := d.response(t, sip.INVITE)
	if re.StatusCode != 200 || string(re.Body()) != body {
		t.Fatalf("re-INVITE without SDP: %d\n%s\nwant 200 with the gateway's current SDP:\n%s", re.StatusCode, re.Body(), body)
	}
	held := strings.Replace(answer, "a=rtcp-mux", "a=rtcp-mux\r\na=sendonly", 1)
	d.ph.sendSIP(d.request("ACK", d.ackURI(), 3, tagOf(d.ok), held))
	c := d.h.g.calls.get(d.callID)
	if c == nil {
		t.Fatal("the call is gone after the re-INVITE")
	}
	waitFor(t, "the answer in the re-INVITE's ACK applied (phone sends only)", func() bool { return c.br.legs[0].held.Load() })

	d.ph.sendSIP(d.request("BYE", d.ackURI(), 4, tagOf(d.ok), ""))
	if res := d.response(t, sip.BYE); res.StatusCode != 200 {
		t.Fatalf("BYE: %d", res.StatusCode)
	}
	if e := d.svc.expect(t, wire.TypeEnded); e.Reason != wire.ReasonHangup {
		t.Errorf("the dialtone party's call ended %q, want hangup", e.Reason)
	}
}

// TestDelayedOfferBadAck: an ACK without SDP, or with an answer naming no
// codec the gateway offered, ends the call with a BYE; the dialtone party
// gets ended media-failed, and the failure is counted.
func TestDelayedOfferBadAck(t *testing.T) {
	for i, tc := range []struct{ name, answer string }{
		{"no SDP", ""},
		{"no offered codec", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 40000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\nm=video 0 RTP/AVP 96\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDelayed(t, fmt.Sprintf("127.77.%d.0/24", 194+i), false)
			d.ph.sendSIP(d.request("ACK", d.ackURI(), 2, tagOf(d.ok), tc.answer))
			d.expectBye(t)
			if e := d.svc.expect(t, wire.TypeEnded); e.Reason != wire.ReasonMediaFailed {
				t.Errorf("the dialtone party's call ended %q, want %s", e.Reason, wire.ReasonMediaFailed)
			}
			if st := d.h.g.Stats(); st.DelayedOffers != 1 || st.DelayedFailed != 1 || st.Answered != 0 {
				t.Errorf("stats %+v; want one delayed offer, failed, not answered", st)
			}
		})
	}
}

// TestDelayedOfferOverTLS: over TLS the 200's offer is RTP/SAVP with SDES
// keys on both lines, as the gateway offers TLS phones; an answer taking
// one of the keys sets the legs up, and a plain RTP/AVP answer without a
// key ends the call with a BYE on the phone's connection.
func TestDelayedOfferOverTLS(t *testing.T) {
	key := make([]byte, 30)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		name, answer string
		ok           bool
	}{
		{"SRTP answer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 40002 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(key) + "\r\nm=video 0 RTP/SAVP 96\r\n", true},
		{"plain answer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 40002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\nm=video 0 RTP/AVP 96\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDelayed(t, fmt.Sprintf("127.77.%d.0/24", 196+i), true)
			body := string(d.ok.Body())
			if strings.Count(body, "RTP/SAVP") != 2 || !strings.Contains(body, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") {
				t.Fatalf("the 200 over TLS offers no RTP/SAVP with SDES keys on both lines:\n%s", body)
			}
			d.ph.sendSIP(d.request("ACK", d.ackURI(), 2, tagOf(d.ok), tc.answer))
			if !tc.ok {
				d.expectBye(t)
				if e := d.svc.expect(t, wire.TypeEnded); e.Reason != wire.ReasonMediaFailed {
					t.Errorf("the dialtone party's call ended %q, want %s", e.Reason, wire.ReasonMediaFailed)
				}
				return
			}
			if sdp := d.svc.expect(t, wire.TypeSDP); !strings.Contains(sdp.SDP, "m=audio") {
				t.Fatalf("the dialtone party's offer has no audio:\n%s", sdp.SDP)
			}
			c := d.h.g.calls.get(d.callID)
			if c == nil || len(c.br.legs) != 1 || c.br.legs[0].sec == nil {
				t.Fatal("the SRTP answer set up no SRTP leg")
			}
			d.ph.sendSIP(d.request("BYE", d.ackURI(), 3, tagOf(d.ok), ""))
			if res := d.response(t, sip.BYE); res.StatusCode != 200 {
				t.Fatalf("BYE: %d", res.StatusCode)
			}
		})
	}
}

// TestReinviteWithoutSDPOutbound: in a call the gateway made, a re-INVITE
// without SDP from the phone gets the gateway's offer of that call again.
func TestReinviteWithoutSDPOutbound(t *testing.T) {
	_, sb, phone := withSwitchboard(t, "127.77.198.0/24")
	if got := phone.registerFor(3600); got != 200 {
		t.Fatalf("REGISTER: %d", got)
	}
	out := make(recorder, 64)
	caller, err := sb.AttachParty("+12025550109", "sip", out, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(caller.Disconnect)
	caller.Handle(context.Background(), &wire.Message{V: wire.Version, Type: wire.TypeDial, Seq: 1, To: testNumber})
	m, from := phone.recv()
	inv, ok := m.(*sip.Request)
	if !ok || inv.Method != sip.INVITE {
		t.Fatalf("the phone got %v, want an INVITE", m)
	}
	rtpConn := listenUDP(t)
	answer := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\nm=video 0 RTP/AVP 96\r\n",
		rtpConn.LocalAddr().(*net.UDPAddr).Port)
	ok200 := sip.NewSDPResponseFromRequest(inv, []byte(answer))
	ok200.To().Params.Add("tag", "ph2")
	ok200.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: testNumber, Host: "127.0.0.1",
		Port: phone.pc.LocalAddr().(*net.UDPAddr).Port}})
	phone.send(ok200.String(), from)
	for {
		m, _ := phone.recv()
		if r, ok := m.(*sip.Request); ok && r.Method == sip.ACK {
			break
		}
	}
	out.expect(t, wire.TypeAccepted)

	gwTag, _ := inv.From().Params.Get("tag")
	local := phone.pc.LocalAddr().String()
	re := strings.Join([]string{
		fmt.Sprintf("INVITE %s SIP/2.0", inv.Contact().Address.String()),
		fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-re-%d;rport", local, time.Now().UnixNano()),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@dialtone>;tag=ph2", testNumber),
		fmt.Sprintf("To: %s;tag=%s", inv.From().Address.String(), gwTag),
		"Call-ID: " + inv.CallID().Value(),
		"CSeq: 1 INVITE",
		fmt.Sprintf("Contact: <sip:%s@%s>", testNumber, local),
	}, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
	final := func(method sip.RequestMethod) *sip.Response {
		for {
			m, _ := phone.recv()
			if r, ok := m.(*sip.Response); ok && r.CSeq().MethodName == method && r.StatusCode >= 200 {
				return r
			}
		}
	}
	phone.send(re, from)
	if r := final(sip.INVITE); r.StatusCode != 200 || string(r.Body()) != string(inv.Body()) {
		t.Fatalf("re-INVITE without SDP: %d\n%s\nwant 200 with the gateway's offer of the call:\n%s", r.StatusCode, r.Body(), inv.Body())
	}
	bye := strings.NewReplacer("INVITE "+inv.Contact().Address.String(), "BYE "+inv.Contact().Address.String(),
		"CSeq: 1 INVITE", "CSeq: 2 BYE", "z9hG4bK-re-", "z9hG4bK-bye-").Replace(re)
	phone.send(bye, from)
	if r := final(sip.BYE); r.StatusCode != 200 {
		t.Fatalf("BYE: %d", r.StatusCode)
	}
	out.expect(t, wire.TypeEnded)
}
