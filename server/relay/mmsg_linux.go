package relay

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// rawMmsg is recvmmsg and sendmmsg made with RawSyscall, where x/net
// makes them with Syscall. The sockets are non-blocking, so a call never
// blocks (EAGAIN waits in Go's poller, as with x/net); but through Syscall
// the scheduler counts every call as a blocking system call, and a
// sendmmsg of twenty loopback datagrams (~100 µs, the receiver's softirq
// included) outlasts sysmon's 20 µs tick: sysmon handed the P to another
// thread and back, and kept itself polling every 20 µs (sysmon 8.7 %,
// schedule 8.9 % of the relay's profile under load).
type rawMmsg struct {
	rc     syscall.RawConn
	v6     bool // the socket is AF_INET6
	rd, wr mmsgBufs
}

type mmsgBufs struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
}

func (b *mmsgBufs) prepare(n int) {
	if len(b.hdrs) < n {
		b.hdrs = make([]unix.Mmsghdr, n)
		b.iovs = make([]unix.Iovec, n)
		b.names = make([]unix.RawSockaddrInet6, n)
	}
}

func newBatchRW(c *net.UDPConn) batchRW {
	rc, err := c.SyscallConn()
	if err != nil {
		return xnetBatchRW(c)
	}
	v6 := false
	if err := rc.Control(func(fd uintptr) {
		d, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		v6 = err == nil && d == unix.AF_INET6
	}); err != nil {
		return xnetBatchRW(c)
	}
	return &rawMmsg{rc: rc, v6: v6}
}

func (b *mmsgBufs) set(i int, buf []byte, namelen uint32) {
	b.iovs[i] = unix.Iovec{}
	if len(buf) > 0 {
		b.iovs[i].Base = &buf[0]
	}
	b.iovs[i].SetLen(len(buf))
	h := &b.hdrs[i]
	*h = unix.Mmsghdr{}
	h.Hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	h.Hdr.Namelen = namelen
	h.Hdr.Iov = &b.iovs[i]
	h.Hdr.SetIovlen(1)
}

// mmsg makes the call trap (SYS_RECVMMSG or SYS_SENDMMSG) on b.hdrs[:n],
// waiting in the poller while the socket is not ready.
func (c *rawMmsg) mmsg(trap uintptr, b *mmsgBufs, n int, read bool) (int, error) {
	var got int
	var errno syscall.Errno
	f := func(fd uintptr) bool {
		for {
			r, _, e := unix.RawSyscall6(trap, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(n), 0, 0, 0)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			got, errno = int(r), e
			return true
		}
	}
	var err error
	if read {
		err = c.rc.Read(f)
	} else {
		err = c.rc.Write(f)
	}
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		name := "sendmmsg"
		if read {
			name = "recvmmsg"
		}
		return 0, os.NewSyscallError(name, errno)
	}
	return got, nil
}

func (c *rawMmsg) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	b := &c.rd
	b.prepare(len(ms))
	for i := range ms {
		b.set(i, ms[i].Buffers[0], unix.SizeofSockaddrInet6)
	}
	n, err := c.mmsg(unix.SYS_RECVMMSG, b, len(ms), true)
	for i := range n {
		ms[i].N = int(b.hdrs[i].Len)
		ms[i].Flags = int(b.hdrs[i].Hdr.Flags)
		ms[i].Addr = udpAddrOf(&b.names[i])
	}
	return n, err
}

var errAddrFamily = errors.New("address does not fit the socket's family")

// WriteBatch sends ms up to the first whose address the socket cannot
// take; if that is the first, it returns the error.
func (c *rawMmsg) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	b := &c.wr
	b.prepare(len(ms))
	n := 0
	for i := range ms {
		ua, _ := ms[i].Addr.(*net.UDPAddr)
		namelen, ok := c.putName(&b.names[i], ua)
		if !ok {
			break
		}
		b.set(i, ms[i].Buffers[0], namelen)
		n++
	}
	if n == 0 {
		return 0, errAddrFamily
	}
	return c.mmsg(unix.SYS_SENDMMSG, b, n, false)
}

func (c *rawMmsg) putName(sa *unix.RawSockaddrInet6, ua *net.UDPAddr) (uint32, bool) {
	if ua == nil {
		return 0, false
	}
	if !c.v6 {
		ip4 := ua.IP.To4()
		if ip4 == nil {
			return 0, false
		}
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*s4 = unix.RawSockaddrInet4{Family: unix.AF_INET}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s4.Port))[:], uint16(ua.Port))
		copy(s4.Addr[:], ip4)
		return unix.SizeofSockaddrInet4, true
	}
	ip16 := ua.IP.To16()
	if ip16 == nil {
		return 0, false
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], uint16(ua.Port))
	copy(sa.Addr[:], ip16)
	if ua.Zone != "" {
		if id, err := strconv.Atoi(ua.Zone); err == nil {
			sa.Scope_id = uint32(id)
		} else if ifi, err := net.InterfaceByName(ua.Zone); err == nil {
			sa.Scope_id = uint32(ifi.Index)
		}
	}
	return unix.SizeofSockaddrInet6, true
}

// udpAddrOf is the sender's address the kernel wrote into sa.
func udpAddrOf(sa *unix.RawSockaddrInet6) *net.UDPAddr {
	port := int(binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:]))
	switch sa.Family {
	case unix.AF_INET:
		// One allocation for the address and its IP: this runs for every
		// datagram read.
		a := &struct {
			net.UDPAddr
			ip [4]byte
		}{ip: (*unix.RawSockaddrInet4)(unsafe.Pointer(sa)).Addr}
		a.IP, a.Port = a.ip[:], port
		return &a.UDPAddr
	case unix.AF_INET6:
		a := &struct {
			net.UDPAddr
			ip [16]byte
		}{ip: sa.Addr}
		a.IP, a.Port = a.ip[:], port
		if sa.Scope_id != 0 {
			a.Zone = strconv.Itoa(int(sa.Scope_id))
		}
		return &a.UDPAddr
	}
	return nil
}
