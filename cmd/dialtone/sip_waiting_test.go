package main

import (
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestSIPCallWaitingBaresip: a SIP phone in a call is a number in a call,
// and dialtone's flows hold for it: a second call rings it (call waiting
// is the phone's own, baresip shows the call), the phone dials out while
// in a call, and a third call is busy. The second call's media runs on
// the number's lease IP with a port of its own and crosses the relay:
// each side hears the other's tone.
func TestSIPCallWaitingBaresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.41.0/24")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	url := rs.addrs["signalling"]

	first := servertest.Register(t, url, "+15550100061")
	seq := first.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
	firstID := first.ExpectReply(seq).Call
	bp.waitEvent("CALL_INCOMING")
	bp.do("accept", "")
	first.Expect(wire.TypeAccepted, firstID)
	bp.waitEvent("CALL_ESTABLISHED")

	// The phone, in its call, dials a dialtone number: it rings there.
	other := servertest.Register(t, url, "+15550100064")
	bp.do("dial", "sip:"+other.Number+"@"+rs.addrs["sip"])
	in := other.Expect(wire.TypeIncoming, "")
	other.Send(&wire.Message{Type: wire.TypeRefuse, Call: in.Call})
	if e := bp.waitEvent("CALL_CLOSED"); !strings.Contains(e.Param, "603") {
		t.Errorf("baresip's second call closed with %q, want the refusal's 603", e.Param)
	}

	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, url, "+15550100062", "--dial", sipTestNumber,
		"--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	bp.waitEvent("CALL_INCOMING")
	caller.waitFor(t, call.EventRinging)

	// From another address: one source's ringing calls count once.
	third := servertest.RegisterFrom(t, url, "+15550100063", netip.MustParseAddr("127.0.0.2"))
	seq = third.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
	if m := third.ExpectReply(seq); m.Type != wire.TypeBusy {
		t.Errorf("a third call to the SIP number got %s, want busy", m.Type)
	}

	bp.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	lease, ok := dnsA(t, rs, sipTestNumber)
	if !ok {
		t.Fatal("the DNS answers nothing for the SIP number during its calls")
	}
	from := regexp.MustCompile(`incoming rtp for 'audio' established, receiving from ([0-9.:]+)`)
	waitFor(t, func() bool { return len(from.FindAllStringSubmatch(bp.logText(), -1)) >= 1 }, "baresip receiving the second call's audio")
	for _, m := range from.FindAllStringSubmatch(bp.logText(), -1) {
		if ap, err := netip.ParseAddrPort(m[1]); err != nil || ap.Addr() != lease {
			t.Errorf("baresip receives audio from %s, want the SIP number's lease IP %s", m[1], lease)
		}
	}
	bp.waitEvent("CALL_CLOSED") // the caller's 3 s
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), bp, 440, 660)

	first.Send(&wire.Message{Type: wire.TypeHangup, Call: firstID})
	first.Expect(wire.TypeHangupAck, firstID)
	bp.waitEvent("CALL_CLOSED")
	checkLeaseBack(t, rs, sipTestNumber)
}
