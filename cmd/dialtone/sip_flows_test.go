package main

import (
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestSIPCallFlowsBaresip walks the call flows between a real baresip and
// dialtone parties (protocol clients: these flows end before media), each
// way: refuse, busy, cancel and no answer. After each the SIP number holds
// no lease and no call is left.
func TestSIPCallFlowsBaresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.24.0/24", "--ring-timeout", "2s")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	url := rs.addrs["signalling"]
	dialSIP := func(n string) { bp.do("dial", "sip:"+n+"@"+rs.addrs["sip"]) }
	closed := func(t *testing.T, want string) {
		t.Helper()
		if e := bp.waitEvent("CALL_CLOSED"); !strings.Contains(e.Param, want) {
			t.Errorf("baresip's call closed with %q, want %q", e.Param, want)
		}
		checkLeaseBack(t, rs, sipTestNumber)
	}

	t.Run("dialtone refuses", func(t *testing.T) {
		c := servertest.Register(t, url, "+15550100041")
		dialSIP(c.Number)
		in := c.Expect(wire.TypeIncoming, "")
		if in.From != sipTestNumber {
			t.Errorf("incoming from %q, want %s", in.From, sipTestNumber)
		}
		c.Send(&wire.Message{Type: wire.TypeRefuse, Call: in.Call})
		closed(t, "603")
	})
	t.Run("dialtone busy", func(t *testing.T) {
		c := servertest.Register(t, url, "+15550100042")
		a := servertest.Register(t, url, "+15550100043")
		b := servertest.Register(t, url, "+15550100044")
		a.Send(&wire.Message{Type: wire.TypeDial, To: c.Number})
		first := c.Expect(wire.TypeIncoming, "")
		c.Send(&wire.Message{Type: wire.TypeAccept, Call: first.Call})
		seq := b.Send(&wire.Message{Type: wire.TypeDial, To: c.Number})
		waiting := b.ExpectReply(seq).Call
		c.Expect(wire.TypeIncoming, waiting)
		dialSIP(c.Number)
		if e := bp.waitEvent("CALL_CLOSED"); !strings.Contains(e.Param, "486") {
			t.Errorf("baresip's call closed with %q, want 486", e.Param)
		}
		a.Send(&wire.Message{Type: wire.TypeHangup, Call: first.Call})
		a.Expect(wire.TypeHangupAck, first.Call)
		b.Send(&wire.Message{Type: wire.TypeCancel, Call: waiting})
		b.Expect(wire.TypeCancelled, waiting)
		checkLeaseBack(t, rs, sipTestNumber)
	})
	t.Run("baresip cancels", func(t *testing.T) {
		c := servertest.Register(t, url, "+15550100045")
		dialSIP(c.Number)
		in := c.Expect(wire.TypeIncoming, "")
		bp.waitEvent("CALL_RINGING")
		bp.do("hangup", "")
		if m := c.Expect(wire.TypeCancelled, in.Call); m.Reason != wire.ReasonCancelled {
			t.Errorf("cancelled for %q", m.Reason)
		}
		bp.waitEvent("CALL_CLOSED")
		checkLeaseBack(t, rs, sipTestNumber)
	})
	t.Run("dialtone does not answer", func(t *testing.T) {
		c := servertest.Register(t, url, "+15550100046")
		dialSIP(c.Number)
		in := c.Expect(wire.TypeIncoming, "")
		if m := c.Expect(wire.TypeCancelled, in.Call); m.Reason != wire.ReasonNoAnswer {
			t.Errorf("cancelled for %q, want no answer", m.Reason)
		}
		closed(t, "480")
	})
	t.Run("baresip refuses", func(t *testing.T) {
		a := servertest.Register(t, url, "+15550100047")
		seq := a.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
		id := a.ExpectReply(seq).Call
		bp.waitEvent("CALL_INCOMING")
		bp.do("hangup", "")
		a.Expect(wire.TypeRefused, id)
		bp.waitEvent("CALL_CLOSED")
		checkLeaseBack(t, rs, sipTestNumber)
	})
	t.Run("dialtone cancels", func(t *testing.T) {
		a := servertest.Register(t, url, "+15550100048")
		seq := a.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
		id := a.ExpectReply(seq).Call
		bp.waitEvent("CALL_INCOMING")
		a.Send(&wire.Message{Type: wire.TypeCancel, Call: id})
		a.Expect(wire.TypeCancelled, id)
		bp.waitEvent("CALL_CLOSED")
		checkLeaseBack(t, rs, sipTestNumber)
	})
	t.Run("baresip does not answer", func(t *testing.T) {
		a := servertest.Register(t, url, "+15550100049")
		seq := a.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
		id := a.ExpectReply(seq).Call
		bp.waitEvent("CALL_INCOMING")
		a.Expect(wire.TypeNoAnswer, id)
		bp.waitEvent("CALL_CLOSED")
		checkLeaseBack(t, rs, sipTestNumber)
	})
}

// TestSIPForkBaresip: a number with a dialtone client and a SIP phone
// rings both; the first to answer takes the call and the other stops
// ringing (answered-elsewhere for the client, CANCEL for the phone).
func TestSIPForkBaresip(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.25.0/24")
	bp := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	url := rs.addrs["signalling"]
	mine := servertest.Register(t, url, sipTestNumber)
	caller := servertest.Register(t, url, "+15550100051")

	t.Run("the SIP phone answers", func(t *testing.T) {
		seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
		id := caller.ExpectReply(seq).Call
		mine.Expect(wire.TypeIncoming, id)
		bp.waitEvent("CALL_INCOMING")
		bp.do("accept", "")
		if m := mine.Expect(wire.TypeCancelled, id); m.Reason != wire.ReasonAnsweredElsewhere {
			t.Errorf("the client stopped ringing for %q, want %s", m.Reason, wire.ReasonAnsweredElsewhere)
		}
		caller.Expect(wire.TypeAccepted, id)
		bp.waitEvent("CALL_ESTABLISHED")
		caller.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
		caller.Expect(wire.TypeHangupAck, id)
		bp.waitEvent("CALL_CLOSED")
		checkLeaseBack(t, rs, sipTestNumber)
	})
	t.Run("the dialtone client answers", func(t *testing.T) {
		seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
		id := caller.ExpectReply(seq).Call
		mine.Expect(wire.TypeIncoming, id)
		bp.waitEvent("CALL_INCOMING")
		mine.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
		caller.Expect(wire.TypeAccepted, id)
		bp.waitEvent("CALL_CLOSED") // the gateway's CANCEL
		caller.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
		caller.Expect(wire.TypeHangupAck, id)
		mine.Expect(wire.TypeEnded, id)
		checkLeaseBack(t, rs, sipTestNumber)
	})
	t.Run("the SIP phone refuses, the client rings on", func(t *testing.T) {
		seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
		id := caller.ExpectReply(seq).Call
		mine.Expect(wire.TypeIncoming, id)
		bp.waitEvent("CALL_INCOMING")
		bp.do("hangup", "")
		bp.waitEvent("CALL_CLOSED")
		mine.Send(&wire.Message{Type: wire.TypeAccept, Call: id})
		caller.Expect(wire.TypeAccepted, id)
		caller.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
		caller.Expect(wire.TypeHangupAck, id)
		checkLeaseBack(t, rs, sipTestNumber)
	})
}

// TestSIPRingsEveryDevice: a number with two SIP phones rings both; the
// one that answers takes the call and the other gets a CANCEL.
func TestSIPRingsEveryDevice(t *testing.T) {
	binary(t)
	rs, pass := sipServer(t, "--sip-digest", "MD5", "--pool", "127.77.26.0/24")
	desk := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 440)
	mobile := startBaresipPhone(t, rs.addrs["sip"], sipTestNumber, pass, 550)
	waitMetric(t, adminOf(rs), "dialtone_sip_registrations 2")
	caller := servertest.Register(t, rs.addrs["signalling"], "+15550100061")
	seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: sipTestNumber})
	id := caller.ExpectReply(seq).Call
	desk.waitEvent("CALL_INCOMING")
	mobile.waitEvent("CALL_INCOMING")
	mobile.do("accept", "")
	caller.Expect(wire.TypeAccepted, id)
	mobile.waitEvent("CALL_ESTABLISHED")
	desk.waitEvent("CALL_CLOSED") // the CANCEL
	caller.Send(&wire.Message{Type: wire.TypeHangup, Call: id})
	caller.Expect(wire.TypeHangupAck, id)
	mobile.waitEvent("CALL_CLOSED")
	checkLeaseBack(t, rs, sipTestNumber)
}
