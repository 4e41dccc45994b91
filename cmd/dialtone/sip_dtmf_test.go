package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/dtmf"
)

// baresipKeys collects the keys baresip reports receiving (CALL_DTMF_START,
// one an event) until it has n.
func (b *baresipPhone) keys(n int) string {
	b.t.Helper()
	var got string
	for len(got) < n {
		got += b.waitEvent("CALL_DTMF_START").Param
	}
	return got
}

// callerKeys collects the dtmf events of a dialtone party until it has n
// keys.
func callerKeys(t *testing.T, p *callProc, n int) string {
	t.Helper()
	var got string
	for len(got) < n {
		e := p.waitFor(t, call.EventTone)
		got += e.Digit
	}
	return got
}

// TestSIPDTMFBaresip: `dialtone call --dtmf 12#` reaches baresip as those
// three keys, once each, as RFC 4733 events through the gateway (at
// baresip's telephone-event/8000 beside Opus); the keys baresip sends come
// back as dtmf events on `dialtone call`.
func TestSIPDTMFBaresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.34.0/24")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	caller := startCall(t, rs.addrs["signalling"], "+15550100034", "--dial", sipTestNumber,
		"--dtmf", "12#", "--mic", "tone:660")
	bp.waitEvent("CALL_INCOMING")
	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	if got := bp.keys(3); got != "12#" {
		t.Errorf("baresip received %q, want 12#", got)
	}
	bp.do("sndcode", "5")
	bp.do("sndcode", "*")
	if got := callerKeys(t, caller, 2); got != "5*" {
		t.Errorf("dialtone call received %q, want 5*", got)
	}
	bp.do("hangup", "")
	bp.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	n := 0
	for _, e := range caller.all {
		if e.Kind == call.EventTone {
			n++
		}
	}
	if n != 2 {
		t.Errorf("dialtone call printed %d dtmf events, want 2: %s", n, caller.kinds())
	}
}

// rtpPhone is the media half of a SIP phone played by the test: it sends
// Opus-framed RTP every 20 ms (and its queued keys as RFC 4733 events, at
// 8000 Hz), and reports the keys it receives.
type rtpPhone struct {
	conn   *net.UDPConn
	tonePT uint8
	keys   chan byte
	snd    *dtmf.Sender
	sent   chan struct{} // the sender went idle: a queued key's packets are all out
	stop   chan struct{}
	wg     sync.WaitGroup
}

const (
	rtpPhoneOpusPT = 111
	rtpPhoneTonePT = 101
)

func newRTPPhone(t *testing.T) *rtpPhone { t.Helper(); return newRTPPhonePT(t, rtpPhoneTonePT) }

// newRTPPhonePT is an rtpPhone whose telephone events have payload type
// tonePT.
func newRTPPhonePT(t *testing.T, tonePT uint8) *rtpPhone {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPhone{conn: c, tonePT: tonePT, keys: make(chan byte, 16), snd: dtmf.NewSender(20*time.Millisecond, 8000),
		sent: make(chan struct{}, 1), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.read()
	t.Cleanup(func() { close(p.stop); c.Close(); p.wg.Wait() })
	return p
}

func (p *rtpPhone) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// send streams to the gateway's lease until the phone stops.
func (p *rtpPhone) send(to netip.AddrPort) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		seq, ts := uint16(rand.Uint32()), rand.Uint32()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: rtpPhoneOpusPT, SequenceNumber: seq, Timestamp: ts, SSRC: 0x1234},
				Payload: []byte{0xf8, 0xff, 0xfe}} // Opus: 20 ms of silence
			busy := p.snd.Busy()
			if ev, ok := p.snd.Next(ts); ok {
				pkt.PayloadType, pkt.Timestamp, pkt.Marker, pkt.Payload = p.tonePT, ev.Timestamp, ev.Marker, ev.Event.Marshal(nil)
			}
			raw, _ := pkt.Marshal()
			_, _ = p.conn.WriteToUDPAddrPort(raw, to)
			if busy && !p.snd.Busy() {
				select {
				case p.sent <- struct{}{}:
				default:
				}
			}
			seq++
			ts += 960
		}
	}()
}

func (p *rtpPhone) read() {
	defer p.wg.Done()
	var r dtmf.Receiver
	buf := make([]byte, 1500)
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != p.tonePT {
			continue
		}
		if d, ok := r.Push(pkt.Timestamp, pkt.Marker, pkt.Payload); ok {
			p.keys <- d
		}
	}
}

func (p *rtpPhone) waitKey(t *testing.T) byte {
	t.Helper()
	select {
	case d := <-p.keys:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("the SIP phone received no key within 20s")
		return 0
	}
}

// TestSIPDTMFInfoAndRTP plays a SIP phone (sipgo for signalling, a UDP
// socket for RTP) calling a `dialtone call --answer auto --dtmf 9`: the
// dialtone side's 9 reaches the phone as telephone-event/8000, and the
// phone's keys — an RFC 4733 event with its three end packets, then a SIP
// INFO application/dtmf-relay (answered 200) — each show once as a dtmf
// event on `dialtone call`.
func TestSIPDTMFInfoAndRTP(t *testing.T) {
	const callee = "+15550100035"
	rs, pass, dt := sipAnswerer(t, "127.77.35.0/24", callee, "9")

	ph := newRTPPhone(t)
	dc := sipPhoneDialogs(t, sipPhoneUA(t), 0)
	offer := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d %d\r\na=rtpmap:%d opus/48000/2\r\na=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\na=rtcp-mux\r\n",
		ph.port(), rtpPhoneOpusPT, rtpPhoneTonePT, rtpPhoneOpusPT, rtpPhoneTonePT, rtpPhoneTonePT)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sess, err := dc.Invite(ctx, sipGatewayURI(t, rs, callee), []byte(offer),
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: sipTestNumber, Password: pass}); err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	ans := string(sess.InviteResponse.Body())
	if !strings.Contains(ans, fmt.Sprintf("a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16", rtpPhoneTonePT, rtpPhoneTonePT)) {
		t.Errorf("the gateway's answer takes no telephone-event/8000:\n%s", ans)
	}
	ph.send(answerAddr(t, ans))
	dt.waitFor(t, call.EventConnected)

	if d := ph.waitKey(t); d != '9' {
		t.Errorf("the SIP phone received %q, want the dialtone side's 9", d)
	}
	if err := ph.snd.Queue("4"); err != nil {
		t.Fatal(err)
	}
	if got := callerKeys(t, dt, 1); got != "4" {
		t.Errorf("dialtone call received %q for the phone's RFC 4733 4", got)
	}
	// The key shows at its first packet; the INFO waits for its last (a
	// phone uses one way or the other, not both within one key).
	select {
	case <-ph.sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the phone's 4 never finished")
	}
	info := sip.NewRequest(sip.INFO, sess.InviteResponse.Contact().Address)
	info.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	info.SetBody([]byte("Signal=#\r\nDuration=160\r\n"))
	res, err := sess.Do(ctx, info)
	if err != nil || res.StatusCode != sip.StatusOK {
		t.Fatalf("INFO dtmf-relay: %v %v", res, err)
	}
	if got := callerKeys(t, dt, 1); got != "#" {
		t.Errorf("dialtone call received %q for the phone's INFO #", got)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if code := dt.exit(t); code != 0 {
		t.Fatalf("dialtone call exited %d; events %s; stderr:\n%s", code, dt.kinds(), dt.stderr.String())
	}
	n := 0
	for _, e := range dt.all {
		if e.Kind == call.EventTone {
			n++
		}
	}
	if n != 2 {
		t.Errorf("dialtone call printed %d dtmf events, want 2 (one a key): %s", n, dt.kinds())
	}
	select {
	case d := <-ph.keys:
		t.Errorf("the SIP phone received an extra key %q", d)
	default:
	}
}

// answerAddr is where an SDP answer's audio goes: its address and port.
func answerAddr(t *testing.T, sdp string) netip.AddrPort {
	t.Helper()
	m := regexp.MustCompile(`(?s)c=IN IP4 ([0-9.]+).*m=audio ([0-9]+) `).FindStringSubmatch(sdp)
	if m == nil {
		t.Fatalf("no audio address in the answer:\n%s", sdp)
	}
	ap, err := netip.ParseAddrPort(m[1] + ":" + m[2])
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
