package relay

import (
	"encoding/binary"
	"net"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

var addrSink *net.UDPAddr

// udpAddrOf runs for every datagram the relay reads: it decodes both
// families and costs one allocation.
func TestUDPAddrOf(t *testing.T) {
	var sa unix.RawSockaddrInet6
	s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
	s4.Family = unix.AF_INET
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&s4.Port))[:], 3478)
	s4.Addr = [4]byte{127, 77, 0, 1}
	if got := udpAddrOf(&sa).String(); got != "127.77.0.1:3478" {
		t.Errorf("IPv4: %s", got)
	}
	if n := testing.AllocsPerRun(100, func() { addrSink = udpAddrOf(&sa) }); n != 1 {
		t.Errorf("IPv4: %v allocations, want 1", n)
	}
	a, b := udpAddrOf(&sa), udpAddrOf(&sa)
	a.IP[3] = 9
	if b.IP[3] != 1 {
		t.Error("two addresses share their IP")
	}

	sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: [16]byte{0: 0xfd, 15: 1}, Scope_id: 0}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], 3479)
	if got := udpAddrOf(&sa).String(); got != "[fd00::1]:3479" {
		t.Errorf("IPv6: %s", got)
	}
	sa.Scope_id = 2
	if got := udpAddrOf(&sa); got.Zone != "2" {
		t.Errorf("IPv6 zone: %q", got.Zone)
	}
}
