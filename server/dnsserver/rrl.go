package dnsserver

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// Response-rate limiting defaults (Config.Rate, Burst, Slip).
const (
	DefaultRate = 200 // UDP responses per second per source prefix
	DefaultSlip = 2   // over the limit, every 2nd response goes out truncated
	// rrlPrefix4 and rrlPrefix6 group sources: one IPv4 /24 or IPv6 /56
	// is one bucket, as in BIND's RRL, so that an attacker (or a victim
	// being spoofed) cannot spread over neighbouring addresses.
	rrlPrefix4, rrlPrefix6 = 24, 56
	// rrlMaxBuckets bounds the table against spoofed sources; sources that
	// do not fit share one overflow bucket, which is then limited as one.
	rrlMaxBuckets = 1 << 16
	rrlShards     = 16
)

// rrlAction is what the limiter says about one response.
type rrlAction uint8

const (
	rrlSend rrlAction = iota // within the limit
	rrlSlip                  // over it: send an empty, truncated reply
	rrlDrop                  // over it: send nothing
)

// limiter is a token bucket on UDP responses per source prefix. A
// spoofed-source flood can make the server answer a victim; capped per
// prefix, it answers the victim at most Rate/s, and mostly with small
// truncated replies that a real resolver retries over TCP, which cannot be
// spoofed.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	slip  int // every slip-th over-limit response is truncated; 0: none
	now   func() time.Time
	epoch time.Time

	shards [rrlShards]rrlShard
}

type rrlShard struct {
	mu       sync.Mutex
	buckets  map[srcKey]*bucket
	overflow bucket
	swept    time.Duration // when the table was last swept
}

type bucket struct {
	tokens float64
	last   time.Duration // since epoch
	over   uint64        // responses over the limit so far
}

func newLimiter(rate float64, burst, slip int, now func() time.Time) *limiter {
	l := &limiter{rate: rate, burst: float64(burst), slip: slip, now: now, epoch: now()}
	for i := range l.shards {
		l.shards[i].buckets = make(map[srcKey]*bucket)
		l.shards[i].overflow.tokens = l.burst
	}
	return l
}

// take decides one response to ip.
//
// The bucket refills only when it runs dry, by the time since it last
// refilled (at most Burst): a source within its limit then costs no clock
// read, which is most of the limiter's cost. It never grants more than the
// exact bucket would, Burst plus Rate per second.
func (l *limiter) take(ip netip.Addr) rrlAction {
	k := keyOf(ip)
	sh := &l.shards[(k.hi^k.lo^k.lo>>16^k.lo>>24)%rrlShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buckets[k]
	if b == nil {
		b = sh.add(k, l, l.now().Sub(l.epoch))
	}
	if b.tokens < 1 {
		now := l.now().Sub(l.epoch)
		b.tokens = min(l.burst, b.tokens+l.rate*(now-b.last).Seconds())
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return rrlSend
	}
	b.over++
	if l.slip > 0 && (b.over-1)%uint64(l.slip) == 0 {
		return rrlSlip
	}
	return rrlDrop
}

// add makes a full bucket for p, first forgetting buckets that have
// refilled (they would be made again as they are), and falling back on the
// shard's shared overflow bucket when the table is still full.
func (sh *rrlShard) add(k srcKey, l *limiter, now time.Duration) *bucket {
	if len(sh.buckets) >= rrlMaxBuckets/rrlShards {
		// A bucket untouched for burst/rate is full again, as good as
		// none. Sweep at most that often, so that a flood of new sources
		// into a full table costs a map scan per refill time, not per packet.
		full := time.Duration(l.burst / l.rate * float64(time.Second))
		if now-sh.swept >= full {
			sh.swept = now
			for k, b := range sh.buckets {
				if now-b.last >= full {
					delete(sh.buckets, k)
				}
			}
		}
		if len(sh.buckets) >= rrlMaxBuckets/rrlShards {
			return &sh.overflow
		}
	}
	b := &bucket{tokens: l.burst, last: now}
	sh.buckets[k] = b
	return b
}

// srcKey is the source prefix a response is limited under, as the
// address's 16 bytes with the host bits cleared: a cheaper map key than a
// netip.Prefix. IPv4 is kept in its IPv4-mapped form, so it cannot collide
// with a real IPv6 /56.
type srcKey struct{ hi, lo uint64 }

func keyOf(ip netip.Addr) srcKey {
	a := ip.As16()
	hi := binary.BigEndian.Uint64(a[:8])
	lo := binary.BigEndian.Uint64(a[8:])
	if ip.Is4() || ip.Is4In6() {
		return srcKey{hi, lo &^ (1<<(32-rrlPrefix4) - 1)}
	}
	return srcKey{hi &^ (1<<(64-rrlPrefix6) - 1), 0}
}
