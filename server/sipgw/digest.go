package sipgw

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
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

// Nonces carry their own expiry and a MAC under a key only this process
// knows, so issuing one stores nothing: a flood of unauthenticated requests
// cannot fill a table. State is kept only for nonces answered with the right
// password: the last nonce count, so that each use must count higher and a
// captured request cannot be sent again. That table is bounded: when it is
// full the entry answered first is forgotten, and every nonce expiring no
// later than it (issued no later) is stale from then on, so what it
// answered still cannot be replayed and a phone is merely challenged again.
type nonces struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	rand  io.Reader
	key   []byte
	used  map[string]*list.Element // of *usedNonce
	order list.List                // first answered first
	floor time.Time                // nonces expiring by then and not in used are stale
}

type usedNonce struct {
	nonce   string
	expires time.Time
	lastNC  int
}

const (
	nonceRandom = 12
	nonceMAC    = 16
)

func newNonces(max int, ttl time.Duration, r io.Reader) (*nonces, error) {
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("making the nonce key: %w", err)
	}
	return &nonces{max: max, ttl: ttl, rand: r, key: key, used: make(map[string]*list.Element)}, nil
}

// issue returns a fresh nonce: expiry, randomness, MAC.
func (ns *nonces) issue(now time.Time) (string, error) {
	b := make([]byte, 8+nonceRandom, 8+nonceRandom+nonceMAC)
	binary.BigEndian.PutUint64(b, uint64(now.Add(ns.ttl).UnixNano()))
	if _, err := io.ReadFull(ns.rand, b[8:]); err != nil {
		return "", fmt.Errorf("making a nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(append(b, ns.mac(b)...)), nil
}

func (ns *nonces) mac(b []byte) []byte {
	m := hmac.New(sha256.New, ns.key)
	m.Write(b)
	return m.Sum(nil)[:nonceMAC]
}

// live reports whether n is a nonce of ours that has not expired, and when
// it expires.
func (ns *nonces) live(n string, now time.Time) (time.Time, bool) {
	b, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(b) != 8+nonceRandom+nonceMAC {
		return time.Time{}, false
	}
	body, mac := b[:8+nonceRandom], b[8+nonceRandom:]
	if !hmac.Equal(mac, ns.mac(body)) {
		return time.Time{}, false
	}
	exp := time.Unix(0, int64(binary.BigEndian.Uint64(body)))
	return exp, now.Before(exp)
}

// use checks that n is live and nc above its last count, and records nc.
// A request without qop (nc 0) may use a nonce once.
func (ns *nonces) use(n string, nc int, now time.Time) (ok, stale bool) {
	exp, live := ns.live(n, now)
	if !live {
		return false, true
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	e := ns.used[n]
	if e == nil {
		if !exp.After(ns.floor) {
			return false, true // forgotten, or older than what was
		}
		for ns.order.Len() > 0 && (ns.order.Len() >= ns.max || !now.Before(ns.order.Front().Value.(*usedNonce).expires)) {
			old := ns.order.Remove(ns.order.Front()).(*usedNonce)
			delete(ns.used, old.nonce)
			if old.expires.After(ns.floor) {
				ns.floor = old.expires
			}
		}
		if !exp.After(ns.floor) {
			return false, true
		}
		e = ns.order.PushBack(&usedNonce{nonce: n, expires: exp, lastNC: -1})
		ns.used[n] = e
	}
	v := e.Value.(*usedNonce)
	if nc == 0 && v.lastNC >= 0 || nc != 0 && nc <= v.lastNC {
		return false, false
	}
	v.lastNC = nc
	return true, false
}

// len is how many nonces have been used and not yet expired.
func (ns *nonces) len() int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return len(ns.used)
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
		if _, live := ns.live(c.Nonce, now); !live {
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
