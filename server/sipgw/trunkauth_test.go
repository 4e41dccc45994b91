package sipgw

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestParseRouteAuth(t *testing.T) {
	for _, tc := range []struct {
		in, prefix, user, pass, err string
	}{
		{in: "+44=acct:pw", prefix: "+44", user: "acct", pass: "pw"},
		{in: "+1=acct:pa:ss word", prefix: "+1", user: "acct", pass: "pa:ss word"},
		{in: "44=acct:secret-1", err: "want PREFIX=USER:PASSWORD"},
		{in: "+4x=acct:secret-1", err: "want PREFIX=USER:PASSWORD"},
		{in: "+44=acct", err: "with a user and a password"},
		{in: "+44=:secret-1", err: "with a user and a password"},
		{in: "+44=acct:", err: "with a user and a password"},
		{in: "+44=a\"b:secret-1", err: "may not hold quotes"},
		{in: "+44=acct:secret-1\r\nX: y", err: "line breaks"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			prefix, a, err := ParseRouteAuth(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "secret-1") {
					t.Fatalf("the error repeats the password: %v", err)
				}
				return
			}
			if err != nil || prefix != tc.prefix || a.Username != tc.user || a.Password.reveal() != tc.pass {
				t.Fatalf("got %q %q %v, want %q %q %q", prefix, a.Username, err, tc.prefix, tc.user, tc.pass)
			}
		})
	}
}

// TestSecretDoesNotPrint: a route with credentials shows its user, never
// its password, however it is printed or logged.
func TestSecretDoesNotPrint(t *testing.T) {
	r, err := ParseRoute("+44=sip:192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	r.Auth = TrunkAuth{Username: "acct", Password: "hunter22"}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "route", r, "auth", r.Auth, "password", r.Auth.Password)
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "route", r, "auth", r.Auth, "password", r.Auth.Password)
	j, _ := json.Marshal(r)
	out := fmt.Sprintf("%v %+v %#v %s %q", r, r, r, r.Auth, r.Auth.Password) + b.String() + string(j)
	if strings.Contains(out, "hunter22") {
		t.Fatalf("the password prints: %s", out)
	}
	if !strings.Contains(out, "acct") {
		t.Fatalf("the user does not print: %s", out)
	}
}

func TestStaleChallenge(t *testing.T) {
	for _, tc := range []struct {
		code         int
		header, chal string
		stale        bool
	}{
		{407, "Proxy-Authenticate", `Digest realm="p", nonce="n", stale=true`, true},
		{407, "Proxy-Authenticate", `Digest realm="p", nonce="n", stale=FALSE`, false},
		{401, "WWW-Authenticate", `Digest realm="p", nonce="n", stale=true`, true},
		{401, "Proxy-Authenticate", `Digest realm="p", nonce="n", stale=true`, false}, // the wrong header for a 401
		{403, "WWW-Authenticate", `Digest realm="p", nonce="n", stale=true`, false},
	} {
		res := sip.NewResponse(tc.code, "x")
		res.AppendHeader(sip.NewHeader(tc.header, tc.chal))
		if got := staleChallenge(res); got != tc.stale {
			t.Errorf("%d %s: %s: stale %v, want %v", tc.code, tc.header, tc.chal, got, tc.stale)
		}
	}
}
