package dnsserver

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestServeDNS(t *testing.T) {
	const (
		zone = "dialtone.internal."
		num  = "15551234567." + zone
		enum = "7.6.5.4.3.2.1.5.5.5.1.e164.arpa."
	)
	soaZone := "dialtone.internal.\t1\tIN\tSOA\tns.dialtone.internal. hostmaster.dialtone.internal. 1 3600 600 86400 1"
	soaENUM := "e164.arpa.\t1\tIN\tSOA\tns.dialtone.internal. hostmaster.dialtone.internal. 1 3600 600 86400 1"
	tests := []struct {
		name   string
		req    *dns.Msg
		remote string // default 127.0.0.1:5353
		rcode  int
		answer []string
		ns     []string
		extra  []string // without OPT
		aa     bool
	}{
		{name: "A leased", req: query(num, dns.TypeA), aa: true,
			answer: []string{num + "\t5\tIN\tA\t127.77.0.1"}},
		{name: "AAAA leased", req: query(num, dns.TypeAAAA), aa: true,
			answer: []string{num + "\t5\tIN\tAAAA\tfd00::1"}},
		{name: "TTL is remaining life rounded down", req: query("15550000001."+zone, dns.TypeA), aa: true,
			answer: []string{"15550000001." + zone + "\t2\tIN\tA\t127.77.0.2"}},
		{name: "AAAA when only v4 leased is NODATA", req: query("15550000001."+zone, dns.TypeAAAA), aa: true,
			ns: []string{soaZone}},
		{name: "registered without lease is NODATA", req: query("15557654321."+zone, dns.TypeA), aa: true,
			ns: []string{soaZone}},
		{name: "expired lease is NODATA", req: query("4930123456."+zone, dns.TypeA), aa: true,
			ns: []string{soaZone}},
		{name: "TXT at a number is NODATA", req: query(num, dns.TypeTXT), aa: true,
			ns: []string{soaZone}},
		{name: "unknown number is NXDOMAIN", req: query("15559999999."+zone, dns.TypeA), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaZone}},
		{name: "service code", req: query("600."+zone, dns.TypeA), aa: true,
			answer: []string{"600." + zone + "\t5\tIN\tA\t127.77.0.6"}},
		{name: "letters are NXDOMAIN", req: query("alice."+zone, dns.TypeA), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaZone}},
		{name: "16 digits are NXDOMAIN", req: query("1234567890123456."+zone, dns.TypeA), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaZone}},
		{name: "one digit is NXDOMAIN", req: query("1."+zone, dns.TypeA), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaZone}},
		{name: "too deep is NXDOMAIN", req: query("_sip._udp."+num, dns.TypeSRV), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaZone}},
		{name: "escaped dot is NXDOMAIN", req: query(`15551234567\.1.`+zone, dns.TypeA), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaZone}},
		{name: "case-insensitive, question echoed", req: query("15551234567.DialTone.INTERNAL.", dns.TypeA), aa: true,
			answer: []string{"15551234567.DialTone.INTERNAL.\t5\tIN\tA\t127.77.0.1"}},
		{name: "ANY is one RRset", req: query(num, dns.TypeANY), aa: true,
			answer: []string{num + "\t5\tIN\tA\t127.77.0.1"}},
		{name: "ANY without lease is NODATA", req: query("15557654321."+zone, dns.TypeANY), aa: true,
			ns: []string{soaZone}},
		{name: "apex SOA", req: query(zone, dns.TypeSOA), aa: true,
			answer: []string{strings.Replace(soaZone, "\t1\t", "\t300\t", 1)}},
		{name: "apex ANY is SOA", req: query(zone, dns.TypeANY), aa: true,
			answer: []string{strings.Replace(soaZone, "\t1\t", "\t300\t", 1)}},
		{name: "apex NS with glue", req: query(zone, dns.TypeNS), aa: true,
			answer: []string{zone + "\t300\tIN\tNS\tns." + zone},
			extra:  []string{"ns." + zone + "\t300\tIN\tA\t127.0.0.53"}},
		{name: "apex A is NODATA", req: query(zone, dns.TypeA), aa: true,
			ns: []string{soaZone}},
		{name: "NS target", req: query("ns."+zone, dns.TypeA), aa: true,
			answer: []string{"ns." + zone + "\t300\tIN\tA\t127.0.0.53"}},
		{name: "NAPTR with the table's URI", req: query(enum, dns.TypeNAPTR), aa: true,
			answer: []string{enum + "\t5\tIN\tNAPTR\t100 10 \"u\" \"E2U+x-dialtone\" \"!^.*$!dialtone:+15551234567@example.net!\" ."}},
		{name: "NAPTR with the synthesised URI", req: query("1.2.3.4.5.6.7.5.5.5.1.e164.arpa.", dns.TypeNAPTR), aa: true,
			answer: []string{"1.2.3.4.5.6.7.5.5.5.1.e164.arpa.\t5\tIN\tNAPTR\t100 10 \"u\" \"E2U+x-dialtone\" \"!^.*$!dialtone:+15557654321!\" ."}},
		{name: "ENUM ANY is NAPTR", req: query(enum, dns.TypeANY), aa: true,
			answer: []string{enum + "\t5\tIN\tNAPTR\t100 10 \"u\" \"E2U+x-dialtone\" \"!^.*$!dialtone:+15551234567@example.net!\" ."}},
		{name: "ENUM A is NODATA", req: query(enum, dns.TypeA), aa: true,
			ns: []string{soaENUM}},
		{name: "ENUM unknown is NXDOMAIN", req: query("9.9.9.9.9.9.9.5.5.5.1.e164.arpa.", dns.TypeNAPTR), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaENUM}},
		{name: "ENUM partial is NXDOMAIN", req: query("1.e164.arpa.", dns.TypeNAPTR), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaENUM}},
		{name: "ENUM multi-digit label is NXDOMAIN", req: query("76.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaENUM}},
		{name: "ENUM of a service code is NXDOMAIN", req: query("0.0.6.e164.arpa.", dns.TypeNAPTR), aa: true,
			rcode: dns.RcodeNameError, ns: []string{soaENUM}},
		{name: "ENUM apex SOA", req: query("E164.ARPA.", dns.TypeSOA), aa: true,
			answer: []string{"E164.ARPA.\t300\tIN\tSOA\tns.dialtone.internal. hostmaster.dialtone.internal. 1 3600 600 86400 1"}},
		{name: "outside the zones is REFUSED", req: query("example.com.", dns.TypeA), rcode: dns.RcodeRefused},
		{name: "parent of the zone is REFUSED", req: query("internal.", dns.TypeSOA), rcode: dns.RcodeRefused},
		{name: "arpa is REFUSED", req: query("arpa.", dns.TypeSOA), rcode: dns.RcodeRefused},
		{name: "client outside allow list is REFUSED", req: query(num, dns.TypeA), remote: "192.0.2.1:5353",
			rcode: dns.RcodeRefused},
		{name: "IPv6 loopback client", req: query(num, dns.TypeA), remote: "[::1]:5353", aa: true,
			answer: []string{num + "\t5\tIN\tA\t127.77.0.1"}},
		{name: "IPv4-mapped loopback client", req: query(num, dns.TypeA), remote: "[::ffff:127.0.0.1]:5353", aa: true,
			answer: []string{num + "\t5\tIN\tA\t127.77.0.1"}},
		{name: "no question is FORMERR", req: &dns.Msg{MsgHdr: dns.MsgHdr{Id: 1}}, rcode: dns.RcodeFormatError},
		{name: "two questions are FORMERR", req: twoQuestions(num), rcode: dns.RcodeFormatError},
		{name: "class CH is REFUSED", req: withClass(query(num, dns.TypeA), dns.ClassCHAOS), rcode: dns.RcodeRefused},
		{name: "AXFR is REFUSED", req: query(zone, dns.TypeAXFR), rcode: dns.RcodeRefused},
		{name: "NOTIFY is NOTIMP", req: withOpcode(query(zone, dns.TypeSOA), dns.OpcodeNotify), rcode: dns.RcodeNotImplemented},
		{name: "UPDATE is NOTIMP", req: withOpcode(query(zone, dns.TypeSOA), dns.OpcodeUpdate), rcode: dns.RcodeNotImplemented},
	}
	s := newTestServer(t, standardResolver())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote := tt.remote
			if remote == "" {
				remote = "127.0.0.1:5353"
			}
			w := newRecorder(remote, false)
			s.ServeDNS(w, tt.req)
			if w.writes != 1 {
				t.Fatalf("%d replies written, want 1 (pack error %v)", w.writes, w.packErr)
			}
			m := w.msg
			if m.Id != tt.req.Id || !m.Response {
				t.Errorf("reply id %d response %v, want id %d response true", m.Id, m.Response, tt.req.Id)
			}
			if m.Rcode != tt.rcode {
				t.Errorf("rcode %s, want %s", rcodeName(m.Rcode), rcodeName(tt.rcode))
			}
			if m.Authoritative != tt.aa {
				t.Errorf("AA %v, want %v", m.Authoritative, tt.aa)
			}
			if m.RecursionAvailable {
				t.Error("RA set; the server never recurses")
			}
			checkRRs(t, "answer", m.Answer, tt.answer)
			checkRRs(t, "authority", m.Ns, tt.ns)
			checkRRs(t, "additional", m.Extra, tt.extra)
		})
	}
}

func checkRRs(t *testing.T, section string, got []dns.RR, want []string) {
	t.Helper()
	var gotS []string
	for _, rr := range got {
		gotS = append(gotS, rr.String())
	}
	if !slices.Equal(gotS, want) {
		t.Errorf("%s section:\n got %q\nwant %q", section, gotS, want)
	}
}

func twoQuestions(name string) *dns.Msg {
	m := query(name, dns.TypeA)
	m.Question = append(m.Question, dns.Question{Name: name, Qtype: dns.TypeAAAA, Qclass: dns.ClassINET})
	return m
}

func withClass(m *dns.Msg, class uint16) *dns.Msg {
	m.Question[0].Qclass = class
	return m
}

func withOpcode(m *dns.Msg, op int) *dns.Msg {
	m.Opcode = op
	return m
}

func TestServeDNSEDNS(t *testing.T) {
	s := newTestServer(t, standardResolver())
	tests := []struct {
		name    string
		size    uint16
		do      bool
		version uint8
		rcode   int
	}{
		{name: "plain", size: 4096},
		{name: "DO copied", size: 1400, do: true},
		{name: "small size", size: 100},
		{name: "version 1 is BADVERS", size: 4096, version: 1, rcode: dns.RcodeBadVers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := query("15551234567.dialtone.internal.", dns.TypeA)
			req.SetEdns0(tt.size, tt.do)
			req.IsEdns0().SetVersion(tt.version)
			w := newRecorder("127.0.0.1:5353", false)
			s.ServeDNS(w, req)
			if w.msg == nil {
				t.Fatalf("no reply (pack error %v)", w.packErr)
			}
			if w.msg.Rcode != tt.rcode {
				t.Errorf("rcode %s, want %s", rcodeName(w.msg.Rcode), rcodeName(tt.rcode))
			}
			opt := w.msg.IsEdns0()
			if opt == nil {
				t.Fatal("no OPT in the reply to an EDNS query")
			}
			if opt.UDPSize() != ednsSize || opt.Do() != tt.do || opt.Version() != 0 {
				t.Errorf("OPT size %d DO %v version %d, want %d %v 0", opt.UDPSize(), opt.Do(), opt.Version(), ednsSize, tt.do)
			}
		})
	}
	t.Run("no EDNS, no OPT", func(t *testing.T) {
		w := newRecorder("127.0.0.1:5353", false)
		s.ServeDNS(w, query("15551234567.dialtone.internal.", dns.TypeA))
		if w.msg.IsEdns0() != nil {
			t.Error("OPT in the reply to a query without EDNS")
		}
	})
}

func TestServeDNSTruncation(t *testing.T) {
	res := newFakeResolver()
	var addrs []netip.Addr
	for i := range 200 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{127, 77, byte(i / 256), byte(i)}))
	}
	res.set("+15551234567", Entry{Registered: true, Addrs: addrs, TTL: time.Minute})
	s := newTestServer(t, res)
	tests := []struct {
		name    string
		tcp     bool
		edns    uint16
		max     int
		wantTC  bool
		answers int // exact count when not truncated
	}{
		{name: "UDP without EDNS", max: 512, wantTC: true},
		{name: "UDP with EDNS 4096 capped at 1232", edns: 4096, max: ednsSize, wantTC: true},
		{name: "UDP with EDNS 700", edns: 700, max: 700, wantTC: true},
		{name: "TCP", tcp: true, max: dns.MaxMsgSize, answers: 200},
		{name: "TCP with EDNS", tcp: true, edns: 512, max: dns.MaxMsgSize, answers: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := query("15551234567.dialtone.internal.", dns.TypeA)
			if tt.edns != 0 {
				req.SetEdns0(tt.edns, false)
			}
			w := newRecorder("127.0.0.1:5353", tt.tcp)
			s.ServeDNS(w, req)
			if w.msg == nil {
				t.Fatalf("no reply (pack error %v)", w.packErr)
			}
			if len(w.raw) > tt.max {
				t.Errorf("reply is %d bytes, limit %d", len(w.raw), tt.max)
			}
			if w.msg.Truncated != tt.wantTC {
				t.Errorf("TC %v, want %v", w.msg.Truncated, tt.wantTC)
			}
			if tt.answers != 0 && len(w.msg.Answer) != tt.answers {
				t.Errorf("%d answers, want %d", len(w.msg.Answer), tt.answers)
			}
			if tt.edns != 0 && w.msg.IsEdns0() == nil {
				t.Error("OPT lost in truncation")
			}
		})
	}
	if got := s.Stats().Truncated; got != 3 {
		t.Errorf("Stats().Truncated = %d, want 3", got)
	}
}

func TestTTL(t *testing.T) {
	s := newTestServer(t, newFakeResolver())
	tests := []struct {
		life time.Duration
		want uint32
	}{
		{life: time.Hour, want: 5},
		{life: 5 * time.Second, want: 5},
		{life: 4999 * time.Millisecond, want: 4},
		{life: 1500 * time.Millisecond, want: 1},
		{life: 300 * time.Millisecond, want: 1},
	}
	for _, tt := range tests {
		if got := s.leaseTTL(tt.life); got != tt.want {
			t.Errorf("leaseTTL(%v) = %d, want %d", tt.life, got, tt.want)
		}
	}
}

func TestURIFallback(t *testing.T) {
	s := newTestServer(t, newFakeResolver())
	tests := []struct{ uri, want string }{
		{"", "dialtone:+15551234567"},
		{"dialtone:+15551234567@dt.example:8443", "dialtone:+15551234567@dt.example:8443"},
		{"dialtone:bang!bang", "dialtone:+15551234567"},
		{"dialtone:back\\slash", "dialtone:+15551234567"},
		{"dialtone:has space", "dialtone:+15551234567"},
		{"dialtone:" + strings.Repeat("x", 300), "dialtone:+15551234567"},
	}
	for _, tt := range tests {
		if got := s.uri("+15551234567", tt.uri); got != tt.want {
			t.Errorf("uri(%q) = %q, want %q", tt.uri, got, tt.want)
		}
	}
}

func TestStats(t *testing.T) {
	s := newTestServer(t, standardResolver())
	ask := func(name string, remote string) {
		s.ServeDNS(newRecorder(remote, false), query(name, dns.TypeA))
	}
	ask("15551234567.dialtone.internal.", "127.0.0.1:1")
	ask("15551234567.dialtone.internal.", "127.0.0.1:1")
	ask("15557654321.dialtone.internal.", "127.0.0.1:1")
	ask("15559999999.dialtone.internal.", "127.0.0.1:1")
	ask("15551234567.dialtone.internal.", "192.0.2.1:1")
	got := s.Stats()
	want := map[string]uint64{"NOERROR": 3, "NXDOMAIN": 1, "REFUSED": 1}
	if len(got.Replies) != len(want) {
		t.Errorf("Replies = %v, want %v", got.Replies, want)
	}
	for k, v := range want {
		if got.Replies[k] != v {
			t.Errorf("Replies[%s] = %d, want %d", k, got.Replies[k], v)
		}
	}
	if got.NoData != 1 {
		t.Errorf("NoData = %d, want 1", got.NoData)
	}
}

func TestNewValidates(t *testing.T) {
	res := newFakeResolver()
	bad := []struct {
		name string
		cfg  Config
	}{
		{"no resolver", Config{}},
		{"root zone", Config{Resolver: res, Zone: "."}},
		{"zone above e164.arpa", Config{Resolver: res, Zone: "arpa."}},
		{"zone under e164.arpa", Config{Resolver: res, Zone: "dialtone.e164.arpa."}},
		{"underscore", Config{Resolver: res, Zone: "_dial.tone."}},
		{"escape", Config{Resolver: res, Zone: `dial\.tone.`}},
		{"MaxTTL under 1s", Config{Resolver: res, MaxTTL: 500 * time.Millisecond}},
		{"invalid prefix", Config{Resolver: res, Allow: []netip.Prefix{{}}}},
		{"invalid NS address", Config{Resolver: res, NSAddrs: []netip.Addr{{}}}},
	}
	for _, tt := range bad {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: New accepted %+v", tt.name, tt.cfg)
		}
	}
	s, err := New(Config{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	if s.Zone() != DefaultZone || s.maxTTL != 5 || len(s.allow) != 2 {
		t.Errorf("defaults: zone %q maxTTL %d allow %v", s.Zone(), s.maxTTL, s.allow)
	}
	s, err = New(Config{Resolver: res, Zone: "Tel.Dialtone.TEST"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Zone() != "tel.dialtone.test." {
		t.Errorf("zone %q, want tel.dialtone.test.", s.Zone())
	}
}
