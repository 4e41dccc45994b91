package relay

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// spread opens n-1 more sockets on pc's address, in one SO_REUSEPORT group
// with pc, so that the kernel spreads the clients over n read loops (by a
// hash of their address, so a client stays on its socket). pc need not
// have been bound with SO_REUSEPORT: Linux makes the group when the second
// socket joins.
func spread(pc *net.UDPConn, n int) ([]*net.UDPConn, error) {
	if n <= 1 {
		return nil, nil
	}
	raw, err := pc.SyscallConn()
	if err != nil {
		return nil, err
	}
	v6only := 0
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		if a, ok := pc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
			v6only, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		}
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, fmt.Errorf("setting SO_REUSEPORT: %w", serr)
	}
	network := "udp4"
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		network = "udp" // dual stack, as Go binds [::] for "udp"
		if v6only == 1 {
			network = "udp6"
		}
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	var out []*net.UDPConn
	for range n - 1 {
		c, err := lc.ListenPacket(context.Background(), network, pc.LocalAddr().String())
		if err != nil {
			for _, c := range out {
				_ = c.Close()
			}
			return nil, fmt.Errorf("binding another socket on %s: %w", pc.LocalAddr(), err)
		}
		out = append(out, c.(*net.UDPConn))
	}
	return out, nil
}
