package dnsserver

import (
	"strings"

	"github.com/miekg/dns"
)

// Limits on number labels. They mirror call/number: E.164 numbers have at
// most 15 digits, and a bare run of 2–6 digits is a service code.
const (
	maxDigits      = 15
	minServiceCode = 2
	maxServiceCode = 6
)

// nsLabel is the label under the zone that the apex NS records point at.
const nsLabel = "ns"

// nameKind is what a query name is to this server.
type nameKind int

const (
	nameOutside  nameKind = iota // outside both zones: REFUSED
	nameNone                     // inside a zone, but no such name can exist: NXDOMAIN
	nameApex                     // the dialtone zone apex
	nameNS                       // ns.<zone>
	nameNumber                   // <digits>.<zone>
	nameENUMApex                 // e164.arpa.
	nameENUM                     // a whole reversed number under e164.arpa.
)

// parsedName is a classified query name. digits is the number without "+"
// for nameNumber and nameENUM.
type parsedName struct {
	kind   nameKind
	digits string
}

// parseName classifies a query name as the wire decoder presents it.
func (s *Server) parseName(qname string) parsedName {
	q := strings.ToLower(qname) // no allocation when already lower case
	if strings.IndexByte(q, '\\') >= 0 {
		// An escaped character is never part of a name we hold, and an
		// escaped dot would fool the suffix matching below.
		if dns.IsSubDomain(s.zone, q) || dns.IsSubDomain(enumZone, q) {
			return parsedName{kind: nameNone}
		}
		return parsedName{kind: nameOutside}
	}
	switch {
	case q == s.zone:
		return parsedName{kind: nameApex}
	case strings.HasSuffix(q, s.dotZone):
		return s.parseZoneLabel(q[:len(q)-len(s.dotZone)])
	case q == enumZone:
		return parsedName{kind: nameENUMApex}
	case strings.HasSuffix(q, "."+enumZone):
		return parseENUM(q[:len(q)-len(enumZone)-1])
	}
	return parsedName{kind: nameOutside}
}

// parseZoneLabel classifies what precedes ".<zone>".
func (s *Server) parseZoneLabel(label string) parsedName {
	if label == nsLabel {
		return parsedName{kind: nameNS}
	}
	if len(label) < minServiceCode || len(label) > maxDigits || !isDigits(label) {
		return parsedName{kind: nameNone}
	}
	return parsedName{kind: nameNumber, digits: label}
}

// parseENUM turns "7.6.5.4.3.2.1.5.5.5.1" into "15551234567". Anything but
// single-digit labels, at most 15 of them, can never be a number.
func parseENUM(rev string) parsedName {
	n := (len(rev) + 1) / 2
	if len(rev)%2 == 0 || n > maxDigits {
		return parsedName{kind: nameNone}
	}
	var buf [maxDigits]byte
	for i := 0; i < len(rev); i++ {
		ch := rev[i]
		if i%2 == 1 {
			if ch != '.' {
				return parsedName{kind: nameNone}
			}
			continue
		}
		if ch < '0' || ch > '9' {
			return parsedName{kind: nameNone}
		}
		buf[n-1-i/2] = ch
	}
	return parsedName{kind: nameENUM, digits: string(buf[:n])}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
