package relay

import (
	"strings"
	"testing"
	"time"
)

func TestParseUsername(t *testing.T) {
	tests := []struct {
		in   string
		want credential
		ok   bool
	}{
		{"1800000600:c1:+15550001", credential{1800000600, "c1", "+15550001"}, true},
		{"0:call-9_x.Y:600", credential{0, "call-9_x.Y", "600"}, true},
		{"1800000600:c1:+155500011234567", credential{1800000600, "c1", "+155500011234567"}, true},
		{"1800000600:c1:+1555000112345678", credential{}, false}, // 16 digits
		{"1800000600:c1:", credential{}, false},
		{"1800000600::+15550001", credential{}, false},
		{":c1:+15550001", credential{}, false},
		{"01800000600:c1:+15550001", credential{}, false}, // not canonical
		{"-1:c1:+15550001", credential{}, false},
		{"1800000600:c1:+1555:0001", credential{}, false},
		{"1800000600:c 1:+15550001", credential{}, false},
		{"1800000600:c1:15550001x", credential{}, false},
		{"9999999999999:c1:+1", credential{}, false}, // 13-digit expiry
		{"1800000600:" + strings.Repeat("c", 65) + ":+1", credential{}, false},
		{"alice", credential{}, false},
		{"", credential{}, false},
	}
	for _, tt := range tests {
		got, err := parseUsername(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseUsername(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCredentials(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.CredentialTTL = time.Minute })
	cr := h.relay.Credentials("c1", numA)
	if want := "1800000060:c1:" + numA; cr.Username != want {
		t.Errorf("username %q, want %q", cr.Username, want)
	}
	if !cr.Expires.Equal(time.Unix(1800000060, 0)) {
		t.Errorf("expires %v", cr.Expires)
	}
	// base64(HMAC-SHA1("test secret", username)), computed independently
	// with: printf %s "$user" | openssl dgst -sha1 -hmac "test secret" -binary | base64
	if want := "6RNQknAZc2b3DaUee0qPsXwmTpA="; cr.Password != want {
		t.Errorf("password %q, want %q", cr.Password, want)
	}
	if want := "turn:" + h.addr.String() + "?transport=udp"; len(cr.URLs) != 1 || cr.URLs[0] != want {
		t.Errorf("URLs %v, want [%s]", cr.URLs, want)
	}
}

func FuzzParseUsername(f *testing.F) {
	for _, s := range []string{"1800000600:c1:+15550001", "0:x:600", "::", "1:a:b", "alice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseUsername(s)
		if err != nil {
			return
		}
		// What parses is canonical: formatting it again gives the input.
		if got := formatUsername(time.Unix(c.expires, 0), c.callID, c.number); got != s {
			t.Fatalf("parseUsername(%q) = %+v, formats as %q", s, c, got)
		}
		if id, n, ok := splitUserID(c.userID()); !ok || id != c.callID || n != c.number {
			t.Fatalf("user ID %q does not split back into %q, %q", c.userID(), c.callID, c.number)
		}
	})
}
