package sipgw

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// handshakeTimeout bounds a TLS handshake on the SIP TLS listener: a
// connection that never finishes one is closed, not kept for free.
var handshakeTimeout = 10 * time.Second

// NewTLSListener makes inner a SIP-over-TLS listener with cert (TLS 1.2 at
// least). Each connection must finish its handshake within 10 seconds of
// its first read; the handshake runs on the connection's own reader, so a
// slow client holds up no one else.
func NewTLSListener(inner net.Listener, cert tls.Certificate) net.Listener {
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return &tlsListener{Listener: inner, conf: conf}
}

type tlsListener struct {
	net.Listener
	conf *tls.Config
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsConn{Conn: tls.Server(c, l.conf)}, nil
}

// tlsConn is a server-side TLS connection whose first Read runs the
// handshake under a deadline.
type tlsConn struct {
	*tls.Conn
	once sync.Once
	err  error
}

func (c *tlsConn) Read(b []byte) (int, error) {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		defer cancel()
		c.err = c.HandshakeContext(ctx)
	})
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(b)
}

// isTLS reports whether a message's transport is TLS.
func isTLS(transport string) bool { return strings.EqualFold(transport, "TLS") }

// tlsContactURI is the gateway's Contact for dialogs over TLS:
// sip:HOST:PORT;transport=tls on the TLS listener. (A sips: URI would
// demand TLS on every hop to the phone, which the gateway cannot promise
// for a trunk or a phone's own proxy; transport=tls is what phones send.)
func (g *Gateway) tlsContactURI() (sip.Uri, bool) {
	if g.cfg.TLSListener == nil {
		return sip.Uri{}, false
	}
	u := sip.Uri{Scheme: "sip", Host: g.contact.Host, UriParams: sip.NewParams()}
	if ap, err := netip.ParseAddrPort(g.cfg.TLSListener.Addr().String()); err == nil {
		if !ap.Addr().IsUnspecified() {
			u.Host = ap.Addr().Unmap().String()
		}
		u.Port = int(ap.Port())
	}
	u.UriParams.Add("transport", "tls")
	return u, true
}

// contactFor returns the Contact header for a dialog over transport: the
// TLS listener's for TLS, else nil (the stack's default, the UDP
// listener's).
func (g *Gateway) contactFor(transport string) *sip.ContactHeader {
	if !isTLS(transport) {
		return nil
	}
	u, ok := g.tlsContactURI()
	if !ok {
		return nil
	}
	return &sip.ContactHeader{Address: u}
}

// respondSDP answers the call's INVITE 200 with body, with the Contact of
// the transport it came over, so that the phone's ACK and BYE come back
// over TLS when it called over TLS.
func (c *sipCall) respondSDP(body []byte) error {
	res := sip.NewSDPResponseFromRequest(c.srv.InviteRequest, body)
	if h := c.g.contactFor(c.srv.InviteRequest.Transport()); h != nil {
		res.AppendHeader(h)
	}
	return c.srv.WriteResponse(res)
}

// overConnection sends an INVITE to a TLS-registered phone over the
// connection it registered on (its source address), where the stack keeps
// it: a phone seldom has a certificate of its own to accept a new TLS
// connection with, and one behind NAT cannot be reached at its Contact.
func overConnection(req *sip.Request, reg Registration) {
	if isTLS(reg.Transport) && reg.Source != "" {
		req.SetDestination(reg.Source)
	}
}

// inDialogDest is where the gateway's requests inside a dialog with a TLS
// phone go: the connection the phone's INVITE (or its answer) came over.
// Empty for other transports, which go to the phone's Contact.
func inDialogDest(transport, source string) string {
	if isTLS(transport) {
		return source
	}
	return ""
}

// byeServer sends BYE in an inbound dialog; over TLS on the phone's
// connection.
func byeServer(ctx context.Context, d *sipgo.DialogServerSession) error {
	req := d.InviteRequest
	dest := inDialogDest(req.Transport(), req.Source())
	if dest == "" {
		return d.Bye(ctx)
	}
	bye := sip.NewRequest(sip.BYE, req.Contact().Address)
	bye.SetTransport(req.Transport())
	bye.SetDestination(dest)
	return d.WriteBye(ctx, bye)
}

// ackClient acknowledges the answer to an outbound INVITE; over TLS on the
// connection the answer came over.
func ackClient(ctx context.Context, d *sipgo.DialogClientSession) error {
	res := d.InviteResponse
	dest := inDialogDest(d.InviteRequest.Transport(), res.Source())
	if dest == "" {
		return d.Ack(ctx)
	}
	// The dialog fills in From, To, Call-ID and CSeq.
	ack := sip.NewRequest(sip.ACK, remoteTarget(d))
	ack.SetDestination(dest)
	return d.WriteAck(ctx, ack)
}

// byeClient sends BYE in an outbound dialog; over TLS on the connection
// the answer came over.
func byeClient(ctx context.Context, d *sipgo.DialogClientSession) error {
	res := d.InviteResponse
	if res == nil {
		return d.Bye(ctx)
	}
	dest := inDialogDest(d.InviteRequest.Transport(), res.Source())
	if dest == "" {
		return d.Bye(ctx)
	}
	bye := sip.NewRequest(sip.BYE, remoteTarget(d))
	bye.SetDestination(dest)
	return d.WriteBye(ctx, bye)
}

// remoteTarget is the phone's Contact from its answer, else the INVITE's
// request URI.
func remoteTarget(d *sipgo.DialogClientSession) sip.Uri {
	if h := d.InviteResponse.Contact(); h != nil {
		return *h.Address.Clone()
	}
	return *d.InviteRequest.Recipient.Clone()
}
