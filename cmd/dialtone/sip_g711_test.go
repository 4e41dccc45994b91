package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// startG711Phone runs a baresip whose only audio codecs are G.711's
// (its g711 module: PCMU and PCMA; no Opus), registered as number.
func startG711Phone(t *testing.T, sipAddr, number, password string, toneHz int) *baresipPhone {
	t.Helper()
	account := "<sip:" + number + "@" + sipAddr + ";transport=udp>;auth_pass=" + password + ";regint=600\n"
	b := runBaresipWith(t, freeSIPPort(t), account, toneHz, "module g711.so\nausrc_srate 48000\nausrc_channels 2")
	waitFor(t, func() bool { return strings.Contains(b.logText(), "200 OK () [") }, "baresip registering")
	return b
}

// checkG711 checks that the call's audio was G.711 on the SIP side (baresip
// says which encoder it set) and that the gateway transcoded it.
func checkG711(t *testing.T, rs *runningServer, bp *baresipPhone) {
	t.Helper()
	if log := bp.logText(); !strings.Contains(log, "PCMU") || strings.Contains(log, "opus") {
		t.Errorf("baresip's call was not PCMU alone:\n%s", grepLines(log, "audio"))
	}
	waitMetric(t, adminOf(rs), `dialtone_sip_calls_total{event="transcoded"} 1`)
}

// TestSIPCallG711BaresipToDialtone: a SIP phone with G.711 alone dials a
// dialtone number; the gateway takes its PCMU offer, and each side hears
// the other's tone at its frequency through the transcoding (the dialtone
// party hears Opus, baresip PCMU), media through the SIP number's lease.
func TestSIPCallG711BaresipToDialtone(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.26.0/24")
	bp := startG711Phone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	callee := startCall(t, rs.addrs["signalling"], "+15550100036", "--answer", "auto", "--max-calls", "1",
		"--mic", "tone:660", "--stats", statsFile)
	callee.waitFor(t, call.EventRegistered)

	bp.do("dial", "sip:+15550100036@"+rs.addrs["sip"])
	callee.waitFor(t, call.EventIncoming)
	bp.waitEvent("CALL_ESTABLISHED")
	callee.waitFor(t, call.EventConnected)
	checkSIPLease(t, rs, bp, sipTestNumber)
	checkG711(t, rs, bp)
	waitHeard(t, callee)
	// Two seconds of the dialtone party's tone in baresip's recording.
	waitFor(t, func() bool { _, secs := bp.heardHz(); return secs > 2 }, "baresip recording the transcoded tone")
	bp.do("hangup", "")
	bp.waitEvent("CALL_CLOSED")
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)
	checkLeaseBack(t, rs, sipTestNumber)
}

// TestSIPCallDialtoneToG711Baresip: a dialtone phone dials a number whose
// SIP phone has G.711 alone; the gateway's offer lists Opus, PCMU and
// PCMA, baresip answers PCMU, and the tones cross through the transcoding.
func TestSIPCallDialtoneToG711Baresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.27.0/24")
	bp := startG711Phone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, rs.addrs["signalling"], "+15550100037", "--dial", sipTestNumber,
		"--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	bp.waitEvent("CALL_INCOMING")
	caller.waitFor(t, call.EventRinging)
	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	checkSIPLease(t, rs, bp, sipTestNumber)
	checkG711(t, rs, bp)
	bp.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)
	checkLeaseBack(t, rs, sipTestNumber)
}
