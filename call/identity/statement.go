package identity

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// statementContext separates call statements from anything else a device
// key signs.
const statementContext = "dialtone/1 call statement"

// MaxFingerprints bounds the DTLS fingerprints one statement may carry; an
// SDP from a browser or pion has one, a session-level one repeated per
// media section counts once.
const MaxFingerprints = 4

// Roles a statement's signer plays in the SDP exchange.
const (
	RoleOffer  = "offer"
	RoleAnswer = "answer"
)

// Statement is what a device signs with its device key when it sends its
// SDP: "in call Call from Caller to Callee, my (Role) description's DTLS
// certificate has these fingerprints, and Key is the key saying so". The
// peer checks it against the SDP it actually uses and the keys it knows for
// the signer's number, so a server that swaps the fingerprints (to sit in
// the middle of the DTLS handshake) is caught.
type Statement struct {
	Call   string // the server's call ID
	Caller string // the number that dialled, E.164
	Callee string // the number dialled: E.164 or a service code
	Role   string // RoleOffer or RoleAnswer
	// Fingerprints are the SDP's a=fingerprint values, normalised by
	// Fingerprints: "sha-256 AB:CD:…", sorted, each once.
	Fingerprints []string
	Key          ed25519.PublicKey // the signer's device key
}

// Bytes is the canonical form the signature covers.
func (s Statement) Bytes() []byte {
	var b builder
	b.str(statementContext)
	b.str(s.Call)
	b.str(s.Caller)
	b.str(s.Callee)
	b.str(s.Role)
	b.u64(uint64(len(s.Fingerprints)))
	for _, f := range s.Fingerprints {
		b.str(f)
	}
	b.field(s.Key)
	return b
}

// Check says whether the statement's fields are well formed.
func (s Statement) Check() error {
	switch {
	case s.Call == "" || len(s.Call) > 128:
		return errors.New("statement call ID must be 1 to 128 bytes")
	case s.Caller == "" || s.Callee == "" || len(s.Caller) > 16 || len(s.Callee) > 16:
		return errors.New("statement numbers must be 1 to 16 bytes")
	case s.Role != RoleOffer && s.Role != RoleAnswer:
		return fmt.Errorf("statement role %q is neither %q nor %q", s.Role, RoleOffer, RoleAnswer)
	case len(s.Fingerprints) == 0 || len(s.Fingerprints) > MaxFingerprints:
		return fmt.Errorf("statement must carry 1 to %d fingerprints", MaxFingerprints)
	case len(s.Key) != ed25519.PublicKeySize:
		return errors.New("statement key is not an Ed25519 key")
	}
	for i, f := range s.Fingerprints {
		if n, err := normFingerprint(f); err != nil || n != f {
			return fmt.Errorf("statement fingerprint %d is not in normal form", i)
		}
		if i > 0 && s.Fingerprints[i-1] >= f {
			return errors.New("statement fingerprints are not sorted and distinct")
		}
	}
	return nil
}

// SignStatement signs s with the device's private key, which must be s.Key.
func SignStatement(s Statement, priv ed25519.PrivateKey) ([]byte, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if !priv.Public().(ed25519.PublicKey).Equal(s.Key) {
		return nil, errors.New("signing a call statement: key is not the statement's")
	}
	return ed25519.Sign(priv, s.Bytes()), nil
}

// VerifyStatement checks sig over s against s.Key.
func VerifyStatement(s Statement, sig []byte) error {
	if err := s.Check(); err != nil {
		return err
	}
	if !ed25519.Verify(s.Key, s.Bytes(), sig) {
		return errors.New("call statement signature does not verify")
	}
	return nil
}

// ParseStatement reads a statement back from its canonical form; it takes
// only the canonical form of a well-formed statement.
func ParseStatement(p []byte) (Statement, error) {
	r := reader{p: p}
	if ctx := r.str(); r.err == nil && ctx != statementContext {
		return Statement{}, errors.New("identity: not a call statement")
	}
	s := Statement{Call: r.str(), Caller: r.str(), Callee: r.str(), Role: r.str()}
	n := r.u64()
	if r.err == nil && n > MaxFingerprints {
		return Statement{}, fmt.Errorf("identity: statement of %d fingerprints; at most %d", n, MaxFingerprints)
	}
	for range n {
		s.Fingerprints = append(s.Fingerprints, r.str())
	}
	s.Key = ed25519.PublicKey(bytes.Clone(r.field()))
	if err := r.done(); err != nil {
		return Statement{}, err
	}
	if err := s.Check(); err != nil {
		return Statement{}, err
	}
	return s, nil
}

// Fingerprints returns the DTLS certificate fingerprints an SDP declares
// (a=fingerprint, at session or media level), normalised ("sha-256", hex in
// upper case), sorted, each once: what a Statement carries. An SDP with
// none, or with one that is malformed, is an error.
func Fingerprints(sdp string) ([]string, error) {
	var out []string
	for line := range strings.Lines(sdp) {
		line = strings.TrimRight(line, "\r\n")
		v, ok := strings.CutPrefix(line, "a=fingerprint:")
		if !ok {
			continue
		}
		f, err := normFingerprint(v)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
		if len(out) > MaxFingerprints {
			return nil, fmt.Errorf("sdp has more than %d fingerprints", MaxFingerprints)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("sdp has no DTLS fingerprint")
	}
	slices.Sort(out)
	return out, nil
}

// normFingerprint brings "SHA-256 ab:cd…" to "sha-256 AB:CD…".
func normFingerprint(v string) (string, error) {
	alg, hex, ok := strings.Cut(strings.TrimSpace(v), " ")
	hex = strings.TrimSpace(hex)
	if !ok || alg == "" || len(alg) > 16 || hex == "" || len(hex) > 3*64 {
		return "", fmt.Errorf("malformed fingerprint %q", short(v))
	}
	for _, c := range alg {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "", fmt.Errorf("malformed fingerprint algorithm %q", short(alg))
		}
	}
	hex = strings.ToUpper(hex)
	for i, c := range hex {
		want := i%3 == 2
		if want && c != ':' || !want && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return "", fmt.Errorf("malformed fingerprint %q", short(v))
		}
	}
	if len(hex)%3 != 2 {
		return "", fmt.Errorf("malformed fingerprint %q", short(v))
	}
	return strings.ToLower(alg) + " " + hex, nil
}

func short(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
