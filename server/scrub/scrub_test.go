package scrub

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var lease = netip.MustParseAddr("127.77.0.2")

func TestCandidate(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		err            error
	}{
		{"end of candidates", "", "", nil},
		{"relay on the lease", "candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 203.0.113.7 rport 54321 generation 0 network-id 1",
			"candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1", nil},
		{"relay on a secondary port of the lease", "candidate:1 1 UDP 41885439 127.77.0.2 51234 typ relay raddr 10.0.0.1 rport 1",
			"candidate:1 1 udp 41885439 127.77.0.2 51234 typ relay raddr 0.0.0.0 rport 0", nil},
		{"relay without related address", "candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay",
			"candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 0.0.0.0 rport 0", nil},
		{"a= prefix", "a=candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay",
			"candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 0.0.0.0 rport 0", nil},
		{"unknown extension dropped", "candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 1.2.3.4 rport 5 x-where 192.168.1.20",
			"candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 0.0.0.0 rport 0", nil},
		{"v4-mapped lease address", "candidate:1 1 udp 41885439 ::ffff:127.77.0.2 40000 typ relay",
			"candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 0.0.0.0 rport 0", nil},
		{"host", "candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0", "", ErrNotRelay},
		{"srflx", "candidate:2 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321", "", ErrNotRelay},
		{"prflx", "candidate:3 1 udp 1677729535 198.51.100.4 61000 typ prflx raddr 192.168.1.20 rport 54321", "", ErrNotRelay},
		{"mdns host", "candidate:4 1 udp 2122260223 a0b1c2d3-0000-4000-8000-000000000000.local 51000 typ host", "", ErrNotRelay},
		{"relay on another lease", "candidate:5 1 udp 41885439 127.77.0.9 40000 typ relay raddr 0.0.0.0 rport 0", "", ErrNotRelay},
		{"relay claiming the lease by name", "candidate:5 1 udp 41885439 relay.example 40000 typ relay", "", ErrNotRelay},
		{"tcp relay", "candidate:6 1 tcp 41885439 127.77.0.2 40000 typ relay tcptype passive", "", ErrNotRelay},
		{"host type spelt as relay in an extension", "candidate:7 1 udp 1 192.168.1.20 5 typ host relay 127.77.0.2", "", ErrNotRelay},
		{"too short", "candidate:1 1 udp 1 127.77.0.2 40000 typ", "", ErrMalformed},
		{"no typ", "candidate:1 1 udp 1 127.77.0.2 40000 type relay", "", ErrMalformed},
		{"dangling extension", "candidate:1 1 udp 1 127.77.0.2 40000 typ relay raddr", "", ErrMalformed},
		{"bad port", "candidate:1 1 udp 1 127.77.0.2 70000 typ relay", "", ErrMalformed},
		{"port 0", "candidate:1 1 udp 1 127.77.0.2 0 typ relay", "", ErrMalformed},
		{"bad priority", "candidate:1 1 udp -1 127.77.0.2 40000 typ relay", "", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Candidate(tc.in, lease)
			if !errors.Is(err, tc.err) || err == nil && tc.err != nil {
				t.Fatalf("Candidate(%q) error %v, want %v", tc.in, err, tc.err)
			}
			if got != tc.want {
				t.Fatalf("Candidate(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestSDPChromeOffer scrubs an offer shaped like Chromium's, with every kind
// of candidate, for the party on 127.77.0.2.
func TestSDPChromeOffer(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "chrome-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := SDP(string(in), lease)
	if err != nil {
		t.Fatalf("SDP: %v", err)
	}
	golden := filepath.Join("testdata", "chrome-offer.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("scrubbed SDP differs from %s (-update to rewrite):\n%s", golden, out)
	}
	for _, leak := range []string{"192.168.", "203.0.113.", "198.51.100.", ".local", "127.0.0.1", "127.77.0.9", "remote-candidates", "54321", "54322"} {
		if strings.Contains(out, leak) {
			t.Errorf("scrubbed SDP still holds %q", leak)
		}
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(out); err != nil {
		t.Fatalf("scrubbed SDP does not parse: %v", err)
	}
	var cands []string
	for _, m := range d.MediaDescriptions {
		for _, a := range m.Attributes {
			if a.Key == "candidate" {
				cands = append(cands, a.Value)
			}
		}
	}
	if len(cands) != 1 || !strings.Contains(cands[0], " 127.77.0.2 40000 typ relay raddr 0.0.0.0 rport 0") {
		t.Errorf("candidates left %q, want only the relay candidate on the lease", cands)
	}
	if p := d.MediaDescriptions[2].MediaName.Port.Value; p != 0 {
		t.Errorf("the rejected section's port became %d; 0 must stay 0", p)
	}
}

func TestSDPRejects(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"not sdp", "v=0 evil"},
		{"empty", ""},
		{"too long", "v=0\r\n" + strings.Repeat("a=x:"+strings.Repeat("y", 100)+"\r\n", MaxSDP/100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SDP(tc.in, lease); !errors.Is(err, ErrMalformed) {
				t.Fatalf("SDP(%.20q) error %v, want ErrMalformed", tc.in, err)
			}
		})
	}
}

// FuzzSDP checks that whatever parses comes out within bounds, parses
// again, and holds no candidate but relay ones on the lease.
func FuzzSDP(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "chrome-offer.sdp")); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := SDP(s, lease)
		if err != nil {
			return
		}
		if len(out) > MaxSDP {
			t.Fatalf("output of %d bytes", len(out))
		}
		var d sdp.SessionDescription
		if err := d.UnmarshalString(out); err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, out)
		}
		all := append([]sdp.Attribute(nil), d.Attributes...)
		for _, m := range d.MediaDescriptions {
			all = append(all, m.Attributes...)
		}
		for _, a := range all {
			if a.Key == "candidate" {
				if _, err := candidateValue(a.Value, lease); err != nil {
					t.Fatalf("a candidate that does not pass got through: %q", a.Value)
				}
			}
		}
	})
}

// FuzzCandidate checks that a candidate that passes is a relay candidate on
// the lease and passes again unchanged.
func FuzzCandidate(f *testing.F) {
	f.Add("candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 203.0.113.7 rport 54321 generation 0")
	f.Add("candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Candidate(s, lease)
		if err != nil || out == "" {
			return
		}
		f := strings.Fields(strings.TrimPrefix(out, "candidate:"))
		if len(f) < 12 || f[4] != lease.String() || f[7] != "relay" || f[9] != "0.0.0.0" {
			t.Fatalf("%q passed as %q", s, out)
		}
		again, err := Candidate(out, lease)
		if err != nil || again != out {
			t.Fatalf("%q passed as %q, then as %q, %v", s, out, again, err)
		}
	})
}

func BenchmarkSDP(b *testing.B) {
	in, err := os.ReadFile(filepath.Join("testdata", "chrome-offer.sdp"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := SDP(string(in), lease); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCandidate(b *testing.B) {
	c := "candidate:1 1 udp 41885439 127.77.0.2 40000 typ relay raddr 203.0.113.7 rport 54321 generation 0 network-id 1"
	for b.Loop() {
		if _, err := Candidate(c, lease); err != nil {
			b.Fatal(err)
		}
	}
}
