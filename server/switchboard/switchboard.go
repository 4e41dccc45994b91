package switchboard

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
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
	// MaxHistoryBytes bounds the bytes of messages one session keeps for a
	// resume; default 256 KiB. MaxHistoryTotal bounds them across the
	// server; default 64 MiB. See history.go for what a resume then gets.
	MaxHistoryBytes, MaxHistoryTotal int
	// KeepHistory is how long a sent message is kept for a resume; it must
	// cover the transport's idle timeout plus Grace. Default 2 minutes.
	// Histories are trimmed to it on a timer, not only when the next
	// message comes.
	KeepHistory time.Duration
	// Heartbeat is how often the store is told that the open calls are
	// still alive; a call cut by a crash is recorded as ending at its last
	// heartbeat. Default 2s.
	Heartbeat time.Duration
	// RecordsKeep is how long call records are kept; older ended calls are
	// deleted in bounded passes once a minute. Zero keeps them for ever.
	RecordsKeep time.Duration
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
	setDefault(&c.Heartbeat, 2*time.Second)
	if c.MaxHistoryBytes <= 0 {
		c.MaxHistoryBytes = 256 << 10
	}
	if c.MaxHistoryTotal <= 0 {
		c.MaxHistoryTotal = 64 << 20
	}
	if c.RecordsKeep < 0 {
		return fmt.Errorf("records-keep %v is negative", c.RecordsKeep)
	}
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
	releasing  []*wire.Message         // deliver's scratch list, under mu
	lines      map[number.Number]*line // numbers with a session (connected or in grace) or a call
	tokens     map[string]*session
	calls      map[wire.CallID]*call
	registered *numberSet // every subscriber and service, for DNS and unavailable; its own lock
	services   map[number.Number]string
	closed     bool
	limits     *limits
	gw         Gateway // may be nil
	links      *linkState

	recs recordQueue // store writes, committed in order before what they acknowledge is sent
	hist historyTotal
	sec  *effects // the locked section now running
	done chan struct{}
	wg   sync.WaitGroup

	stats counters
}

type counters struct {
	registrations, authFailures, dials, accepted, refused, cancelled atomic.Uint64
	noAnswer, unavailable, busy, hangups, peerLost, noCapacity       atomic.Uint64
	resumes, resumesRefused, candidatesDropped, dialLimited          atomic.Uint64
}

// New returns a switchboard that knows the subscribers already in the store.
func New(ctx context.Context, cfg Config) (*Switchboard, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sb := &Switchboard{
		cfg:        cfg,
		log:        cfg.Logger,
		lines:      make(map[number.Number]*line),
		links:      newLinkState(),
		tokens:     make(map[string]*session),
		calls:      make(map[wire.CallID]*call),
		registered: newNumberSet(),
		services:   make(map[number.Number]string),
		limits:     newLimits(cfg.DialLimits),
		done:       make(chan struct{}),
	}
	sb.recs.init()
	subs, err := cfg.Store.Subscribers(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading subscribers: %w", err)
	}
	for _, s := range subs {
		sb.registered.add(number.Number(s.Number))
	}
	if err := sb.recover(ctx); err != nil {
		return nil, err
	}
	if sb.links.lastRemoval, err = cfg.Store.LastRemoval(ctx); err != nil {
		return nil, err
	}
	sb.wg.Add(2)
	go sb.writeRecords()
	go sb.maintain()
	return sb, nil
}

// Close ends every call (parties are told once the ends are recorded),
// stops the timers, and writes out the records still queued.
func (sb *Switchboard) Close() {
	first := false
	sb.locked(func(fx *effects) {
		if sb.closed {
			return
		}
		sb.closed, first = true, true
		for _, c := range sb.sortedCalls() {
			sb.endCall(c, wire.ReasonShutdown, nil, fx)
		}
	})
	if first {
		// The ends are recorded and their messages delivered before the
		// connections close.
		_ = sb.flushRecords(context.Background())
	}
	sb.locked(func(fx *effects) {
		if !first {
			return
		}
		for _, s := range sb.allSessions() {
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
	slices.SortFunc(cs, byID)
	return cs
}

// maintain renews the leases of live calls and reclaims expired ones, trims
// the resume histories, beats the open calls' heartbeat and expires old
// records.
func (sb *Switchboard) maintain() {
	defer sb.wg.Done()
	t := time.NewTicker(sb.cfg.RenewEvery)
	defer t.Stop()
	trim := time.NewTicker(max(sb.cfg.KeepHistory/4, 10*time.Millisecond))
	defer trim.Stop()
	beat := time.NewTicker(sb.cfg.Heartbeat)
	defer beat.Stop()
	keep := time.NewTicker(time.Minute)
	defer keep.Stop()
	for {
		select {
		case <-sb.done:
			return
		case <-t.C:
			sb.renewAndSweep()
		case <-trim.C:
			sb.trimHistories()
		case <-beat.C:
			sb.heartbeat()
			sb.pollRemovals()
		case <-keep.C:
			sb.expireRecords()
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
			if l := sb.lines[n]; l != nil {
				for _, c := range sortedCalls(l.calls) {
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

// callIDEncoding is base32 with its alphabet in ASCII order, so IDs sort as
// their bytes do.
var callIDEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// newCallID leads with the time in milliseconds, so the store's index on
// call IDs grows at its end: with random IDs nearly every call in a commit
// dirtied an index page of its own, and the WAL wrote them all. The 10
// random bytes after the time keep IDs unguessable.
func newCallID(now time.Time) wire.CallID {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return wire.CallID(callIDEncoding.EncodeToString(b[:]))
}

// debug reports whether debug logs are kept: the calls' logs are built
// only then, since building their attributes allocates on every call.
func (sb *Switchboard) debug() bool {
	return sb.log.Enabled(context.Background(), slog.LevelDebug)
}

func addrString(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

var errClosed = errors.New("the switchboard is closed")
