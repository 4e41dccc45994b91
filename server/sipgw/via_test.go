package sipgw

import (
	"context"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/switchboard"
)

// TestOutboundViaNamesTheListener: an INVITE the gateway sends names the
// listener's address in Via's sent-by (not 0.0.0.0) and asks for rport, so
// that a phone or trunk answers where the request came from.
func TestOutboundViaNamesTheListener(t *testing.T) {
	_, sb, phone := withSwitchboard(t, "127.77.192.0/24")
	if got := phone.registerFor(3600); got != 200 {
		t.Fatalf("REGISTER: %d", got)
	}

	out := make(recorder, 64)
	caller, err := sb.AttachParty("+12025550109", switchboard.ViaSIP, out, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(caller.Disconnect)
	caller.Handle(context.Background(), &wire.Message{V: wire.Version, Type: wire.TypeDial, Seq: 1, To: testNumber})
	id := out.expect(t, wire.TypeRinging).Call
	m, from := phone.recv()
	inv, ok := m.(*sip.Request)
	if !ok || inv.Method != sip.INVITE {
		t.Fatalf("the phone got %v, want an INVITE", m)
	}
	via := inv.Via()
	src := netip.MustParseAddrPort(from.String())
	if via.Host != "127.0.0.1" || via.Port != int(src.Port()) || !via.Params.Has("rport") {
		t.Errorf("Via %s from %s; want sent-by 127.0.0.1:%d with rport", via.Value(), from, src.Port())
	}

	phone.send(sip.NewResponseFromRequest(inv, 180, "Ringing", nil).String(), from)
	caller.Handle(context.Background(), &wire.Message{V: wire.Version, Type: wire.TypeCancel, Seq: 2, Call: id})
	out.expect(t, wire.TypeCancelled)
	for {
		m, from := phone.recv()
		if r, ok := m.(*sip.Request); ok && r.Method == sip.CANCEL {
			phone.send(sip.NewResponseFromRequest(r, 200, "OK", nil).String(), from)
			phone.send(sip.NewResponseFromRequest(inv, 487, "Request Terminated", nil).String(), from)
			break
		}
	}
	waitFor(t, "the cancelled call's lease going back", func() bool {
		_, leased := sb.Lease(testNumber)
		return !leased && len(sb.Calls()) == 0
	})
}
