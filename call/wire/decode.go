package wire

import (
	"encoding/base64"
	"time"
	"unicode/utf8"
)

// decodeFast fills m, which must be zero, from one JSON object in the plain
// form this package's own encoder writes: the members of a call's messages
// (scalars, byte strings, relay, candidate, statement, chain), each at most
// once, spelled as Message's tags spell them. It reports false as soon as
// the input strays from that form — an unknown or repeated member, null, a
// nested list it does not know, a \u escape, a number that is not a small
// non-negative integer, invalid UTF-8, anything malformed — and Decode then
// hands the whole input to encoding/json, which decides, accepts or
// rejects, exactly as before. So what decodeFast accepts is exactly what
// encoding/json makes of it (FuzzDecodeFast holds it to that), and every
// error still comes from encoding/json.
//
// Why: reflection in encoding/json was 7 % of a busy server's CPU and
// allocated every string of every message separately; here the strings
// without escapes share one copy of the input.
func (m *Message) decodeFast(data []byte) bool {
	d := decoder{data: data}
	return m.read(&d) && d.i == len(d.data)
}

// The four read methods are the same loop over different member methods.
// One loop taking an interface was tried: the dynamic call let the decoder
// and seen escape, two more allocations per message (BenchmarkDecodeCall
// dial 2 -> 4), so each type keeps its own copy.
func (m *Message) read(d *decoder) bool {
	if !d.consume('{') {
		return false
	}
	var seen uint64
	for n := 0; ; {
		key, end, ok := d.field(&n)
		if !ok || end {
			return ok
		}
		if !m.member(d, key, &seen) {
			return false
		}
	}
}

func (r *Relay) read(d *decoder) bool {
	if !d.consume('{') {
		return false
	}
	var seen uint64
	for n := 0; ; {
		key, end, ok := d.field(&n)
		if !ok || end {
			return ok
		}
		if !r.member(d, key, &seen) {
			return false
		}
	}
}

func (c *Candidate) read(d *decoder) bool {
	if !d.consume('{') {
		return false
	}
	var seen uint64
	for n := 0; ; {
		key, end, ok := d.field(&n)
		if !ok || end {
			return ok
		}
		if !c.member(d, key, &seen) {
			return false
		}
	}
}

func (s *Signed) read(d *decoder) bool {
	if !d.consume('{') {
		return false
	}
	var seen uint64
	for n := 0; ; {
		key, end, ok := d.field(&n)
		if !ok || end {
			return ok
		}
		if !s.member(d, key, &seen) {
			return false
		}
	}
}

// decoder reads JSON from data; str is data as a string, made on the first
// string value, so that values without escapes are slices of one copy.
type decoder struct {
	data []byte
	str  string
	i    int
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, reporting whether c was there.
func (d *decoder) consume(c byte) bool {
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// field reads the name of the next member of an object whose '{' has
// been read; n counts the members so far. end is true at the '}'.
func (d *decoder) field(n *int) (key []byte, end, ok bool) {
	if d.consume('}') {
		return nil, true, true
	}
	if *n > 0 && !d.consume(',') {
		return nil, false, false
	}
	*n++
	d.ws()
	key, ok = d.rawKey()
	if !ok || !d.consume(':') {
		return nil, false, false
	}
	d.ws()
	return key, false, true
}

// once marks member bit as seen, reporting false if it was already: the
// fast path leaves repeated members to encoding/json.
func once(seen *uint64, bit uint) bool {
	if *seen&(1<<bit) != 0 {
		return false
	}
	*seen |= 1 << bit
	return true
}

// stringTo reads a string member into p, once.
func (d *decoder) stringTo(seen *uint64, bit uint, p *string) bool {
	if !once(seen, bit) {
		return false
	}
	var ok bool
	*p, ok = d.string()
	return ok
}

// rawKey reads a member name without escapes.
func (d *decoder) rawKey() ([]byte, bool) {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	for j := start; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			d.i = j + 1
			return d.data[start:j], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// string reads a string value: a slice of the shared copy when it has no
// escapes, a string of its own when it has the short ones. \u escapes,
// control characters and invalid UTF-8 are left to encoding/json.
func (d *decoder) string() (string, bool) {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(d.data[start:j]) {
				return "", false
			}
			d.i = j + 1
			if d.str == "" {
				d.str = string(d.data)
			}
			return d.str[start:j], true
		case c == '\\':
			return d.escaped(start, j)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// escaped finishes a string from start whose first escape is at j.
func (d *decoder) escaped(start, j int) (string, bool) {
	b := make([]byte, 0, len(d.data)-start)
	b = append(b, d.data[start:j]...)
	ascii := true
	for ; j < len(d.data); j++ {
		c := d.data[j]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(b) {
				return "", false
			}
			d.i = j + 1
			return string(b), true
		case c == '\\':
			if j+1 >= len(d.data) {
				return "", false
			}
			j++
			switch e := d.data[j]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			default: // \u, or not an escape at all
				return "", false
			}
		case c < 0x20:
			return "", false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			b = append(b, c)
		}
	}
	return "", false
}

// bytes reads a base64 string as encoding/json does for a []byte.
func (d *decoder) bytes() ([]byte, bool) {
	s, ok := d.string()
	if !ok {
		return nil, false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, []byte(s))
	if err != nil {
		return nil, false
	}
	return b[:n], true
}

// maxDigits keeps every integer the fast path reads inside int64.
const maxDigits = 18

// uint reads a non-negative integer of at most maxDigits digits.
func (d *decoder) uint() (uint64, bool) {
	j := d.i
	var n uint64
	for j < len(d.data) && d.data[j] >= '0' && d.data[j] <= '9' {
		n = n*10 + uint64(d.data[j]-'0')
		j++
	}
	digits := j - d.i
	if digits == 0 || digits > maxDigits || digits > 1 && d.data[d.i] == '0' {
		return 0, false
	}
	// What follows must end the number: a fraction or exponent is for
	// encoding/json to refuse (or, for a float, to read).
	if j < len(d.data) {
		switch d.data[j] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	d.i = j
	return n, true
}

func (d *decoder) int() (int64, bool) {
	n, ok := d.uint()
	return int64(n), ok
}

func (d *decoder) bool() (bool, bool) {
	rest := d.data[d.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.i += 4
		return true, d.delimited()
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.i += 5
		return false, d.delimited()
	}
	return false, false
}

// delimited reports whether a literal ended where it should.
func (d *decoder) delimited() bool {
	if d.i == len(d.data) {
		return true
	}
	switch d.data[d.i] {
	case ' ', '\t', '\n', '\r', ',', '}', ']':
		return true
	}
	return false
}

// Members of Message the fast path reads, by bit in seen.
const (
	fV = iota
	fType
	fSeq
	fRe
	fSN
	fCall
	fNumber
	fKey
	fInvite
	fResume
	fLast
	fClient
	fNonce
	fServer
	fSig
	fSession
	fGraceS
	fRingS
	fKeepaliveS
	fResumed
	fID
	fTo
	fFrom
	fPeer
	fWaiting
	fReason
	fLocalLease
	fRemoteLease
	fRelay
	fMedia
	fOfferer
	fCamera
	fSDPType
	fSDP
	fCandidate
	fStatement
	fChain
	fVia
	fLink
	fDevice
	fTTLS
	fAt
	fCode
	fMessage
)

// member reads the value of one member of a Message.
func (m *Message) member(d *decoder, key []byte, seen *uint64) bool {
	var ok bool
	switch string(key) {
	case "v":
		var n int64
		n, ok = d.int()
		m.V = int(n)
		return ok && once(seen, fV)
	case "type":
		var s string
		ok = d.stringTo(seen, fType, &s)
		m.Type = Type(s)
		return ok
	case "seq":
		m.Seq, ok = d.uint()
		return ok && once(seen, fSeq)
	case "re":
		m.Re, ok = d.uint()
		return ok && once(seen, fRe)
	case "sn":
		m.SN, ok = d.uint()
		return ok && once(seen, fSN)
	case "call":
		var s string
		ok = d.stringTo(seen, fCall, &s)
		m.Call = CallID(s)
		return ok
	case "number":
		return d.stringTo(seen, fNumber, &m.Number)
	case "key":
		m.Key, ok = d.bytes()
		return ok && once(seen, fKey)
	case "invite":
		return d.stringTo(seen, fInvite, &m.Invite)
	case "resume":
		return d.stringTo(seen, fResume, &m.Resume)
	case "last":
		m.Last, ok = d.uint()
		return ok && once(seen, fLast)
	case "client":
		return d.stringTo(seen, fClient, &m.Client)
	case "nonce":
		m.Nonce, ok = d.bytes()
		return ok && once(seen, fNonce)
	case "server":
		return d.stringTo(seen, fServer, &m.Server)
	case "sig":
		m.Sig, ok = d.bytes()
		return ok && once(seen, fSig)
	case "session":
		return d.stringTo(seen, fSession, &m.Session)
	case "grace_s":
		var n int64
		n, ok = d.int()
		m.GraceS = int(n)
		return ok && once(seen, fGraceS)
	case "ring_s":
		var n int64
		n, ok = d.int()
		m.RingS = int(n)
		return ok && once(seen, fRingS)
	case "keepalive_s":
		var n int64
		n, ok = d.int()
		m.KeepaliveS = int(n)
		return ok && once(seen, fKeepaliveS)
	case "resumed":
		m.Resumed, ok = d.bool()
		return ok && once(seen, fResumed)
	case "id":
		m.ID, ok = d.int()
		return ok && once(seen, fID)
	case "to":
		return d.stringTo(seen, fTo, &m.To)
	case "from":
		return d.stringTo(seen, fFrom, &m.From)
	case "peer":
		return d.stringTo(seen, fPeer, &m.Peer)
	case "waiting":
		m.Waiting, ok = d.bool()
		return ok && once(seen, fWaiting)
	case "reason":
		return d.stringTo(seen, fReason, &m.Reason)
	case "local_lease":
		return d.stringTo(seen, fLocalLease, &m.LocalLease)
	case "remote_lease":
		return d.stringTo(seen, fRemoteLease, &m.RemoteLease)
	case "relay":
		if !once(seen, fRelay) {
			return false
		}
		m.Relay = new(Relay)
		return m.Relay.read(d)
	case "media":
		return d.stringTo(seen, fMedia, &m.Media)
	case "offerer":
		m.Offerer, ok = d.bool()
		return ok && once(seen, fOfferer)
	case "camera":
		return d.stringTo(seen, fCamera, &m.Camera)
	case "sdp_type":
		return d.stringTo(seen, fSDPType, &m.SDPType)
	case "sdp":
		return d.stringTo(seen, fSDP, &m.SDP)
	case "candidate":
		if !once(seen, fCandidate) {
			return false
		}
		m.Candidate = new(Candidate)
		return m.Candidate.read(d)
	case "statement":
		if !once(seen, fStatement) {
			return false
		}
		m.Statement = new(Signed)
		return m.Statement.read(d)
	case "chain":
		if !once(seen, fChain) {
			return false
		}
		m.Chain, ok = d.chain()
		return ok
	case "via":
		return d.stringTo(seen, fVia, &m.Via)
	case "link":
		return d.stringTo(seen, fLink, &m.Link)
	case "device":
		return d.stringTo(seen, fDevice, &m.Device)
	case "ttl_s":
		var n int64
		n, ok = d.int()
		m.TTLS = int(n)
		return ok && once(seen, fTTLS)
	case "at":
		m.At, ok = d.int()
		return ok && once(seen, fAt)
	case "code":
		var s string
		ok = d.stringTo(seen, fCode, &s)
		m.Code = Code(s)
		return ok
	case "message":
		return d.stringTo(seen, fMessage, &m.Message)
	}
	return false // services, missed, calls, devices, or a member we do not know
}

func (r *Relay) member(d *decoder, key []byte, seen *uint64) bool {
	var ok bool
	switch string(key) {
	case "urls":
		if !once(seen, 0) || !d.consume('[') {
			return false
		}
		r.URLs = []string{} // encoding/json makes an empty list, not nil
		if d.consume(']') {
			return true
		}
		for {
			d.ws()
			u, ok := d.string()
			if !ok {
				return false
			}
			r.URLs = append(r.URLs, u)
			if d.consume(',') {
				continue
			}
			return d.consume(']')
		}
	case "username":
		r.Username, ok = d.string()
		return ok && once(seen, 1)
	case "credential":
		r.Credential, ok = d.string()
		return ok && once(seen, 2)
	case "expires":
		// encoding/json hands time.Time the value as it stands.
		start := d.i
		if _, ok := d.string(); !ok || !once(seen, 3) {
			return false
		}
		var t time.Time
		if t.UnmarshalJSON(d.data[start:d.i]) != nil {
			return false
		}
		r.Expires = t
		return true
	}
	return false
}

func (c *Candidate) member(d *decoder, key []byte, seen *uint64) bool {
	var ok bool
	switch string(key) {
	case "candidate":
		c.Candidate, ok = d.string()
		return ok && once(seen, 0)
	case "sdpMid":
		var s string
		s, ok = d.string()
		c.SDPMid = &s
		return ok && once(seen, 1)
	case "sdpMLineIndex":
		n, ok := d.uint()
		if !ok || n > 0xffff || !once(seen, 2) {
			return false
		}
		i := uint16(n)
		c.SDPMLineIndex = &i
		return true
	case "usernameFragment":
		var s string
		s, ok = d.string()
		c.UsernameFragment = &s
		return ok && once(seen, 3)
	}
	return false
}

func (s *Signed) member(d *decoder, key []byte, seen *uint64) bool {
	var ok bool
	switch string(key) {
	case "body":
		s.Body, ok = d.bytes()
		return ok && once(seen, 0)
	case "sig":
		s.Sig, ok = d.bytes()
		return ok && once(seen, 1)
	}
	return false
}

// chain reads a list of Signed.
func (d *decoder) chain() ([]Signed, bool) {
	if !d.consume('[') {
		return nil, false
	}
	out := []Signed{}
	if d.consume(']') {
		return out, true
	}
	for {
		var s Signed
		if !s.read(d) {
			return nil, false
		}
		out = append(out, s)
		if d.consume(',') {
			continue
		}
		return out, d.consume(']')
	}
}
