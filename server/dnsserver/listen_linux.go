package dnsserver

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenUDP opens the UDP socket for Serve on addr with SO_REUSEPORT, so
// that Serve can open one more socket on the same address for each CPU
// and read them in parallel, one worker each, as knotd's UDP workers do.
// The kernel spreads clients over the sockets by their address and port.
//
// A socket opened any other way works too, read by the same number of
// workers in turn.
func ListenUDP(ctx context.Context, addr string) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: reusePort}
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}

// reusesPort reports whether pc was opened with SO_REUSEPORT.
func reusesPort(pc *net.UDPConn) bool {
	rc, err := pc.SyscallConn()
	if err != nil {
		return false
	}
	on := 0
	if err := rc.Control(func(fd uintptr) {
		on, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT)
	}); err != nil {
		return false
	}
	return err == nil && on != 0
}
