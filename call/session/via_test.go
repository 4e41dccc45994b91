package session_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/switchboard"
)

// partyOut is a server party's outbox: what the switchboard sends it.
type partyOut chan *wire.Message

func (o partyOut) Send(m *wire.Message) bool { o <- m; return true }
func (o partyOut) Close(string)              {}

func (o partyOut) expect(t *testing.T, typ wire.Type) *wire.Message {
	t.Helper()
	deadline := time.After(servertest.Wait)
	for {
		select {
		case m := <-o:
			if m.Type == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("the party got no %s", typ)
			return nil
		}
	}
}

// TestGatewayPartyViaServer: a SIP gateway party (as server/sipgw attaches
// one) calls a phone with an unsigned offer. For a number the phone has
// never talked to, the call connects "via server"; for a number whose key
// is pinned and verified it connects too, but says it is not with the
// verified device, and it is never a key change, never verified, and pins
// nothing.
func TestGatewayPartyViaServer(t *testing.T) {
	bobKey := servertest.NewKey().Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		name   string
		pinned bool
	}{{"fresh number", false}, {"verified number", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := servertest.New(t, servertest.Options{})
			keys := newMemKeys()
			if tc.pinned {
				keys.Pin(bob, identity.Pin{Key: bobKey, At: time.Now(), Name: "laptop", Verified: true})
			}
			a := newPhone(t, alice, opts{url: srv.Addrs.URL, prep: trusted(servertest.NewKey(), keys)})
			out := make(partyOut, 64)
			pc, err := srv.Switchboard().AttachParty(bob, switchboard.ViaSIP, out, "sip test")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pc.Disconnect)
			pc.Handle(t.Context(), &wire.Message{Type: wire.TypeDial, Seq: 1, To: alice})
			id := out.expect(t, wire.TypeRinging).Call
			a.wait(t, call.EventIncoming, call.ID(id))
			if err := a.Accept(call.ID(id)); err != nil {
				t.Fatal(err)
			}
			out.expect(t, wire.TypeAccepted)
			pc.Handle(t.Context(), &wire.Message{Type: wire.TypeSDP, Call: id, SDPType: wire.SDPOffer,
				SDP: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=sip\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\n"})
			tr := trustOf(t, a, call.ID(id))
			a.wait(t, call.EventConnected, call.ID(id))
			if tr.State != call.TrustViaServer || tr.Via != wire.ViaSIP || tr.SafetyCode != "" || tr.Key != "" {
				t.Fatalf("trust %+v, want via-server (sip) with no safety code", tr)
			}
			if !strings.Contains(tr.Detail, "SIP phone of "+bob) || !strings.Contains(tr.Detail, "not end to end verified") {
				t.Errorf("detail %q does not say it is a SIP phone, not verified", tr.Detail)
			}
			if tc.pinned {
				if !tr.WasVerified || tr.Pinned != identity.KeyID(bobKey) || !strings.Contains(tr.Detail, "not the device you verified") {
					t.Errorf("a verified number's SIP call does not say it is not that device: %+v", tr)
				}
			} else if tr.WasVerified || tr.Pinned != "" {
				t.Errorf("a fresh number's SIP call claims a pinned key: %+v", tr)
			}
			pins, _ := keys.Pins(bob)
			if want := map[bool]int{false: 0, true: 1}[tc.pinned]; len(pins) != want ||
				(tc.pinned && (!pins[0].Key.Equal(bobKey) || !pins[0].Verified)) {
				t.Errorf("pins after the call %+v, want them as they were", pins)
			}
			if _, ok := keys.changed[bob]; ok {
				t.Error("a SIP call counted as a key change")
			}
			a.Hangup(call.ID(id))
			if e := a.wait(t, call.EventEnded, call.ID(id)); e.Trust == nil || e.Trust.State != call.TrustViaServer {
				t.Errorf("ended with trust %+v", e.Trust)
			}
		})
	}
}
