package dnsserver

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"unsafe"

	"github.com/miekg/dns"
)

// cacheEntries bounds each UDP worker's compiled answers. A name not in
// the cache costs one compile, the price of the miekg/dns path, so a flood
// of random names is no worse than before; the numbers being asked for
// stay compiled.
const cacheEntries = 1 << 15

// compiled is the reply to one name and type, built once by the miekg/dns
// path (so it is the same answer, byte for byte) and served by copying.
//
// It is valid while the lease table answers as it did when it was built:
// deps are the lookups the answer made, in order, with what they returned,
// and a hit repeats them. A lease's records carry its remaining life as
// TTL, which counts down in the last MaxTTL seconds, so their TTL fields
// are patched from the lookup on every hit.
//
// A hit reads the key, the lookups and the reply. For the answers numbers
// get (one lookup, one or two lease records, a reply of up to a hundred
// bytes) they all live in this one allocation: dep0, ttl0 and buf, which
// also holds the looked-up number's bytes. Kept apart (the struct, the key
// and reply, the lookups, the number, the TTL offsets: five allocations)
// a hit under dnsperf's 30,000 names missed the cache in each.
type compiled struct {
	key []byte // the cache key
	// reply is the reply to the lower-case query without EDNS, ID 0, RD
	// and CD clear, without its question: the header, then what follows
	// the question, which is qend bytes into the whole reply.
	reply []byte
	deps  []resolved
	ttls  []uint16 // offsets of the lease TTLs in the whole reply
	qend  int      // where the question ends in the whole reply
	// size is the reply's uncompressed length without OPT, which is what
	// miekg's Truncate compares with the client's limit.
	size  int
	rcode int
	// caseFree: the same bytes after the question whatever the name's
	// case; known once caseChecked (see sharesCase).
	caseFree, caseChecked bool
	slow                  bool // no reply: the answer is miekg/dns's to give
	noData                bool

	dep0 [1]resolved
	ttl0 [2]uint16
	buf  [compiledBuf]byte
}

// compiledBuf makes a compiled 384 bytes, a size class of its own: room
// for a number, its key and an NXDOMAIN reply (12, 33 and 64 bytes).
const compiledBuf = 384 - 232

// resolved is one lookup an answer depends on.
type resolved struct {
	number string
	entry  Entry
}

// recording is a Resolver that notes what it was asked and answered.
type recording struct {
	res Resolver
	got []resolved
}

func (r *recording) Resolve(number string) Entry {
	e := r.res.Resolve(number)
	r.got = append(r.got, resolved{number, e})
	return e
}

// answerCache is one worker's compiled answers, by cache key (see
// parseWire). It is not safe for concurrent use: each worker has its own.
//
// It is an open-addressed table of (hash, answer) slots, probed linearly,
// rather than a map[string]*compiled: under dnsperf's 30,000 names a map
// hit touched the map's control word, its slot, the key's bytes and the
// answer, each a cache miss more often than not (the map lookup and its
// key comparison were 9 % of the server's CPU). Here the slot holds the
// hash, and the key shares one allocation with the answer's bytes.
type answerCache struct {
	slots []cacheSlot // twice max, made on first use
	n     int         // slots in use
	max   int         // answers it holds at most, a power of two; 0: cacheEntries
}

type cacheSlot struct {
	hash uint64
	a    *compiled // nil: empty
}

var cacheSeed = maphash.MakeSeed()

// keyHash is the hash a cache key is found by.
func keyHash(key []byte) uint64 { return maphash.Bytes(cacheSeed, key) }

// find returns the slot holding key, whose hash is h (keyHash), or the
// empty one where it belongs.
func (c *answerCache) find(key []byte, h uint64) *cacheSlot {
	if c.slots == nil {
		if c.max == 0 {
			c.max = cacheEntries
		}
		c.slots = make([]cacheSlot, 2*c.max)
	}
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &c.slots[i]
		if sl.a == nil {
			sl.hash = h
			return sl
		}
		if sl.hash == h && bytes.Equal(sl.a.key, key) {
			return sl
		}
	}
}

// put stores a in sl, found empty or holding a's key. A full table is
// emptied first: a flood of names never asked again cannot grow it, and
// the names being asked are compiled again, once each.
func (c *answerCache) put(sl *cacheSlot, a *compiled) *cacheSlot {
	if sl.a == nil {
		if c.n >= c.max {
			h := sl.hash
			clear(c.slots)
			c.n = 0
			sl = c.find(a.key, h)
		}
		c.n++
	}
	sl.a = a
	return sl
}

// compiledAnswer returns the compiled answer for key, compiling it when
// missing or when the lease table has changed under it, with the TTL the
// lease has left. ok false: the fast path cannot serve this name (the
// answer is not one that can be served by copying).
func (s *Server) compiledAnswer(c *answerCache, key []byte, h uint64) (a *compiled, ttl uint32, ok bool) {
	sl := c.find(key, h)
	if a = sl.a; a != nil {
		if ttl, ok = s.stillValid(a); ok {
			return a, ttl, !a.slow
		}
	}
	a = s.compile(key)
	if a == nil {
		return nil, 0, false
	}
	c.put(sl, a)
	return a, s.ttlOf(a), !a.slow
}

// stillValid repeats a's lookups; it reports whether they answer as they
// did, and the TTL of the lease records.
func (s *Server) stillValid(a *compiled) (uint32, bool) {
	var last Entry
	for i := range a.deps {
		d := &a.deps[i]
		e := s.res.Resolve(d.number)
		if !sameEntry(e, d.entry) {
			return 0, false
		}
		last = e
	}
	if len(a.ttls) == 0 {
		return 0, true
	}
	return s.leaseTTL(last.TTL), true
}

func (s *Server) ttlOf(a *compiled) uint32 {
	if len(a.ttls) == 0 || len(a.deps) == 0 {
		return 0
	}
	return s.leaseTTL(a.deps[len(a.deps)-1].entry.TTL)
}

// sameEntry reports entries that give the same answer but for the TTL.
func sameEntry(a, b Entry) bool {
	return a.Registered == b.Registered && (a.TTL > 0) == (b.TTL > 0) && a.URI == b.URI && a.Addr == b.Addr && slices.Equal(a.Addrs, b.Addrs)
}

// compile builds the reply to the query key stands for through the
// miekg/dns path, as ServeDNS would answer it without EDNS, and finds its
// lease TTLs. An answer that cannot be served by copying is marked slow,
// or nil when even that cannot be told.
func (s *Server) compile(key []byte) *compiled {
	name, qtype := keyName(key)
	rec := &recording{res: s.res}
	m, wire := s.compileFor(name, qtype, rec)
	a := &compiled{}
	if wire == nil {
		// Too big to copy: remembered as such while its lookups hold, so
		// that asking again goes straight to miekg/dns.
		a.key, a.slow = slices.Clone(key), true
		a.setDeps(rec.got)
		return a
	}
	qend := headerLen + len(key) + 2
	var ttls []int
	if len(rec.got) > 0 {
		var ok bool
		if ttls, ok = leaseTTLs(wire, qend, int(be16(wire[6:]))); !ok {
			return nil
		}
		want := s.leaseTTL(rec.got[len(rec.got)-1].entry.TTL)
		for _, o := range ttls {
			if binary.BigEndian.Uint32(wire[o:]) != want {
				return nil // not the TTL we would patch in: leave it to miekg
			}
		}
	}
	a.qend, a.size, a.rcode = qend, m.Len(), m.Rcode
	a.noData = m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0
	free := a.buf[:0]
	a.key, free = place(free, key)
	reply := append(append(make([]byte, 0, headerLen+len(wire)-qend), wire[:headerLen]...), wire[qend:]...)
	a.reply, free = place(free, reply)
	a.setDeps(rec.got)
	if d := &a.dep0[0]; len(a.deps) == 1 && len(d.number) > 0 && len(d.number) <= cap(free) {
		num := append(free[:0], d.number...)
		d.number = unsafe.String(&num[0], len(num)) // buf is not written again
	}
	a.ttls = a.ttl0[:0]
	if len(ttls) > len(a.ttl0) {
		a.ttls = make([]uint16, 0, len(ttls))
	}
	for _, o := range ttls {
		a.ttls = append(a.ttls, uint16(o))
	}
	return a
}

// place copies b into the front of free when it fits, else into an
// allocation of its own, and returns the copy and what is left of free.
func place(free, b []byte) (placed, rest []byte) {
	if len(b) > cap(free) {
		return slices.Clone(b), free
	}
	placed = append(free[:0:cap(free)], b...)
	return placed[:len(b):len(b)], free[len(b):cap(free)]
}

// setDeps keeps got as a's lookups, in dep0 when there is one.
func (a *compiled) setDeps(got []resolved) {
	a.deps = got
	if len(got) == 1 {
		a.dep0[0] = got[0]
		a.deps = a.dep0[:]
	}
}

// sharesCase reports whether a query for a's name in any letter case gets
// a's bytes after the question. Compression is case-sensitive in miekg/dns:
// a name in the answer is pointed at the question only where the cases
// agree. When the all-upper-case query packs to the same bytes after the
// question (lease TTLs aside), no name in the answer points into the
// question but through the owner, whatever the case. It is worked out on
// the first mixed-case query for a, which most names never get.
func (s *Server) sharesCase(a *compiled, key []byte) bool {
	if a.caseChecked {
		return a.caseFree
	}
	a.caseChecked = true
	name, qtype := keyName(key)
	_, up := s.compileFor(strings.ToUpper(name), qtype, &recording{res: s.res})
	tail := a.reply[headerLen:]
	if len(up) != a.qend+len(tail) {
		return false
	}
	for _, o := range a.ttls {
		copy(up[o:o+4], tail[int(o)-a.qend:])
	}
	a.caseFree = bytes.Equal(up[a.qend:], tail)
	return a.caseFree
}

// compileFor answers name and type with res as ServeDNS would (no EDNS,
// ID 0) and packs the reply compressed. wire is nil when the answer would
// not fit 512 bytes uncompressed; such replies stay with miekg/dns.
func (s *Server) compileFor(name string, qtype uint16, res Resolver) (*dns.Msg, []byte) {
	r := &dns.Msg{Question: []dns.Question{{Name: name, Qtype: qtype, Qclass: dns.ClassINET}}}
	m := new(dns.Msg)
	switch qtype {
	case dns.TypeAXFR, dns.TypeIXFR:
		return m, nil
	}
	s.answer(m, r, res)
	if m.Len() > minUDPSize {
		return m, nil
	}
	m.Compress = true
	wire, err := m.Pack()
	if err != nil {
		return m, nil
	}
	m.Compress = false
	return m, wire
}

// leaseTTLs finds the TTL fields of the A and AAAA records in the answer
// section of a packed reply whose question ends at qend.
func leaseTTLs(wire []byte, qend, ancount int) ([]int, bool) {
	var ttls []int
	off := qend
	for range ancount {
		var ok bool
		if off, ok = skipName(wire, off); !ok || off+10 > len(wire) {
			return nil, false
		}
		switch be16(wire[off:]) {
		case dns.TypeA, dns.TypeAAAA:
			ttls = append(ttls, off+4)
		}
		off += 10 + int(be16(wire[off+8:]))
	}
	return ttls, off <= len(wire)
}

// skipName steps over a name in wire form, which ends in a zero label or a
// compression pointer.
func skipName(b []byte, off int) (int, bool) {
	for off < len(b) {
		switch n := b[off]; {
		case n == 0:
			return off + 1, true
		case n&0xc0 == 0xc0:
			return off + 2, off+2 <= len(b)
		default:
			off += 1 + int(n)
		}
	}
	return off, false
}
