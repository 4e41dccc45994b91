package wire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
)

// Decode parses and checks one message from the network. Every error it
// returns is a *Error (errors.Is(err, ErrBadMessage) holds) whose Code is what
// to answer with. A message that decodes is within every bound and carries
// the fields its type requires, in the right form; whether a number exists or
// a call is yours is for the receiver to check.
func Decode(data []byte) (*Message, error) {
	if len(data) > MaxMessage {
		return nil, errorf(CodeTooLarge, "message of %d bytes; the limit is %d", len(data), MaxMessage)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, errorf(CodeBadMessage, "a message is one JSON object")
	}
	// The messages of a call take the fast path (decode.go); whatever it
	// does not take, encoding/json reads as it always did.
	m := new(Message)
	if !m.decodeFast(data) {
		*m = Message{}
		if err := unmarshal(data, m); err != nil {
			return nil, err
		}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// unmarshal is encoding/json's reading of data, with its errors as *Error.
// Unmarshal, not a Decoder: it reads the one value in place (a Decoder
// copies it into a buffer of its own) and refuses anything after it, where
// a Decoder's More let a "}" or "]" through.
func unmarshal(data []byte, m *Message) error {
	if err := json.Unmarshal(data, m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errorf(CodeBadMessage, "field %q: want %s", te.Field, te.Type)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "after top-level value") {
			return errorf(CodeBadMessage, "one JSON object per message")
		}
		return errorf(CodeBadMessage, "malformed JSON: %v", err)
	}
	return nil
}

// Encode serialises m, stamping the protocol version (see AppendEncode).
func Encode(m *Message) ([]byte, error) {
	b, err := AppendEncode(nil, m)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Validate checks the version, the type, and the fields the type requires.
func (m *Message) Validate() error {
	if m.V != Version {
		return errorf(CodeVersion, "version %d; this server speaks %d", m.V, Version)
	}
	if err := m.checkBounds(); err != nil {
		return err
	}
	check, ok := required[m.Type]
	if !ok {
		return errorf(CodeUnknownType, "unknown message type %q", m.Type)
	}
	if check != nil {
		return check(m)
	}
	return nil
}

func (m *Message) checkBounds() error {
	type field struct{ name, val string }
	for _, f := range [...]field{
		{"call", string(m.Call)}, {"invite", m.Invite}, {"resume", m.Resume}, {"client", m.Client},
		{"server", m.Server}, {"session", m.Session}, {"reason", m.Reason}, {"media", m.Media},
		{"sdp_type", m.SDPType}, {"local_lease", m.LocalLease}, {"remote_lease", m.RemoteLease},
	} {
		if len(f.val) > MaxToken {
			return errorf(CodeTooLarge, "%s longer than %d bytes", f.name, MaxToken)
		}
	}
	for _, f := range [...]field{{"number", m.Number}, {"to", m.To}, {"from", m.From}, {"peer", m.Peer}} {
		if f.val != "" && !numberShape(f.val) {
			return errorf(CodeBadNumber, "%s %q is not an E.164 number or a service code", f.name, truncate(f.val))
		}
	}
	if len(m.SDP) > MaxSDP {
		return errorf(CodeTooLarge, "sdp longer than %d bytes", MaxSDP)
	}
	if len(m.Message) > MaxMessage/4 {
		return errorf(CodeTooLarge, "error message too long")
	}
	if len(m.Missed) > MaxMissed || len(m.Calls) > MaxMissed || len(m.Services) > MaxMissed {
		return errorf(CodeTooLarge, "list longer than %d", MaxMissed)
	}
	if len(m.Chain) > MaxChain {
		return errorf(CodeTooLarge, "chain longer than %d", MaxChain)
	}
	for _, sg := range m.Chain {
		if err := sg.check(); err != nil {
			return err
		}
	}
	if len(m.Via) > MaxToken {
		return errorf(CodeTooLarge, "via longer than %d bytes", MaxToken)
	}
	if m.Statement != nil {
		if err := m.Statement.check(); err != nil {
			return err
		}
	}
	if err := checkDevice(m); err != nil {
		return err
	}
	if c := m.Candidate; c != nil {
		if len(c.Candidate) > MaxCandidate {
			return errorf(CodeTooLarge, "candidate longer than %d bytes", MaxCandidate)
		}
		if c.SDPMid != nil && len(*c.SDPMid) > MaxToken || c.UsernameFragment != nil && len(*c.UsernameFragment) > MaxToken {
			return errorf(CodeTooLarge, "candidate field longer than %d bytes", MaxToken)
		}
	}
	return nil
}

func (s Signed) check() error {
	if len(s.Body) == 0 || len(s.Body) > MaxSigned {
		return errorf(CodeTooLarge, "signed body must be 1 to %d bytes", MaxSigned)
	}
	if len(s.Sig) != ed25519.SignatureSize {
		return errorf(CodeBadMessage, "signature must be %d bytes", ed25519.SignatureSize)
	}
	return nil
}

// required lists, for each type a peer may send, what must be present.
// A nil check means the type needs nothing beyond the envelope.
var required = map[Type]func(*Message) error{
	TypeHello: func(m *Message) error {
		if m.Number == "" {
			return errorf(CodeBadMessage, "hello needs number")
		}
		if len(m.Key) != ed25519.PublicKeySize {
			return errorf(CodeBadMessage, "hello needs key: a %d-byte Ed25519 public key", ed25519.PublicKeySize)
		}
		return nil
	},
	TypeProof: func(m *Message) error {
		if len(m.Sig) != ed25519.SignatureSize {
			return errorf(CodeBadMessage, "proof needs sig: a %d-byte Ed25519 signature", ed25519.SignatureSize)
		}
		return nil
	},
	TypeDial:   func(m *Message) error { return need(m.To != "", "dial needs to") },
	TypeAccept: needCall, TypeRefuse: needCall, TypeCancel: needCall, TypeHangup: needCall,
	TypeSDP: func(m *Message) error {
		if err := needCall(m); err != nil {
			return err
		}
		if m.SDPType != SDPOffer && m.SDPType != SDPAnswer {
			return errorf(CodeBadMessage, "sdp_type must be %q or %q", SDPOffer, SDPAnswer)
		}
		return need(m.SDP != "", "sdp needs sdp")
	},
	TypeICE: func(m *Message) error {
		if err := needCall(m); err != nil {
			return err
		}
		return need(m.Candidate != nil, "ice needs candidate")
	},
	TypeMediaState: func(m *Message) error {
		if err := needCall(m); err != nil {
			return err
		}
		return need(m.Camera == CameraOn || m.Camera == CameraOff, `media-state needs camera "on" or "off"`)
	},
	TypeMissedAck: func(m *Message) error { return need(m.ID > 0, "missed-ack needs id") },
	TypePing:      nil,
	TypeBye:       nil,

	TypeChallenge: func(m *Message) error { return need(len(m.Nonce) == NonceSize, "challenge needs a 32-byte nonce") },
	TypeRegistered: func(m *Message) error {
		return need(m.Number != "" && m.Session != "", "registered needs number and session")
	},
	TypeRinging:  needCall,
	TypeIncoming: func(m *Message) error { return firstErr(needCall(m), need(m.From != "", "incoming needs from")) },
	TypeAccepted: func(m *Message) error {
		return firstErr(needCall(m), need(m.LocalLease != "" && m.RemoteLease != "", "accepted needs both leases"))
	},
	TypeRefused: needCall, TypeUnavailable: needCall, TypeBusy: needCall, TypeNoAnswer: needCall,
	TypeCancelled: needCall, TypeHangupAck: needCall, TypeEnded: needCall,
	TypePong:  nil,
	TypeError: func(m *Message) error { return need(m.Code != "", "error needs code") },
}

// ClientTypes are the types a client may send; the server rejects the rest.
var ClientTypes = map[Type]bool{
	TypeHello: true, TypeProof: true, TypeDial: true, TypeAccept: true, TypeRefuse: true,
	TypeCancel: true, TypeHangup: true, TypeSDP: true, TypeICE: true, TypeMediaState: true, TypeMissedAck: true,
	TypePing: true, TypeBye: true,
}

func needCall(m *Message) error {
	if m.Call != "" {
		return nil // without building the words of the error
	}
	return errorf(CodeBadMessage, "%s needs call", m.Type)
}

func need(ok bool, msg string) error {
	if ok {
		return nil
	}
	return errorf(CodeBadMessage, "%s", msg)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// numberShape checks the form of a number on the wire: "+" and 7–15 digits,
// or a bare service code of 2–6 digits. Whether it is a possible number is
// for call/number to say.
func numberShape(s string) bool {
	digits := s
	if s != "" && s[0] == '+' {
		digits = s[1:]
		if len(digits) < 7 || len(digits) > 15 {
			return false
		}
	} else if len(s) < 2 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
