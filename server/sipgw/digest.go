package sipgw

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
)

// DefaultAlgorithms are the digest algorithms offered, most preferred first
// (RFC 8760 section 2.4).
var DefaultAlgorithms = []string{"SHA-256", "MD5"}

// nonce is one issued challenge. A nonce is good until it expires, and each
// use must carry a higher nonce count than the last, so that a captured
// request cannot be sent again.
type nonce struct {
	expires time.Time
	lastNC  int
}

// nonces is the table of challenges issued and not yet expired. It is
// bounded: when full of live nonces it issues none until some expire.
type nonces struct {
	mu   sync.Mutex
	max  int
	ttl  time.Duration
	rand io.Reader
	m    map[string]*nonce
}

func newNonces(max int, ttl time.Duration, r io.Reader) *nonces {
	if r == nil {
		r = rand.Reader
	}
	return &nonces{max: max, ttl: ttl, rand: r, m: make(map[string]*nonce)}
}

// issue returns a fresh nonce, or "" when the table is full.
func (ns *nonces) issue(now time.Time) (string, error) {
	b := make([]byte, 18)
	if _, err := io.ReadFull(ns.rand, b); err != nil {
		return "", fmt.Errorf("making a nonce: %w", err)
	}
	n := base64.RawURLEncoding.EncodeToString(b)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if len(ns.m) >= ns.max {
		ns.pruneLocked(now)
	}
	if len(ns.m) >= ns.max {
		return "", nil
	}
	ns.m[n] = &nonce{expires: now.Add(ns.ttl)}
	return n, nil
}

func (ns *nonces) pruneLocked(now time.Time) {
	for k, v := range ns.m {
		if !now.Before(v.expires) {
			delete(ns.m, k)
		}
	}
}

// use checks that n is live and nc is above its last count, and records nc.
// A request without qop (nc 0) may use a nonce once.
func (ns *nonces) use(n string, nc int, now time.Time) (ok, stale bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	v := ns.m[n]
	if v == nil {
		return false, true
	}
	if !now.Before(v.expires) {
		delete(ns.m, n)
		return false, true
	}
	if nc == 0 {
		delete(ns.m, n)
		return true, false
	}
	if nc <= v.lastNC {
		return false, false
	}
	v.lastNC = nc
	return true, false
}

func (ns *nonces) len() int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return len(ns.m)
}

// challenges builds one WWW-Authenticate value per algorithm for nonce n.
func challenges(algorithms []string, realm, n string, stale bool) []string {
	out := make([]string, 0, len(algorithms))
	for _, alg := range algorithms {
		c := digest.Challenge{Realm: realm, Nonce: n, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		out = append(out, c.String())
	}
	return out
}

// verdict is what checking an Authorization header decided.
type verdict int

const (
	verdictOK        verdict = iota
	verdictChallenge         // no usable credentials: challenge (again)
	verdictStale             // nonce unknown or expired: challenge with stale=true
	verdictForbidden         // wrong password, wrong user or a replay
)

// secret returns the HA1 for an algorithm, or "" when there is none.
type secret func(alg string) string

// check verifies credentials c for a request with method. user is the number
// the request is for; realm is ours.
func check(c *digest.Credentials, method, user, realm string, ha1 secret, ns *nonces, now time.Time) verdict {
	if c.Username != user {
		return verdictForbidden
	}
	if c.Realm != realm || c.Userhash {
		return verdictChallenge
	}
	alg := strings.ToUpper(c.Algorithm)
	if alg == "" {
		alg = "MD5"
	}
	a1 := ha1(alg)
	if a1 == "" {
		return verdictChallenge
	}
	if c.QOP != "" && c.QOP != "auth" {
		return verdictChallenge
	}
	if c.QOP == "" && c.Nc != 0 {
		return verdictChallenge
	}
	chal := &digest.Challenge{Realm: realm, Nonce: c.Nonce, Algorithm: alg}
	if c.QOP != "" {
		chal.QOP = []string{c.QOP}
		if c.Cnonce == "" || c.Nc <= 0 {
			return verdictChallenge
		}
	}
	want, err := digest.Digest(chal, digest.Options{Method: method, URI: c.URI, Cnonce: c.Cnonce, Count: c.Nc, A1: a1, Username: c.Username})
	if err != nil {
		return verdictChallenge
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(want.Response)), []byte(strings.ToLower(c.Response))) != 1 {
		// The nonce may be valid; a wrong answer to it is a wrong password.
		if _, stale := ns.peek(c.Nonce, now); stale {
			return verdictStale
		}
		return verdictForbidden
	}
	ok, stale := ns.use(c.Nonce, c.Nc, now)
	switch {
	case stale:
		return verdictStale
	case !ok:
		return verdictForbidden
	}
	return verdictOK
}

// peek reports whether n is live, without using it.
func (ns *nonces) peek(n string, now time.Time) (live, stale bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	v := ns.m[n]
	if v == nil || !now.Before(v.expires) {
		return false, true
	}
	return true, false
}
