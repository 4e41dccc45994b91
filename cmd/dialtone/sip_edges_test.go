package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call"
)

// TestSIPRetransmissionsSipp: over UDP, an INVITE sent again with the
// same branch is one call (the dialtone phone rings once, the gateway
// counts one INVITE); the server sends its 200 again until the ACK comes
// (timer G); a BYE sent twice gets 200 twice; the lease goes back.
func TestSIPRetransmissionsSipp(t *testing.T) {
	binary(t)
	const callee = "+15550100061"
	rs := startServer(t, "--sip", "127.0.0.1:0", "--sip-trunk-allow", "127.0.0.1/32", "--pool", "127.77.151.0/24")
	phone := startCall(t, rs.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1")
	phone.waitFor(t, call.EventRegistered)
	sipp := startSipp(t, "retransmit", map[string]string{"@CALLER@": trunkNumber, "@CALLEE@": callee}, freeSIPPort(t), "UDP", rs.addrs["sip"])
	phone.waitFor(t, call.EventIncoming)
	sipp.wait(t)
	// Before its (late) ACK sipp got the 200 more than once; and both BYEs
	// got a 200.
	invites, oks, byeOKs := 0, 0, 0
	for _, m := range sipp.messages(t) {
		if m.sent && strings.HasPrefix(m.text, "INVITE ") {
			invites++
		}
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
	if invites < 2 || oks < 2 || byeOKs != 2 {
		t.Errorf("sipp sent the INVITE %d times (want it retransmitted), got its 200 %d times before its ACK (want it sent again), and %d 200s to its 2 BYEs",
			invites, oks, byeOKs)
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
	rs := startServer(t, "--sip", "127.0.0.1:0", "--sip-trunk-allow", "127.0.0.1/32", "--pool", "127.77.152.0/24")
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

// TestSIPCancelRacing200: a SIP caller cancels the moment the dialtone
// phone (answering at once) rings. Whichever wins, the server is
// consistent: the INVITE ends 487 after a 200 to the CANCEL, or it is
// answered 200 (ACKed) and the call is up until the caller's BYE, which
// gets 200; the dialtone phone's call ends; no call is left and the SIP
// party's lease goes back. The caller is a raw SIP peer on a UDP socket
// rather than sipp: sipp tells a CANCEL's 200 from the INVITE's only by
// branch, which the two share, and cannot take them in either order.
func TestSIPCancelRacing200(t *testing.T) {
	binary(t)
	const callee = "+15550100063"
	rs, _ := startServerLogged(t, "--sip", "127.0.0.1:0", "--sip-trunk-allow", "127.0.0.1/32", "--pool", "127.77.153.0/24", "--log-level", "debug")
	phone := startCall(t, rs.addrs["signalling"], callee, "--answer", "auto", "--max-calls", "1")
	phone.waitFor(t, call.EventRegistered)
	outcome := raceCancel(t, rs.addrs["sip"], trunkNumber, callee)
	phone.exit(t)
	over := false
	for _, e := range phone.all {
		over = over || e.Kind == call.EventEnded || e.Kind == call.EventCancelled
	}
	if !over {
		t.Errorf("the dialtone phone's call did not end; events %s", phone.kinds())
	}
	checkLeaseBack(t, rs, trunkNumber)
	t.Logf("outcome: %s; dialtone events %s", outcome, phone.kinds())
}

// raceCancel INVITEs callee at server from caller, CANCELs on the 180,
// and follows whichever way the server goes; it returns which.
func raceCancel(t *testing.T, server, caller, callee string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	local := pc.LocalAddr().String()
	send := func(msg string) {
		if _, err := pc.WriteTo([]byte(strings.ReplaceAll(msg, "\n", "\r\n")), to); err != nil {
			t.Fatal(err)
		}
	}
	common := func(method string, cseq int, branch, toTag string) string {
		toHdr := fmt.Sprintf("<sip:%s@%s>", callee, server)
		if toTag != "" {
			toHdr += ";tag=" + toTag
		}
		return fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=%s\nFrom: <sip:%s@%s>;tag=race\nTo: %s\nCall-ID: race-%s\nCSeq: %d %s\nMax-Forwards: 70\n",
			local, branch, caller, local, toHdr, local, cseq, method)
	}
	sdp := fmt.Sprintf("v=0\no=race 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio %d RTP/AVP 111\na=rtpmap:111 opus/48000/2\na=rtcp-mux\n", freePort(t))
	ruri := fmt.Sprintf("sip:%s@%s", callee, server)
	invite := fmt.Sprintf("INVITE %s SIP/2.0\n%sContact: <sip:%s@%s>\nContent-Type: application/sdp\nContent-Length: %d\n\n%s",
		ruri, common("INVITE", 1, "z9hG4bK-race-1", ""), caller, local, len(strings.ReplaceAll(sdp, "\n", "\r\n")), sdp)
	cancel := "CANCEL " + ruri + " SIP/2.0\n" + common("CANCEL", 1, "z9hG4bK-race-1", "") + "Content-Length: 0\n\n"
	// again is what to send again while nothing comes (RFC 3261 timers A
	// and E: UDP may lose it); deadline bounds the whole wait.
	var again string
	deadline := time.Now().Add(15 * time.Second)
	recv := func() *sip.Response {
		t.Helper()
		buf := make([]byte, 65536)
		for {
			if time.Now().After(deadline) {
				t.Fatal("the server stopped answering")
			}
			pc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			n, _, err := pc.ReadFrom(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if again != "" {
					send(again)
				}
				continue
			}
			if err != nil {
				t.Fatalf("waiting for the server: %v", err)
			}
			m, err := sip.ParseMessage(buf[:n])
			if err != nil {
				continue
			}
			if r, ok := m.(*sip.Response); ok {
				return r
			}
			t.Fatalf("the server sent a request: %v", m)
		}
	}
	send(invite)
	again = invite
	for r := recv(); r.StatusCode != 180; r = recv() {
		if r.StatusCode >= 200 {
			t.Fatalf("the INVITE got %d before ringing", r.StatusCode)
		}
		again = "" // a provisional answer stops the INVITE's retransmission
	}
	send(cancel)
	again = cancel
	var cancelled, answered, cancelAnswered bool
	for !(cancelAnswered && (cancelled || answered)) {
		r := recv()
		method := r.CSeq().MethodName
		tag, _ := r.To().Params.Get("tag")
		switch {
		case method == sip.CANCEL && (r.StatusCode == 200 || r.StatusCode == 481):
			cancelAnswered, again = true, ""
		case method == sip.INVITE && r.StatusCode == 487 && !cancelled:
			cancelled = true
			send("ACK " + ruri + " SIP/2.0\n" + common("ACK", 1, "z9hG4bK-race-1", tag) + "Content-Length: 0\n\n")
		case method == sip.INVITE && r.StatusCode == 200 && !answered:
			answered = true
			target := r.Contact().Address.String()
			send("ACK " + target + " SIP/2.0\n" + common("ACK", 1, "z9hG4bK-race-2", tag) + "Content-Length: 0\n\n")
			bye := "BYE " + target + " SIP/2.0\n" + common("BYE", 2, "z9hG4bK-race-3", tag) + "Content-Length: 0\n\n"
			send(bye)
			again = bye
			for {
				b := recv()
				if b.CSeq().MethodName == sip.BYE {
					if b.StatusCode != 200 {
						t.Fatalf("the BYE of the answered call got %d, want 200", b.StatusCode)
					}
					again = ""
					if !cancelAnswered {
						again = cancel
					}
					break
				}
				if b.CSeq().MethodName == sip.CANCEL {
					cancelAnswered, again = true, ""
				}
			}
		case r.StatusCode >= 200 && method == sip.INVITE && (cancelled || answered):
			// a retransmission of the final answer
		case r.StatusCode >= 200:
			t.Fatalf("unexpected %d to %s", r.StatusCode, method)
		}
	}
	if cancelled && answered {
		t.Fatal("the INVITE was both cancelled and answered")
	}
	if answered {
		return "answered"
	}
	return "cancelled"
}
