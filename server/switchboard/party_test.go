package switchboard

import (
	"context"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
)

// fakeGateway reaches the numbers it was given, recording each party.
type fakeGateway struct {
	mu      sync.Mutex
	numbers map[string]bool
	parties []*gwParty
}

type gwParty struct {
	number, caller string
	conn           *Conn
	out            *outbox
}

func (g *fakeGateway) Reaches(n string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.numbers[n]
}

func (g *fakeGateway) Reach(n, caller string, conn *Conn) Outbox {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := &gwParty{number: n, caller: caller, conn: conn, out: newOutbox()}
	g.parties = append(g.parties, p)
	return p.out
}

func (g *fakeGateway) party(t *testing.T) *gwParty {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.parties) != 1 {
		t.Fatalf("%d gateway parties, want 1", len(g.parties))
	}
	return g.parties[0]
}

// TestPartyCallsOut: a gateway party dials a client; the client sees the
// party's number, the call's leases are the two numbers', the admin view
// names the SIP side, and the party's going away ends the call.
func TestPartyCallsOut(t *testing.T) {
	b := newBoard(t, Config{})
	callee := b.register(t, "+15550100002")
	out := newOutbox()
	pc, err := b.AttachParty("+12025550101", ViaSIP, out, "sip 127.0.0.1:5060")
	if err != nil {
		t.Fatal(err)
	}
	pc.Handle(context.Background(), &wire.Message{Type: wire.TypeDial, Seq: 1, To: callee.number})
	id := out.expect(t, wire.TypeRinging).Call
	if in := callee.out.expect(t, wire.TypeIncoming); in.From != "+12025550101" {
		t.Fatalf("incoming from %q", in.From)
	}
	callee.send(&wire.Message{Type: wire.TypeAccept, Call: id})
	acc := out.expect(t, wire.TypeAccepted)
	if !acc.Offerer {
		t.Error("the calling party is not the offerer")
	}
	if l, ok := b.pool.Lookup("+12025550101"); !ok || l.Addr.String() != acc.LocalLease {
		t.Errorf("the party's lease %v, accepted says %s", l, acc.LocalLease)
	}
	cs := b.Calls()
	if len(cs) != 1 || cs[0].CallerVia != ViaSIP || cs[0].CalleeVia != "" {
		t.Errorf("calls %+v, want one with a SIP caller", cs)
	}
	if !b.Resolve("+12025550101").Addr.IsValid() {
		t.Error("DNS does not answer the SIP number's lease during the call")
	}
	pc.Disconnect()
	if m := callee.out.expect(t, wire.TypeEnded); m.Reason != wire.ReasonHangup {
		t.Errorf("ended for %q", m.Reason)
	}
	if _, ok := b.pool.Lookup("+12025550101"); ok {
		t.Error("the party's lease outlived its call")
	}
}

// TestPartyBesideClient: a number's client keeps its session while a
// gateway party speaks for the same number.
func TestPartyBesideClient(t *testing.T) {
	b := newBoard(t, Config{})
	me := b.register(t, "+12025550101")
	other := b.register(t, "+15550100002")
	pc, err := b.AttachParty(me.number, ViaSIP, newOutbox(), "sip")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Disconnect()
	setUp(t, other, me)
	if !me.conn.Registered() {
		t.Error("the client's connection was replaced by the party")
	}
}

// TestGatewayReachesNumbers: a dial to a number without a session goes to
// the gateway when it reaches the number, and is unavailable when not.
func TestGatewayReachesNumbers(t *testing.T) {
	b := newBoard(t, Config{})
	gw := &fakeGateway{numbers: map[string]bool{"+12025550101": true}}
	b.SetGateway(gw)
	caller := b.register(t, "+15550100001")

	caller.send(&wire.Message{Type: wire.TypeDial, To: "+12025550109"})
	if m := caller.out.expect(t, wire.TypeUnavailable); m.Reason != wire.ReasonUnknown {
		t.Errorf("a number no one reaches: %q", m.Reason)
	}

	caller.send(&wire.Message{Type: wire.TypeDial, To: "+12025550101"})
	id := caller.out.expect(t, wire.TypeRinging).Call
	p := gw.party(t)
	if p.number != "+12025550101" || p.caller != caller.number {
		t.Errorf("party %s for a call from %s", p.number, p.caller)
	}
	if in := p.out.expect(t, wire.TypeIncoming); in.Call != id {
		t.Errorf("incoming %s, want %s", in.Call, id)
	}
	p.conn.Handle(context.Background(), &wire.Message{Type: wire.TypeRefuse, Call: id})
	caller.out.expect(t, wire.TypeRefused)
	p.conn.Disconnect()
	if n := len(b.Calls()); n != 0 {
		t.Errorf("%d calls left", n)
	}
}

// TestForkFirstAnswerWins: a number with a client and a gateway device
// rings both; the answer of one stops the other with answered-elsewhere,
// a refusal of one leaves the other ringing, and a cancel reaches both.
func TestForkFirstAnswerWins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer string // "client", "gateway"
		refuse string // refused first by
		cancel bool
	}{
		{name: "the client answers", answer: "client"},
		{name: "the gateway device answers", answer: "gateway"},
		{name: "the gateway device refuses, the client answers", refuse: "gateway", answer: "client"},
		{name: "the client refuses, the gateway device answers", refuse: "client", answer: "gateway"},
		{name: "the caller cancels", cancel: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBoard(t, Config{})
			gw := &fakeGateway{numbers: map[string]bool{"+12025550101": true}}
			b.SetGateway(gw)
			mine := b.register(t, "+12025550101")
			caller := b.register(t, "+15550100001")
			caller.send(&wire.Message{Type: wire.TypeDial, To: mine.number})
			id := caller.out.expect(t, wire.TypeRinging).Call
			mine.out.expect(t, wire.TypeIncoming)
			dev := gw.party(t)
			dev.out.expect(t, wire.TypeIncoming)
			send := map[string]func(*wire.Message){
				"client":  func(m *wire.Message) { mine.send(m) },
				"gateway": func(m *wire.Message) { dev.conn.Handle(context.Background(), m) },
			}
			outs := map[string]*outbox{"client": mine.out, "gateway": dev.out}
			other := map[string]string{"client": "gateway", "gateway": "client"}
			if tc.cancel {
				caller.send(&wire.Message{Type: wire.TypeCancel, Call: id})
				for _, o := range outs {
					if m := o.expect(t, wire.TypeCancelled); m.Reason != wire.ReasonCancelled {
						t.Errorf("cancelled for %q", m.Reason)
					}
				}
				return
			}
			if tc.refuse != "" {
				send[tc.refuse](&wire.Message{Type: wire.TypeRefuse, Seq: 9, Call: id})
				outs[tc.refuse].expect(t, wire.TypeRefused)
			}
			send[tc.answer](&wire.Message{Type: wire.TypeAccept, Call: id})
			caller.out.expect(t, wire.TypeAccepted)
			outs[tc.answer].expect(t, wire.TypeAccepted)
			if tc.refuse == "" {
				if m := outs[other[tc.answer]].expect(t, wire.TypeCancelled); m.Reason != wire.ReasonAnsweredElsewhere {
					t.Errorf("the other device stopped for %q", m.Reason)
				}
			}
			if cs := b.Calls(); len(cs) != 1 || (cs[0].CalleeVia == ViaSIP) != (tc.answer == "gateway") {
				t.Errorf("calls %+v after %s answered", cs, tc.answer)
			}
		})
	}
}

// TestSDPVia: the sdp a gateway party sends reaches the other side marked
// via sip; a client's sdp is passed on unmarked, whatever it claims.
func TestSDPVia(t *testing.T) {
	const sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\n"
	b := newBoard(t, Config{})
	callee := b.register(t, "+15550100002")
	out := newOutbox()
	pc, err := b.AttachParty("+12025550101", ViaSIP, out, "sip")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Disconnect()
	pc.Handle(context.Background(), &wire.Message{Type: wire.TypeDial, Seq: 1, To: callee.number})
	id := out.expect(t, wire.TypeRinging).Call
	callee.out.expect(t, wire.TypeIncoming)
	callee.send(&wire.Message{Type: wire.TypeAccept, Call: id})
	out.expect(t, wire.TypeAccepted)
	pc.Handle(context.Background(), &wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer, SDP: sdp})
	if m := callee.out.expect(t, wire.TypeSDP); m.Via != wire.ViaSIP {
		t.Errorf("the party's sdp reached the client with via %q, want %q", m.Via, wire.ViaSIP)
	}
	callee.send(&wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPAnswer, SDP: sdp, Via: wire.ViaSIP})
	if m := out.expect(t, wire.TypeSDP); m.Via != "" {
		t.Errorf("a client's sdp went on with via %q, want none", m.Via)
	}
}

// TestHangupMediaFailed: a gateway party that hangs up because its phone's
// media could not be agreed says media-failed, and the client hears it;
// a client saying the same is told as an ordinary hang-up, since the reason
// is the gateway's to give.
func TestHangupMediaFailed(t *testing.T) {
	b := newBoard(t, Config{})
	callee := b.register(t, "+15550100002")
	out := newOutbox()
	pc, err := b.AttachParty("+12025550101", ViaSIP, out, "sip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pc.Disconnect)
	for i, tc := range []struct {
		name       string
		partyHangs bool
		want       string
	}{
		{"the gateway's party", true, wire.ReasonMediaFailed},
		{"a client", false, wire.ReasonHangup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc.Handle(context.Background(), &wire.Message{V: wire.Version, Type: wire.TypeDial, Seq: uint64(2*i + 1), To: callee.number})
			id := out.expect(t, wire.TypeRinging).Call
			callee.out.expect(t, wire.TypeIncoming)
			callee.send(&wire.Message{Type: wire.TypeAccept, Call: id})
			out.expect(t, wire.TypeAccepted)
			hangup := &wire.Message{V: wire.Version, Type: wire.TypeHangup, Seq: uint64(2*i + 2), Call: id, Reason: wire.ReasonMediaFailed}
			heard := callee.out
			if tc.partyHangs {
				pc.Handle(context.Background(), hangup)
			} else {
				callee.send(hangup)
				heard = out
			}
			if m := heard.expect(t, wire.TypeEnded); m.Reason != tc.want {
				t.Errorf("ended %q, want %q", m.Reason, tc.want)
			}
		})
	}
}
