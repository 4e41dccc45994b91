package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/server/servertest"
)

// sipTLSServer starts a server with a self-signed certificate for
// 127.0.0.1, so that its SIP over TLS is on beside UDP and TCP, and makes
// this test's dialtone clients trust it; it returns the server, the SIP
// password and the certificate's file.
func sipTLSServer(t *testing.T, extra ...string) (*runningServer, string, string) {
	t.Helper()
	cert, key, _ := servertest.SelfSigned(t)
	t.Setenv("SSL_CERT_FILE", cert) // for the dialtone clients' wss://
	rs, pass := sipServer(t, append([]string{"--tls-cert", cert, "--tls-key", key}, extra...)...)
	if rs.addrs["sip-tls"] == "" || strings.HasSuffix(rs.addrs["sip-tls"], ":0") {
		t.Fatalf("the server printed no SIP over TLS address: %v", rs.addrs)
	}
	return rs, pass, cert
}

// startBaresipTLS runs baresip registered as number over TLS at tlsAddr,
// trusting cafile, with the account parameters extra (such as
// ";mediaenc=srtp-mand").
func startBaresipTLS(t *testing.T, tlsAddr, number, password, cafile string, toneHz int, extra string) *baresipPhone {
	t.Helper()
	account := fmt.Sprintf("<sip:%s@%s;transport=tls>;auth_pass=%s;regint=600%s\n", number, tlsAddr, password, extra)
	b := runBaresip(t, freeSIPPort(t), account, toneHz, "sip_cafile "+cafile+"\nmodule srtp.so\n", baresipSIPTrace)
	waitFor(t, func() bool { return strings.Contains(b.logText(), "200 OK () [") }, "baresip registering over TLS")
	return b
}

// checkRegisteredTLS checks that the server holds number's registration
// as one over TLS.
func checkRegisteredTLS(t *testing.T, rs *runningServer, number string) {
	t.Helper()
	body := httpGet(t, "http://"+adminOf(rs)+"/api/numbers")
	if !strings.Contains(body, "transport=tls") {
		t.Errorf("the server's numbers show no TLS contact for %s: %s", number, body)
	}
}

// sentOver reads baresip's SIP trace (-s): the transports each request
// method went over, either way.
func sentOver(log string) map[string][]string {
	out := map[string][]string{}
	lines := strings.Split(log, "\n")
	for i := 0; i+1 < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) != 4 || f[2] != "->" || f[0] != "UDP" && f[0] != "TCP" && f[0] != "TLS" {
			continue
		}
		if m := strings.Fields(lines[i+1]); len(m) > 0 && m[0] != "SIP/2.0" {
			out[m[0]] = append(out[m[0]], f[0])
		}
	}
	return out
}

// checkSignalledOverTLS checks that each of the call's requests went over
// TLS and over nothing else.
func checkSignalledOverTLS(t *testing.T, bp *baresipPhone, methods ...string) {
	t.Helper()
	over := sentOver(bp.logText())
	for _, m := range methods {
		ts := over[m]
		if len(ts) == 0 {
			t.Errorf("baresip's trace shows no %s", m)
		}
		for _, tr := range ts {
			if tr != "TLS" {
				t.Errorf("a %s went over %s, want TLS only (%v)", m, tr, over)
			}
		}
	}
}

// TestSIPTLSCallBaresipToDialtone: baresip registers over TLS and dials a
// dialtone number; the call's signalling stays on TLS (the server's
// Contact says transport=tls), the tones and video cross, and baresip's
// BYE comes over TLS. Its media is plain RTP.
func TestSIPTLSCallBaresipToDialtone(t *testing.T) {
	tlsCallFromBaresip(t, "127.77.61.0/24", "")
}

// TestSIPTLSCallDialtoneToBaresip: a dialtone phone dials a number whose
// SIP phone registered over TLS; the INVITE goes over the phone's TLS
// connection with an RTP/SAVP offer, which this baresip (no SRTP) refuses
// 488, and then with a plain one; baresip answers, the tones and video
// cross, and the dialtone phone's hang-up reaches baresip as a BYE over
// TLS.
func TestSIPTLSCallDialtoneToBaresip(t *testing.T) {
	tlsCallToBaresip(t, "127.77.62.0/24", "")
}

// TestSIPSRTPCallBaresipToDialtone: baresip with mandatory SRTP (SDES)
// calls over TLS: its RTP/SAVP offer is answered with the server's own
// key, and the tones and video cross encrypted both ways.
func TestSIPSRTPCallBaresipToDialtone(t *testing.T) {
	tlsCallFromBaresip(t, "127.77.63.0/24", ";mediaenc=srtp-mand")
}

// TestSIPSRTPCallDialtoneToBaresip: the server offers RTP/SAVP to a phone
// registered over TLS; baresip with mandatory SRTP answers with its key,
// and the tones and video cross encrypted both ways.
func TestSIPSRTPCallDialtoneToBaresip(t *testing.T) {
	tlsCallToBaresip(t, "127.77.64.0/24", ";mediaenc=srtp-mand")
}

// TestSIPSRTPDTMFBaresip: keypad tones cross an SRTP call both ways:
// `dialtone call --dtmf 12#` reaches baresip (mandatory SRTP, over TLS) as
// those keys, and baresip's come back, the RFC 4733 events encrypted and
// decrypted at the bridge as the audio they share a stream with.
func TestSIPSRTPDTMFBaresip(t *testing.T) {
	binary(t)
	rs, pass, cafile := sipTLSServer(t, "--sip-digest", "MD5", "--pool", "127.77.65.0/24")
	bp := startBaresipTLS(t, rs.addrs["sip-tls"], sipTestNumber, pass, cafile, 440, ";mediaenc=srtp-mand")
	caller := startCall(t, rs.addrs["signalling"], "+15550100035", "--dial", sipTestNumber,
		"--dtmf", "12#", "--mic", "tone:660")
	bp.waitEvent("CALL_INCOMING")
	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	if got := bp.keys(3); got != "12#" {
		t.Errorf("baresip received %q over SRTP, want 12#", got)
	}
	bp.do("sndcode", "5")
	bp.do("sndcode", "*")
	if got := callerKeys(t, caller, 2); got != "5*" {
		t.Errorf("dialtone call received %q over SRTP, want 5*", got)
	}
	bp.do("hangup", "")
	bp.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	checkMediaSecurity(t, bp, true)
}

func tlsCallFromBaresip(t *testing.T, pool, mediaenc string) {
	binary(t)
	rs, pass, cafile := sipTLSServer(t, "--sip-digest", "MD5", "--pool", pool)
	bp := startBaresipTLS(t, rs.addrs["sip-tls"], sipTestNumber, pass, cafile, 440, mediaenc)
	checkRegisteredTLS(t, rs, sipTestNumber)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	callee := startCall(t, rs.addrs["signalling"], "+15550100033", "--answer", "auto", "--max-calls", "1",
		"--mic", "tone:660", "--stats", statsFile)
	callee.waitFor(t, call.EventRegistered)

	bp.do("dial", "sip:+15550100033@"+rs.addrs["sip-tls"])
	if in := callee.waitFor(t, call.EventIncoming); in.Peer != sipTestNumber {
		t.Errorf("the dialtone phone shows the call from %q, want %s", in.Peer, sipTestNumber)
	}
	bp.waitEvent("CALL_ESTABLISHED")
	callee.waitFor(t, call.EventConnected)
	checkSIPLease(t, rs, bp, sipTestNumber)
	waitHeard(t, callee)
	bp.do("hangup", "")
	bp.waitEvent("CALL_CLOSED")
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)
	checkLeaseBack(t, rs, sipTestNumber)
	checkSignalledOverTLS(t, bp, "INVITE", "ACK", "BYE")
	checkMediaSecurity(t, bp, mediaenc != "")
}

func tlsCallToBaresip(t *testing.T, pool, mediaenc string) {
	binary(t)
	rs, pass, cafile := sipTLSServer(t, "--sip-digest", "MD5", "--pool", pool)
	bp := startBaresipTLS(t, rs.addrs["sip-tls"], sipTestNumber, pass, cafile, 440, mediaenc)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, rs.addrs["signalling"], "+15550100034", "--dial", sipTestNumber,
		"--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	in := bp.waitEvent("CALL_INCOMING")
	if !strings.Contains(in.Peer, "+15550100034") {
		t.Errorf("baresip shows the call from %q, want the dialtone caller's number", in.Peer)
	}
	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	checkSIPLease(t, rs, bp, sipTestNumber)
	bp.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)
	checkLeaseBack(t, rs, sipTestNumber)
	checkSignalledOverTLS(t, bp, "INVITE", "ACK", "BYE")
	checkMediaSecurity(t, bp, mediaenc != "")
	// The server offers SRTP first to every phone registered over TLS; one
	// without it refuses (488) and is offered plain RTP.
	if refused := strings.Contains(bp.logText(), "SIP/2.0 488"); refused != (mediaenc == "") {
		t.Errorf("baresip refused the SRTP offer: %v, want %v", refused, mediaenc == "")
	}
}

// sipMessages splits baresip's SIP trace (-s) into its messages.
func sipMessages(log string) []string {
	var out []string
	lines := strings.Split(log, "\n")
	for i := 0; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) != 4 || f[2] != "->" || f[0] != "UDP" && f[0] != "TCP" && f[0] != "TLS" {
			continue
		}
		var b strings.Builder
		for i++; i < len(lines) && !strings.Contains(lines[i], "[;m"); i++ {
			b.WriteString(strings.TrimSpace(lines[i]) + "\n")
		}
		out = append(out, b.String())
	}
	return out
}

// checkMediaSecurity checks, in baresip's trace, that the call's final
// offer and answer (the last INVITE and 200 with SDP) made both media
// lines RTP/SAVP with a key each way, or plain RTP/AVP without keys.
func checkMediaSecurity(t *testing.T, bp *baresipPhone, srtp bool) {
	t.Helper()
	var offer, answer string
	for _, m := range sipMessages(bp.logText()) {
		if !strings.Contains(m, "\nm=audio ") {
			continue
		}
		switch {
		case strings.HasPrefix(m, "INVITE "):
			offer = m
		case strings.HasPrefix(m, "SIP/2.0 200") && strings.Contains(m, " INVITE\n"):
			answer = m
		}
	}
	for _, sdp := range []string{offer, answer} {
		savp, keys := strings.Count(sdp, " RTP/SAVP "), strings.Count(sdp, "a=crypto:")
		switch {
		case sdp == "":
			t.Errorf("baresip's trace has no offer or no answer")
		case srtp && (savp != 2 || keys < 2):
			t.Errorf("%d RTP/SAVP lines and %d keys, want both media lines secured:\n%s", savp, keys, sdp)
		case !srtp && (savp > 0 || keys > 0):
			t.Errorf("%d RTP/SAVP lines and %d keys in a plain call:\n%s", savp, keys, sdp)
		}
	}
}

func TestSIPTLSAddr(t *testing.T) {
	for _, tc := range []struct {
		sip, flag string
		cert      bool
		want      string
		bad       bool
	}{
		{sip: "0.0.0.0:5060", cert: true, want: "0.0.0.0:5061"},
		{sip: "127.0.0.1:0", cert: true, want: "127.0.0.1:0"},
		{sip: "[::]:5080", cert: true, want: "[::]:5081"},
		{sip: "0.0.0.0:5060", want: ""},
		{sip: "0.0.0.0:5060", flag: "off", cert: true, want: ""},
		{sip: "0.0.0.0:5060", flag: "0.0.0.0:5161", cert: true, want: "0.0.0.0:5161"},
		{sip: "", cert: true, want: ""},
		{sip: "0.0.0.0:5060", flag: "0.0.0.0:5161", bad: true},
		{sip: "", flag: "0.0.0.0:5161", cert: true, bad: true},
		{sip: "0.0.0.0:65535", cert: true, bad: true},
	} {
		got, err := sipTLSAddr(tc.sip, tc.flag, tc.cert)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("sipTLSAddr(%q, %q, %v) = %q, %v; want %q, error %v", tc.sip, tc.flag, tc.cert, got, err, tc.want, tc.bad)
		}
	}
}
