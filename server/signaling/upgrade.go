package signaling

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// upgradeError is a handshake the server refuses with a plain HTTP answer.
type upgradeError struct {
	status int
	msg    string
	header map[string]string
}

// checkUpgrade applies RFC 6455's rules for an opening handshake and the
// same-origin rule, and returns the subprotocol to answer with ("" when the
// client did not offer dialtone's).
func checkUpgrade(r *http.Request, subprotocol string) (string, *upgradeError) {
	upgradeHeaders := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket"}
	switch {
	case !r.ProtoAtLeast(1, 1):
		return "", &upgradeError{http.StatusUpgradeRequired, "WebSocket needs HTTP/1.1 or later", nil}
	case !hasToken(r.Header, "Connection", "upgrade"):
		return "", &upgradeError{http.StatusUpgradeRequired, "the Connection header does not contain Upgrade", upgradeHeaders}
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return "", &upgradeError{http.StatusUpgradeRequired, "the Upgrade header does not contain websocket", upgradeHeaders}
	case r.Method != http.MethodGet:
		return "", &upgradeError{http.StatusMethodNotAllowed, "a WebSocket handshake is a GET", nil}
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return "", &upgradeError{http.StatusBadRequest, "only WebSocket version 13 is supported", map[string]string{"Sec-WebSocket-Version": "13"}}
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return "", &upgradeError{http.StatusBadRequest, "want one Sec-WebSocket-Key", nil}
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return "", &upgradeError{http.StatusBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64", nil}
	}
	// A page from another origin may not open the WebSocket: a browser
	// would lend it the user's network position. Clients that send no
	// Origin are not browsers.
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return "", &upgradeError{http.StatusForbidden, fmt.Sprintf("request Origin %q is not authorized for Host %q", origin, r.Host), nil}
		}
	}
	for _, p := range tokens(r.Header, "Sec-WebSocket-Protocol") {
		if strings.EqualFold(p, subprotocol) {
			return p, nil
		}
	}
	return "", nil
}

func (e *upgradeError) write(w http.ResponseWriter) {
	for k, v := range e.header {
		w.Header().Set(k, v)
	}
	http.Error(w, e.msg, e.status)
}

// hijack takes the connection from the HTTP server and answers 101. It
// returns the socket and any bytes the client sent after the request.
func hijack(w http.ResponseWriter, r *http.Request, subprotocol string, timeout time.Duration) (net.Conn, []byte, error) {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
		return nil, nil, fmt.Errorf("hijacking the connection: %w", err)
	}
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
		early = append([]byte(nil), early...)
	}
	resp := make([]byte, 0, 160)
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = append(resp, acceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key")))...)
	if subprotocol != "" {
		resp = append(resp, "\r\nSec-WebSocket-Protocol: "...)
		resp = append(resp, subprotocol...)
	}
	resp = append(resp, "\r\n\r\n"...)
	// The HTTP server's deadlines are for HTTP; the WebSocket keeps its own.
	_ = nc.SetDeadline(time.Time{})
	_ = nc.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := nc.Write(resp); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("answering the upgrade: %w", err)
	}
	_ = nc.SetWriteDeadline(time.Time{})
	return nc, early, nil
}

// acceptKey is RFC 6455's Sec-WebSocket-Accept for a key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// tokens splits a comma-separated header's values.
func tokens(h http.Header, key string) []string {
	var out []string
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func hasToken(h http.Header, key, token string) bool {
	for _, t := range tokens(h, key) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}
