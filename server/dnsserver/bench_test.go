package dnsserver

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// packWriter packs replies into a reused buffer and drops them: the cost a
// real writer pays short of the syscall.
type packWriter struct {
	recorder
	buf []byte
}

func (w *packWriter) WriteMsg(m *dns.Msg) error {
	var err error
	w.buf, err = m.PackBuffer(w.buf)
	return err
}

// BenchmarkServeDNS is the handler's cost per query with the response-rate
// limit on, every query within it (the normal path); OverLimit is a source
// over it (slip and drop).
func BenchmarkServeDNS(b *testing.B) {
	s, err := New(Config{Resolver: standardResolver(), Rate: 1e12})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		qname string
		qtype uint16
	}{
		{"A", "15551234567.dialtone.internal.", dns.TypeA},
		{"NODATA", "15557654321.dialtone.internal.", dns.TypeA},
		{"NXDOMAIN", "15559999999.dialtone.internal.", dns.TypeA},
		{"NAPTR", "7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR},
		{"REFUSED", "example.com.", dns.TypeA},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := query(bc.qname, bc.qtype)
			req.SetEdns0(1232, false)
			w := &packWriter{recorder: *newRecorder("127.0.0.1:5353", false), buf: make([]byte, 0, 512)}
			b.ReportAllocs()
			for b.Loop() {
				s.ServeDNS(w, req)
			}
		})
	}
	b.Run("OverLimit", func(b *testing.B) {
		s, err := New(Config{Resolver: standardResolver(), Rate: 1, Burst: 1, Now: func() time.Time { return time.Unix(0, 0) }})
		if err != nil {
			b.Fatal(err)
		}
		req := query("15551234567.dialtone.internal.", dns.TypeA)
		w := &packWriter{recorder: *newRecorder("127.0.0.1:5353", false), buf: make([]byte, 0, 512)}
		b.ReportAllocs()
		for b.Loop() {
			s.ServeDNS(w, req)
		}
	})
}

// BenchmarkServeUDP is queries per second through real loopback sockets and
// the miekg/dns server, several clients in flight at once.
func BenchmarkServeUDP(b *testing.B) {
	res := newFakeResolver()
	res.set("+15551234567", Entry{
		Registered: true,
		Addrs:      []netip.Addr{netip.MustParseAddr("127.77.0.1")},
		TTL:        time.Minute,
	})
	addr := serve(b, newTestServer(b, res))
	req := query("15551234567.dialtone.internal.", dns.TypeA)
	b.ReportAllocs()
	b.SetParallelism(4) // keep the server busy while clients wait on the kernel
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("udp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		dc := &dns.Conn{Conn: conn}
		defer dc.Close()
		for pb.Next() {
			if err := dc.WriteMsg(req); err != nil {
				b.Error(err)
				return
			}
			m, err := dc.ReadMsg()
			if err != nil {
				b.Error(err)
				return
			}
			if len(m.Answer) != 1 {
				b.Errorf("answer %v", m.Answer)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkRateLimitCost is one A query through ServeDNS with the rate
// limit off and on (within the limit), side by side in one binary.
func BenchmarkRateLimitCost(b *testing.B) {
	for _, bc := range []struct {
		name string
		rate float64
	}{{"Off", -1}, {"On", 1e12}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(Config{Resolver: standardResolver(), Rate: bc.rate})
			if err != nil {
				b.Fatal(err)
			}
			req := query("15551234567.dialtone.internal.", dns.TypeA)
			req.SetEdns0(1232, false)
			w := &packWriter{recorder: *newRecorder("127.0.0.1:5353", false), buf: make([]byte, 0, 512)}
			b.ReportAllocs()
			for b.Loop() {
				s.ServeDNS(w, req)
			}
		})
	}
}

// BenchmarkLimiterTake is the rate limit's own cost per UDP response,
// within the limit, one source and many.
func BenchmarkLimiterTake(b *testing.B) {
	l := newLimiter(1e12, 1e9, 2, time.Now)
	one := netip.MustParseAddr("192.0.2.1")
	b.Run("OneSource", func(b *testing.B) {
		for b.Loop() {
			l.take(one)
		}
	})
	b.Run("ManySources", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			l.take(netip.AddrFrom4([4]byte{10, byte(i >> 8 & 0xf), byte(i), 1})) // 4096 /24s
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.take(one)
			}
		})
	})
}

// BenchmarkFastPath is the answer path of the UDP workers: a query in
// wire form to the reply in wire form, with the rate limit on and every
// query within it. It allocates nothing.
func BenchmarkFastPath(b *testing.B) {
	s, err := New(Config{Resolver: standardResolver(), Rate: 1e12})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		qname string
		qtype uint16
	}{
		{"A", "15551234567.dialtone.internal.", dns.TypeA},
		{"NODATA", "15557654321.dialtone.internal.", dns.TypeA},
		{"NXDOMAIN", "15559999999.dialtone.internal.", dns.TypeA},
		{"NAPTR", "7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR},
		{"REFUSED", "example.com.", dns.TypeA},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := query(bc.qname, bc.qtype)
			req.SetEdns0(1232, false)
			raw, err := req.Pack()
			if err != nil {
				b.Fatal(err)
			}
			f := newFastPath()
			out := make([]byte, 0, ednsSize)
			src := netip.MustParseAddr("127.0.0.1")
			b.ReportAllocs()
			for b.Loop() {
				if _, handled := s.serveFast(f, raw, src, out); !handled {
					b.Fatal("not answered by the fast path")
				}
			}
		})
	}
}

// BenchmarkCompile is the cost of the first query for a name (or the first
// after its lease changed): its answer compiled through the miekg/dns path.
func BenchmarkCompile(b *testing.B) {
	s, err := New(Config{Resolver: standardResolver(), Rate: -1})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := query("15551234567.dialtone.internal.", dns.TypeA).Pack()
	if err != nil {
		b.Fatal(err)
	}
	_, key, _ := parseWire(raw, nil)
	b.ReportAllocs()
	for b.Loop() {
		if s.compile(key) == nil {
			b.Fatal("not compiled")
		}
	}
}

// BenchmarkFastPathManyNames is the answer path over as many names as
// .ci/bench-dns asks (10,000 live, 10,000 idle, 10,000 unknown, in turn),
// so that the compiled answers and the lease table do not fit the CPU's
// caches as one name's do: what a worker meets under dnsperf.
func BenchmarkFastPathManyNames(b *testing.B) {
	const n = 10000
	res := newFakeResolver()
	var queries [][]byte
	for i := range n {
		live, idle := 15550000000+i, 15551000000+i
		res.set("+"+strconv.Itoa(live), Entry{Registered: true,
			Addrs: []netip.Addr{netip.AddrFrom4([4]byte{127, 77, byte(i >> 8), byte(i)})}, TTL: time.Hour})
		res.set("+"+strconv.Itoa(idle), Entry{Registered: true})
		for _, num := range []int{live, idle, 15552000000 + i} {
			raw, err := query(strconv.Itoa(num)+".dialtone.internal.", dns.TypeA).Pack()
			if err != nil {
				b.Fatal(err)
			}
			queries = append(queries, raw)
		}
	}
	s, err := New(Config{Resolver: res, Rate: 1e12})
	if err != nil {
		b.Fatal(err)
	}
	f := newFastPath()
	out := make([]byte, 0, ednsSize)
	src := netip.MustParseAddr("127.0.0.1")
	for _, raw := range queries { // compile them all first
		s.serveFast(f, raw, src, out)
	}
	b.Run("One", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, handled := s.serveFast(f, queries[i], src, out); !handled {
				b.Fatal("not answered by the fast path")
			}
			if i++; i == len(queries) {
				i = 0
			}
		}
	})
	// As a worker answers a batch of 16 (parsed, warmed, then served),
	// per query.
	b.Run("Batch16", func(b *testing.B) {
		const n = 16
		b.ReportAllocs()
		i := 0
		var sink uintptr
		for b.Loop() {
			if i%n == 0 {
				for k := range n {
					f.batch[k].parse(queries[(i+k)%len(queries)])
				}
				sink += f.warm(f.batch[:n])
			}
			if _, handled := s.serveParsed(f, &f.batch[i%n], queries[i%len(queries)], src, out); !handled {
				b.Fatal("not answered by the fast path")
			}
			if i++; i == n*(len(queries)/n) {
				i = 0
			}
		}
		_ = sink
	})
}
