package signaling_test

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/servertest"
	"github.com/dialtone/dialtone/server/signaling"
	"github.com/dialtone/dialtone/server/store"
	"github.com/dialtone/dialtone/server/switchboard"
)

// newSignaling serves a signalling server with the given timeouts in front
// of a switchboard of its own, and returns its URL.
func newSignaling(t *testing.T, handshake, idle time.Duration) string {
	t.Helper()
	return serveSignaling(t, signaling.Config{HandshakeTimeout: handshake, IdleTimeout: idle})
}

// serveSignaling serves a signalling server configured as cfg in front of
// a switchboard of its own, and returns its URL.
func serveSignaling(t testing.TB, cfg signaling.Config) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pool, err := lease.New(lease.Config{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := switchboard.New(ctx, switchboard.Config{Store: st, Leases: pool, Media: wire.MediaAuto})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	cfg.Switchboard = sb
	sig, err := signaling.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sig)
	t.Cleanup(func() { sig.Close(context.Background()); hs.Close() })
	return "ws" + strings.TrimPrefix(hs.URL, "http") + wire.Path
}

// TestIdleTimeoutAfterRegistering: once a client has registered, the idle
// timeout holds, not the handshake's deadline. (The proof used to restart
// the clock only up to that deadline, so a phone that pings every
// keepalive, which is as long as the handshake timeout, was closed for
// "timeout" ten seconds after connecting about every other time.)
func TestIdleTimeoutAfterRegistering(t *testing.T) {
	// The handshake leaves room to register on a loaded machine under
	// -race (200 ms did not, now and then).
	const handshake, idle = time.Second, 2500 * time.Millisecond
	url := newSignaling(t, handshake, idle)
	c := servertest.Dial(t, url)
	connected := time.Now()
	c.Number, c.Key = "+15550100001", servertest.NewKey()
	if m := c.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("registering: %s %s %s", m.Type, m.Code, m.Message)
	}
	if err := c.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	// The proof went after connecting, so the close may come no sooner
	// than idle after connecting.
	if d := time.Since(connected); d < idle {
		t.Fatalf("a registered client that sent nothing was closed %v after connecting; the idle timeout is %v", d.Round(time.Millisecond), idle)
	}
}
