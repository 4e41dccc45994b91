//go:build !linux

package relay

import "net"

func newBatchRW(c *net.UDPConn) batchRW { return xnetBatchRW(c) }
