package lease

import (
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
	"sort"
)

// maxIPs caps the concatenated IP space: no server holds anywhere near 2^62
// leases, and the headroom keeps index arithmetic far from overflow.
const maxIPs = 1 << 62

// span is the usable part of one prefix, placed in the concatenated space.
type span struct {
	first netip.Addr // first usable address
	start uint64     // index of first in the concatenated space
	n     uint64     // usable addresses, at most maxIPs
}

// space maps indexes to addresses: IP indexes 0..ips-1 over the
// concatenated prefixes, port slots 0..ports-1 over the port range.
type space struct {
	spans    []span
	ips      uint64 // usable IPs, saturated at maxIPs
	portLo   uint16
	ports    int
	capacity uint64 // ips × ports, saturated at math.MaxUint64
}

func newSpace(prefixes []netip.Prefix, portLo, portHi uint16) space {
	s := space{portLo: portLo, ports: int(portHi-portLo) + 1}
	for _, p := range prefixes {
		first, n := usable(p)
		n = min(n, maxIPs-s.ips)
		if n == 0 {
			continue
		}
		s.spans = append(s.spans, span{first: first, start: s.ips, n: n})
		s.ips += n
	}
	hi, lo := bits.Mul64(s.ips, uint64(s.ports))
	s.capacity = lo
	if hi != 0 {
		s.capacity = math.MaxUint64
	}
	return s
}

// usable returns the first usable address of a masked prefix and how many
// there are, at most maxIPs.
func usable(p netip.Prefix) (netip.Addr, uint64) {
	first := p.Addr()
	host := first.BitLen() - p.Bits()
	skip := uint64(0)
	switch {
	case first.Is4() && p.Bits() < 31:
		skip = 2 // network and broadcast
	case first.Is6() && p.Bits() < 127:
		skip = 1 // subnet-router anycast
	}
	if skip > 0 {
		first = first.Next()
	}
	if host >= 63 {
		return first, maxIPs
	}
	return first, min(uint64(1)<<host-skip, maxIPs)
}

// ip returns the IP at index i (i < s.ips).
func (s *space) ip(i uint64) netip.Addr {
	k := sort.Search(len(s.spans), func(k int) bool {
		return s.spans[k].start+s.spans[k].n > i
	})
	sp := s.spans[k]
	return addOffset(sp.first, i-sp.start)
}

// port returns the port in slot k.
func (s *space) port(k uint16) uint16 { return s.portLo + k }

// addOffset returns a+off; the caller keeps it inside a's prefix.
func addOffset(a netip.Addr, off uint64) netip.Addr {
	if a.Is4() {
		b := a.As4()
		binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32(b[:])+uint32(off))
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	lo, carry := bits.Add64(binary.BigEndian.Uint64(b[8:]), off, 0)
	binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(b[:8])+carry)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}
