package signaling

import "testing"

// TestSourceIP: connections per source are counted per IPv4 address and
// per IPv6 /64, as on the listener.
func TestSourceIP(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.7:5000", "192.0.2.7/32"},
		{"[2001:db8::1]:5000", "2001:db8::/64"},
		{"[2001:db8::ffff:1]:6000", "2001:db8::/64"},
		{"[::ffff:192.0.2.7]:5000", "192.0.2.7/32"},
		{"not an address", "not an address"},
	} {
		if got := sourceIP(tc.remote); got != tc.want {
			t.Errorf("sourceIP(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}
