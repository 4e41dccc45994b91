package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"unicode/utf8"

	"github.com/dialtone/dialtone/call/wire"
)

// The tool reads only what it checks from the server's messages, and
// writes its own hot messages from templates: encoding/json's reflection
// was a sixth of its CPU per call when it decoded every message in full.
// What it checks is what wire.Decode requires of these types (see
// decodeIn's checks), plus what the calls themselves are checked for.

// inMsg is the part of a server message the tool looks at. Its slices
// point into the read buffer and hold until the next read.
type inMsg struct {
	v          int64
	typ        []byte
	re         uint64
	keepaliveS int64
	call       []byte
	from       []byte
	number     []byte
	session    []byte
	nonce      []byte // base64, as sent
	local      []byte
	remote     []byte
	code       []byte
	message    []byte
}

var errJSON = errors.New("malformed JSON")

// decodeIn parses one server message into m and checks it the way
// wire.Decode does for the types the tool expects: version, a type, and
// the fields that type requires. Members it does not look at are checked
// for JSON syntax only.
func decodeIn(data []byte, m *inMsg) error {
	*m = inMsg{v: -1}
	d := scanner{b: data}
	if err := d.object(m); err != nil {
		return err
	}
	if m.v != wire.Version {
		return fmt.Errorf("version %d", m.v)
	}
	return m.check()
}

func (m *inMsg) is(t wire.Type) bool { return string(m.typ) == string(t) }

func (m *inMsg) check() error {
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("%s without %s", m.typ, what)
		}
		return nil
	}
	switch wire.Type(m.typ) {
	case wire.TypeChallenge:
		n, err := base64.StdEncoding.DecodeString(string(m.nonce))
		return need(err == nil && len(n) == wire.NonceSize, "a 32-byte nonce")
	case wire.TypeRegistered:
		return need(len(m.number) > 0 && len(m.session) > 0, "number and session")
	case wire.TypeRinging, wire.TypeHangupAck, wire.TypeEnded:
		return need(len(m.call) > 0, "call")
	case wire.TypeIncoming:
		return need(len(m.call) > 0 && len(m.from) > 0, "call and from")
	case wire.TypeAccepted:
		return need(len(m.call) > 0 && len(m.local) > 0 && len(m.remote) > 0, "call and both leases")
	case wire.TypeError:
		return need(len(m.code) > 0, "code")
	case "":
		return errors.New("message without a type")
	}
	return nil
}

func (m *inMsg) describe() string {
	s := string(m.typ)
	if len(m.code) > 0 {
		s += " " + string(m.code)
	}
	if len(m.message) > 0 {
		s += " " + strconv.Quote(string(m.message))
	}
	return s
}

// scanner walks one JSON object.
type scanner struct {
	b []byte
	i int
}

func (d *scanner) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *scanner) object(m *inMsg) error {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return errors.New("a message is one JSON object")
	}
	d.i++
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
	} else {
		for {
			d.ws()
			key, err := d.str()
			if err != nil {
				return err
			}
			d.ws()
			if d.i >= len(d.b) || d.b[d.i] != ':' {
				return errJSON
			}
			d.i++
			d.ws()
			if err := d.member(m, key); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			d.ws()
			if d.i >= len(d.b) {
				return errJSON
			}
			c := d.b[d.i]
			d.i++
			if c == '}' {
				break
			}
			if c != ',' {
				return errJSON
			}
		}
	}
	d.ws()
	if d.i != len(d.b) {
		return errors.New("one JSON object per message")
	}
	return nil
}

func (d *scanner) member(m *inMsg, key []byte) error {
	var dst *[]byte
	switch foldKey(key) {
	case "v":
		return d.int(&m.v)
	case "re":
		return d.uint(&m.re)
	case "keepalive_s":
		return d.int(&m.keepaliveS)
	case "type":
		dst = &m.typ
	case "call":
		dst = &m.call
	case "from":
		dst = &m.from
	case "number":
		dst = &m.number
	case "session":
		dst = &m.session
	case "nonce":
		dst = &m.nonce
	case "local_lease":
		dst = &m.local
	case "remote_lease":
		dst = &m.remote
	case "code":
		dst = &m.code
	case "message":
		dst = &m.message
	default:
		return d.skip(0)
	}
	s, err := d.str()
	*dst = s
	return err
}

// foldKey matches member names as encoding/json does, without regard to
// case (bytes.EqualFold: K and ſ fold to k and s too). The server writes
// them in lower case, but what wire.Decode would take, the tool takes.
func foldKey(key []byte) string {
	for _, c := range key {
		if c >= 0x80 || 'A' <= c && c <= 'Z' {
			for _, name := range memberNames {
				if bytes.EqualFold(key, []byte(name)) {
					return name
				}
			}
			return ""
		}
	}
	return string(key) // no allocation: the switch compares in place
}

var memberNames = [...]string{"v", "re", "keepalive_s", "type", "call", "from", "number", "session", "nonce", "local_lease", "remote_lease", "code", "message"}

// str reads a string. One with escapes, or with bytes that are not
// UTF-8 (which encoding/json replaces), is decoded into a new slice.
func (d *scanner) str() ([]byte, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, errJSON
	}
	start := d.i
	escaped, high := false, false
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			if !escaped && (!high || utf8.Valid(d.b[start+1:j])) {
				return d.b[start+1 : j], nil
			}
			var s string
			if err := json.Unmarshal(d.b[start:j+1], &s); err != nil {
				return nil, errJSON
			}
			return []byte(s), nil
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, errJSON
		case c >= 0x80:
			high = true
		}
	}
	return nil, errJSON
}

func (d *scanner) uint(dst *uint64) error {
	j := d.i
	for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
		j++
	}
	u, err := strconv.ParseUint(string(d.b[d.i:j]), 10, 64)
	if err != nil {
		return errJSON
	}
	d.i = j
	*dst = u
	return nil
}

func (d *scanner) int(dst *int64) error {
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(d.b[d.i:j]), 10, 64)
	if err != nil {
		return errJSON
	}
	d.i = j
	*dst = n
	return nil
}

// skip passes over one value of any kind, checking its syntax.
func (d *scanner) skip(depth int) error {
	if depth > 32 || d.i >= len(d.b) {
		return errJSON
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, err := d.str()
		return err
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.i++
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == end {
			d.i++
			return nil
		}
		for {
			d.ws()
			if c == '{' {
				if _, err := d.str(); err != nil {
					return err
				}
				d.ws()
				if d.i >= len(d.b) || d.b[d.i] != ':' {
					return errJSON
				}
				d.i++
				d.ws()
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			if d.i >= len(d.b) {
				return errJSON
			}
			n := d.b[d.i]
			d.i++
			if n == end {
				return nil
			}
			if n != ',' {
				return errJSON
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		j := d.i
		for j < len(d.b) && bytes.IndexByte([]byte("+-.eE0123456789"), d.b[j]) >= 0 {
			j++
		}
		if _, err := strconv.ParseFloat(string(d.b[d.i:j]), 64); err != nil {
			return errJSON
		}
		d.i = j
		return nil
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(d.b[d.i:], []byte(lit)) {
				d.i += len(lit)
				return nil
			}
		}
		return errJSON
	}
}

// The hot messages, written the way wire.Encode writes them
// (TestTemplatesMatchWireEncode holds them to it).

func appendPing(b []byte, seq uint64) []byte {
	b = append(b, `{"v":1,"type":"ping","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	return append(b, '}')
}

func appendDial(b []byte, seq uint64, to string) []byte {
	b = append(b, `{"v":1,"type":"dial","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"to":"`...)
	b = append(b, to...)
	return append(b, `"}`...)
}

// appendCallMsg writes accept or hangup for a call. A call ID that JSON
// would escape goes through wire.Encode instead.
func appendCallMsg(b []byte, t wire.Type, seq uint64, call []byte) []byte {
	if !plain(call) {
		e, err := wire.AppendEncode(b, &wire.Message{Type: t, Seq: seq, Call: wire.CallID(call)})
		if err != nil {
			panic(err) // a call ID the server sent and its own decoder let through
		}
		return e
	}
	b = append(b, `{"v":1,"type":"`...)
	b = append(b, t...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"call":"`...)
	b = append(b, call...)
	return append(b, `"}`...)
}

// plain says s needs no escaping in a JSON string, as encoding/json
// escapes (which includes <, > and &).
func plain(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendClientFrame appends a masked text frame holding p, as RFC 6455
// requires of a client, with a fresh mask per frame.
func appendClientFrame(b, p []byte) []byte { return appendMasked(b, 0x81, p) }

// appendMasked appends a final frame of the opcode in first (with the FIN
// bit) holding p, masked.
func appendMasked(b []byte, first byte, p []byte) []byte {
	b = append(b, first)
	switch l := len(p); {
	case l < 126:
		b = append(b, 0x80|byte(l))
	case l <= 0xffff:
		b = append(b, 0x80|126, byte(l>>8), byte(l))
	default:
		b = append(b, 0x80|127, 0, 0, 0, 0, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	}
	k := rand.Uint32()
	mask := [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	b = append(b, mask[:]...)
	for i, c := range p {
		b = append(b, c^mask[i&3])
	}
	return b
}

// serverFrame is one frame the server sent (servers do not mask).
type serverFrame struct {
	fin     bool
	op      byte
	payload []byte
}

var errFrame = errors.New("bad frame from the server")

// parseServerFrame reads one frame from the front of b; n is 0 when b does
// not hold all of it yet.
func parseServerFrame(b []byte) (f serverFrame, n int, err error) {
	if len(b) < 2 {
		return f, 0, nil
	}
	if b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return f, 0, errFrame // reserved bits, or masked
	}
	f.fin, f.op = b[0]&0x80 != 0, b[0]&0x0f
	h, l := 2, uint64(b[1]&0x7f)
	switch l {
	case 126:
		if len(b) < 4 {
			return f, 0, nil
		}
		h, l = 4, uint64(b[2])<<8|uint64(b[3])
	case 127:
		if len(b) < 10 {
			return f, 0, nil
		}
		h = 10
		l = 0
		for _, c := range b[2:10] {
			l = l<<8 | uint64(c)
		}
	}
	if l > wire.MaxMessage {
		return f, 0, fmt.Errorf("frame of %d bytes", l)
	}
	if uint64(len(b)-h) < l {
		return f, 0, nil
	}
	f.payload = b[h : h+int(l)]
	return f, h + int(l), nil
}
