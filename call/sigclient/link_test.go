package sigclient

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
)

// The client signs a link certificate only while a code of its own is
// good, once per code, and only for its own number: a server cannot get a
// device in that no code of the user's let in.
func TestAnswerLinkSignsOnlyWithACode(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	c, err := New(Config{URL: "ws://127.0.0.1:1/v1", Number: "+15550100001", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	newKey, _, _ := ed25519.GenerateKey(nil)
	req := func(number string) *wire.Message {
		return &wire.Message{Type: wire.TypeLinkRequest, Number: number, Device: "laptop", Key: newKey, At: 1_800_000_000}
	}
	queued := func() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.outq) }

	c.answerLink(req("+15550100001"))
	if queued() != 0 {
		t.Fatal("signed without a link code")
	}
	c.mu.Lock()
	c.link = linkOffer{until: time.Now().Add(-time.Second)}
	c.mu.Unlock()
	c.answerLink(req("+15550100001"))
	if queued() != 0 {
		t.Fatal("signed with an expired link code")
	}
	c.mu.Lock()
	c.link = linkOffer{until: time.Now().Add(time.Minute)}
	c.mu.Unlock()
	c.answerLink(req("+15550100002"))
	if queued() != 0 {
		t.Fatal("signed a certificate for another number")
	}
	c.answerLink(req("+15550100001"))
	c.answerLink(req("+15550100001"))
	if queued() != 1 {
		t.Fatalf("%d certificates signed for one code, want 1", queued())
	}
	m, err := wire.Decode(c.outq[0])
	if err != nil {
		t.Fatal(err)
	}
	cert := identity.LinkCert{Number: "+15550100001", Name: "laptop", Device: newKey, By: key.Public().(ed25519.PublicKey),
		At: time.Unix(1_800_000_000, 0)}
	if m.Type != wire.TypeLinkCert || identity.VerifyLink(cert, m.Sig) != nil {
		t.Fatalf("the certificate sent (%s) does not verify", m.Type)
	}
}
