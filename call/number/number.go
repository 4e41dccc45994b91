// Package number parses, normalises and formats the telephone numbers that
// dialtone users dial, and turns them into the DNS names the server answers.
//
// A Number is either an E.164 number ("+15551234567") or a short service code
// ("600", the echo test). Numbers are dialtone's own namespace laid over the
// E.164 plan, so any number that is possible for its country (right country
// code, plausible length) is accepted, not only ranges assigned in the public
// network: fictional "+1 555" numbers work for demos and tests.
//
// It does not know which numbers exist; that is the server's business.
package number

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for input that is not a number dialtone accepts.
var ErrInvalid = errors.New("invalid number")

// Limits on untrusted input. E.164 numbers have at most 15 digits; the input
// may carry spaces, dashes and brackets, but not pages of them.
const (
	MaxInput       = 64
	MaxDigits      = 15
	MinServiceCode = 2
	MaxServiceCode = 6
)

// Number is a normalised number: "+" and digits for E.164, digits alone for a
// service code. The zero value is not a number.
type Number string

// Parse normalises what a person typed. region is the ISO 3166 country used
// for numbers written without "+" and a country code (e.g. "US", "GB"); it may
// be empty, in which case such numbers are rejected. A bare run of 2–6 digits
// is a service code.
func Parse(s, region string) (Number, error) {
	if len(s) > MaxInput {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalid, MaxInput)
	}
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	if isDigits(trimmed) && len(trimmed) >= MinServiceCode && len(trimmed) <= MaxServiceCode {
		return Number(trimmed), nil
	}
	if !strings.HasPrefix(trimmed, "+") && region == "" {
		return "", fmt.Errorf("%w: %q has no country code (start with +, or set a region)", ErrInvalid, trimmed)
	}
	pn, err := phonenumbers.Parse(trimmed, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalid, trimmed, err)
	}
	if phonenumbers.GetRegionCodeForCountryCode(int(pn.GetCountryCode())) == "ZZ" {
		return "", fmt.Errorf("%w: %q: unknown country code +%d", ErrInvalid, trimmed, pn.GetCountryCode())
	}
	if pn.GetExtension() != "" {
		return "", fmt.Errorf("%w: %q: extensions are not supported", ErrInvalid, trimmed)
	}
	if !phonenumbers.IsPossibleNumber(pn) {
		return "", fmt.Errorf("%w: %q is not a possible number for +%d", ErrInvalid, trimmed, pn.GetCountryCode())
	}
	e164 := phonenumbers.Format(pn, phonenumbers.E164)
	if len(e164)-1 > MaxDigits {
		return "", fmt.Errorf("%w: %q has more than %d digits", ErrInvalid, trimmed, MaxDigits)
	}
	// Some inputs (a national trunk prefix where none belongs) format to an
	// E.164 string that parses back to a different number; such a number
	// would not survive the trip through the server, so it is refused.
	if again, err := phonenumbers.Parse(e164, ""); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return "", fmt.Errorf("%w: %q does not normalise to a stable E.164 number", ErrInvalid, trimmed)
	}
	return Number(e164), nil
}

// Canonical checks that s is already a normalised Number, as the protocol
// requires on the wire: "+" and digits forming a possible E.164 number, or a
// service code. It never guesses a region.
func Canonical(s string) (Number, error) {
	if len(s) > MaxDigits+1 || s == "" {
		return "", fmt.Errorf("%w: %q is not in E.164 form", ErrInvalid, s)
	}
	if isDigits(s) {
		if len(s) < MinServiceCode || len(s) > MaxServiceCode {
			return "", fmt.Errorf("%w: service codes have %d to %d digits", ErrInvalid, MinServiceCode, MaxServiceCode)
		}
		return Number(s), nil
	}
	if s[0] != '+' || !isDigits(s[1:]) {
		return "", fmt.Errorf("%w: %q is not in E.164 form (+ and digits)", ErrInvalid, s)
	}
	n, err := Parse(s, "")
	if err != nil {
		return "", err
	}
	if string(n) != s {
		return "", fmt.Errorf("%w: %q is not in E.164 form (expected %s)", ErrInvalid, s, n)
	}
	return n, nil
}

// IsService reports whether n is a short service code rather than E.164.
func (n Number) IsService() bool { return n != "" && n[0] != '+' }

// Digits returns the number's digits without "+": the label the number DNS
// answers under (<digits>.<zone>).
func (n Number) Digits() string { return strings.TrimPrefix(string(n), "+") }

// ENUM returns the number's ENUM domain (RFC 6116): its digits reversed,
// dot-separated, under e164.arpa. Service codes have none.
func (n Number) ENUM() string {
	if n.IsService() || n == "" {
		return ""
	}
	d := n.Digits()
	var b strings.Builder
	b.Grow(2*len(d) + len("e164.arpa."))
	for i := len(d) - 1; i >= 0; i-- {
		b.WriteByte(d[i])
		b.WriteByte('.')
	}
	b.WriteString("e164.arpa.")
	return b.String()
}

// String returns the normalised form.
func (n Number) String() string { return string(n) }

// Format returns n for people: the international format ("+44 20 7946 0000"),
// or the national one when n belongs to region. Service codes stay as they are.
func Format(n Number, region string) string {
	if n.IsService() || n == "" {
		return string(n)
	}
	pn, err := phonenumbers.Parse(string(n), "")
	if err != nil {
		return string(n)
	}
	if region != "" && phonenumbers.GetRegionCodeForNumber(pn) == strings.ToUpper(region) {
		return phonenumbers.Format(pn, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
}

// FromDigits turns the digits of a DNS label back into a Number: service
// codes stay bare, anything longer gains its "+". It checks the form only.
func FromDigits(d string) (Number, error) {
	if !isDigits(d) || len(d) == 0 || len(d) > MaxDigits {
		return "", fmt.Errorf("%w: %q is not a run of digits", ErrInvalid, d)
	}
	if len(d) <= MaxServiceCode {
		return Number(d), nil
	}
	return Number("+" + d), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
