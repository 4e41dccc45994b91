package dnsserver

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// clock is a settable clock for the rate limit.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLimiter(t *testing.T) {
	a, a2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.200") // one /24
	b := netip.MustParseAddr("198.51.100.1")
	v6, v6same, v6other := netip.MustParseAddr("2001:db8:0:1::1"), netip.MustParseAddr("2001:db8:0:ff::1"), netip.MustParseAddr("2001:db8:0:100::1")
	type step struct {
		advance time.Duration
		ip      netip.Addr
		want    rrlAction
	}
	for _, tc := range []struct {
		name        string
		rate        float64
		burst, slip int
		steps       []step
	}{
		{"burst, then slip every 2nd", 1, 2, 2, []step{
			{0, a, rrlSend}, {0, a2, rrlSend}, {0, a, rrlSlip}, {0, a, rrlDrop}, {0, a, rrlSlip}, {0, a, rrlDrop}}},
		{"another prefix has its own bucket", 1, 1, 2, []step{
			{0, a, rrlSend}, {0, a, rrlSlip}, {0, b, rrlSend}, {0, a, rrlDrop}}},
		{"refills at the rate", 10, 1, 2, []step{
			{0, a, rrlSend}, {0, a, rrlSlip}, {50 * time.Millisecond, a, rrlDrop}, {50 * time.Millisecond, a, rrlSend}}},
		{"never more than the burst", 10, 2, 2, []step{
			{time.Hour, a, rrlSend}, {0, a, rrlSend}, {0, a, rrlSlip}}},
		{"slip 1 truncates all", 1, 1, 1, []step{{0, a, rrlSend}, {0, a, rrlSlip}, {0, a, rrlSlip}}},
		{"slip off drops all", 1, 1, 0, []step{{0, a, rrlSend}, {0, a, rrlDrop}, {0, a, rrlDrop}}},
		{"IPv6 /56", 1, 1, 2, []step{
			{0, v6, rrlSend}, {0, v6same, rrlSlip}, {0, v6other, rrlSend}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1_800_000_000, 0)}
			l := newLimiter(tc.rate, tc.burst, tc.slip, c.Now)
			for i, s := range tc.steps {
				c.Advance(s.advance)
				if got := l.take(s.ip); got != s.want {
					t.Fatalf("step %d (%v): %d, want %d", i, s.ip, got, s.want)
				}
			}
		})
	}
}

// TestLimiterTableBounded: spoofed sources cannot grow the table past its
// bound; those that do not fit share the overflow bucket.
func TestLimiterTableBounded(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	l := newLimiter(1, 1, 2, c.Now)
	for i := range 2 * rrlMaxBuckets {
		l.take(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), 1}))
	}
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].buckets)
	}
	if n > rrlMaxBuckets {
		t.Fatalf("%d buckets, bound %d", n, rrlMaxBuckets)
	}
	// Once they have refilled, the table makes room again.
	c.Advance(2 * time.Second)
	fresh := netip.MustParseAddr("203.0.113.1")
	if l.take(fresh) != rrlSend || l.take(fresh) != rrlSlip {
		t.Fatal("a new source after the sweep is not limited on its own bucket")
	}
}

// rrlServer serves with the given limit on a frozen clock.
func rrlServer(t *testing.T, rate float64, burst, slip int) (*Server, string, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s, err := New(Config{Resolver: standardResolver(), Rate: rate, Burst: burst, Slip: slip, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, serve(t, s), c
}

// TestRateLimitOverUDP: a real UDP client from one /24 sending more than
// the burst gets the burst answered, every 2nd response after it truncated
// and empty, the rest nothing; a client in another /24 and the same client
// over TCP are answered meanwhile; once the bucket refills, so is it.
func TestRateLimitOverUDP(t *testing.T) {
	const burst, sent = 5, 20
	s, addr, c := rrlServer(t, burst, burst, 2)
	to := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr))
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP("127.0.1.2")})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for i := range sent {
		q := query("15551234567.dialtone.internal.", dns.TypeA)
		q.Id = uint16(i + 1)
		b, _ := q.Pack()
		if _, err := pc.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
	}
	over := sent - burst
	wantTC := (over + 1) / 2
	full, tc := 0, 0
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	for full+tc < burst+wantTC {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d answers and %d truncated: %v", full, tc, err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		switch {
		case m.Truncated && len(m.Answer) == 0 && len(m.Ns) == 0:
			tc++
		case !m.Truncated && len(m.Answer) == 1:
			full++
		default:
			t.Fatalf("reply %v", m)
		}
	}
	if full != burst || tc != wantTC {
		t.Fatalf("%d answers and %d truncated, want %d and %d", full, tc, burst, wantTC)
	}
	waitFor(t, func() bool {
		st := s.Stats()
		return st.RateLimited == uint64(over-wantTC) && st.Slipped == uint64(wantTC)
	})

	// The same source over TCP, and another /24 over UDP, are answered.
	q := query("15551234567.dialtone.internal.", dns.TypeA)
	if m := exchangeFrom(t, "tcp", "127.0.1.2", addr, q); m.Truncated || len(m.Answer) != 1 {
		t.Fatalf("over TCP: %v", m)
	}
	if m := exchangeFrom(t, "udp", "127.0.2.2", addr, q); m.Truncated || len(m.Answer) != 1 {
		t.Fatalf("another /24: %v", m)
	}
	// The bucket refills.
	c.Advance(time.Second)
	if m := exchangeFrom(t, "udp", "127.0.1.3", addr, q); m.Truncated || len(m.Answer) != 1 {
		t.Fatalf("after a second: %v", m)
	}
}

func exchangeFrom(t *testing.T, network, src, addr string, q *dns.Msg) *dns.Msg {
	t.Helper()
	var local net.Addr = &net.UDPAddr{IP: net.ParseIP(src)}
	if network == "tcp" {
		local = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c := &dns.Client{Net: network, Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: local}}
	m, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s query from %s: %v", network, src, err)
	}
	return m
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond) // polling counters, bounded by deadline
	}
}

// TestRateLimitDig: dig over the limit sees TC and, left to itself,
// retries over TCP and gets the answer; dig from another /24 does not see
// TC at all.
func TestRateLimitDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Fatal("dig is not on PATH (Debian package dnsutils; make deps installs it)")
	}
	_, addr, _ := rrlServer(t, 1, 1, 1)
	host, port, _ := net.SplitHostPort(addr)
	run := func(src string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		args = append([]string{"@" + host, "-p", port, "-b", src, "+time=2", "+tries=1", "15551234567.dialtone.internal", "A"}, args...)
		out, err := exec.CommandContext(ctx, dig, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, step := range []struct {
		src     string
		args    []string
		want    []string
		notWant string
	}{
		{"127.0.5.2", []string{"+ignore"}, []string{"flags: qr aa rd;", "ANSWER: 1", "127.77.0.1"}, "Truncated"},
		{"127.0.5.2", []string{"+ignore"}, []string{"flags: qr tc rd;", "ANSWER: 0"}, "127.77.0.1"},
		{"127.0.5.2", nil, []string{"Truncated, retrying in TCP mode", "ANSWER: 1", "127.77.0.1"}, ""},
		{"127.0.6.2", []string{"+ignore"}, []string{"flags: qr aa rd;", "ANSWER: 1", "127.77.0.1"}, "Truncated"},
	} {
		out := run(step.src, step.args...)
		rest := out
		for _, w := range step.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Fatalf("dig from %s %v lacks %q (in order):\n%s", step.src, step.args, w, out)
			}
			rest = rest[i+len(w):]
		}
		if step.notWant != "" && strings.Contains(out, step.notWant) {
			t.Fatalf("dig from %s %v has %q:\n%s", step.src, step.args, step.notWant, out)
		}
	}
}
