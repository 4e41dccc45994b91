package dnsserver

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// Wire layout of the DNS header (RFC 1035 4.1.1; AD and CD from RFC 4035).
const (
	headerLen = 12
	flagQR    = 1 << 15
	flagAA    = 1 << 10
	flagTC    = 1 << 9
	flagRD    = 1 << 8
	flagAD    = 1 << 5
	flagCD    = 1 << 4
	// optLen is an OPT record without options: root owner, type, class
	// (UDP size), TTL (extended rcode, version, flags), empty RDATA.
	optLen = 11
	optDO  = 1 << 15
	// maxKey is the longest cache key: a 255-octet name and the type.
	maxKey = 255 + 2
)

// EDNS options the fast path accepts in a query. Both are ignored by the
// answer, as miekg/dns's decoder can never fail on them: a cookie (dig
// sends one by default) and padding. Any other option sends the query to
// the miekg/dns path, which knows how each one decodes.
const (
	optCookie  = 10
	optPadding = 12
)

// wireQuery is what the fast path reads of a query.
type wireQuery struct {
	id      uint16
	copied  uint16 // RD and CD, copied into the reply as SetReply does
	qend    int    // end of the question section
	qtype   uint16
	upper   bool // the name has upper-case letters
	edns    bool
	do      bool
	udpSize int
}

// parseWire reads a query the fast path can answer, and appends its cache
// key (the name in wire form, lower case, and the type) to key. It accepts
// one plain question of class IN, of a type in fastTypes, with a name of
// letters, digits and hyphens, no records but one OPT of version 0, and
// header bits no one needs to think about; everything else (ok false) is
// for the miekg/dns path, which answers it as it always has.
func parseWire(p, key []byte) (q wireQuery, k []byte, ok bool) {
	k = key
	if len(p) < headerLen+5 {
		return q, k, false
	}
	flags := be16(p[2:])
	// QR, opcode, AA, TC, RA, Z and rcode must all be clear.
	if flags&^(flagRD|flagAD|flagCD) != 0 {
		return q, k, false
	}
	if be16(p[4:]) != 1 || be16(p[6:]) != 0 || be16(p[8:]) != 0 || be16(p[10:]) > 1 {
		return q, k, false
	}
	off := headerLen
	for {
		if off >= len(p) {
			return q, k, false
		}
		n := int(p[off])
		if n == 0 {
			off++
			break
		}
		if n > 63 || off+1+n >= len(p) {
			return q, k, false
		}
		k = append(k, byte(n))
		for _, c := range p[off+1 : off+1+n] {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
				q.upper = true
			default:
				return q, k, false
			}
			k = append(k, c)
		}
		off += 1 + n
	}
	if off-headerLen > 255 || off+4 > len(p) {
		return q, k, false
	}
	k = append(k, 0)
	q.qtype = be16(p[off:])
	if be16(p[off+2:]) != dns.ClassINET || !fastType(q.qtype) {
		return q, k, false
	}
	k = append(k, p[off], p[off+1])
	off += 4
	q.qend = off
	if be16(p[10:]) == 1 {
		if off+optLen > len(p) || p[off] != 0 || be16(p[off+1:]) != dns.TypeOPT {
			return q, k, false
		}
		q.udpSize = int(be16(p[off+3:]))
		// Extended rcode and version 0 (else BADVERS), no flags but DO.
		if p[off+5] != 0 || p[off+6] != 0 || be16(p[off+7:])&^optDO != 0 {
			return q, k, false
		}
		q.do = be16(p[off+7:]) != 0
		rdlen := int(be16(p[off+9:]))
		off += optLen
		if off+rdlen != len(p) || !plainOptions(p[off:]) {
			return q, k, false
		}
		off += rdlen
		q.edns = true
	}
	if off != len(p) {
		return q, k, false
	}
	q.id = be16(p)
	q.copied = flags & (flagRD | flagCD)
	return q, k, true
}

// fastType reports the query types the fast path answers: what clients ask
// numbers for, and the common types they get NODATA for.
func fastType(t uint16) bool {
	switch t {
	case dns.TypeA, dns.TypeAAAA, dns.TypeNAPTR, dns.TypeANY, dns.TypeSOA, dns.TypeNS,
		dns.TypeTXT, dns.TypeMX, dns.TypeSRV, dns.TypePTR, dns.TypeCNAME, dns.TypeHTTPS, dns.TypeSVCB:
		return true
	}
	return false
}

// plainOptions reports an OPT RDATA of well-formed cookie and padding
// options only.
func plainOptions(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 4 {
			return false
		}
		code, n := be16(b), int(be16(b[2:]))
		if code != optCookie && code != optPadding || 4+n > len(b) {
			return false
		}
		b = b[4+n:]
	}
	return true
}

// keyName turns a cache key back into the query's name and type.
func keyName(key []byte) (string, uint16) {
	name := key[:len(key)-2]
	buf := make([]byte, 0, len(name))
	for i := 0; name[i] != 0; i += 1 + int(name[i]) {
		buf = append(buf, name[i+1:i+1+int(name[i])]...)
		buf = append(buf, '.')
	}
	if len(buf) == 0 {
		buf = append(buf, '.')
	}
	return string(buf), be16(key[len(key)-2:])
}

// appendHeaderReply appends a reply that is the header and the question
// alone: REFUSED to a client outside the allow list, or the slip reply
// (TC, "ask over TCP") to one over its rate. AA is clear, as in the
// replies the miekg/dns path builds for both with SetReply.
func appendHeaderReply(out, p []byte, q wireQuery, bits uint16, rcode int, edns bool) []byte {
	out = append(out, p[:headerLen]...)
	put16(out[2:], flagQR|q.copied|bits|uint16(rcode))
	put16(out[4:], 1)
	put16(out[6:], 0)
	put16(out[8:], 0)
	put16(out[10:], 0)
	out = append(out, p[headerLen:q.qend]...)
	if edns {
		out = appendOPT(out, q.do)
	}
	return out
}

// appendOPT appends the OPT record every EDNS reply carries (UDP size
// 1232, DO copied) and counts it in ARCOUNT.
func appendOPT(out []byte, do bool) []byte {
	var flags byte
	if do {
		flags = optDO >> 8
	}
	out = append(out, 0, byte(dns.TypeOPT>>8), byte(dns.TypeOPT), byte(ednsSize>>8), byte(ednsSize&0xff), 0, 0, flags, 0, 0, 0)
	put16(out[10:], be16(out[10:])+1)
	return out
}

func be16(b []byte) uint16     { return binary.BigEndian.Uint16(b) }
func put16(b []byte, v uint16) { binary.BigEndian.PutUint16(b, v) }
