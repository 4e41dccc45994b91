package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// trunkNumber is a number the server does not hold, behind the trunk.
const trunkNumber = "+447700900123"

// startTrunk runs a baresip as a SIP provider behind --sip-route +44: it
// does not register, takes calls for trunkNumber on its own port, and
// calls the server from the route's host.
func startTrunk(t *testing.T, pool string) (*runningServer, *baresipPhone) {
	t.Helper()
	binary(t)
	port := freeSIPPort(t)
	rs := startServer(t, "--data", t.TempDir(), "--sip", "127.0.0.1:0", "--pool", pool,
		"--sip-route", fmt.Sprintf("+44=sip:127.0.0.1:%d", port), "--sip-route", "+1=sip:192.0.2.1")
	account := fmt.Sprintf("<sip:%s@%s;transport=udp>;regint=0\n", trunkNumber, rs.addrs["sip"])
	return rs, runBaresip(t, port, account, 440)
}

// TestSIPTrunkDialtoneToProvider: a dialtone phone dials a +44 number the
// server does not hold; the INVITE goes to the trunk (the longest
// prefix's) with the caller's number, the provider rings and answers,
// the tones cross both ways through the trunk party's lease, and the
// dialtone phone's hang-up is a BYE.
func TestSIPTrunkDialtoneToProvider(t *testing.T) {
	rs, trunk := startTrunk(t, "127.77.24.0/24")
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, rs.addrs["signalling"], "+15550100041", "--dial", trunkNumber,
		"--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	in := trunk.waitEvent("CALL_INCOMING")
	if !strings.Contains(in.Peer, "+15550100041") {
		t.Errorf("the provider shows the call from %q, want the dialtone caller's number", in.Peer)
	}
	caller.waitFor(t, call.EventRinging)
	trunk.do("accept", "")
	caller.waitFor(t, call.EventConnected)
	checkPartyLease(t, rs, trunk, trunkNumber, "trunk")
	trunk.waitEvent("CALL_CLOSED")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), trunk, 440, 660)
	checkLeaseBack(t, rs, trunkNumber)
	waitMetric(t, adminOf(rs), `dialtone_sip_calls_total{event="trunk_out"} 1`)
}

// TestSIPTrunkProviderToDialtone: the provider calls a dialtone number
// from the trunk's address without a digest; the dialtone phone rings
// with the provider's caller number and answers, and the provider hangs
// up.
func TestSIPTrunkProviderToDialtone(t *testing.T) {
	rs, trunk := startTrunk(t, "127.77.25.0/24")
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	callee := startCall(t, rs.addrs["signalling"], "+15550100042", "--answer", "auto", "--max-calls", "1",
		"--mic", "tone:660", "--stats", statsFile)
	callee.waitFor(t, call.EventRegistered)
	trunk.do("dial", "sip:+15550100042@"+rs.addrs["sip"])
	if in := callee.waitFor(t, call.EventIncoming); in.Peer != trunkNumber {
		t.Errorf("the dialtone phone shows the call from %q, want the trunk's caller %s", in.Peer, trunkNumber)
	}
	trunk.waitEvent("CALL_ESTABLISHED")
	callee.waitFor(t, call.EventConnected)
	checkPartyLease(t, rs, trunk, trunkNumber, "trunk")
	waitHeard(t, callee)
	trunk.do("hangup", "")
	trunk.waitEvent("CALL_CLOSED")
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	checkTones(t, readStats(t, statsFile), trunk, 440, 660)
	checkLeaseBack(t, rs, trunkNumber)
	waitMetric(t, adminOf(rs), `dialtone_sip_calls_total{event="trunk_in"} 1`)
}
