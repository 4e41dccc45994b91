//go:build !linux

package dnsserver

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
)

// haveBatches: only Linux has the batched UDP workers (recvmmsg); elsewhere
// Serve leaves UDP to miekg/dns, which gives the same answers.
const haveBatches = false

var errNoBatches = errors.New("no recvmmsg on this system")

type udpBatch struct{ sendErrors func() }

func newUDPBatch(*net.UDPConn, bool) (*udpBatch, error) { return nil, errNoBatches }

func (*udpBatch) serve(*atomic.Bool, func(int)) error                  { return errNoBatches }
func (*udpBatch) query(int) (p []byte, src netip.AddrPort, oob []byte) { return }
func (*udpBatch) udpAddr(int) *net.UDPAddr                             { return nil }
func (*udpBatch) replyBuf() []byte                                     { return nil }
func (*udpBatch) replyOOB() []byte                                     { return nil }
func (*udpBatch) reply(int, []byte, []byte)                            {}
