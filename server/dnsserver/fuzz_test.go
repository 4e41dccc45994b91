package dnsserver

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
)

// fuzzSeeds are the queries the committed corpus starts from, one of each
// path through ServeDNS.
func fuzzSeeds() map[string]*dns.Msg {
	edns := func(m *dns.Msg) *dns.Msg { m.SetEdns0(1232, true); return m }
	return map[string]*dns.Msg{
		"a_leased":     query("15551234567.dialtone.internal.", dns.TypeA),
		"aaaa_edns":    edns(query("15551234567.dialtone.internal.", dns.TypeAAAA)),
		"service_code": query("600.dialtone.internal.", dns.TypeA),
		"nxdomain":     query("15559999999.dialtone.internal.", dns.TypeA),
		"naptr":        edns(query("7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR)),
		"enum_partial": query("5.5.1.e164.arpa.", dns.TypeNAPTR),
		"apex_ns":      query("dialtone.internal.", dns.TypeNS),
		"any":          query("15551234567.dialtone.internal.", dns.TypeANY),
		"refused":      query("example.com.", dns.TypeA),
		"chaos":        withClass(query("version.bind.", dns.TypeTXT), dns.ClassCHAOS),
		"notify":       withOpcode(query("dialtone.internal.", dns.TypeSOA), dns.OpcodeNotify),
		"two_q":        twoQuestions("15551234567.dialtone.internal."),
	}
}

// TestFuzzCorpus keeps the committed seed corpus in step with fuzzSeeds;
// -update rewrites it.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzServeDNS")
	for name, m := range fuzzSeeds() {
		raw, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
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

// FuzzServeDNS feeds raw packets through the wire decoder and ServeDNS, as
// the server does, over both transports and from both sides of the allow
// list. Every packet that decodes gets exactly one reply that encodes, with
// its ID, within the transport's size.
func FuzzServeDNS(f *testing.F) {
	s := newTestServer(f, standardResolver())
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := new(dns.Msg)
		if err := req.Unpack(raw); err != nil {
			return // the miekg/dns server answers these itself
		}
		for _, c := range []struct {
			remote string
			tcp    bool
			limit  int
		}{
			{"127.0.0.1:5353", false, ednsSize},
			{"127.0.0.1:5353", true, dns.MaxMsgSize},
			{"192.0.2.1:5353", false, ednsSize},
		} {
			w := newRecorder(c.remote, c.tcp)
			s.ServeDNS(w, req.Copy())
			if w.writes != 1 {
				t.Fatalf("%d replies (pack error %v)", w.writes, w.packErr)
			}
			if w.msg == nil {
				t.Fatal("reply does not decode")
			}
			if w.msg.Id != req.Id || !w.msg.Response {
				t.Fatalf("reply id %d response %v, want id %d", w.msg.Id, w.msg.Response, req.Id)
			}
			if len(w.raw) > c.limit {
				t.Fatalf("reply of %d bytes over %d", len(w.raw), c.limit)
			}
		}
	})
}
