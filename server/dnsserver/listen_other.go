//go:build !linux

package dnsserver

import (
	"context"
	"net"
)

// ListenUDP opens the UDP socket for Serve on addr. SO_REUSEPORT is asked
// for only on Linux, where Serve gives each batched worker its own socket;
// elsewhere Serve reads one socket through miekg/dns, and a reusable port
// would only let another process bind the same address (on the BSDs and
// macOS the last to bind takes the queries).
func ListenUDP(ctx context.Context, addr string) (*net.UDPConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

// reusesPort: no SO_REUSEPORT group is made off Linux (see ListenUDP).
func reusesPort(*net.UDPConn) bool { return false }
