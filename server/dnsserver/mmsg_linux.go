package dnsserver

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// haveBatches: Serve's UDP workers read and write with recvmmsg and
// sendmmsg.
const haveBatches = true

// udpBatch is one worker's recvmmsg and sendmmsg on its socket, with every
// buffer the calls need made once: the message headers, their iovecs, the
// query and reply bytes, the clients' addresses and the control messages.
// A reply goes to the address its query came from as the kernel wrote it,
// copied sockaddr for sockaddr, so no address is ever turned into a Go
// value on the way (golang.org/x/net's ReadBatch made two allocations of
// every one).
//
// The calls are made with RawSyscall on the non-blocking socket, from
// inside the socket's RawConn.Read: the worker reads until the socket is
// empty (EAGAIN) and only then parks in Go's poller. Through Syscall, as
// x/net makes them, the scheduler counts each call as one that may block,
// and a sendmmsg of twenty loopback replies (the clients' receive path is
// run in it) outlasts sysmon's 20 µs tick: sysmon handed the worker's P to
// another thread and kept itself waking every 20 µs (sysmon 7.5 %, the
// scheduler 6.5 % of the server's profile under dnsperf).
type udpBatch struct {
	rc      syscall.RawConn
	v6      bool // the socket is AF_INET6
	pktinfo bool // the queries carry their destination (wildcard socket)
	in, out mmsgs
	nout    int // replies queued in out
	// sendErrors counts replies the system refused (see flush).
	sendErrors func()
}

// mmsgs is one direction's batch of messages.
type mmsgs struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
	bufs  [][]byte                // each ednsSize
	oobs  [][]byte                // each oobSize, on wildcard sockets
}

func newMmsgs(n int, oob bool) mmsgs {
	m := mmsgs{hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n), bufs: make([][]byte, n)}
	data := make([]byte, n*ednsSize)
	var oobData []byte
	if oob {
		m.oobs = make([][]byte, n)
		oobData = make([]byte, n*oobSize)
	}
	for i := range n {
		m.bufs[i] = data[i*ednsSize : (i+1)*ednsSize : (i+1)*ednsSize]
		h := &m.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		h.Iov = &m.iovs[i]
		h.SetIovlen(1)
		if oob {
			m.oobs[i] = oobData[i*oobSize : (i+1)*oobSize : (i+1)*oobSize]
		}
	}
	return m
}

// newUDPBatch sets up batches of batchSize on c. pktinfo asks the socket
// for each query's destination address, so that a socket on every
// address answers from the one asked, as the miekg/dns server does.
func newUDPBatch(c *net.UDPConn, pktinfo bool) (*udpBatch, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("getting the socket: %w", err)
	}
	b := &udpBatch{rc: rc, pktinfo: pktinfo, in: newMmsgs(batchSize, pktinfo), out: newMmsgs(batchSize, pktinfo)}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		d, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			serr = err
			return
		}
		b.v6 = d == unix.AF_INET6
		if !pktinfo {
			return
		}
		if b.v6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		}
		if serr == nil && b.v6 {
			// IPv4 clients of a dual-stack socket; an IPv6-only one refuses.
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		}
	}); err != nil {
		return nil, fmt.Errorf("getting the socket: %w", err)
	}
	if serr != nil {
		return nil, fmt.Errorf("asking for packet info: %w", os.NewSyscallError("setsockopt", serr))
	}
	return b, nil
}

// serve reads batches until stop is set or the socket is closed, calling
// answer with the number of queries read each time and sending the
// replies it queued (reply) before reading again.
func (b *udpBatch) serve(stop *atomic.Bool, answer func(n int)) error {
	var serr error
	err := b.rc.Read(func(fd uintptr) bool {
		for !stop.Load() {
			n, errno := b.recv(fd)
			switch errno {
			case 0:
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // empty: park until it is readable
			default:
				serr = os.NewSyscallError("recvmmsg", errno)
				return true
			}
			answer(n)
			b.flush(fd, stop)
		}
		return true
	})
	if serr != nil {
		return serr
	}
	return err
}

// recv is one recvmmsg into the in batch.
func (b *udpBatch) recv(fd uintptr) (int, syscall.Errno) {
	in := &b.in
	for i := range in.hdrs {
		h := &in.hdrs[i].Hdr
		h.Namelen = unix.SizeofSockaddrInet6
		h.Flags = 0
		in.iovs[i].Base = &in.bufs[i][0]
		in.iovs[i].SetLen(ednsSize)
		if b.pktinfo {
			h.Control = &in.oobs[i][0]
			h.SetControllen(oobSize)
		}
	}
	r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&in.hdrs[0])), uintptr(len(in.hdrs)),
		unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// query is the i-th query of the batch just read: its bytes, where it came
// from (no zone: the allow list and the rate limit take prefixes) and its
// control messages.
func (b *udpBatch) query(i int) (p []byte, src netip.AddrPort, oob []byte) {
	in := &b.in
	h := &in.hdrs[i]
	p = in.bufs[i][:h.Len]
	if b.pktinfo {
		oob = in.oobs[i][:h.Hdr.Controllen]
	}
	sa := &in.names[i]
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	switch sa.Family {
	case unix.AF_INET:
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		src = netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), port)
	case unix.AF_INET6:
		src = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port)
	}
	return p, src, oob
}

// udpAddr is the i-th query's source as the miekg/dns path takes it, with
// the IPv6 zone. It allocates; the fast path does not call it.
func (b *udpBatch) udpAddr(i int) *net.UDPAddr {
	_, src, _ := b.query(i)
	if !src.IsValid() {
		return nil
	}
	a := net.UDPAddrFromAddrPort(src)
	if sa := &b.in.names[i]; sa.Family == unix.AF_INET6 && sa.Scope_id != 0 {
		a.Zone = strconv.Itoa(int(sa.Scope_id))
	}
	return a
}

// replyBuf is where the next reply is to be built, and replyOOB its
// control message (nil on sockets without packet info).
func (b *udpBatch) replyBuf() []byte { return b.out.bufs[b.nout][:0] }
func (b *udpBatch) replyOOB() []byte {
	if !b.pktinfo {
		return nil
	}
	return b.out.oobs[b.nout][:0]
}

// reply queues reply (built in replyBuf) to the i-th query's source, with
// the control message oob (built in replyOOB, or nil).
func (b *udpBatch) reply(i int, reply, oob []byte) {
	k := b.nout
	out := &b.out
	out.names[k] = b.in.names[i]
	h := &out.hdrs[k].Hdr
	h.Namelen = b.in.hdrs[i].Hdr.Namelen
	out.iovs[k].Base = &reply[0]
	out.iovs[k].SetLen(len(reply))
	if len(oob) > 0 {
		h.Control = &oob[0]
		h.SetControllen(len(oob))
	} else {
		h.Control = nil
		h.SetControllen(0)
	}
	b.nout++
}

// flush sends the queued replies with as few sendmmsg calls as it takes.
// A reply the system refuses (a client's address it cannot send to) is
// counted and skipped, as a failed sendto would have been. A full send
// buffer waits until there is room, as a blocking write would.
func (b *udpBatch) flush(fd uintptr, stop *atomic.Bool) {
	out := &b.out
	for sent := 0; sent < b.nout; {
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&out.hdrs[sent])), uintptr(b.nout-sent),
			unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			sent += max(int(r), 1)
		case unix.EINTR:
		case unix.EAGAIN, unix.ENOBUFS:
			if stop.Load() {
				b.nout = 0
				return
			}
			waitWritable(fd)
		default:
			b.sendErrors()
			sent++
		}
	}
	b.nout = 0
}

// waitWritable waits, in a blocking poll, until fd has room to send, or
// for at most 100 ms (so that a stop is seen). It is not the fast path: a
// UDP socket's send buffer fills only when the interface cannot keep up.
func waitWritable(fd uintptr) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	_, _ = unix.Poll(fds, 100)
}
