package sigclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/dialtone/dialtone/call/wire"
)

// handshakeStatus finds the HTTP status in the WebSocket library's error for
// a server that did not switch protocols.
var handshakeStatus = regexp.MustCompile(`status code 101 but got (\d{3})`)

// Reason says in a few words why a connection to the server failed, for a
// person: "connection refused", "name not found", a TLS error, or the HTTP
// status of a server that is not a dialtone signalling endpoint. It falls
// back to err's own text.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var rejected *RejectedError
	switch {
	case errors.As(err, &rejected):
		return rejected.Message
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the server running?)"
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the server"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "name not found: " + dnsErr.Name
		}
		return "looking up " + dnsErr.Name + " failed"
	case errors.As(err, &unknownCA):
		return "TLS error: the server's certificate is not signed by a known authority"
	case errors.As(err, &hostErr):
		return "TLS error: the certificate is not for " + hostErr.Host
	case errors.As(err, &invalid):
		return "TLS error: the server's certificate is not valid"
	case errors.As(err, &recordErr):
		return "TLS error: the server does not speak TLS (try ws:// instead of wss://)"
	case errors.Is(err, context.DeadlineExceeded):
		return "the server did not answer in time"
	}
	if m := handshakeStatus.FindStringSubmatch(err.Error()); m != nil {
		return "the server answered HTTP " + m[1] + ": not a dialtone signalling endpoint (wrong path?)"
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return "TLS error: the server does not speak TLS (try ws:// instead of wss://)"
	}
	if strings.Contains(err.Error(), "tls:") {
		return "TLS error"
	}
	if strings.Contains(err.Error(), "does not speak "+wire.Subprotocol) {
		return "the server does not speak the dialtone protocol"
	}
	return err.Error()
}
