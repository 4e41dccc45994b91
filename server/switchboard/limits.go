package switchboard

import (
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
)

// DialLimits bound how far one caller can tie up other people's numbers
// and the server's records. A source is the address a connection comes
// from: an IPv4 address, or the /64 an IPv6 address is in (one host
// commonly holds the whole /64). Zero fields take the defaults.
type DialLimits struct {
	// Off turns every dial limit off (load tests on one address).
	Off bool
	// RingingPerCaller is how many outgoing calls one number may have
	// ringing at once; default 1. A person rings one number at a time;
	// more is how one caller fills someone's slots.
	RingingPerCaller int
	// RingingPerSource is how many outgoing calls may ring at once from one
	// source, whatever numbers they come from (registration is open by
	// default, so numbers cost nothing); default 4, room for a few people
	// behind one NAT.
	RingingPerSource int
	// PairPerMinute is how many dials a minute one number may make to one
	// number (a burst of that many, refilled over the minute); default 10.
	PairPerMinute int
	// SourcePerMinute is how many dials a minute one source may make;
	// default 60. It bounds the call records a source can create.
	SourcePerMinute int
}

func (l *DialLimits) validate() {
	for _, f := range []struct {
		v   *int
		def int
	}{{&l.RingingPerCaller, 1}, {&l.RingingPerSource, 4}, {&l.PairPerMinute, 10}, {&l.SourcePerMinute, 60}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
}

// limits is the switchboard's dial-limit state; it lives under sb.mu.
type limits struct {
	cfg       DialLimits
	ringing   map[string]int // ringing outgoing calls by source
	pairs     map[[2]number.Number]*rate.Limiter
	sources   map[string]*rate.Limiter
	lastSweep time.Time
}

func newLimits(cfg DialLimits) *limits {
	return &limits{cfg: cfg, ringing: make(map[string]int),
		pairs: make(map[[2]number.Number]*rate.Limiter), sources: make(map[string]*rate.Limiter)}
}

// sweepAbove is the number of rate buckets above which idle ones (full
// again, so forgetting them changes nothing) are swept, at most once a
// minute.
const sweepAbove = 4096

// sourceKey names the source of a connection's remote address.
func sourceKey(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return remote
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}

// admitDial checks the dial rates for a dial from s to to at now, and
// takes a token from each bucket if they all have one. It returns the
// refusal to send, or "".
func (l *limits) admitDial(s *session, to number.Number, now time.Time) string {
	if l.cfg.Off || s.service {
		return ""
	}
	l.sweep(now)
	src := bucketFor(l.sources, s.source, l.cfg.SourcePerMinute)
	pair := bucketFor(l.pairs, [2]number.Number{s.number, to}, l.cfg.PairPerMinute)
	if src.TokensAt(now) < 1 {
		return fmt.Sprintf("more than %d dials a minute from your address; try again in a minute", l.cfg.SourcePerMinute)
	}
	if pair.TokensAt(now) < 1 {
		return fmt.Sprintf("more than %d dials a minute to %s; try again in a minute", l.cfg.PairPerMinute, to)
	}
	src.AllowN(now, 1)
	pair.AllowN(now, 1)
	return ""
}

func bucketFor[K comparable](m map[K]*rate.Limiter, k K, perMinute int) *rate.Limiter {
	b := m[k]
	if b == nil {
		b = rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), perMinute)
		m[k] = b
	}
	return b
}

func (l *limits) sweep(now time.Time) {
	if len(l.pairs)+len(l.sources) < sweepAbove || now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	sweepFull(l.pairs, now, float64(l.cfg.PairPerMinute))
	sweepFull(l.sources, now, float64(l.cfg.SourcePerMinute))
}

func sweepFull[K comparable](m map[K]*rate.Limiter, now time.Time, full float64) {
	for k, b := range m {
		if b.TokensAt(now) >= full {
			delete(m, k)
		}
	}
}

// admitRinging checks that s may have one more outgoing call ringing.
func (l *limits) admitRinging(s *session) string {
	if l.cfg.Off || s.service {
		return ""
	}
	ringing := 0
	for _, cl := range s.line().calls {
		if cl.state == stateRinging && cl.caller == s.number {
			ringing++
		}
	}
	if ringing >= l.cfg.RingingPerCaller {
		return "a call of yours is still ringing; cancel it before you dial again"
	}
	if l.ringing[s.source] >= l.cfg.RingingPerSource {
		return fmt.Sprintf("%d calls from your address are ringing already", l.ringing[s.source])
	}
	return ""
}

// ring counts cl, which has just started ringing, against its source.
func (l *limits) ring(cl *call) {
	cl.source = cl.from.source
	cl.ringCounted = true
	l.ringing[cl.source]++
}

// unring stops counting cl once it no longer rings.
func (l *limits) unring(cl *call) {
	if !cl.ringCounted {
		return
	}
	cl.ringCounted = false
	if l.ringing[cl.source]--; l.ringing[cl.source] <= 0 {
		delete(l.ringing, cl.source)
	}
}

// roomFor reports whether callee has room for a call from s. Its active
// calls and its own outgoing calls each take a slot; its incoming ringing
// calls take one slot per source, so that one caller (or one address with
// many numbers) ringing it takes one slot however often it dials, and the
// next caller still gets through, to call waiting, where the callee sees
// both and can refuse either.
func (sb *Switchboard) roomFor(callee *line, s *session) bool {
	if callee.service {
		return true
	}
	limit := sb.cfg.MaxCallsPerNumber
	if sb.limits.cfg.Off {
		return len(callee.calls) < limit
	}
	used := 0
	sources := make(map[string]bool, len(callee.calls))
	for _, cl := range callee.calls {
		if cl.state == stateRinging && cl.callee == callee.number {
			if sources[cl.source] {
				continue
			}
			sources[cl.source] = true
		}
		used++
	}
	if !sources[s.source] {
		used++
	}
	return used <= limit
}

// dialLimited answers m with the dial-limited error.
func (sb *Switchboard) dialLimited(c *Conn, m *wire.Message, why string) {
	sb.stats.dialLimited.Add(1)
	c.reply(m, wire.CodeDialLimited, why)
}
