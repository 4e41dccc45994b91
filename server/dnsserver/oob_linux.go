package dnsserver

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// replyOOB appends to out the control message that sends a reply from the
// address its query came to, read from the query's control messages oob
// (IP_PKTINFO or IPV6_PKTINFO, as asked for on wildcard sockets). nil when
// oob says nothing. It is what miekg/dns's correctSource does, without
// allocating: the source is the query's destination, the interface left
// to the routing table.
func replyOOB(out, oob []byte) []byte {
	dst, ok := pktinfoDst(oob)
	if !ok {
		return nil
	}
	if dst.Is4() || dst.Is4In6() {
		var pi [unix.SizeofInet4Pktinfo]byte // ifindex, spec_dst, addr
		a := dst.Unmap().As4()
		copy(pi[4:8], a[:])
		return appendCmsg(out, unix.IPPROTO_IP, unix.IP_PKTINFO, pi[:])
	}
	var pi [unix.SizeofInet6Pktinfo]byte // addr, ifindex
	a := dst.As16()
	copy(pi[:16], a[:])
	return appendCmsg(out, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, pi[:])
}

// pktinfoDst finds the destination address in a packet-info control
// message, IPv6 first as miekg/dns does.
func pktinfoDst(oob []byte) (netip.Addr, bool) {
	var v4 netip.Addr
	for len(oob) >= unix.SizeofCmsghdr {
		var l int
		if unix.SizeofCmsghdr == 16 {
			l = int(binary.NativeEndian.Uint64(oob))
		} else {
			l = int(binary.NativeEndian.Uint32(oob))
		}
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		level := int32(binary.NativeEndian.Uint32(oob[unix.SizeofCmsghdr-8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[unix.SizeofCmsghdr-4:]))
		data := oob[unix.SizeofCmsghdr:l]
		switch {
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			return netip.AddrFrom16([16]byte(data[:16])), true
		case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			v4 = netip.AddrFrom4([4]byte(data[8:12]))
		}
		oob = oob[min(cmsgAlign(l), len(oob)):]
	}
	return v4, v4.IsValid()
}

func appendCmsg(out []byte, level, typ int, data []byte) []byte {
	start := len(out)
	out = append(out, make([]byte, unix.CmsgSpace(len(data)))...)
	h := out[start:]
	if unix.SizeofCmsghdr == 16 {
		binary.NativeEndian.PutUint64(h, uint64(unix.CmsgLen(len(data))))
	} else {
		binary.NativeEndian.PutUint32(h, uint32(unix.CmsgLen(len(data))))
	}
	binary.NativeEndian.PutUint32(h[unix.SizeofCmsghdr-8:], uint32(level))
	binary.NativeEndian.PutUint32(h[unix.SizeofCmsghdr-4:], uint32(typ))
	copy(h[unix.SizeofCmsghdr:], data)
	return out
}

func cmsgAlign(n int) int { return unix.CmsgSpace(n - unix.SizeofCmsghdr) }
