package lease

import (
	"math"
	"net/netip"
	"testing"
)

func TestUsable(t *testing.T) {
	cases := []struct {
		prefix string
		first  string
		n      uint64
	}{
		{"10.0.0.0/8", "10.0.0.1", 1<<24 - 2},
		{"127.77.0.0/16", "127.77.0.1", 65534},
		{"192.0.2.0/30", "192.0.2.1", 2},
		{"192.0.2.0/31", "192.0.2.0", 2}, // RFC 3021: both usable
		{"192.0.2.7/32", "192.0.2.7", 1},
		{"0.0.0.0/0", "0.0.0.1", 1<<32 - 2},
		{"2001:db8::/64", "2001:db8::1", maxIPs},
		{"2001:db8::/66", "2001:db8::1", 1<<62 - 1},
		{"2001:db8::/120", "2001:db8::1", 255},
		{"2001:db8::/126", "2001:db8::1", 3},
		{"2001:db8::/127", "2001:db8::", 2}, // RFC 6164: both usable
		{"2001:db8::5/128", "2001:db8::5", 1},
		{"::/0", "::1", maxIPs},
	}
	for _, tc := range cases {
		t.Run(tc.prefix, func(t *testing.T) {
			first, n := usable(netip.MustParsePrefix(tc.prefix).Masked())
			if first != netip.MustParseAddr(tc.first) || n != tc.n {
				t.Errorf("usable = %v, %d; want %s, %d", first, n, tc.first, tc.n)
			}
		})
	}
}

func TestSpaceConcatenatesPrefixes(t *testing.T) {
	sp := newSpace([]netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/30"),   // .1 .2
		netip.MustParsePrefix("2001:db8::/127"), // ::0 ::1
		netip.MustParsePrefix("198.51.100.9/32"),
	}, 7000, 7002)
	want := []string{"192.0.2.1", "192.0.2.2", "2001:db8::", "2001:db8::1", "198.51.100.9"}
	if sp.ips != uint64(len(want)) || sp.ports != 3 || sp.capacity != uint64(3*len(want)) {
		t.Fatalf("ips, ports, capacity = %d, %d, %d; want %d, 3, %d", sp.ips, sp.ports, sp.capacity, len(want), 3*len(want))
	}
	for i, w := range want {
		if got := sp.ip(uint64(i)); got != netip.MustParseAddr(w) {
			t.Errorf("ip(%d) = %v, want %s", i, got, w)
		}
	}
	if sp.port(0) != 7000 || sp.port(2) != 7002 {
		t.Errorf("ports = %d..%d, want 7000..7002", sp.port(0), sp.port(2))
	}
}

func TestSpaceSaturates(t *testing.T) {
	cases := []struct {
		name     string
		prefixes []string
		lo, hi   uint16
		ips      uint64
		capacity uint64
	}{
		{"v6 /64 with a port range", []string{"2001:db8::/64"}, 1, 65535, maxIPs, math.MaxUint64},
		{"two /64s", []string{"2001:db8::/64", "2001:db8:1::/64"}, 5000, 5000, maxIPs, maxIPs},
		{"/16 and ::/0", []string{"10.0.0.0/16", "::/0"}, 5000, 5001, maxIPs, 2 * maxIPs},
		{"all ports", []string{"10.0.0.1/32"}, 1, 65535, 1, 65535},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps []netip.Prefix
			for _, s := range tc.prefixes {
				ps = append(ps, netip.MustParsePrefix(s))
			}
			sp := newSpace(ps, tc.lo, tc.hi)
			if sp.ips != tc.ips || sp.capacity != tc.capacity {
				t.Errorf("ips, capacity = %d, %d; want %d, %d", sp.ips, sp.capacity, tc.ips, tc.capacity)
			}
			// The last index still maps into a prefix (past the cap,
			// later prefixes go unused).
			last := sp.ip(sp.ips - 1)
			in := false
			for _, p := range ps {
				in = in || p.Contains(last)
			}
			if !in {
				t.Errorf("ip(last) = %v, outside %v", last, ps)
			}
		})
	}
}

func TestAddOffsetCarries(t *testing.T) {
	cases := []struct {
		a    string
		off  uint64
		want string
	}{
		{"10.0.0.255", 1, "10.0.1.0"},
		{"10.0.0.1", 1<<24 - 3, "10.255.255.254"},
		{"2001:db8::ffff:ffff:ffff:ffff", 1, "2001:db8:0:1::"},
		{"2001:db8::1", maxIPs - 1, "2001:db8::4000:0:0:0"},
	}
	for _, tc := range cases {
		if got := addOffset(netip.MustParseAddr(tc.a), tc.off); got != netip.MustParseAddr(tc.want) {
			t.Errorf("addOffset(%s, %d) = %v, want %s", tc.a, tc.off, got, tc.want)
		}
	}
}

func TestRingIsFIFOAcrossGrowth(t *testing.T) {
	var r ring[int]
	next, want := 0, 0
	for round := range 50 {
		for range round % 7 {
			r.push(next)
			next++
		}
		for range round % 5 {
			if r.len() == 0 {
				break
			}
			if v, _ := r.peek(); v != want {
				t.Fatalf("peek = %d, want %d", v, want)
			}
			if v := r.pop(); v != want {
				t.Fatalf("pop = %d, want %d", v, want)
			}
			want++
		}
	}
	if r.len() != next-want {
		t.Fatalf("len = %d, want %d", r.len(), next-want)
	}
	if _, ok := (&ring[int]{}).peek(); ok {
		t.Fatal("peek on an empty ring reported a value")
	}
}
