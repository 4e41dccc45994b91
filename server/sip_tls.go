package server

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/dialtone/dialtone/server/connlimit"
	"github.com/dialtone/dialtone/server/sipgw"
)

// sipTLSListener turns the bound SIP-over-TLS listener (already under its
// connection limits) into a TLS one with the server's certificate, or
// returns nil when SIP over TLS is off. The certificate is read once, at
// start, as signalling reads it.
func (s *Server) sipTLSListener() (net.Listener, error) {
	if s.sipTLSLn == nil {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS key pair for SIP over TLS: %w", err)
	}
	return sipgw.NewTLSListener(s.sipTLSLn, cert), nil
}

// sipTLSLimits are SIP over TLS's connection limits: those of SIP over
// TCP, with a share and a reserve of their own.
func sipTLSLimits(sip connlimit.Limits) connlimit.Limits {
	sip.Name = "sip-tls"
	return sip
}
