package relay

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by convention (coturn's use-auth-secret).
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
)

// Credentials are one party's TURN credentials for one call. They go to the
// client in the `accepted` message; the client puts them in its ICE server
// configuration as is.
type Credentials struct {
	// URLs are the relay's TURN URLs, e.g. "turn:127.0.0.1:3478?transport=udp".
	URLs []string
	// Username is "<unix-expiry>:<call ID>:<number>" (TURN REST style).
	Username string
	// Password is base64(HMAC-SHA1(secret, Username)).
	Password string
	// Expires is when a new allocation stops being granted with these
	// credentials. An allocation made before then lives as long as the call.
	Expires time.Time
}

// Limits on the username, which is untrusted input from the network.
const (
	maxUsernameLen = 128
	maxCallIDLen   = 64
	maxExpiryLen   = 12
	maxNumberLen   = 16 // '+' and 15 digits (E.164)
)

// credential is a parsed relay username.
type credential struct {
	expires int64 // unix seconds
	callID  string
	number  string
}

// userID is the identity pion/turn carries from the auth handler to the
// relay address generator and the allocation: the number, scoped to the
// call. The expiry is left out so that a client that renews its credentials
// mid-call still matches its allocation.
func (c credential) userID() string { return c.callID + ":" + c.number }

func formatUsername(expires time.Time, callID, number string) string {
	return strconv.FormatInt(expires.Unix(), 10) + ":" + callID + ":" + number
}

// parseUsername parses "<unix-expiry>:<callID>:<number>". Call IDs are
// 1–64 characters of [A-Za-z0-9._-]; numbers are an optional '+' and 1–15
// digits (E.164 or a short service code).
func parseUsername(s string) (credential, error) {
	if len(s) > maxUsernameLen {
		return credential{}, fmt.Errorf("%w: %d bytes", errBadUsername, len(s))
	}
	exp, rest, ok := strings.Cut(s, ":")
	if !ok {
		return credential{}, errBadUsername
	}
	callID, number, ok := strings.Cut(rest, ":")
	if !ok {
		return credential{}, errBadUsername
	}
	if len(exp) == 0 || len(exp) > maxExpiryLen || !allDigits(exp) || (len(exp) > 1 && exp[0] == '0') {
		return credential{}, fmt.Errorf("%w: expiry", errBadUsername)
	}
	if !validCallID(callID) {
		return credential{}, fmt.Errorf("%w: call ID", errBadUsername)
	}
	if !validNumber(number) {
		return credential{}, fmt.Errorf("%w: number", errBadUsername)
	}
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return credential{}, fmt.Errorf("%w: expiry", errBadUsername)
	}
	return credential{expires: e, callID: callID, number: number}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validCallID(s string) bool {
	if len(s) == 0 || len(s) > maxCallIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func validNumber(s string) bool {
	d := strings.TrimPrefix(s, "+")
	return len(d) > 0 && len(d) < maxNumberLen && allDigits(d)
}

// password is the TURN REST password for username: base64(HMAC-SHA1(secret,
// username)), the form coturn's use-auth-secret also accepts.
func password(secret []byte, username string) string {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Credentials returns number's relay credentials for callID. They expire
// after Config.CredentialTTL for new allocations, and stop working at once
// when the call ends (Calls.Live turns false). A call ID outside
// [A-Za-z0-9._-]{1,64} or a number outside \+?[0-9]{1,15} yields credentials
// that are always refused.
func (r *Relay) Credentials(callID, number string) Credentials {
	exp := r.now().Add(r.cfg.CredentialTTL).Truncate(time.Second)
	user := formatUsername(exp, callID, number)
	if !validCallID(callID) || !validNumber(number) {
		r.log.Warn("relay credentials for an invalid call ID or number", keyCallID, callID, keyNumber, number)
	}
	return Credentials{
		URLs:     r.URLs(),
		Username: user,
		Password: password(r.cfg.Secret, user),
		Expires:  exp,
	}
}

// authenticate is the TURN auth handler. The HMAC itself is checked by
// pion/turn: it verifies the request's MESSAGE-INTEGRITY with the key we
// derive from the username, which only holds if the client's password is
// our HMAC of that username.
//
// Expiry gates new allocations only. pion/turn re-authenticates every
// Refresh, CreatePermission and ChannelBind with the credentials the client
// allocated with; refusing those after expiry would cut a long call at
// CredentialTTL plus the allocation lifetime. A call that is no longer live
// gets nothing, whatever the expiry.
func (r *Relay) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	c, err := parseUsername(ra.Username)
	if err != nil {
		r.stats.refuse(ReasonCredentialMalformed)
		return "", nil, false
	}
	if ra.Method == stun.MethodAllocate && r.now().Unix() > c.expires {
		r.stats.refuse(ReasonCredentialExpired)
		return "", nil, false
	}
	if !r.cfg.Calls.Live(c.callID, c.number) {
		r.stats.refuse(ReasonCallNotLive)
		return "", nil, false
	}
	key := turn.GenerateAuthKey(ra.Username, r.cfg.Realm, password(r.cfg.Secret, ra.Username))
	return c.userID(), key, true
}

// splitUserID undoes credential.userID.
func splitUserID(id string) (callID, number string, ok bool) {
	return strings.Cut(id, ":")
}
