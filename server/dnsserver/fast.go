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
	// batch is the worker's batch of queries, parsed ahead (see warm).
	batch [batchSize]parsed
}

// parsed is one query read by parseWire, with its key's hash.
type parsed struct {
	q    wireQuery
	key  []byte
	hash uint64
	ok   bool
}

// parse parses p into pq, reusing pq's key buffer.
func (pq *parsed) parse(p []byte) {
	if pq.key == nil {
		pq.key = make([]byte, 0, maxKey)
	}
	pq.q, pq.key, pq.ok = parseWire(p, pq.key[:0])
	if pq.ok {
		pq.hash = keyHash(pq.key)
	}
}

// warm reads, for each query of a parsed batch, the cache slot its answer
// would be in, then the answer there (its key and lookup), each step a
// short loop over the batch: a batch's cache misses are then waited for
// together rather than one after another as the answers are served in
// turn. It changes nothing: serving looks everything up again. What it
// returns is only there so that the reads are made.
func (f *fastPath) warm(ps []parsed) uintptr {
	c := &f.cache
	if c.slots == nil {
		return 0
	}
	mask := uint64(len(c.slots) - 1)
	var as [batchSize]*compiled
	for i := range ps {
		if ps[i].ok {
			as[i] = c.slots[ps[i].hash&mask].a
		}
	}
	var sink uintptr
	for _, a := range as[:len(ps)] {
		if a != nil && len(a.key) > 0 {
			sink += uintptr(a.key[0]) + uintptr(len(a.dep0[0].number))
		}
	}
	return sink
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
	pq := parsed{key: f.key[:0]}
	pq.parse(p)
	f.key = pq.key[:0]
	return s.serveParsed(f, &pq, p, src, out)
}

// serveParsed is serveFast for a query already parsed into pq.
func (s *Server) serveParsed(f *fastPath, pq *parsed, p []byte, src netip.Addr, out []byte) (reply []byte, handled bool) {
	if !pq.ok {
		return nil, false
	}
	q, key := pq.q, pq.key
	if !s.allowedIP(src) {
		if act := s.fastRate(src); act != rrlSend {
			return s.fastLimited(out, p, q, act)
		}
		s.stats.rcodes[dns.RcodeRefused].Add(1)
		return appendHeaderReply(out, p, q, 0, dns.RcodeRefused, q.edns), true
	}
	a, ttl, ok := s.compiledAnswer(&f.cache, key, pq.hash)
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
