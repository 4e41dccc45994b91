package switchboard

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/relay"
	"github.com/dialtone/dialtone/server/store"
)

// Registration policies.
const (
	RegistrationOpen   = "open"
	RegistrationInvite = "invite"
)

// Log attribute keys.
const (
	keyNumber = "number"
	keyCall   = "call.id"
	keyLease  = "lease.addr"
)

// Relay is what the switchboard needs of the media relay. It may be nil:
// then calls carry no relay credentials and media goes direct.
type Relay interface {
	Credentials(callID, number string) relay.Credentials
	EndCall(callID string)
	Release(number string)
}

// Config describes a Switchboard.
type Config struct {
	Store  *store.Store // required
	Leases *lease.Pool  // required
	Relay  Relay        // optional

	// Registration is RegistrationOpen (default) or RegistrationInvite.
	Registration string
	// Media is wire.MediaRelay (default) or wire.MediaAuto.
	Media string
	// ServerName is sent in challenges; default "dialtone".
	ServerName string
	// RingTimeout ends an unanswered call; default 30s.
	RingTimeout time.Duration
	// Grace is how long a dropped client's calls wait for it to resume;
	// default 10s.
	Grace time.Duration
	// Keepalive is the ping interval clients are told to keep; default 10s.
	Keepalive time.Duration
	// MaxCallsPerNumber bounds the calls (ringing or active) one number takes
	// part in; the next dial to it is answered busy. Default 2 (one call and
	// one waiting).
	MaxCallsPerNumber int
	// DialLimits bound ringing calls and dial rates per caller and source.
	DialLimits DialLimits
	// MaxPending bounds the messages a session keeps for a resume; default 256.
	MaxPending int
	// KeepHistory is how long a sent message is kept for a resume; it must
	// cover the transport's idle timeout plus Grace. Default 2 minutes.
	KeepHistory time.Duration
	// RenewEvery is how often live calls renew their leases and expired
	// leases are swept; default a third of the lease TTL.
	RenewEvery time.Duration

	Logger *slog.Logger
	Now    func() time.Time
}

func (c *Config) validate() error {
	if c.Store == nil || c.Leases == nil {
		return errors.New("switchboard needs a store and a lease pool")
	}
	switch c.Registration {
	case "":
		c.Registration = RegistrationOpen
	case RegistrationOpen, RegistrationInvite:
	default:
		return fmt.Errorf("registration policy %q: want %q or %q", c.Registration, RegistrationOpen, RegistrationInvite)
	}
	switch c.Media {
	case "":
		c.Media = wire.MediaRelay
	case wire.MediaRelay, wire.MediaAuto:
	default:
		return fmt.Errorf("media policy %q: want %q or %q", c.Media, wire.MediaRelay, wire.MediaAuto)
	}
	if c.ServerName == "" {
		c.ServerName = "dialtone"
	}
	setDefault(&c.RingTimeout, 30*time.Second)
	setDefault(&c.Grace, 10*time.Second)
	setDefault(&c.Keepalive, 10*time.Second)
	setDefault(&c.RenewEvery, 10*time.Second)
	if c.MaxCallsPerNumber <= 0 {
		c.MaxCallsPerNumber = 2
	}
	c.DialLimits.validate()
	if c.MaxPending <= 0 {
		c.MaxPending = 256
	}
	setDefault(&c.KeepHistory, 2*time.Minute)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Switchboard coordinates registrations and calls.
type Switchboard struct {
	cfg Config
	log *slog.Logger

	mu         sync.Mutex
	sessions   map[number.Number]*session // registered numbers with a session (connected or in grace)
	tokens     map[string]*session
	calls      map[wire.CallID]*call
	registered map[number.Number]bool // every subscriber and service, for DNS and unavailable
	services   map[number.Number]string
	closed     bool
	limits     *limits

	records chan record // store writes that need not hold up a call
	done    chan struct{}
	wg      sync.WaitGroup

	stats counters
}

type counters struct {
	registrations, authFailures, dials, accepted, refused, cancelled atomic.Uint64
	noAnswer, unavailable, busy, hangups, peerLost, noCapacity       atomic.Uint64
	resumes, candidatesDropped, dialLimited                          atomic.Uint64
}

// New returns a switchboard that knows the subscribers already in the store.
func New(ctx context.Context, cfg Config) (*Switchboard, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sb := &Switchboard{
		cfg:        cfg,
		log:        cfg.Logger,
		sessions:   make(map[number.Number]*session),
		tokens:     make(map[string]*session),
		calls:      make(map[wire.CallID]*call),
		registered: make(map[number.Number]bool),
		services:   make(map[number.Number]string),
		limits:     newLimits(cfg.DialLimits),
		records:    make(chan record, 4096),
		done:       make(chan struct{}),
	}
	subs, err := cfg.Store.Subscribers(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading subscribers: %w", err)
	}
	for _, s := range subs {
		sb.registered[number.Number(s.Number)] = true
	}
	open, err := cfg.Store.OpenCalls(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading open calls: %w", err)
	}
	for _, c := range open {
		// The server stopped without ending these; they cannot be live now.
		if err := cfg.Store.EndCall(ctx, c.CallID, cfg.Now(), "server-restart"); err != nil {
			return nil, fmt.Errorf("closing call %s left open: %w", c.CallID, err)
		}
	}
	sb.wg.Add(2)
	go sb.writeRecords()
	go sb.maintain()
	return sb, nil
}

// Close ends every call (parties are told), stops the timers, and writes out
// the records still queued.
func (sb *Switchboard) Close() {
	sb.locked(func(fx *effects) {
		if sb.closed {
			return
		}
		sb.closed = true
		for _, c := range sb.sortedCalls() {
			sb.endCall(c, wire.ReasonShutdown, nil, fx)
		}
		for _, s := range sb.sessions {
			if s.out != nil {
				s.out.Send(&wire.Message{Type: wire.TypeError, Code: wire.CodeShutdown, Message: "the server is shutting down"})
				s.out.Close("server shutting down")
			}
		}
	})
	select {
	case <-sb.done:
	default:
		close(sb.done)
	}
	sb.wg.Wait()
}

func (sb *Switchboard) sortedCalls() []*call {
	cs := make([]*call, 0, len(sb.calls))
	for _, c := range sb.calls {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	return cs
}

// effects collects work to run once the lock is released.
type effects struct{ fns []func() }

func (fx *effects) add(f func()) { fx.fns = append(fx.fns, f) }

// record is one queued store write, or (with barrier set) a marker that
// closes once every write queued before it is committed.
type record struct {
	write   func(context.Context) error
	what    string
	barrier chan struct{}
}

// record queues a store write for the record writer.
func (fx *effects) record(sb *Switchboard, f func(context.Context) error, what string) {
	fx.add(func() { sb.records <- record{write: f, what: what} })
}

func (sb *Switchboard) locked(fn func(fx *effects)) {
	var fx effects
	sb.mu.Lock()
	fn(&fx)
	sb.mu.Unlock()
	for _, f := range fx.fns {
		f()
	}
}

// maxBatch bounds how many queued writes share one transaction.
const maxBatch = 256

// writeRecords applies queued store writes in order, as many as are waiting
// in one transaction; on Close it drains them.
func (sb *Switchboard) writeRecords() {
	defer sb.wg.Done()
	batch := make([]record, 0, maxBatch)
	for {
		select {
		case r := <-sb.records:
			batch = append(batch[:0], r)
		case <-sb.done:
			for {
				select {
				case r := <-sb.records:
					sb.commit([]record{r})
				default:
					return
				}
			}
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-sb.records:
				batch = append(batch, r)
			default:
				break more
			}
		}
		sb.commit(batch)
	}
}

// commit writes a batch in one transaction, then releases its barriers.
func (sb *Switchboard) commit(batch []record) {
	ctx := context.Background()
	err := sb.cfg.Store.Batch(ctx, func(ctx context.Context) error {
		for _, r := range batch {
			if r.write == nil {
				continue
			}
			if err := r.write(ctx); err != nil {
				sb.log.Error("writing record", "what", r.what, "err", err)
			}
		}
		return nil
	})
	if err != nil {
		sb.log.Error("committing records", "records", len(batch), "err", err)
	}
	for _, r := range batch {
		if r.barrier != nil {
			close(r.barrier)
		}
	}
}

// flushRecords waits until every store write queued before it is committed.
func (sb *Switchboard) flushRecords(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case sb.records <- record{barrier: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maintain renews the leases of live calls and reclaims expired ones.
func (sb *Switchboard) maintain() {
	defer sb.wg.Done()
	t := time.NewTicker(sb.cfg.RenewEvery)
	defer t.Stop()
	for {
		select {
		case <-sb.done:
			return
		case <-t.C:
			sb.renewAndSweep()
		}
	}
}

func (sb *Switchboard) renewAndSweep() {
	sb.locked(func(fx *effects) {
		renewed := make(map[number.Number]bool)
		for _, c := range sb.calls {
			if c.state != stateActive {
				continue
			}
			for _, n := range [2]number.Number{c.caller, c.callee} {
				if !renewed[n] {
					renewed[n] = true
					if _, err := sb.cfg.Leases.Renew(string(n)); err != nil {
						sb.log.Warn("renewing lease", keyNumber, n, "err", err)
					}
				}
			}
		}
		for _, l := range sb.cfg.Leases.Sweep(1024) {
			// A lease expired under a call: its holder is gone for good.
			n := number.Number(l.Number)
			sb.log.Warn("lease expired", keyNumber, n, keyLease, l.Addr)
			if s := sb.sessions[n]; s != nil {
				for _, c := range s.sortedCalls() {
					sb.endCall(c, wire.ReasonLeaseLost, nil, fx)
				}
			}
			if sb.cfg.Relay != nil {
				fx.add(func() { sb.cfg.Relay.Release(string(n)) })
			}
		}
	})
}

func randomToken(nbytes int) string {
	b := make([]byte, nbytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var callIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newCallID() wire.CallID {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return wire.CallID(callIDEncoding.EncodeToString(b))
}

func addrString(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
