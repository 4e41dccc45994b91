package lease

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// benchClock is a fake clock without a lock: a benchmark drives the pool
// from one goroutine.
type benchClock struct{ t time.Time }

func (c *benchClock) Now() time.Time { return c.t }

func benchPool(b *testing.B, prefix string, lo, hi uint16) (*Pool, *benchClock) {
	b.Helper()
	clk := &benchClock{t: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}
	p, err := New(Config{Prefixes: []netip.Prefix{netip.MustParsePrefix(prefix)}, PortLo: lo, PortHi: hi, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	return p, clk
}

func numbers(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+%s%07d", prefix, i)
	}
	return out
}

// benchChurn acquires and releases distinct numbers, stepping the clock so
// that about holdDown/step addresses are in hold-down at a time.
func benchChurn(b *testing.B, p *Pool, clk *benchClock, step time.Duration) {
	b.Helper()
	nums := numbers("1666", 1<<14)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n := nums[i%len(nums)]
		if _, err := p.Acquire(n); err != nil {
			b.Fatal(err)
		}
		if _, ok := p.Release(n); !ok {
			b.Fatal("release: no lease")
		}
		clk.t = clk.t.Add(step)
	}
}

// fill leases numbers until the pool is frac full.
func fill(b *testing.B, p *Pool, frac float64) {
	b.Helper()
	want := int(float64(p.Stats().Capacity) * frac)
	for _, n := range numbers("1555", want) {
		if _, err := p.Acquire(n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcquireRelease is a call set-up and tear-down on the default
// local pool: a /16 with 10000 ports.
func BenchmarkAcquireRelease(b *testing.B) {
	p, clk := benchPool(b, "127.77.0.0/16", 40000, 49999)
	benchChurn(b, p, clk, time.Millisecond)
}

// BenchmarkAcquireRelease90Full churns a /16 with one port per IP while
// 90% of it is leased: the remaining IPs are found without a scan.
func BenchmarkAcquireRelease90Full(b *testing.B) {
	p, clk := benchPool(b, "127.77.0.0/16", 40000, 40000)
	fill(b, p, 0.9)
	benchChurn(b, p, clk, 20*time.Millisecond)
}

// BenchmarkAcquireReleaseOneIP90Full churns one IP with 10000 ports while
// 90% of them are leased.
func BenchmarkAcquireReleaseOneIP90Full(b *testing.B) {
	p, clk := benchPool(b, "198.51.100.7/32", 40000, 49999)
	fill(b, p, 0.9)
	benchChurn(b, p, clk, 20*time.Millisecond)
}

// BenchmarkAcquireReleaseIPv6 churns a /64 with 10000 live leases.
func BenchmarkAcquireReleaseIPv6(b *testing.B) {
	p, clk := benchPool(b, "2001:db8::/64", 40000, 49999)
	for _, n := range numbers("1555", 10000) {
		if _, err := p.Acquire(n); err != nil {
			b.Fatal(err)
		}
	}
	benchChurn(b, p, clk, time.Millisecond)
}

// BenchmarkAcquireExhausted is the refusal path of a full pool.
func BenchmarkAcquireExhausted(b *testing.B) {
	p, _ := benchPool(b, "198.51.100.7/32", 40000, 40999)
	fill(b, p, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Acquire("+15559999999"); !errors.Is(err, ErrExhausted) {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup is what each DNS query costs, with 10000 leases.
func BenchmarkLookup(b *testing.B) {
	p, _ := benchPool(b, "127.77.0.0/16", 40000, 49999)
	nums := numbers("1555", 10000)
	for _, n := range nums {
		p.Acquire(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, ok := p.Lookup(nums[i%len(nums)]); !ok {
			b.Fatal("lookup: no lease")
		}
	}
}

// BenchmarkRenew renews leases among 10000, each a heap fix.
func BenchmarkRenew(b *testing.B) {
	p, clk := benchPool(b, "127.77.0.0/16", 40000, 49999)
	nums := numbers("1555", 10000)
	for _, n := range nums {
		p.Acquire(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		clk.t = clk.t.Add(time.Microsecond)
		if _, err := p.Renew(nums[i%len(nums)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweep reclaims 10000 expired leases 100 at a time (ns/op is per
// lease).
func BenchmarkSweep(b *testing.B) {
	p, clk := benchPool(b, "127.77.0.0/16", 40000, 49999)
	nums := numbers("1555", 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		b.StopTimer()
		for _, n := range nums[:min(len(nums), b.N-i)] {
			p.Acquire(n)
		}
		clk.t = clk.t.Add(DefaultTTL + DefaultHoldDown)
		b.StartTimer()
		for {
			got := p.Sweep(100)
			i += len(got)
			if len(got) < 100 {
				break
			}
		}
	}
}
