package sigclient

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/call/wire"
)

// ParseURL checks a signalling server address as a person writes it and
// returns the URL to dial. It takes ws://host[:port][/path] and
// wss://host[:port][/path] (no path: wire.Path), and host:port, which
// becomes ws://host:port/v1. Anything else is refused with a message that
// says what is wanted: a bare word such as "foo" is more likely a typo than
// a server on port 80.
func ParseURL(s string) (string, error) {
	const want = "want ws://host:port/v1, wss://host/v1 or host:port"
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("server address is empty; %s", want)
	}
	if !strings.Contains(s, "://") {
		host, port, err := net.SplitHostPort(s)
		if err != nil || !validHost(host) || !validPort(port) {
			return "", fmt.Errorf("server %q: %s", s, want)
		}
		return "ws://" + net.JoinHostPort(host, port) + wire.Path, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("server %q: %s", s, want)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http", "https":
		return "", fmt.Errorf("server %q: the signalling address is a WebSocket: write %s://%s%s", s,
			strings.Replace(u.Scheme, "http", "ws", 1), u.Host, pathOr(u.Path))
	default:
		return "", fmt.Errorf("server %q: unknown scheme %q; %s", s, u.Scheme, want)
	}
	if !validHost(u.Hostname()) || (u.Port() != "" && !validPort(u.Port())) {
		return "", fmt.Errorf("server %q: no valid host; %s", s, want)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server %q: no user, query or fragment, please; %s", s, want)
	}
	u.Path = pathOr(u.Path)
	return u.String(), nil
}

func pathOr(p string) string {
	if p == "" || p == "/" {
		return wire.Path
	}
	return p
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

// validHost accepts an IP address or a DNS name of letters, digits,
// hyphens and dots.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
