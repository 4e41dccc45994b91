package dnsserver

import (
	"encoding/binary"
	"net/netip"

	"github.com/miekg/dns"
)

// fastPath is one UDP worker's state for answering without miekg/dns:
// its compiled answers and a scratch key. It is not safe for concurrent
// use.
type fastPath struct {
	cache answerCache
	key   []byte
}

func newFastPath() *fastPath { return &fastPath{key: make([]byte, 0, maxKey)} }

// serveFast answers the UDP query p from src by copying a compiled answer
// into out, as ServeDNS would answer it, byte for byte. handled false: p is
// not a query it knows (see parseWire) and goes to the miekg/dns path.
// handled with a nil reply: the rate limit dropped it.
//
// The checks keep ServeDNS's order where it shows: the rate limit, then
// the allow list, then the answer. Whether the answer can be copied is
// settled before a token is taken, so a query that goes to miekg/dns after
// all is limited there, once.
func (s *Server) serveFast(f *fastPath, p []byte, src netip.Addr, out []byte) (reply []byte, handled bool) {
	q, key, ok := parseWire(p, f.key[:0])
	f.key = key[:0]
	if !ok {
		return nil, false
	}
	if !s.allowedIP(src) {
		if act := s.fastRate(src); act != rrlSend {
			return s.fastLimited(out, p, q, act)
		}
		s.stats.rcodes[dns.RcodeRefused].Add(1)
		return appendHeaderReply(out, p, q, 0, dns.RcodeRefused, q.edns), true
	}
	a, ttl, ok := s.compiledAnswer(&f.cache, key)
	if !ok || q.upper && !s.sharesCase(a, key) {
		return nil, false
	}
	limit := minUDPSize
	size := a.size
	if q.edns {
		limit = min(max(q.udpSize, minUDPSize), ednsSize)
		size += optLen
	}
	if size > limit {
		return nil, false // miekg truncates it
	}
	if act := s.fastRate(src); act != rrlSend {
		return s.fastLimited(out, p, q, act)
	}
	out = append(out, a.reply[:headerLen]...)
	put16(out, q.id)
	put16(out[2:], be16(a.reply[2:])|q.copied)
	out = append(out, p[headerLen:q.qend]...)
	out = append(out, a.reply[headerLen:]...)
	for _, o := range a.ttls {
		binary.BigEndian.PutUint32(out[o:], ttl)
	}
	if q.edns {
		out = appendOPT(out, q.do)
	}
	s.stats.rcodes[a.rcode].Add(1)
	if a.noData {
		s.stats.noData.Add(1)
	}
	return out, true
}

// fastRate takes a rate-limit token for a response to src.
func (s *Server) fastRate(src netip.Addr) rrlAction {
	if s.rrl == nil {
		return rrlSend
	}
	return s.rrl.take(src)
}

// fastLimited is what a source over its rate gets: the slip reply (the
// question and TC) or nothing, as withinRate sends it.
func (s *Server) fastLimited(out, p []byte, q wireQuery, act rrlAction) ([]byte, bool) {
	if act == rrlSlip {
		s.stats.slipped.Add(1)
		return appendHeaderReply(out, p, q, flagTC, dns.RcodeSuccess, false), true
	}
	s.stats.rateLimited.Add(1)
	return nil, true
}
