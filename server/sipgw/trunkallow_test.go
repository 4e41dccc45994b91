package sipgw

import (
	"net/netip"
	"strings"
	"testing"
)

func TestTrunkAllowRefusesTheWholeInternet(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"203.0.113.0/24", true},
		{"10.0.0.0/8", true},
		{"2001:db8::/32", true},
		{"2001:db8:1::/48", true},
		{"::ffff:203.0.113.0/120", true},
		{"0.0.0.0/0", false},
		{"128.0.0.0/1", false},
		{"10.0.0.0/7", false},
		{"::/0", false},
		{"2000::/3", false},
		{"::ffff:0.0.0.0/96", false},
		{"::ffff:10.0.0.0/103", false},
	} {
		err := checkTrunkAllow(netip.MustParsePrefix(tc.prefix))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", tc.prefix, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "too wide") {
			t.Errorf("%s: %v does not say why", tc.prefix, err)
		}
	}
	// The gateway itself refuses to start with one.
	_, err := New(Config{Credentials: noCredentials{}, TrunkAllow: []netip.Prefix{
		netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("0.0.0.0/0")}})
	if err == nil || !strings.Contains(err.Error(), "0.0.0.0/0") {
		t.Errorf("a gateway with 0.0.0.0/0 allowed: %v", err)
	}
}
