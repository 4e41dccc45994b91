// Package number parses, normalises and formats the telephone numbers that
// dialtone users dial, and turns them into the DNS names the server answers.
//
// A Number is either an E.164 number ("+15551234567") or a short service code
// ("600", the echo test). Numbers are dialtone's own namespace laid over the
// E.164 plan, so any number that fits its country's numbering plan (a known
// country code, a possible length, and digits of the shape the plan's
// numbers have) is accepted, not only ranges assigned in the public network:
// fictional "+1 555" numbers work for demos and tests, "+1 000 000 0000"
// does not. Client and server both parse with this package, so they agree.
//
// It does not know which numbers exist; that is the server's business.
package number

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for input that is not a number dialtone accepts;
// Reason says why in words for people.
var ErrInvalid = errors.New("invalid number")

// invalidError is an ErrInvalid with its reason.
type invalidError struct{ reason string }

func (e *invalidError) Error() string        { return ErrInvalid.Error() + ": " + e.reason }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &invalidError{reason: fmt.Sprintf(format, args...)}
}

// Reason says why Parse or Canonical refused a number ("too short for
// +1"), for showing to the person who typed it; other errors give their text.
func Reason(err error) string {
	var ie *invalidError
	if errors.As(err, &ie) {
		return ie.reason
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

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
		return "", invalid("longer than %d characters", MaxInput)
	}
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return "", invalid("nothing typed")
	}
	if isDigits(trimmed) && len(trimmed) >= MinServiceCode && len(trimmed) <= MaxServiceCode {
		return Number(trimmed), nil
	}
	if !strings.HasPrefix(trimmed, "+") && region == "" {
		return "", invalid("%s has no country code: start with + and the country code, e.g. +1 555 010 0000", trimmed)
	}
	pn, err := phonenumbers.Parse(trimmed, strings.ToUpper(region))
	if err != nil {
		return "", parseError(trimmed, err)
	}
	cc := pn.GetCountryCode()
	if phonenumbers.GetRegionCodeForCountryCode(int(cc)) == "ZZ" {
		return "", invalid("+%d is not a country code", cc)
	}
	if pn.GetExtension() != "" {
		return "", invalid("%s has an extension; dialtone numbers have none", trimmed)
	}
	switch phonenumbers.IsPossibleNumberWithReason(pn) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT:
		return "", invalid("%s is too short for a +%d number", trimmed, cc)
	case phonenumbers.TOO_LONG:
		return "", invalid("%s is too long for a +%d number", trimmed, cc)
	default:
		return "", invalid("%s has the wrong number of digits for a +%d number", trimmed, cc)
	}
	if !fitsPlan(pn) {
		return "", invalid("%s does not fit the +%d numbering plan", trimmed, cc)
	}
	e164 := phonenumbers.Format(pn, phonenumbers.E164)
	if len(e164)-1 > MaxDigits {
		return "", invalid("%s has more than %d digits", trimmed, MaxDigits)
	}
	// Some inputs (a national trunk prefix where none belongs) format to an
	// E.164 string that parses back to a different number; such a number
	// would not survive the trip through the server, so it is refused.
	if again, err := phonenumbers.Parse(e164, ""); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return "", invalid("%s does not normalise to a stable E.164 number", trimmed)
	}
	return Number(e164), nil
}

func parseError(in string, err error) error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return invalid("%s: no known country code after the +", in)
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return invalid("%s is too short", in)
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return invalid("%s is too long", in)
	}
	return invalid("%s is not a telephone number", in)
}

// fitsPlan reports whether the number's digits have the shape its
// country's numbers have: valid in the public network, or matching the
// general pattern of a region with its country code. The general pattern
// is wider than the assigned ranges (it lets +1 555 numbers through) and
// narrower than the length alone (it keeps +1 000 000 0000 out).
func fitsPlan(pn *phonenumbers.PhoneNumber) bool {
	if phonenumbers.IsValidNumber(pn) {
		return true
	}
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	for _, re := range planPatterns()[pn.GetCountryCode()] {
		if re.MatchString(nsn) {
			return true
		}
	}
	return false
}

// planPatterns are the general national-number patterns of every region,
// by country code, compiled once.
var planPatterns = sync.OnceValue(func() map[int32][]*regexp.Regexp {
	out := map[int32][]*regexp.Regexp{}
	col, err := phonenumbers.MetadataCollection()
	if err != nil {
		return out // no metadata: only numbers valid in the public network pass
	}
	for _, md := range col.GetMetadata() {
		p := md.GetGeneralDesc().GetNationalNumberPattern()
		if p == "" {
			continue
		}
		if re, err := regexp.Compile("^(?:" + p + ")$"); err == nil {
			out[md.GetCountryCode()] = append(out[md.GetCountryCode()], re)
		}
	}
	return out
})

// Region is the ISO 3166 country a number belongs to ("US" for +1 555 …,
// the main country of its country code when the number is in no assigned
// range), or "" for service codes, non-geographic codes and non-numbers.
func Region(n Number) string {
	if n.IsService() || n == "" {
		return ""
	}
	pn, err := phonenumbers.Parse(string(n), "")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(pn)
	if r == "" || r == "ZZ" {
		r = phonenumbers.GetRegionCodeForCountryCode(int(pn.GetCountryCode()))
	}
	if r == "ZZ" || r == "001" {
		return ""
	}
	return r
}

// Canonical checks that s is already a normalised Number, as the protocol
// requires on the wire: "+" and digits forming a possible E.164 number, or a
// service code. It never guesses a region.
func Canonical(s string) (Number, error) {
	if len(s) > MaxDigits+1 || s == "" {
		return "", invalid("%q is not in E.164 form", s)
	}
	if isDigits(s) {
		if len(s) < MinServiceCode || len(s) > MaxServiceCode {
			return "", invalid("service codes have %d to %d digits", MinServiceCode, MaxServiceCode)
		}
		return Number(s), nil
	}
	if s[0] != '+' || !isDigits(s[1:]) {
		return "", invalid("%q is not in E.164 form (+ and digits)", s)
	}
	n, err := Parse(s, "")
	if err != nil {
		return "", err
	}
	if string(n) != s {
		return "", invalid("%q is not in E.164 form (expected %s)", s, n)
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
	if region != "" && Region(n) == strings.ToUpper(region) {
		return phonenumbers.Format(pn, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
}

// Typed is what a person typed, as people write it: formatted (with
// Format) as soon as it is a possible number, and left as typed until
// then, so digits do not jump about while a number is half written.
// Service codes stay as typed. It is the as-you-type rule of every
// dialtone phone, the terminal's and the browser's.
func Typed(in, region string) string {
	if n, err := Parse(in, region); err == nil && !n.IsService() {
		return Format(n, region)
	}
	return in
}

// FromDigits turns the digits of a DNS label back into a Number: service
// codes stay bare, anything longer gains its "+". It checks the form only.
func FromDigits(d string) (Number, error) {
	if !isDigits(d) || len(d) == 0 || len(d) > MaxDigits {
		return "", invalid("%q is not a run of digits", d)
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
