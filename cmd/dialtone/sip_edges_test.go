package main

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// TestSIPRetransmissionsSipp: over UDP, an INVITE sent twice with the
// same branch is one call (the dialtone phone rings once, the gateway
// counts one INVITE); the server sends its 200 again until the ACK comes
// (timer G); a BYE sent twice gets 200 twice; the lease goes back.
func TestSIPRetransmissionsSipp(t *testing.T) {
	binary(t)
	const callee = "+15550100061"
	rs := startServer(t, "--sip", "127.0.0.1:0", "--sip-trunk-allow", "127.0.0.1/32", "--pool", "127.77.31.0/24")
	phone := startCall(t, rs.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1")
	phone.waitFor(t, call.EventRegistered)
	sipp := startSipp(t, "retransmit", map[string]string{"@CALLER@": trunkNumber, "@CALLEE@": callee}, freeSIPPort(t), "UDP", rs.addrs["sip"])
	phone.waitFor(t, call.EventIncoming)
	sipp.wait(t)
	// Before its (late) ACK sipp got the 200 more than once; and both BYEs
	// got a 200.
	oks, byeOKs := 0, 0
	for _, m := range sipp.messages(t) {
		if m.sent && strings.HasPrefix(m.text, "ACK ") {
			break
		}
		if !m.sent && strings.HasPrefix(m.text, "SIP/2.0 200") && strings.Contains(m.text, "CSeq: 1 INVITE") {
			oks++
		}
	}
	for _, m := range sipp.messages(t) {
		if !m.sent && strings.HasPrefix(m.text, "SIP/2.0 200") && strings.Contains(m.text, "CSeq: 2 BYE") {
			byeOKs++
		}
	}
	if oks < 2 || byeOKs != 2 {
		t.Errorf("sipp got the INVITE's 200 %d times before its ACK (want it sent again), and %d 200s to its 2 BYEs", oks, byeOKs)
	}
	phone.exit(t)
	incoming := 0
	for _, e := range phone.all {
		if e.Kind == call.EventIncoming {
			incoming++
		}
	}
	if incoming != 1 {
		t.Errorf("the dialtone phone rang %d times for one INVITE sent twice; events %s", incoming, phone.kinds())
	}
	checkLeaseBack(t, rs, trunkNumber)
	if m := httpGet(t, "http://"+adminOf(rs)+"/metrics"); !strings.Contains(m, `dialtone_sip_calls_total{event="trunk_in"} 1`+"\n") {
		t.Errorf("the gateway did not count one INVITE:\n%s", grepLines(m, "sip_calls"))
	}
}

// TestSIPNoACKSipp: a 200 that is never ACKed is sent again for 64*T1
// (32 s), and then the server gives up: a BYE to the SIP side, the
// dialtone phone's call ended, the lease back in the pool.
func TestSIPNoACKSipp(t *testing.T) {
	binary(t)
	const callee = "+15550100062"
	rs := startServer(t, "--sip", "127.0.0.1:0", "--sip-trunk-allow", "127.0.0.1/32", "--pool", "127.77.32.0/24")
	phone := startCall(t, rs.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1")
	phone.waitFor(t, call.EventRegistered)
	sipp := startSipp(t, "no-ack", map[string]string{"@CALLER@": trunkNumber, "@CALLEE@": callee}, freeSIPPort(t), "UDP", rs.addrs["sip"], "-timeout", "60")
	phone.waitFor(t, call.EventIncoming)
	sipp.waitFor(t, 60*time.Second)
	oks := 0
	for _, m := range sipp.messages(t) {
		if !m.sent && strings.HasPrefix(m.text, "SIP/2.0 200") && strings.Contains(m.text, "CSeq: 1 INVITE") {
			oks++
		}
		if !m.sent && strings.HasPrefix(m.text, "BYE ") {
			break
		}
	}
	// At T1 = 500 ms, doubling to T2 = 4 s, for 32 s: 0.5, 1.5, 3.5, 7.5,
	// 11.5, ... 31.5.
	if oks < 8 {
		t.Errorf("the 200 came %d times before the server's BYE, want it sent again until 64*T1", oks)
	}
	phone.waitFor(t, call.EventEnded)
	phone.exit(t)
	checkLeaseBack(t, rs, trunkNumber)
}
