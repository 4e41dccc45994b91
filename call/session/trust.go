package session

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
)

// Reasons a call ends when the peer's statement does not hold.
const (
	// ReasonKeyChanged: the peer's number came with a key that is not
	// the one pinned for it; not connected until the user accepts it.
	ReasonKeyChanged = "key-changed"
	// ReasonNotVerified: the peer's statement failed, did not match its
	// SDP or the call, or a pinned number sent none.
	ReasonNotVerified = "not-verified"
)

// Keys is where the phone pins the device keys of the numbers it talks to
// (tui/book's Keys keeps them in the data directory).
type Keys interface {
	// Pins returns the keys pinned for number.
	Pins(number string) ([]identity.Pin, error)
	// Pin adds p for number, or replaces the pin of the same key.
	Pin(number string, p identity.Pin) error
	// Changed keeps p as number's new key, for the user to accept (or not):
	// it is not pinned.
	Changed(number string, p identity.Pin) error
}

// statement signs our SDP's fingerprints for this call. An SDP without a
// fingerprint is sent unsigned (it cannot carry media anyway).
func (p *Phone) statement(id call.ID, caller, callee, role, sdp string) (*wire.Signed, error) {
	fps, err := identity.Fingerprints(sdp)
	if err != nil {
		return nil, err
	}
	priv := p.cfg.Sig.Key
	st := identity.Statement{Call: string(id), Caller: caller, Callee: callee, Role: role, Fingerprints: fps,
		Key: priv.Public().(ed25519.PublicKey)}
	sig, err := identity.SignStatement(st, priv)
	if err != nil {
		return nil, err
	}
	return &wire.Signed{Body: st.Bytes(), Sig: sig}, nil
}

// parties says who dialled whom in rec.
func (p *Phone) parties(rec *callRec) (caller, callee string) {
	if rec.outgoing {
		return p.number, rec.peer
	}
	return rec.peer, p.number
}

// checkPeer judges the statement that came with the peer's SDP m. When the
// statement verified it also returns the key that signed it, from which
// the caller works out the safety code (see onPeerSDP).
func (p *Phone) checkPeer(rec *callRec, m *wire.Message) (call.Trust, ed25519.PublicKey) {
	if !strings.HasPrefix(rec.peer, "+") {
		return call.Trust{State: call.TrustViaServer, Via: wire.ViaService, Detail: "the other end is the server itself"}, nil
	}
	pins, err := p.pins(rec.peer)
	if err != nil {
		// Without the pins nothing can be judged; failing closed would
		// make a broken file end every call, so say so and go on as if
		// unsigned.
		p.log.Warn("reading pinned keys", keyPeer, rec.peer, "err", err)
		return call.Trust{State: call.TrustUnsigned, Detail: "pinned keys unreadable: " + err.Error()}, nil
	}
	if m.Statement == nil && m.Via != "" {
		return viaServer(rec.peer, m.Via, pins), nil
	}
	if m.Statement == nil {
		if len(pins) > 0 {
			return invalid("it sent no signed statement, though it has signed before: the server may be in the middle"), nil
		}
		return call.Trust{State: call.TrustUnsigned, Detail: "the other phone signs nothing: the server could be in the middle"}, nil
	}
	st, err := p.verifyStatement(rec, m)
	if err != nil {
		return invalid(err.Error()), nil
	}
	t := call.Trust{Key: identity.KeyID(st.Key)}
	if i := slices.IndexFunc(pins, func(x identity.Pin) bool { return x.Key.Equal(st.Key) }); i >= 0 {
		pin := pins[i]
		t.Device = pin.Name
		switch {
		case pin.New:
			t.State, t.VouchedBy = call.TrustNewDevice, pin.VouchedBy
		case pin.Verified:
			t.State = call.TrustVerified
		default:
			t.State = call.TrustPinned
		}
		return t, st.Key
	}
	pin := identity.Pin{Key: st.Key, At: p.now().UTC().Truncate(time.Second)}
	if len(pins) == 0 {
		pin.Name = chainName(m.Chain)
		t.State, t.Device = call.TrustNew, pin.Name
		p.pin(rec.peer, pin)
		return t, st.Key
	}
	if by, name, err := p.vouch(rec.peer, st.Key, m.Chain, pins); err == nil {
		pin.Name, pin.VouchedBy, pin.New = name, by, true
		t.State, t.Device, t.VouchedBy = call.TrustNewDevice, name, by
		p.pin(rec.peer, pin)
		return t, st.Key
	} else if len(m.Chain) > 0 {
		t.Detail = "its link certificates: " + err.Error()
	}
	if p.cfg.Keys != nil {
		if err := p.cfg.Keys.Changed(rec.peer, pin); err != nil {
			p.log.Warn("keeping a changed key", keyPeer, rec.peer, "err", err)
		}
	}
	t.State, t.Pinned = call.TrustKeyChanged, identity.KeyID(pins[0].Key)
	why := "the key is not the one pinned for this number: a new phone, or someone in the middle"
	if slices.ContainsFunc(pins, func(x identity.Pin) bool { return x.Verified }) {
		t.WasVerified = true
		why = "this number was verified, and " + why
	}
	if t.Detail != "" {
		why = t.Detail + "; " + why
	}
	t.Detail = why
	return t, st.Key
}

// viaServer judges an unsigned sdp the server says comes from a party of
// its own (via). The mark only explains why nothing is signed: the call is
// connected but never verified, pins nothing and changes no key. Since a
// server in the middle could mark any call so, a number with pinned keys
// is told plainly that this is not the device pinned for it.
func viaServer(peer, via string, pins []identity.Pin) call.Trust {
	t := call.Trust{State: call.TrustViaServer, Via: via}
	what := "a party of the server"
	switch via {
	case wire.ViaSIP:
		what = "the SIP gateway, for a SIP phone of " + peer
	case wire.ViaTrunk:
		what = "the SIP gateway, for " + peer + " beyond a SIP trunk"
	}
	t.Detail = "via server: " + what + "; not end to end verified"
	if len(pins) > 0 {
		t.Pinned = identity.KeyID(pins[0].Key)
		dev := "the device whose key is pinned for " + peer
		if slices.ContainsFunc(pins, func(x identity.Pin) bool { return x.Verified }) {
			t.WasVerified = true
			dev = "the device you verified for " + peer
		}
		t.Detail += ", and not " + dev
	}
	return t
}

func invalid(why string) call.Trust { return call.Trust{State: call.TrustInvalid, Detail: why} }

// verifyStatement checks m's statement against its SDP and rec.
func (p *Phone) verifyStatement(rec *callRec, m *wire.Message) (identity.Statement, error) {
	st, err := identity.ParseStatement(m.Statement.Body)
	if err != nil {
		return st, fmt.Errorf("its statement does not parse: %w", err)
	}
	if err := identity.VerifyStatement(st, m.Statement.Sig); err != nil {
		return st, errors.New("its statement's signature does not verify")
	}
	fps, err := identity.Fingerprints(m.SDP)
	if err != nil {
		return st, fmt.Errorf("its SDP: %w", err)
	}
	if !slices.Equal(fps, st.Fingerprints) {
		return st, errors.New("the DTLS fingerprint in its SDP is not the one it signed: the server is in the middle")
	}
	caller, callee := p.parties(rec)
	if st.Call != string(rec.id) || st.Caller != caller || st.Callee != callee || st.Role != m.SDPType {
		return st, errors.New("its statement is for another call, or another role")
	}
	return st, nil
}

func (p *Phone) pins(number string) ([]identity.Pin, error) {
	if p.cfg.Keys == nil {
		return nil, nil
	}
	return p.cfg.Keys.Pins(number)
}

func (p *Phone) pin(number string, pin identity.Pin) {
	if p.cfg.Keys == nil {
		return
	}
	if err := p.cfg.Keys.Pin(number, pin); err != nil {
		p.log.Warn("pinning a key", keyPeer, number, "err", err)
	}
}

// vouch follows chain from key to a pinned device; it returns that
// device's name and the name the chain gives the new one.
func (p *Phone) vouch(number string, key ed25519.PublicKey, chain []wire.Signed, pins []identity.Pin) (by, name string, err error) {
	links, err := parseChain(chain)
	if err != nil {
		return "", "", err
	}
	var voucher identity.Pin
	_, name, err = identity.Vouch(number, key, links, func(k ed25519.PublicKey) bool {
		i := slices.IndexFunc(pins, func(x identity.Pin) bool { return x.Key.Equal(k) })
		if i >= 0 {
			voucher = pins[i]
		}
		return i >= 0
	})
	if err != nil {
		return "", "", err
	}
	return voucher.DeviceName(), name, nil
}

func parseChain(chain []wire.Signed) ([]identity.SignedLink, error) {
	var links []identity.SignedLink
	for i, s := range chain {
		c, err := identity.ParseLink(s.Body)
		if err != nil {
			return nil, fmt.Errorf("link certificate %d: %w", i, err)
		}
		links = append(links, identity.SignedLink{Cert: c, Sig: s.Sig})
	}
	return links, nil
}

// chainName is the device name the first link certificate gives, if any.
func chainName(chain []wire.Signed) string {
	if len(chain) == 0 {
		return ""
	}
	c, err := identity.ParseLink(chain[0].Body)
	if err != nil {
		return ""
	}
	return c.Name
}

// safetyMemo remembers the last safety code worked out, and for whom: a
// thousand SHA-512 rounds each, the same for every call between the same
// two devices, and calling the same number again is common.
type safetyMemo struct {
	self, peer string
	key        ed25519.PublicKey
	code       string
}

// safetyCode is the safety code between this device and peer's key.
func (p *Phone) safetyCode(peer string, key ed25519.PublicKey) string {
	m := &p.safety
	if m.code != "" && m.self == p.number && m.peer == peer && m.key.Equal(key) {
		return m.code
	}
	code := identity.SafetyCode(identity.Party{Number: p.number, Key: p.cfg.Sig.Key.Public().(ed25519.PublicKey)},
		identity.Party{Number: peer, Key: key})
	*m = safetyMemo{self: p.number, peer: peer, key: key, code: code}
	return code
}

// onPeerSDP judges the peer's SDP and hands it to the media, or ends the
// call when the statement does not hold.
func (p *Phone) onPeerSDP(rec *callRec, m *wire.Message) {
	if rec.trust != nil && m.SDP == rec.trustSDP {
		// The same description again (a resumed session replays it): judged
		// already, and judging it again would find the key it pinned.
		typ, sdp := m.SDPType, m.SDP
		rec.media.do(func(md Media) error { return md.HandleSDP(typ, sdp) })
		return
	}
	t, key := p.checkPeer(rec, m)
	if t.State.Carries() {
		// The media takes the description before the safety code is
		// worked out (a thousand hashes, for the screen only): the two
		// run side by side, and the code is off the set-up's path.
		typ, sdp := m.SDPType, m.SDP
		rec.media.do(func(md Media) error { return md.HandleSDP(typ, sdp) })
	}
	if key != nil {
		t.SafetyCode = p.safetyCode(rec.peer, key)
	}
	rec.trustSDP = m.SDP
	if rec.trust == nil || *rec.trust != t {
		rec.trust = &t
		p.emit(call.Event{Kind: call.EventTrust, Call: rec.id, Peer: rec.peer, Trust: &t})
	}
	if !t.State.Carries() {
		p.log.Warn("peer's statement does not hold; hanging up", keyCall, rec.id, keyPeer, rec.peer,
			"trust", t.State, "why", t.Detail)
		rec.local = true
		p.sig.Send(&wire.Message{Type: wire.TypeHangup, Call: wire.CallID(rec.id)})
		reason := ReasonNotVerified
		if t.State == call.TrustKeyChanged {
			reason = ReasonKeyChanged
		}
		p.end(rec, reason, t.Detail)
	}
}
