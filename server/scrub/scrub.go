// Package scrub removes from a party's SDP and ICE candidates everything
// that would tell the other party where the sender is, for calls under the
// "relay" media policy: only relay candidates on the sender's own lease pass,
// and the addresses SDP carries outside candidates (o=, c=, a=rtcp, the m=
// port) are replaced by neutral values.
//
// A candidate passes on its IP, not its port: a party in two calls at once
// has a second relay socket on its lease IP with a kernel-chosen port. In a
// pool that shares one public IP between leases, a candidate on another
// lease's port therefore passes too; it names only the server's address.
//
// It is what the switchboard applies to sdp and ice messages before it
// forwards them. It is not a validator of SDP for media: it parses SDP with
// pion/sdp only to find and rewrite the lines that carry addresses, and it
// knows nothing of codecs, leases or calls beyond the one address it is
// given.
package scrub

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Errors a caller may branch on.
var (
	// ErrNotRelay is a candidate that is not a relay candidate on the lease.
	ErrNotRelay = errors.New("not a relay candidate on the sender's lease")
	// ErrMalformed is a candidate or SDP that does not parse.
	ErrMalformed = errors.New("malformed")
)

// Neutral values put where an address was. pion and the browsers write the
// same when they have no candidate yet ("IN IP4 0.0.0.0", port 9), and
// accept them from the other side.
const (
	neutralAddr = "0.0.0.0"
	neutralPort = 9
)

// MaxSDP bounds the SDP Scrub accepts and returns, in bytes.
const MaxSDP = 32 << 10

// extensions are the candidate extensions (RFC 8839 §5.1) that pass: the
// ones browsers and pion write, none of which carries an address.
var extensions = map[string]bool{
	"generation": true, "ufrag": true, "network-id": true, "network-cost": true,
}

// Candidate checks one ICE candidate attribute, with or without its
// "candidate:" (or "a=candidate:") prefix, and returns it rewritten for the
// other party: a UDP relay candidate whose address is on lease, its related
// address (the sender's own address as the relay saw it) replaced by
// 0.0.0.0 port 0, and only extensions that carry no address. Every other
// candidate is an error: ErrNotRelay for a well-formed candidate of another
// type or address, ErrMalformed for the rest. An empty string (the end of
// candidates) passes unchanged.
func Candidate(attr string, lease netip.Addr) (string, error) {
	if attr == "" {
		return "", nil
	}
	prefix := ""
	value := attr
	for _, p := range [...]string{"a=candidate:", "candidate:"} {
		if rest, ok := strings.CutPrefix(attr, p); ok {
			prefix, value = "candidate:", rest
			break
		}
	}
	out, err := candidateValue(value, lease)
	if err != nil {
		return "", err
	}
	return prefix + out, nil
}

// candidateValue checks and rewrites the value of a candidate attribute:
// foundation component transport priority address port "typ" type
// [raddr addr] [rport port] *(name value).
func candidateValue(v string, lease netip.Addr) (string, error) {
	f := strings.Fields(v)
	if len(f) < 8 || len(f)%2 != 0 || f[6] != "typ" {
		return "", fmt.Errorf("candidate %q: %w", short(v), ErrMalformed)
	}
	if !token(f[0], 32) {
		return "", fmt.Errorf("candidate foundation: %w", ErrMalformed)
	}
	if _, err := strconv.ParseUint(f[1], 10, 8); err != nil {
		return "", fmt.Errorf("candidate component: %w", ErrMalformed)
	}
	if _, err := strconv.ParseUint(f[3], 10, 32); err != nil {
		return "", fmt.Errorf("candidate priority: %w", ErrMalformed)
	}
	port, err := strconv.ParseUint(f[5], 10, 16)
	if err != nil || port == 0 {
		return "", fmt.Errorf("candidate port: %w", ErrMalformed)
	}
	addr, addrErr := netip.ParseAddr(f[4])
	if !strings.EqualFold(f[2], "udp") || f[7] != "relay" || addrErr != nil || addr.Unmap() != lease.Unmap() || addr.Zone() != "" {
		return "", ErrNotRelay
	}
	b := make([]string, 0, 12)
	b = append(b, f[0], f[1], "udp", f[3], addr.Unmap().String(), f[5], "typ", "relay", "raddr", unspecified(lease), "rport", "0")
	for i := 8; i < len(f); i += 2 {
		name, val := f[i], f[i+1]
		if !extensions[name] || !token(val, 64) {
			continue
		}
		b = append(b, name, val)
	}
	return strings.Join(b, " "), nil
}

// SDP parses a session description and returns it rewritten for the other
// party: candidates as Candidate has them (the rest dropped), a=remote-
// candidates dropped, the origin and connection addresses 0.0.0.0, a=rtcp
// and every m= port that is not 0 (a rejected section) the discard port 9.
func SDP(s string, lease netip.Addr) (string, error) {
	if len(s) > MaxSDP {
		return "", fmt.Errorf("sdp of %d bytes over %d: %w", len(s), MaxSDP, ErrMalformed)
	}
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("empty sdp: %w", ErrMalformed)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		return "", fmt.Errorf("parsing sdp: %v: %w", err, ErrMalformed)
	}
	d.Origin.NetworkType, d.Origin.AddressType, d.Origin.UnicastAddress = "IN", "IP4", neutralAddr
	if d.ConnectionInformation != nil {
		d.ConnectionInformation = neutralConnection()
	}
	d.Attributes = scrubAttributes(d.Attributes, lease)
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value != 0 {
			m.MediaName.Port = sdp.RangedPort{Value: neutralPort}
		}
		if m.ConnectionInformation != nil {
			m.ConnectionInformation = neutralConnection()
		}
		m.Attributes = scrubAttributes(m.Attributes, lease)
	}
	out, err := d.Marshal()
	if err != nil {
		return "", fmt.Errorf("writing sdp: %v: %w", err, ErrMalformed)
	}
	if len(out) > MaxSDP {
		return "", fmt.Errorf("scrubbed sdp of %d bytes over %d: %w", len(out), MaxSDP, ErrMalformed)
	}
	return string(out), nil
}

func scrubAttributes(as []sdp.Attribute, lease netip.Addr) []sdp.Attribute {
	out := as[:0]
	for _, a := range as {
		switch a.Key {
		case "candidate":
			v, err := candidateValue(a.Value, lease)
			if err != nil {
				continue
			}
			a.Value = v
		case "remote-candidates":
			continue
		case "rtcp":
			a.Value = strconv.Itoa(neutralPort) + " IN IP4 " + neutralAddr
		}
		out = append(out, a)
	}
	return out
}

func neutralConnection() *sdp.ConnectionInformation {
	return &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: neutralAddr}}
}

func unspecified(a netip.Addr) string {
	if a.Unmap().Is4() {
		return neutralAddr
	}
	return "::"
}

// token reports whether s is 1 to max visible ASCII characters.
func token(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
