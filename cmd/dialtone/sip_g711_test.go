package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// g711Codecs is baresip's configuration for G.711 alone: its g711 module
// (PCMU and PCMA), and ausine's tone made at the only rate and channel
// count it has, resampled.
const g711Codecs = "module g711.so\nausrc_srate 48000\nausrc_channels 2"

// startG711Phone runs a baresip whose only audio codecs are G.711's
// (its g711 module: PCMU and PCMA; no Opus), registered as number.
func startG711Phone(t *testing.T, sipAddr, number, password string, toneHz int) *baresipPhone {
	t.Helper()
	account := "<sip:" + number + "@" + sipAddr + ";transport=udp>;auth_pass=" + password + ";regint=600\n"
	b := runBaresipWith(t, freeSIPPort(t), account, toneHz, g711Codecs+"\nmodule vp8.so")
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

// TestSIPTrunkDialtoneToG711Provider: behind --sip-route sits a provider
// that reaches the telephone network, as they are: G.711 and no video. A
// dialtone phone dials a +44 number; the provider answers the gateway's
// offer (Opus, PCMU, PCMA) with PCMU, and each side hears the other's tone
// at its frequency through the transcoding.
func TestSIPTrunkDialtoneToG711Provider(t *testing.T) {
	binary(t)
	port := freeSIPPort(t)
	rs := startServer(t, "--data", t.TempDir(), "--sip", "127.0.0.1:0", "--pool", "127.77.30.0/24",
		"--sip-route", fmt.Sprintf("+44=sip:127.0.0.1:%d", port))
	trunk := runBaresipWith(t, port, fmt.Sprintf("<sip:%s@%s;transport=udp>;regint=0\n", trunkNumber, rs.addrs["sip"]), 440, g711Codecs)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, rs.addrs["signalling"], "+15550100043", "--dial", trunkNumber,
		"--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	trunk.waitEvent("CALL_INCOMING")
	trunk.do("accept", "")
	caller.waitFor(t, call.EventConnected) // its first audio frame from the trunk decoded
	checkPartyLease(t, rs, trunk, trunkNumber, "trunk")
	checkG711(t, rs, trunk)
	trunk.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	st := readStats(t, statsFile)
	if math.Abs(st.Audio.ToneHz-440) > 5 {
		t.Errorf("the dialtone caller heard %.1f Hz from the trunk, want its 440 (%+v)", st.Audio.ToneHz, st.Audio)
	}
	if hz, secs := trunk.heardHz(); math.Abs(hz-660) > 10 || secs < 1 {
		t.Errorf("the trunk heard %.1f Hz for %.1fs, want the caller's 660", hz, secs)
	}
	checkLeaseBack(t, rs, trunkNumber)
}

// TestSIPDTMFG711Baresip: keypad tones cross a transcoded call as RFC 4733
// events at 8000 Hz, each way, in the transcoder's streams: `dialtone call
// --dtmf 12#` reaches a G.711 baresip as those keys once each, and its keys
// come back as dtmf events.
func TestSIPDTMFG711Baresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.31.0/24")
	bp := startG711Phone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	caller := startCall(t, rs.addrs["signalling"], "+15550100038", "--dial", sipTestNumber,
		"--dtmf", "12#", "--mic", "tone:660")
	bp.waitEvent("CALL_INCOMING")
	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	checkG711(t, rs, bp)
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
}
