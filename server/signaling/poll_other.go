//go:build !linux

package signaling

import (
	"errors"
	"net"
	"syscall"
)

// Without epoll every connection is read by a goroutine of its own.
type poller struct{}

func newPoller() (*poller, error)       { return &poller{}, nil }
func (p *poller) run(func(*conn))       {}
func (p *poller) close() error          { return nil }
func (p *poller) add(*conn) error       { return errors.ErrUnsupported }
func (p *poller) remove(*conn)          {}
func pollable(net.Conn) syscall.RawConn { return nil }

// Without a raw socket (pollable) these are never called.
func (c *conn) readNow([]byte) (int, error) { return 0, errors.ErrUnsupported }
func (c *conn) writeRaw([]byte) int         { return 0 }
