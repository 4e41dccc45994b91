package switchboard

import (
	"context"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
)

// fakeRouter is a gateway with a trunk for the numbers in routes.
type fakeRouter struct {
	fakeGateway
	routes map[string]bool
}

func (r *fakeRouter) Routes(n string) bool { return r.routes[n] }

// trunkOutbox is a trunk party's outbox: it says what it is.
type trunkOutbox struct{ *outbox }

func (trunkOutbox) Via() string { return ViaTrunk }

func (r *fakeRouter) Reach(n, caller string, conn *Conn) Outbox {
	o := r.fakeGateway.Reach(n, caller, conn)
	if r.routes[n] {
		return trunkOutbox{o.(*outbox)}
	}
	return o
}

// TestTrunkRoutesForeignNumbers: a dial to a number the server does not
// hold goes to the gateway's trunk, the party shows as a trunk's, and the
// foreign number does not become one of ours: the next dial to it goes to
// the trunk again, and DNS never answers it.
func TestTrunkRoutesForeignNumbers(t *testing.T) {
	const foreign = "+447700900123"
	b := newBoard(t, Config{})
	gw := &fakeRouter{routes: map[string]bool{foreign: true}}
	b.SetGateway(gw)
	caller := b.register(t, "+15550100001")
	for i := range 2 {
		caller.send(&wire.Message{Type: wire.TypeDial, To: foreign})
		id := caller.out.expect(t, wire.TypeRinging).Call
		gw.mu.Lock()
		p := gw.parties[i]
		gw.mu.Unlock()
		if p.number != foreign || p.caller != caller.number {
			t.Fatalf("dial %d: party %s for %s", i, p.number, p.caller)
		}
		p.out.expect(t, wire.TypeIncoming)
		if cs := b.Calls(); len(cs) != 1 || cs[0].CalleeVia != ViaTrunk {
			t.Errorf("dial %d: calls %+v, want one to a trunk", i, cs)
		}
		if r := b.Resolve(foreign); r.Registered {
			t.Errorf("dial %d: the foreign number is registered here: %+v", i, r)
		}
		p.conn.Handle(context.Background(), &wire.Message{Type: wire.TypeRefuse, Call: id})
		caller.out.expect(t, wire.TypeRefused)
		p.conn.Disconnect()
	}
	// A number with a session is never routed.
	mine := b.register(t, "+447700900124")
	gw.routes[mine.number] = true
	caller.send(&wire.Message{Type: wire.TypeDial, To: mine.number})
	caller.out.expect(t, wire.TypeRinging)
	mine.out.expect(t, wire.TypeIncoming)
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if len(gw.parties) != 2 {
		t.Errorf("%d gateway parties, want 2: our number went to the trunk", len(gw.parties))
	}
}
