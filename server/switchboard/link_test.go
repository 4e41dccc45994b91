package switchboard

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/store"
)

// tryLink registers a new key for number with a link code from remote, and
// returns the server's answer (registered, or the error).
func (b *board) tryLink(t *testing.T, number, code, remote string) *wire.Message {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	p := &party{number: number, key: key, out: newOutbox()}
	p.conn = b.Connect(p.out, remote)
	p.send(&wire.Message{Type: wire.TypeHello, Number: number, Key: key.Public().(ed25519.PublicKey), Link: code, Device: "x"})
	ch := p.out.expect(t, wire.TypeChallenge)
	p.send(&wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(key, wire.ProofMessage(number, ch.Nonce))})
	return p.out.next(t, func(m *wire.Message) bool { return m.Type == wire.TypeRegistered || m.Type == wire.TypeError })
}

// TestLinkAttemptsPerSource: one address may try link codes on any
// numbers 10 times, then one every 30 s, while another address still may;
// the addresses of one IPv6 /64 count as one.
func TestLinkAttemptsPerSource(t *testing.T) {
	for _, tc := range []struct {
		name            string
		source, sibling string // sibling counts as source; other does not
		other           string
	}{
		{"IPv4", "192.0.2.1:4000", "192.0.2.1:4001", "192.0.2.2:4000"},
		{"IPv6 /64", "[2001:db8:1:2::1]:4000", "[2001:db8:1:2:ffff::9]:4000", "[2001:db8:1:3::1]:4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBoard(t, Config{})
			// Each attempt names another number, so the number's own
			// limit (5) is never what refuses.
			for i := range linkSourceBurst {
				from := tc.source
				if i%2 == 1 {
					from = tc.sibling
				}
				if m := b.tryLink(t, fmt.Sprintf("+1555000%04d", i), "AAAA-BBBB-CCCC-DDDD", from); m.Code != wire.CodeLinkInvalid {
					t.Fatalf("attempt %d: %s %s %s", i+1, m.Type, m.Code, m.Message)
				}
			}
			m := b.tryLink(t, "+15550009999", "AAAA-BBBB-CCCC-DDDD", tc.sibling)
			if m.Code != wire.CodeLinkLimited || !strings.Contains(m.Message, "from your address") {
				t.Fatalf("attempt %d from the address: %s %s %s", linkSourceBurst+1, m.Type, m.Code, m.Message)
			}
			if m := b.tryLink(t, "+15550009999", "AAAA-BBBB-CCCC-DDDD", tc.other); m.Code != wire.CodeLinkInvalid {
				t.Fatalf("another address: %s %s %s", m.Type, m.Code, m.Message)
			}
		})
	}
}

// TestLinkCodeExpires: a code is good for five minutes; after, the new
// device is told it expired, in its own code.
func TestLinkCodeExpires(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b := openBoard(t, t.TempDir(), Config{}, store.WithClock(clock))
	root := b.register(t, "+15550000002")
	seq := root.send(&wire.Message{Type: wire.TypeLinkNew})
	code := root.out.next(t, func(m *wire.Message) bool { return m.Re == seq })
	if code.Type != wire.TypeLinkCode || code.TTLS != int(wire.LinkTTL/time.Second) {
		t.Fatalf("link-new: %s %s ttl %d", code.Type, code.Code, code.TTLS)
	}
	mu.Lock()
	now = now.Add(wire.LinkTTL + time.Second)
	mu.Unlock()
	m := b.tryLink(t, root.number, code.Link, "192.0.2.1:4000")
	if m.Code != wire.CodeLinkExpired || !strings.Contains(m.Message, "expired") {
		t.Fatalf("an expired code: %s %s %s", m.Type, m.Code, m.Message)
	}
}
