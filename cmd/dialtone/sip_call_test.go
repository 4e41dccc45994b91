package main

import (
	"encoding/json"
	"math"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/server/servertest"
)

// sipCallView is what the admin API says of a live call.
type sipCallView struct {
	ID          string `json:"id"`
	Caller      string `json:"caller"`
	Callee      string `json:"callee"`
	State       string `json:"state"`
	CallerLease string `json:"caller_lease"`
	CalleeLease string `json:"callee_lease"`
	CallerVia   string `json:"caller_via"`
	CalleeVia   string `json:"callee_via"`
}

func adminOf(rs *runningServer) string {
	return strings.TrimSuffix(strings.TrimPrefix(rs.addrs["admin"], "http://"), "/metrics")
}

func liveCalls(t *testing.T, rs *runningServer) []sipCallView {
	t.Helper()
	var cs []sipCallView
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+adminOf(rs)+"/api/calls")), &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// dnsA asks the server's DNS for number's address.
func dnsA(t *testing.T, rs *runningServer, number string) (netip.Addr, bool) {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(strings.TrimPrefix(number, "+")+".dialtone.internal.", dns.TypeA)
	r, _, err := (&dns.Client{Timeout: servertest.Wait}).Exchange(q, rs.addrs["dns"])
	if err != nil {
		t.Fatalf("DNS: %v", err)
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			ip, _ := netip.AddrFromSlice(a.A)
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// checkSIPLease checks that the SIP phone's side of the live call is its
// number's lease: the admin API names it, the DNS answers it, and it is the
// address baresip says the call's RTP comes from.
func checkSIPLease(t *testing.T, rs *runningServer, bp *baresipPhone, sipNumber string) netip.AddrPort {
	t.Helper()
	return checkPartyLease(t, rs, bp, sipNumber, "sip")
}

// checkPartyLease is checkSIPLease for a party of the kind via ("sip", or
// "trunk" for a foreign number's behind a --sip-route).
func checkPartyLease(t *testing.T, rs *runningServer, bp *baresipPhone, sipNumber, via string) netip.AddrPort {
	t.Helper()
	cs := liveCalls(t, rs)
	if len(cs) != 1 {
		t.Fatalf("live calls %+v, want one", cs)
	}
	c := cs[0]
	lease := c.CallerLease
	if c.CalleeVia == via {
		lease = c.CalleeLease
	} else if c.CallerVia != via {
		t.Fatalf("the call %+v has no SIP party", c)
	}
	ap, err := netip.ParseAddrPort(lease)
	if err != nil {
		t.Fatalf("the SIP party's lease %q: %v", lease, err)
	}
	out, err := exec.Command(binary(t), "server", "calls", "--admin", adminOf(rs)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "_VIA") || !strings.Contains(string(out), " "+via+" ") && !strings.HasSuffix(strings.TrimSpace(string(out)), via) {
		t.Errorf("dialtone server calls does not show the SIP party: %v\n%s", err, out)
	}
	if ip, ok := dnsA(t, rs, sipNumber); via == "trunk" && ok {
		t.Errorf("DNS answers %s for the foreign number %s, want nothing: the zone holds our numbers only", ip, sipNumber)
	} else if via != "trunk" && (!ok || ip != ap.Addr()) {
		t.Errorf("DNS answers %s for %s during the call, want its lease %s", ip, sipNumber, ap.Addr())
	}
	waitFor(t, func() bool {
		return strings.Contains(bp.logText(), "incoming rtp for 'audio' established, receiving from "+ap.String())
	}, "baresip receiving the call's audio from the lease "+ap.String())
	return ap
}

// checkLeaseBack checks that once the call is over the SIP number holds no
// address: DNS answers none.
func checkLeaseBack(t *testing.T, rs *runningServer, sipNumber string) {
	t.Helper()
	waitFor(t, func() bool { _, ok := dnsA(t, rs, sipNumber); return !ok && len(liveCalls(t, rs)) == 0 },
		"the SIP number's lease going back to the pool")
}

// waitFor polls cond (a state in another process, which sends no event)
// until it holds.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitHeard waits for the dialtone party's stats to show a second of the
// other side's audio and some of its video.
func waitHeard(t *testing.T, p *callProc) {
	t.Helper()
	for {
		e := p.waitFor(t, call.EventStats)
		if e.Stats != nil && e.Stats.Audio.FramesDecoded >= 50 && e.Stats.Video.FramesDecoded >= 5 {
			return
		}
	}
}

func checkTones(t *testing.T, st call.Stats, bp *baresipPhone, dialtoneHeard, baresipHeard float64) {
	t.Helper()
	if math.Abs(st.Audio.ToneHz-dialtoneHeard) > 5 {
		t.Errorf("the dialtone party heard %.1f Hz, want baresip's %.0f (%+v)", st.Audio.ToneHz, dialtoneHeard, st.Audio)
	}
	if st.Video.FramesDecoded < 5 {
		t.Errorf("the dialtone party decoded %d of baresip's video frames", st.Video.FramesDecoded)
	}
	hz, secs := bp.heardHz()
	if math.Abs(hz-baresipHeard) > 10 || secs < 1 {
		t.Errorf("baresip heard %.1f Hz for %.1fs, want the dialtone party's %.0f", hz, secs, baresipHeard)
	}
	if !strings.Contains(bp.logText(), "video: receiving with resolution") {
		t.Error("baresip got no video from the dialtone party")
	}
}

// TestSIPCallBaresipToDialtone: a registered baresip dials a dialtone
// number; the dialtone phone's dialog shows the SIP phone's number, each
// side hears the other's tone and sees its video, media runs through the
// SIP number's lease, and baresip hangs up (BYE from the SIP side).
func TestSIPCallBaresipToDialtone(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.21.0/24")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	callee := startCall(t, rs.addrs["signalling"], "+15550100031", "--answer", "auto", "--max-calls", "1",
		"--mic", "tone:660", "--stats", statsFile)
	callee.waitFor(t, call.EventRegistered)

	bp.do("dial", "sip:+15550100031@"+rs.addrs["sip"])
	if in := callee.waitFor(t, call.EventIncoming); in.Peer != sipTestNumber {
		t.Errorf("the dialtone phone shows the call from %q, want the SIP phone's verified %s", in.Peer, sipTestNumber)
	}
	bp.waitEvent("CALL_ESTABLISHED")
	callee.waitFor(t, call.EventConnected) // its first video frame from baresip decoded
	if tr := trustOf(t, callee); tr.State != call.TrustViaServer || tr.Via != "sip" || tr.SafetyCode != "" {
		t.Errorf("the dialtone phone's trust event %+v, want via-server (sip) with no safety code", tr)
	}
	checkSIPLease(t, rs, bp, sipTestNumber)
	waitHeard(t, callee)
	bp.do("hangup", "")
	bp.waitEvent("CALL_CLOSED")
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)
	checkLeaseBack(t, rs, sipTestNumber)
}

// TestSIPCallDialtoneToBaresip: a dialtone phone dials a number whose only
// device is a SIP phone; baresip rings and answers, the tones and video
// cross, and the dialtone phone hangs up (BYE to the SIP side).
func TestSIPCallDialtoneToBaresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.22.0/24")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, rs.addrs["signalling"], "+15550100032", "--dial", sipTestNumber,
		"--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	in := bp.waitEvent("CALL_INCOMING")
	if !strings.Contains(in.Peer, "+15550100032") {
		t.Errorf("baresip shows the call from %q, want the dialtone caller's number", in.Peer)
	}
	caller.waitFor(t, call.EventRinging)
	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	if tr := trustOf(t, caller); tr.State != call.TrustViaServer || tr.Via != "sip" || tr.SafetyCode != "" {
		t.Errorf("the dialtone phone's trust event %+v, want via-server (sip) with no safety code", tr)
	}
	checkSIPLease(t, rs, bp, sipTestNumber)
	bp.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)
	checkLeaseBack(t, rs, sipTestNumber)
}

// TestSIPCallBaresipToEcho: baresip dials 600 and hears its own tone back.
func TestSIPCallBaresipToEcho(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.23.0/24")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 520)
	bp.do("dial", "sip:600@"+rs.addrs["sip"])
	bp.waitEvent("CALL_ESTABLISHED")
	checkSIPLease(t, rs, bp, sipTestNumber)
	waitMetric(t, adminOf(rs), `dialtone_sip_key_frame_requests_total`)
	waitFor(t, func() bool { return strings.Contains(bp.logText(), "video: receiving with resolution") },
		"baresip's own video coming back")
	// Two seconds of echoed audio in the recording.
	waitFor(t, func() bool { _, secs := bp.heardHz(); return secs > 2.5 }, "baresip recording its echo")
	bp.do("hangup", "")
	bp.waitEvent("CALL_CLOSED")
	if hz, secs := bp.heardHz(); math.Abs(hz-520) > 10 {
		t.Errorf("baresip heard %.1f Hz over %.1fs from the echo, want its own 520", hz, secs)
	}
	checkLeaseBack(t, rs, sipTestNumber)
}
