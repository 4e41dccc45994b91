package media

import (
	"net"
	"strconv"
)

// netAddr formats an ICE candidate's address as host:port.
type netAddr struct {
	host string
	port uint16
}

func (a *netAddr) String() string { return net.JoinHostPort(a.host, strconv.Itoa(int(a.port))) }
