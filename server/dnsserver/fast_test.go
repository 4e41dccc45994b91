package dnsserver

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/miekg/dns"
)

var (
	allowedSrc  = netip.MustParseAddr("127.0.0.1")
	outsiderSrc = netip.MustParseAddr("192.0.2.1")
)

// slowReply is what the miekg/dns path sends for the raw query from src:
// decoded, answered by ServeDNS and packed, as the miekg/dns server does.
// nil: no reply (undecodable, or the rate limit dropped it).
func slowReply(t testing.TB, s *Server, raw []byte, src netip.Addr) []byte {
	t.Helper()
	req := new(dns.Msg)
	if err := req.Unpack(raw); err != nil {
		return nil
	}
	w := newRecorder(netip.AddrPortFrom(src, 5353).String(), false)
	s.ServeDNS(w, req)
	if w.writes > 1 {
		t.Fatalf("%d replies", w.writes)
	}
	return w.raw
}

// fastReply is what the fast path sends; handled false when it leaves the
// query to miekg/dns.
func fastReply(s *Server, f *fastPath, raw []byte, src netip.Addr) (reply []byte, handled bool) {
	return s.serveFast(f, raw, src, make([]byte, 0, ednsSize))
}

// fastCases are queries of every shape the fast path answers, and some it
// must leave alone.
func fastCases() []struct {
	name string
	msg  *dns.Msg
	src  netip.Addr
	fast bool // the fast path answers it (else miekg/dns does)
} {
	q := func(name string, qtype uint16, opts ...func(*dns.Msg)) *dns.Msg {
		m := query(name, qtype)
		m.RecursionDesired = false
		for _, o := range opts {
			o(m)
		}
		return m
	}
	edns := func(size uint16, do bool) func(*dns.Msg) {
		return func(m *dns.Msg) { m.SetEdns0(size, do) }
	}
	rd := func(m *dns.Msg) { m.RecursionDesired = true }
	cd := func(m *dns.Msg) { m.CheckingDisabled = true }
	ad := func(m *dns.Msg) { m.AuthenticatedData = true }
	cookie := func(m *dns.Msg) {
		m.SetEdns0(1232, false)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0123456789abcdef"})
	}
	nsid := func(m *dns.Msg) {
		m.SetEdns0(1232, false)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID})
	}
	type tc = struct {
		name string
		msg  *dns.Msg
		src  netip.Addr
		fast bool
	}
	cases := []tc{
		{"A leased", q("15551234567.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"A leased, RD", q("15551234567.dialtone.internal.", dns.TypeA, rd), allowedSrc, true},
		{"A leased, RD CD AD", q("15551234567.dialtone.internal.", dns.TypeA, rd, cd, ad), allowedSrc, true},
		{"A leased, EDNS", q("15551234567.dialtone.internal.", dns.TypeA, edns(4096, false)), allowedSrc, true},
		{"A leased, EDNS DO", q("15551234567.dialtone.internal.", dns.TypeA, edns(1232, true)), allowedSrc, true},
		{"A leased, EDNS 100", q("15551234567.dialtone.internal.", dns.TypeA, edns(100, false)), allowedSrc, true},
		{"A leased, cookie", q("15551234567.dialtone.internal.", dns.TypeA, cookie), allowedSrc, true},
		{"A leased, NSID", q("15551234567.dialtone.internal.", dns.TypeA, nsid), allowedSrc, false},
		{"A leased, mixed case", q("15551234567.DiAlToNe.Internal.", dns.TypeA), allowedSrc, true},
		{"AAAA leased", q("15551234567.dialtone.internal.", dns.TypeAAAA), allowedSrc, true},
		{"ANY leased", q("15551234567.dialtone.internal.", dns.TypeANY), allowedSrc, true},
		{"A short lease", q("15550000001.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"AAAA NODATA", q("15550000001.dialtone.internal.", dns.TypeAAAA), allowedSrc, true},
		{"AAAA NODATA, mixed case", q("15550000001.Dialtone.INTERNAL.", dns.TypeAAAA), allowedSrc, false},
		{"TXT NODATA", q("15551234567.dialtone.internal.", dns.TypeTXT), allowedSrc, true},
		{"A offline", q("15557654321.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"A lease over", q("4930123456.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"A service code", q("600.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"A NXDOMAIN", q("15559999999.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"A NXDOMAIN, EDNS", q("15559999999.dialtone.internal.", dns.TypeA, edns(1232, false)), allowedSrc, true},
		{"A not digits", q("alice.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"A too deep", q("1.15551234567.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"NAPTR", q("7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR), allowedSrc, true},
		{"NAPTR synthesised", q("1.2.3.4.5.6.7.5.5.5.1.e164.arpa.", dns.TypeNAPTR), allowedSrc, true},
		{"NAPTR mixed case", q("7.6.5.4.3.2.1.5.5.5.1.E164.ARPA.", dns.TypeNAPTR), allowedSrc, true},
		{"ENUM partial", q("5.5.1.e164.arpa.", dns.TypeNAPTR), allowedSrc, true},
		{"ENUM A", q("7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeA), allowedSrc, true},
		{"apex SOA", q("dialtone.internal.", dns.TypeSOA), allowedSrc, true},
		{"apex NS", q("dialtone.internal.", dns.TypeNS), allowedSrc, true},
		{"apex NS, mixed case", q("Dialtone.Internal.", dns.TypeNS), allowedSrc, false},
		{"apex A", q("dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"ENUM apex SOA", q("e164.arpa.", dns.TypeSOA), allowedSrc, true},
		{"ns A", q("ns.dialtone.internal.", dns.TypeA), allowedSrc, true},
		{"ns AAAA", q("ns.dialtone.internal.", dns.TypeAAAA), allowedSrc, true},
		{"outside", q("example.com.", dns.TypeA), allowedSrc, true},
		{"root", q(".", dns.TypeNS), allowedSrc, true},
		{"outsider", q("15551234567.dialtone.internal.", dns.TypeA), outsiderSrc, true},
		{"outsider, EDNS", q("15551234567.dialtone.internal.", dns.TypeA, edns(1232, true)), outsiderSrc, true},
		{"AXFR", q("dialtone.internal.", dns.TypeAXFR), allowedSrc, false},
		{"CHAOS", withClass(q("version.bind.", dns.TypeTXT), dns.ClassCHAOS), allowedSrc, false},
		{"NOTIFY", withOpcode(q("dialtone.internal.", dns.TypeSOA), dns.OpcodeNotify), allowedSrc, false},
		{"two questions", twoQuestions("15551234567.dialtone.internal."), allowedSrc, false},
		{"underscore", q("_sip._udp.dialtone.internal.", dns.TypeSRV), allowedSrc, false},
		{"DNSKEY", q("dialtone.internal.", dns.TypeDNSKEY), allowedSrc, false},
	}
	bad := q("15551234567.dialtone.internal.", dns.TypeA, edns(1232, false))
	bad.IsEdns0().SetVersion(1)
	cases = append(cases, tc{"EDNS version 1", bad, allowedSrc, false})
	tcq := q("15551234567.dialtone.internal.", dns.TypeA)
	tcq.Truncated = true
	cases = append(cases, tc{"TC set", tcq, allowedSrc, false})
	return cases
}

// TestFastPathMatchesSlowPath asks both paths the same queries and wants
// the same bytes, and the same counters after.
func TestFastPathMatchesSlowPath(t *testing.T) {
	res := standardResolver()
	fastS, slowS := newTestServer(t, res), newTestServer(t, res)
	f := newFastPath()
	for _, tc := range fastCases() {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := tc.msg.Pack()
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // compiled, then from the cache
				got, handled := fastReply(fastS, f, raw, tc.src)
				if handled != tc.fast {
					t.Fatalf("fast path handled %v, want %v", handled, tc.fast)
				}
				if !handled {
					slowReply(t, fastS, raw, tc.src) // as the server would
				}
				want := slowReply(t, slowS, raw, tc.src)
				if handled && !bytes.Equal(got, want) {
					t.Fatalf("fast path reply differs:\n got %x\nwant %x\n%v", got, want, decoded(got))
				}
			}
		})
	}
	if got, want := fmt.Sprint(fastS.Stats()), fmt.Sprint(slowS.Stats()); got != want {
		t.Errorf("fast path counted %s, miekg path %s", got, want)
	}
}

func decoded(raw []byte) string {
	m := new(dns.Msg)
	if err := m.Unpack(raw); err != nil {
		return err.Error()
	}
	return m.String()
}

// TestFastPathFollowsLeaseChanges edits the lease table under compiled
// answers: the TTL counts down, an address changes, a lease ends, a number
// registers.
func TestFastPathFollowsLeaseChanges(t *testing.T) {
	res := newFakeResolver()
	s := newTestServer(t, res)
	f := newFastPath()
	ask := func(t *testing.T, name string) *dns.Msg {
		t.Helper()
		raw, err := query(name, dns.TypeA).Pack()
		if err != nil {
			t.Fatal(err)
		}
		got, handled := fastReply(s, f, raw, allowedSrc)
		if !handled {
			t.Fatal("not answered by the fast path")
		}
		if want := slowReply(t, s, raw, allowedSrc); !bytes.Equal(got, want) {
			t.Fatalf("fast path reply differs:\n%v\nwant\n%v", decoded(got), decoded(want))
		}
		m := new(dns.Msg)
		if err := m.Unpack(got); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const name = "15551234567.dialtone.internal."
	lease := func(addr string, life time.Duration) Entry {
		return Entry{Registered: true, Addrs: []netip.Addr{netip.MustParseAddr(addr)}, TTL: life}
	}
	steps := []struct {
		name   string
		entry  *Entry
		rcode  int
		answer string
	}{
		{"unknown", nil, dns.RcodeNameError, ""},
		{"registered", &Entry{Registered: true}, dns.RcodeSuccess, ""},
		{"leased", ptr(lease("127.77.0.1", time.Minute)), dns.RcodeSuccess, "127.77.0.1 ttl 5"},
		{"counting down", ptr(lease("127.77.0.1", 3500*time.Millisecond)), dns.RcodeSuccess, "127.77.0.1 ttl 3"},
		{"last second", ptr(lease("127.77.0.1", 200*time.Millisecond)), dns.RcodeSuccess, "127.77.0.1 ttl 1"},
		{"new address", ptr(lease("127.77.0.9", 4*time.Second)), dns.RcodeSuccess, "127.77.0.9 ttl 4"},
		{"lease over", ptr(lease("127.77.0.9", 0)), dns.RcodeSuccess, ""},
		{"unregistered", &Entry{}, dns.RcodeNameError, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.entry != nil {
				res.set("+15551234567", *st.entry)
			}
			m := ask(t, name)
			var answer string
			if len(m.Answer) == 1 {
				a := m.Answer[0].(*dns.A)
				answer = fmt.Sprintf("%s ttl %d", a.A, a.Hdr.Ttl)
			}
			if m.Rcode != st.rcode || answer != st.answer {
				t.Errorf("rcode %s answer %q, want %s %q", dns.RcodeToString[m.Rcode], answer, dns.RcodeToString[st.rcode], st.answer)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestFastPathGolden sends the golden queries through the fast path: what
// a client gets must not depend on which path answered.
func TestFastPathGolden(t *testing.T) {
	s := newTestServer(t, standardResolver())
	f := newFastPath()
	for _, g := range goldenQueries {
		t.Run(g.file, func(t *testing.T) {
			req := query(g.qname, g.qtype)
			if g.edns {
				req.SetEdns0(4096, false)
			}
			raw, err := req.Pack()
			if err != nil {
				t.Fatal(err)
			}
			got, handled := fastReply(s, f, raw, allowedSrc)
			if !handled {
				t.Fatal("not answered by the fast path")
			}
			want, err := os.ReadFile(filepath.Join("testdata", "golden", g.file+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			if d := decoded(got); d != string(want) {
				t.Errorf("fast path reply differs from the golden file:\n--- got\n%s\n--- want\n%s", d, want)
			}
		})
	}
}

// TestFastPathRateLimit: the limit holds on the fast path as on the
// miekg/dns one, slip replies included, and one query takes one token.
func TestFastPathRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	for _, src := range []netip.Addr{allowedSrc, outsiderSrc} {
		t.Run(src.String(), func(t *testing.T) {
			cfg := Config{Resolver: standardResolver(), Rate: 2, Burst: 3, Slip: 2, Now: clock}
			fastS, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			slowS, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			f := newFastPath()
			raw, err := query("15551234567.dialtone.internal.", dns.TypeA).Pack()
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for range 8 {
				got, handled := fastReply(fastS, f, raw, src)
				if !handled {
					t.Fatal("not answered by the fast path")
				}
				want := slowReply(t, slowS, raw, src)
				if !bytes.Equal(got, want) {
					t.Fatalf("fast path reply differs:\n%v\nwant\n%v", decoded(got), decoded(want))
				}
				switch {
				case got == nil:
					kinds = append(kinds, "drop")
				case got[2]&(flagTC>>8) != 0:
					kinds = append(kinds, "slip")
				default:
					kinds = append(kinds, "send")
				}
			}
			if got, want := strings.Join(kinds, " "), "send send send slip drop slip drop slip"; got != want {
				t.Errorf("replies %s, want %s", got, want)
			}
			if got, want := fmt.Sprint(fastS.Stats()), fmt.Sprint(slowS.Stats()); got != want {
				t.Errorf("fast path counted %s, miekg path %s", got, want)
			}
		})
	}
}

// fastSeeds are the corpus FuzzFastPath starts from.
func fastSeeds(t testing.TB) map[string][]byte {
	seeds := make(map[string][]byte)
	for i, tc := range fastCases() {
		raw, err := tc.msg.Pack()
		if err != nil {
			t.Fatal(err)
		}
		name := strings.NewReplacer(" ", "_", ",", "").Replace(strings.ToLower(tc.name))
		seeds[fmt.Sprintf("%02d_%s", i, name)] = raw
	}
	return seeds
}

// TestFastPathFuzzCorpus keeps FuzzFastPath's committed corpus in step
// with fastCases; -update rewrites it.
func TestFastPathFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzFastPath")
	for name, raw := range fastSeeds(t) {
		path := filepath.Join(dir, name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", raw)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(got) != want {
			t.Errorf("%s is stale (run with -update)", path)
		}
	}
}

// FuzzFastPath: whatever the fast path answers, the miekg/dns path answers
// with the same bytes; what it does not know it leaves alone.
func FuzzFastPath(f *testing.F) {
	res := standardResolver()
	fastS, slowS := newTestServer(f, res), newTestServer(f, res)
	fp := newFastPath()
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, src := range []netip.Addr{allowedSrc, outsiderSrc} {
			got, handled := fastReply(fastS, fp, raw, src)
			if !handled {
				continue
			}
			if want := slowReply(t, slowS, raw, src); !bytes.Equal(got, want) {
				t.Fatalf("from %s: fast path reply differs:\n got %x\nwant %x\n%s\nwant\n%s", src, got, want, decoded(got), decoded(want))
			}
		}
	})
}

// TestFastPathLeavesBigAnswers: an answer over 512 bytes is miekg's to
// truncate; the fast path remembers that while the lease holds, and takes
// the name back once the answer fits.
func TestFastPathLeavesBigAnswers(t *testing.T) {
	res := newFakeResolver()
	var addrs []netip.Addr
	for i := range 100 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 77, 1, byte(i)}))
	}
	res.set("+15551234567", Entry{Registered: true, Addrs: addrs, TTL: time.Minute})
	s := newTestServer(t, res)
	f := newFastPath()
	raw, err := query("15551234567.dialtone.internal.", dns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, handled := fastReply(s, f, raw, allowedSrc); handled {
			t.Fatal("the fast path answered a reply miekg/dns truncates")
		}
	}
	if f.cache.n != 1 {
		t.Fatalf("%d cache entries, want the one marked slow", f.cache.n)
	}
	res.set("+15551234567", Entry{Registered: true, Addrs: addrs[:1], TTL: time.Minute})
	got, handled := fastReply(s, f, raw, allowedSrc)
	if !handled {
		t.Fatal("not answered by the fast path once it fits")
	}
	if want := slowReply(t, s, raw, allowedSrc); !bytes.Equal(got, want) {
		t.Fatalf("fast path reply differs:\n%v\nwant\n%v", decoded(got), decoded(want))
	}
}

// TestFastPathCacheStaysBounded: more names than the cache holds are all
// answered as miekg/dns answers them, asked once or again, and the cache
// never holds more than its bound.
func TestFastPathCacheStaysBounded(t *testing.T) {
	res := newFakeResolver()
	var queries [][]byte
	for i := range 100 {
		num := 15550000000 + i
		if i%2 == 0 { // the rest are unknown: NXDOMAIN
			res.set("+"+strconv.Itoa(num), Entry{Registered: true,
				Addrs: []netip.Addr{netip.AddrFrom4([4]byte{127, 77, 0, byte(i)})}, TTL: time.Minute})
		}
		raw, err := query(strconv.Itoa(num)+".dialtone.internal.", dns.TypeA).Pack()
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, raw)
	}
	s := newTestServer(t, res)
	f := newFastPath()
	f.cache.max = 16
	for round := range 3 {
		for i, raw := range queries {
			got, handled := fastReply(s, f, raw, allowedSrc)
			if !handled {
				t.Fatalf("round %d, name %d: not answered by the fast path", round, i)
			}
			if want := slowReply(t, s, raw, allowedSrc); !bytes.Equal(got, want) {
				t.Fatalf("round %d, name %d: fast path reply differs:\n%v\nwant\n%v", round, i, decoded(got), decoded(want))
			}
			if f.cache.n > 16 {
				t.Fatalf("round %d: %d answers cached, bound 16", round, f.cache.n)
			}
		}
	}
	// Within the bound, the second asking is a hit: the same answer.
	key := mustKey(t, queries[0])
	a, _, _ := s.compiledAnswer(&f.cache, key, keyHash(key))
	b, _, _ := s.compiledAnswer(&f.cache, key, keyHash(key))
	if a != b {
		t.Error("a name asked twice in a row was compiled twice")
	}
}

func mustKey(t *testing.T, raw []byte) []byte {
	t.Helper()
	_, key, ok := parseWire(raw, nil)
	if !ok {
		t.Fatal("not a fast-path query")
	}
	return key
}

// TestEntryAddrIsALeasedAddress: a resolver that gives its one address as
// Entry.Addr (no slice per lookup) gets the answers Addrs would give, on
// both paths, and the fast path follows a change of it.
func TestEntryAddrIsALeasedAddress(t *testing.T) {
	a1, a2 := netip.MustParseAddr("127.77.0.1"), netip.MustParseAddr("127.77.0.9")
	withAddrs, withAddr := newFakeResolver(), newFakeResolver()
	withAddrs.set("+15551234567", Entry{Registered: true, Addrs: []netip.Addr{a1}, TTL: time.Minute})
	withAddr.set("+15551234567", Entry{Registered: true, Addr: a1, TTL: time.Minute})
	sAddrs, sAddr := newTestServer(t, withAddrs), newTestServer(t, withAddr)
	f := newFastPath()
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeANY} {
		raw, err := query("15551234567.dialtone.internal.", qtype).Pack()
		if err != nil {
			t.Fatal(err)
		}
		want := slowReply(t, sAddrs, raw, allowedSrc)
		if got := slowReply(t, sAddr, raw, allowedSrc); !bytes.Equal(got, want) {
			t.Errorf("%s, miekg/dns path:\n%v\nwant\n%v", dns.TypeToString[qtype], decoded(got), decoded(want))
		}
		if got, _ := fastReply(sAddr, f, raw, allowedSrc); !bytes.Equal(got, want) {
			t.Errorf("%s, fast path:\n%v\nwant\n%v", dns.TypeToString[qtype], decoded(got), decoded(want))
		}
	}
	withAddr.set("+15551234567", Entry{Registered: true, Addr: a2, TTL: time.Minute})
	raw, err := query("15551234567.dialtone.internal.", dns.TypeA).Pack()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := fastReply(sAddr, f, raw, allowedSrc)
	m := new(dns.Msg)
	if err := m.Unpack(got); err != nil {
		t.Fatal(err)
	}
	if len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != a2.String() {
		t.Errorf("after the lease moved: %v, want %s", m.Answer, a2)
	}
}

// TestCompiledIsOneSizeClass: a compiled answer stays the 384 bytes its
// buf is sized for, so that a number's answer is one allocation of a
// size class of its own (see compiled).
func TestCompiledIsOneSizeClass(t *testing.T) {
	if got := unsafe.Sizeof(compiled{}); got != 384 {
		t.Errorf("compiled is %d bytes; size compiledBuf to make it 384", got)
	}
}
