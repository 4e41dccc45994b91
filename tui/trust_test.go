package tui

import (
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/tui/book"
)

// testKey is a fixed key, so that goldens stay put.
func testKey(b byte) ed25519.PublicKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

const testCode = "12345 67890 13579 24680 11223 34455"

// TestKeyChangeWarning: a call refused for a changed key ends on a
// summary that says so as loudly as SSH, and T trusts the new key.
func TestKeyChangeWarning(t *testing.T) {
	keys := &book.Keys{Path: filepath.Join(t.TempDir(), "keys.json")}
	oldKey, newKey := testKey(1), testKey(2)
	keys.Pin("+12025550101", identity.Pin{Key: oldKey, Verified: true})
	keys.Changed("+12025550101", identity.Pin{Key: newKey})
	d := newDriver(t, Config{Book: sampleBook(), Keys: keys})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	tr := &call.Trust{State: call.TrustKeyChanged, Key: identity.KeyID(newKey), Pinned: identity.KeyID(oldKey), WasVerified: true,
		Detail: "this number was verified, and the key is not the one pinned for this number"}
	d.event(call.Event{Kind: call.EventTrust, Call: "c1", Trust: tr})
	d.event(call.Event{Kind: call.EventEnded, Call: "c1", Reason: "key-changed", Local: true, Trust: tr})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	v := ansi.Strip(d.m.Content())
	for _, want := range []string{"HAS CHANGED", identity.KeyID(oldKey), identity.KeyID(newKey), "T trust new key"} {
		if !strings.Contains(v, want) {
			t.Errorf("summary lacks %q:\n%s", want, v)
		}
	}
	golden(t, "summary_key_changed_80x24", d.m.Content())
	d.key("T")
	d.waitFor("trusted", func() bool { return d.m.summary.Note != "" })
	pins, _ := keys.Pins("+12025550101")
	if len(pins) != 1 || !pins[0].Key.Equal(newKey) || pins[0].Verified {
		t.Fatalf("after T: pins %+v", pins)
	}
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "new key trusted") || strings.Contains(v, "T trust new key") {
		t.Errorf("after T:\n%s", v)
	}
}

// TestSafetyCodeShown: the stats overlay and the summary show the call's
// safety code, and V marks the number verified.
func TestSafetyCodeShown(t *testing.T) {
	keys := &book.Keys{Path: filepath.Join(t.TempDir(), "keys.json")}
	k := testKey(3)
	keys.Pin("+12025550101", identity.Pin{Key: k})
	d := newDriver(t, Config{Book: sampleBook(), Keys: keys})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40000", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	tr := &call.Trust{State: call.TrustPinned, SafetyCode: testCode, Key: identity.KeyID(k)}
	d.event(call.Event{Kind: call.EventTrust, Call: "c1", Trust: tr})
	d.event(call.Event{Kind: call.EventConnected, Call: "c1"})
	d.waitFor("trust", func() bool { return d.m.cur != nil && d.m.cur.trust != nil })
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "not verified") {
		t.Errorf("status line lacks the trust badge:\n%s", v)
	}
	d.key("s")
	if v := ansi.Strip(d.m.Content()); !strings.Contains(v, "safety     "+testCode) {
		t.Errorf("stats overlay lacks the safety code:\n%s", v)
	}
	d.key("s")
	d.now = d.now.Add(30 * time.Second)
	d.event(call.Event{Kind: call.EventEnded, Call: "c1", Reason: "hangup", Trust: tr})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	golden(t, "summary_safety_80x24", d.m.Content())
	d.key("V")
	d.waitFor("verified", func() bool { return d.m.summary.Note != "" })
	if pins, _ := keys.Pins("+12025550101"); len(pins) != 1 || !pins[0].Verified {
		t.Fatalf("after V: %+v", pins)
	}
}

// TestViaServerSIP: a call the server marks as its SIP gateway's, from a
// number whose key is pinned and verified, shows "via server (SIP
// gateway)" and that it is not the verified device, in the status line and
// the summary, offers no V, and leaves the pin as it was.
func TestViaServerSIP(t *testing.T) {
	keys := &book.Keys{Path: filepath.Join(t.TempDir(), "keys.json")}
	k := testKey(4)
	keys.Pin("+12025550101", identity.Pin{Key: k, Verified: true})
	d := newDriver(t, Config{Book: sampleBook(), Keys: keys})
	d.dial("+12025550101")
	d.event(call.Event{Kind: call.EventAccepted, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40000", Media: "relay"})
	d.waitFor("in call", func() bool { return d.m.Screen() == ScreenInCall })
	tr := &call.Trust{State: call.TrustViaServer, Via: "sip", Pinned: identity.KeyID(k), WasVerified: true,
		Detail: "via server: the SIP gateway, for a SIP phone of +12025550101; not end to end verified"}
	d.event(call.Event{Kind: call.EventTrust, Call: "c1", Trust: tr})
	d.event(call.Event{Kind: call.EventConnected, Call: "c1"})
	d.waitFor("trust", func() bool { return d.m.cur != nil && d.m.cur.trust != nil })
	v := ansi.Strip(d.m.Content())
	if !strings.Contains(v, "via server (SIP gateway) · not your verified device") || strings.Contains(v, "✓ verified") {
		t.Errorf("status line does not say it is not the verified device:\n%s", v)
	}
	d.now = d.now.Add(30 * time.Second)
	d.event(call.Event{Kind: call.EventEnded, Call: "c1", Reason: "hangup", Trust: tr})
	d.waitFor("summary", func() bool { return d.m.Screen() == ScreenSummary })
	v = ansi.Strip(d.m.Content())
	for _, want := range []string{"SIP phone, not end to end verified", "not the verified device of", identity.KeyID(k)} {
		if !strings.Contains(v, want) {
			t.Errorf("summary lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "V mark") || strings.Contains(v, "safety code") {
		t.Errorf("summary offers to verify a call with no safety code:\n%s", v)
	}
	golden(t, "summary_via_sip_80x24", d.m.Content())
	if pins, _ := keys.Pins("+12025550101"); len(pins) != 1 || !pins[0].Key.Equal(k) || !pins[0].Verified {
		t.Fatalf("pins changed: %+v", pins)
	}
}
