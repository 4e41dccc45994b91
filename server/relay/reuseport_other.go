//go:build !linux

package relay

import "net"

// spread is Linux's; elsewhere the listener stays one socket.
func spread(*net.UDPConn, int) ([]*net.UDPConn, error) { return nil, nil }
