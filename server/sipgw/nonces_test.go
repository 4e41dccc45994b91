package sipgw

import (
	"strings"
	"testing"
	"time"
)

// TestNonceTableFull: the table of answered nonces is bounded, and a full
// one does not stop phones from authenticating: the oldest entry gives way,
// and a nonce issued no later than the one forgotten is stale from then on,
// so the request it answered still cannot be replayed. (Refusing instead
// let MaxNonces right answers within the nonces' five minutes, from one
// busy phone or a registration storm, lock everyone out.)
func TestNonceTableFull(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxNonces = 4 })
	p := dialPeer(t, "UDP", h.udp)
	var first string
	for i := range 10 {
		h.clock.add(time.Second) // each nonce a second younger than the last
		p.send(p.register(testNumber))
		chal := p.recv()
		auth := authorize(t, chal, "SHA-256", testNumber, h.password, 1)
		if i == 0 {
			first = auth
		}
		p.send(p.register(testNumber, auth))
		if got := p.recv().StatusCode; got != 200 {
			t.Fatalf("registration %d with a table of 4 answered nonces: %d, want 200", i+1, got)
		}
	}
	if n := h.g.Stats().Nonces; n != 4 {
		t.Fatalf("%d nonces remembered, want the bound 4", n)
	}
	// The first nonce was forgotten: its request sent again is challenged
	// (stale), not taken.
	p.send(p.register(testNumber, first))
	res := p.recv()
	if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("replay of a forgotten nonce: %d, want 401 stale=true", res.StatusCode)
	}
}
