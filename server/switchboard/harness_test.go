package switchboard

import (
	"context"
	"crypto/ed25519"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/store"
)

// outbox records what the switchboard sends one connection.
type outbox struct {
	mu      sync.Mutex
	msgs    []*wire.Message
	closed  string
	notify  chan struct{}
	discard bool // count SDP instead of keeping it, like a client that reads and drops
	sdps    int
	batches int // SendAll calls
}

func newOutbox() *outbox { return &outbox{notify: make(chan struct{}, 1)} }

func (o *outbox) Send(m *wire.Message) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed != "" {
		return false
	}
	if o.discard && m.Type == wire.TypeSDP {
		o.sdps++
		return true
	}
	o.msgs = append(o.msgs, m)
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return true
}

// SendAll takes messages the switchboard releases together, as the
// signalling transport does, so the harness runs that path too.
func (o *outbox) SendAll(ms []*wire.Message) bool {
	o.mu.Lock()
	o.batches++
	o.mu.Unlock()
	for _, m := range ms {
		if !o.Send(m) {
			return false
		}
	}
	return true
}

func (o *outbox) Close(reason string) {
	o.mu.Lock()
	o.closed = reason
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

// next waits for the first message match accepts and removes it.
func (o *outbox) next(t testing.TB, match func(*wire.Message) bool) *wire.Message {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		for i, m := range o.msgs {
			if match(m) {
				o.msgs = append(o.msgs[:i:i], o.msgs[i+1:]...)
				o.mu.Unlock()
				return m
			}
		}
		o.mu.Unlock()
		select {
		case <-o.notify:
		case <-deadline.C:
			t.Fatalf("no matching message within 10s")
		}
	}
}

func (o *outbox) expect(t testing.TB, typ wire.Type) *wire.Message {
	t.Helper()
	return o.next(t, func(m *wire.Message) bool { return m.Type == typ })
}

// board is a switchboard on a real store in a temporary directory.
type board struct {
	*Switchboard
	store *store.Store
	pool  *lease.Pool
	dir   string
}

func newBoard(t testing.TB, cfg Config) *board {
	t.Helper()
	dir := t.TempDir()
	return openBoard(t, dir, cfg)
}

func openBoard(t testing.TB, dir string, cfg Config, opts ...store.Option) *board {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := lease.New(lease.Config{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Leases = st, pool
	// These tests are about records and histories, not about the relay
	// policy's scrubbing or the dial limits (limits_test.go, forward's
	// tests): their SDP is not a browser's, and they dial in loops.
	if cfg.Media == "" {
		cfg.Media = wire.MediaAuto
	}
	if cfg.DialLimits == (DialLimits{}) {
		cfg.DialLimits.Off = true
	}
	sb, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := &board{Switchboard: sb, store: st, pool: pool, dir: dir}
	t.Cleanup(func() { b.stop() })
	return b
}

func (b *board) stop() {
	b.Close()
	b.store.Close()
}

// party is one registered client.
type party struct {
	number string
	key    ed25519.PrivateKey
	conn   *Conn
	out    *outbox
	seq    uint64
	reg    *wire.Message
}

func (b *board) register(t testing.TB, number string) *party {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	p := &party{number: number, key: key}
	p.login(t, b, "", 0)
	return p
}

// login connects p afresh and registers, resuming token when it is set.
func (p *party) login(t testing.TB, b *board, token string, last uint64) *wire.Message {
	t.Helper()
	p.out = newOutbox()
	p.conn = b.Connect(p.out, "test")
	p.send(&wire.Message{Type: wire.TypeHello, Number: p.number, Key: p.key.Public().(ed25519.PublicKey), Resume: token, Last: last})
	ch := p.out.expect(t, wire.TypeChallenge)
	p.send(&wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(p.key, wire.ProofMessage(p.number, ch.Nonce))})
	p.reg = p.out.next(t, func(m *wire.Message) bool { return m.Type == wire.TypeRegistered || m.Type == wire.TypeError })
	if p.reg.Type != wire.TypeRegistered {
		t.Fatalf("registering %s: %s %s", p.number, p.reg.Code, p.reg.Message)
	}
	return p.reg
}

func (p *party) send(m *wire.Message) uint64 {
	p.seq++
	m.Seq = p.seq
	p.conn.Handle(context.Background(), m)
	return m.Seq
}

// setUp sets up an active call from a to b and returns its ID.
func setUp(t testing.TB, a, b *party) wire.CallID {
	t.Helper()
	a.send(&wire.Message{Type: wire.TypeDial, To: b.number})
	id := a.out.expect(t, wire.TypeRinging).Call
	b.out.expect(t, wire.TypeIncoming)
	b.send(&wire.Message{Type: wire.TypeAccept, Call: id})
	a.out.expect(t, wire.TypeAccepted)
	b.out.expect(t, wire.TypeAccepted)
	return id
}

// reset forgets the messages not yet consumed.
func (o *outbox) reset() {
	o.mu.Lock()
	o.msgs = nil
	o.mu.Unlock()
}

// snapshot returns the messages not yet consumed.
func (o *outbox) snapshot() []*wire.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*wire.Message(nil), o.msgs...)
}
