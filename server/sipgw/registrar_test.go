package sipgw

import (
	"strings"
	"testing"
	"time"

	"github.com/icholy/digest"
)

func TestRegisterDigest(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct{ proto, alg string }{
		{"UDP", "SHA-256"}, {"UDP", "MD5"}, {"TCP", "SHA-256"}, {"TCP", "MD5"},
	} {
		t.Run(tc.proto+"/"+tc.alg, func(t *testing.T) {
			addr := h.udp
			if tc.proto == "TCP" {
				addr = h.tcp
			}
			p := dialPeer(t, tc.proto, addr)
			p.send(p.register(testNumber))
			res := p.recv()
			if res.StatusCode != 401 {
				t.Fatalf("first REGISTER: %d, want 401", res.StatusCode)
			}
			algs := []string{}
			for _, w := range res.GetHeaders("WWW-Authenticate") {
				c, err := digest.ParseChallenge(w.Value())
				if err != nil {
					t.Fatal(err)
				}
				algs = append(algs, c.Algorithm)
			}
			if strings.Join(algs, ",") != "SHA-256,MD5" {
				t.Fatalf("challenges %v, want SHA-256 then MD5", algs)
			}
			p.send(p.register(testNumber, authorize(t, res, tc.alg, testNumber, h.password, 1), "Expires: 120"))
			ok := p.recv()
			if ok.StatusCode != 200 {
				t.Fatalf("authorised REGISTER: %d, want 200", ok.StatusCode)
			}
			if c := ok.GetHeader("Contact"); c == nil || !strings.Contains(c.Value(), "expires=120") {
				t.Fatalf("200 Contact %v, want expires=120", c)
			}
			found := false
			for _, r := range h.g.Registrations() {
				found = found || (r.Number == testNumber && r.Transport == tc.proto &&
					strings.Contains(r.Contact, p.conn.LocalAddr().String()))
			}
			if !found {
				t.Fatalf("registration not listed: %+v", h.g.Registrations())
			}
		})
	}
}

// The user part is normalised to E.164 before it is looked up.
func TestRegisterNormalisesNumber(t *testing.T) {
	h := newHarness(t, nil)
	p := dialPeer(t, "UDP", h.udp)
	p.send(p.register("+1-202-555-0101"))
	res := p.recv()
	p.send(p.register("+1-202-555-0101", authorize(t, res, "SHA-256", testNumber, h.password, 1)))
	if got := p.recv().StatusCode; got != 200 {
		t.Fatalf("REGISTER with a formatted number: %d, want 200", got)
	}
	if rs := h.g.Registrations(); len(rs) != 1 || rs[0].Number != testNumber {
		t.Fatalf("registrations %+v", rs)
	}
}

func TestRegisterRefused(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		name, user, authUser, password string
		want                           int
	}{
		{"wrong password", testNumber, testNumber, "nope", 403},
		{"number without credentials", "+12025550199", "+12025550199", "nope", 403},
		{"credentials of another number", "+12025550199", testNumber, "", 403},
		{"not a number", "alice", "alice", "x", 404},
		{"service code", "600", "600", "x", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pass := tc.password
			if pass == "" {
				pass = h.password
			}
			p := dialPeer(t, "UDP", h.udp)
			p.send(p.register(tc.user))
			res := p.recv()
			if res.StatusCode == 401 {
				p.send(p.register(tc.user, authorize(t, res, "SHA-256", tc.authUser, pass, 1)))
				res = p.recv()
			}
			if res.StatusCode != tc.want {
				t.Fatalf("got %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
	if len(h.g.Registrations()) != 0 {
		t.Fatalf("refused devices registered: %+v", h.g.Registrations())
	}
	if h.g.Stats().AuthFailures != 3 {
		t.Fatalf("auth failures %d, want 3", h.g.Stats().AuthFailures)
	}
}

func TestNonceReplayAndExpiry(t *testing.T) {
	h := newHarness(t, nil)
	p := dialPeer(t, "UDP", h.udp)
	p.send(p.register(testNumber))
	chal := p.recv()
	auth := authorize(t, chal, "SHA-256", testNumber, h.password, 1)
	p.send(p.register(testNumber, auth))
	if got := p.recv().StatusCode; got != 200 {
		t.Fatalf("first use: %d", got)
	}
	p.send(p.register(testNumber, auth)) // the same nonce count again: a replay
	if got := p.recv().StatusCode; got != 403 {
		t.Fatalf("replay: %d, want 403", got)
	}
	p.send(p.register(testNumber, authorize(t, chal, "SHA-256", testNumber, h.password, 2)))
	if got := p.recv().StatusCode; got != 200 {
		t.Fatalf("next nonce count: %d, want 200", got)
	}
	if n := h.g.Stats().Nonces; n != 1 {
		t.Fatalf("%d nonces remembered, want the one answered", n)
	}
	// A nonce we did not issue, or one altered, is stale: challenged again.
	forged := strings.Replace(auth, `nonce="`, `nonce="x`, 1)
	p.send(p.register(testNumber, forged))
	if res := p.recv(); res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("forged nonce: %d, want 401 stale=true", res.StatusCode)
	}
	h.clock.add(6 * time.Minute)
	p.send(p.register(testNumber, authorize(t, chal, "SHA-256", testNumber, h.password, 3)))
	res := p.recv()
	if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("expired nonce: %d %v, want 401 stale=true", res.StatusCode, res.GetHeader("WWW-Authenticate"))
	}
}

func TestRegistrationExpiry(t *testing.T) {
	h := newHarness(t, nil)
	p := dialPeer(t, "UDP", h.udp)
	reg := func(extra string) int {
		p.send(p.register(testNumber, extra))
		res := p.recv()
		p.send(p.register(testNumber, extra, authorize(t, res, "MD5", testNumber, h.password, 1)))
		return p.recv().StatusCode
	}
	if got := reg("Expires: 30"); got != 423 {
		t.Fatalf("expires below the minimum: %d, want 423", got)
	}
	if got := reg("Expires: 90"); got != 200 {
		t.Fatalf("register: %d", got)
	}
	h.clock.add(89 * time.Second)
	if n := len(h.g.Registrations()); n != 1 {
		t.Fatalf("before expiry: %d registrations", n)
	}
	h.clock.add(time.Second)
	if n := len(h.g.Registrations()); n != 0 {
		t.Fatalf("after expiry: %d registrations", n)
	}
	if got := reg("Expires: 7200"); got != 200 {
		t.Fatalf("register: %d", got)
	}
	if rs := h.g.Registrations(); len(rs) != 1 || rs[0].Expires.Sub(h.clock.now()) != time.Hour {
		t.Fatalf("a long expiry is not capped at an hour: %+v", rs)
	}
	if got := reg("Expires: 0"); got != 200 {
		t.Fatalf("unregister: %d", got)
	}
	if n := len(h.g.Registrations()); n != 0 {
		t.Fatalf("after unregister: %d registrations", n)
	}
}

// Only the algorithms offered are accepted, in the order configured.
func TestAlgorithmsConfigured(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Algorithms = []string{"md5"} })
	p := dialPeer(t, "UDP", h.udp)
	p.send(p.register(testNumber))
	res := p.recv()
	if ws := res.GetHeaders("WWW-Authenticate"); len(ws) != 1 || !strings.Contains(ws[0].Value(), "MD5") {
		t.Fatalf("challenges %v, want MD5 only", ws)
	}
	sha := strings.Replace(res.GetHeader("WWW-Authenticate").Value(), "MD5", "SHA-256", 1)
	res.ReplaceHeader(sipHeader("WWW-Authenticate", sha))
	p.send(p.register(testNumber, authorize(t, res, "SHA-256", testNumber, h.password, 1)))
	if got := p.recv().StatusCode; got != 401 {
		t.Fatalf("SHA-256 answer when only MD5 is offered: %d, want 401", got)
	}
}
