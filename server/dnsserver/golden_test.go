package dnsserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
)

// goldenQueries are answers worth reading whole; their golden files show
// what a client really gets, header flags and all.
var goldenQueries = []struct {
	file  string
	qname string
	qtype uint16
	edns  bool
}{
	{"a_leased", "15551234567.dialtone.internal.", dns.TypeA, true},
	{"aaaa_nodata", "15550000001.dialtone.internal.", dns.TypeAAAA, false},
	{"a_nxdomain", "15559999999.dialtone.internal.", dns.TypeA, false},
	{"naptr", "7.6.5.4.3.2.1.5.5.5.1.e164.arpa.", dns.TypeNAPTR, true},
	{"apex_ns", "dialtone.internal.", dns.TypeNS, false},
	{"refused", "example.com.", dns.TypeA, false},
}

func TestGolden(t *testing.T) {
	s := newTestServer(t, standardResolver())
	for _, g := range goldenQueries {
		t.Run(g.file, func(t *testing.T) {
			req := query(g.qname, g.qtype)
			if g.edns {
				req.SetEdns0(4096, false)
			}
			w := newRecorder("127.0.0.1:5353", false)
			s.ServeDNS(w, req)
			if w.msg == nil {
				t.Fatalf("no reply (pack error %v)", w.packErr)
			}
			got := w.msg.String()
			path := filepath.Join("testdata", "golden", g.file+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("reply differs from %s (run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}
