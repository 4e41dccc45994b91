package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// AppendEncode appends m's JSON to dst, stamping the protocol version, and
// returns the extended slice. The bytes are exactly what encoding/json makes
// of a Message (TestAppendEncodeMatchesEncodingJSON and FuzzAppendEncode
// hold it to that), without its reflection: a busy server encodes a message
// for every event of every call, and reflection was an eighth of its CPU.
// The rarer nested values (service and missed-call lists, candidates,
// signed statements, device lists) still go through encoding/json.
func AppendEncode(dst []byte, m *Message) ([]byte, error) {
	m.V = Version
	start := len(dst)
	b, err := m.appendJSON(dst)
	if err != nil {
		return dst, fmt.Errorf("encoding %s: %w", m.Type, err)
	}
	if n := len(b) - start; n > MaxMessage {
		return dst, fmt.Errorf("encoding %s: %d bytes over the %d limit", m.Type, n, MaxMessage)
	}
	return b, nil
}

// jsonWriter appends the members of one JSON object.
type jsonWriter struct {
	b     []byte
	first bool
	err   error
}

func (w *jsonWriter) key(k string) {
	if w.first {
		w.first = false
	} else {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) str(k, v string) {
	if v != "" {
		w.key(k)
		w.b = appendString(w.b, v)
	}
}

func (w *jsonWriter) uint(k string, v uint64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendUint(w.b, v, 10)
	}
}

func (w *jsonWriter) int(k string, v int64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendInt(w.b, v, 10)
	}
}

func (w *jsonWriter) bool(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

func (w *jsonWriter) bytes(k string, v []byte) {
	if len(v) != 0 {
		w.key(k)
		w.b = append(w.b, '"')
		w.b = base64.StdEncoding.AppendEncode(w.b, v)
		w.b = append(w.b, '"')
	}
}

// value appends v the way encoding/json does, for the members this file
// does not write itself.
func (w *jsonWriter) value(k string, v any) {
	if w.err != nil {
		return
	}
	j, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.key(k)
	w.b = append(w.b, j...)
}

// appendJSON writes the members in the order of Message's fields, with
// their omitempty rules, as encoding/json would.
func (m *Message) appendJSON(dst []byte) ([]byte, error) {
	w := jsonWriter{b: append(dst, '{'), first: true}
	w.key("v")
	w.b = strconv.AppendInt(w.b, int64(m.V), 10)
	w.key("type")
	w.b = appendString(w.b, string(m.Type))
	w.uint("seq", m.Seq)
	w.uint("re", m.Re)
	w.uint("sn", m.SN)
	w.str("call", string(m.Call))

	w.str("number", m.Number)
	w.bytes("key", m.Key)
	w.str("invite", m.Invite)
	w.str("resume", m.Resume)
	w.uint("last", m.Last)
	w.str("client", m.Client)
	w.bytes("nonce", m.Nonce)
	w.str("server", m.Server)
	w.bytes("sig", m.Sig)
	w.str("session", m.Session)

	if len(m.Services) != 0 {
		w.value("services", m.Services)
	}
	w.int("grace_s", int64(m.GraceS))
	w.int("ring_s", int64(m.RingS))
	w.int("keepalive_s", int64(m.KeepaliveS))
	if len(m.Missed) != 0 {
		w.value("missed", m.Missed)
	}
	w.bool("resumed", m.Resumed)
	if len(m.Calls) != 0 {
		w.value("calls", m.Calls)
	}
	w.int("id", m.ID)

	w.str("to", m.To)
	w.str("from", m.From)
	w.str("peer", m.Peer)
	w.bool("waiting", m.Waiting)
	w.str("reason", m.Reason)
	w.str("local_lease", m.LocalLease)
	w.str("remote_lease", m.RemoteLease)
	if m.Relay != nil {
		w.key("relay")
		w.b, w.err = m.Relay.appendJSON(w.b, w.err)
	}
	w.str("media", m.Media)
	w.bool("offerer", m.Offerer)

	w.str("camera", m.Camera)
	w.str("sdp_type", m.SDPType)
	w.str("sdp", m.SDP)
	if m.Candidate != nil {
		w.value("candidate", m.Candidate)
	}
	if m.Statement != nil {
		w.value("statement", m.Statement)
	}
	if len(m.Chain) != 0 {
		w.value("chain", m.Chain)
	}
	w.str("via", m.Via)

	w.str("link", m.Link)
	w.str("device", m.Device)
	w.int("ttl_s", int64(m.TTLS))
	w.int("at", m.At)
	if len(m.Devices) != 0 {
		w.value("devices", m.Devices)
	}

	w.str("code", string(m.Code))
	w.str("message", m.Message)
	if w.err != nil {
		return dst, w.err
	}
	return append(w.b, '}'), nil
}

// appendJSON writes r, which accepted carries in every call.
func (r *Relay) appendJSON(b []byte, err error) ([]byte, error) {
	if err != nil {
		return b, err
	}
	b = append(b, `{"urls":`...)
	if r.URLs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, u := range r.URLs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, u)
		}
		b = append(b, ']')
	}
	b = append(b, `,"username":`...)
	b = appendString(b, r.Username)
	b = append(b, `,"credential":`...)
	b = appendString(b, r.Credential)
	// AppendText writes what MarshalJSON quotes, and refuses the same
	// times, without a buffer of its own.
	b = append(b, `,"expires":"`...)
	b, err = r.Expires.AppendText(b)
	if err != nil {
		return b, err
	}
	return append(b, '"', '}'), nil
}

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes a JSON string holds as they are: one load per
// byte instead of six comparisons, in the loop every string of every
// message goes through.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString quotes s as encoding/json does by default: HTML-sensitive
// characters, control characters, U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
