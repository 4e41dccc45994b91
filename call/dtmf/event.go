package dtmf

import (
	"errors"
	"strings"
)

// MimeType is the telephone-event payload format's media type as pion
// names it.
const MimeType = "audio/telephone-event"

// FmtpLine is the events offered: the 16 keys and flash (RFC 4733 §3.2).
const FmtpLine = "0-16"

// Digits are the keys, in event-code order: code 0 is "0", 10 "*", 11 "#",
// 12–15 "A"–"D". Code 16 is flash, shown as "!".
const Digits = "0123456789*#ABCD!"

// PayloadSize is the size of an event payload.
const PayloadSize = 4

var (
	// ErrShort is a payload of less than PayloadSize bytes.
	ErrShort = errors.New("dtmf: telephone-event payload shorter than 4 bytes")
	// ErrNotDigit is a character that is no key.
	ErrNotDigit = errors.New("dtmf: not a keypad digit")
)

// Event is one RFC 4733 event payload.
type Event struct {
	Code   uint8 // 0–255; 0–16 are the keys and flash
	End    bool  // the event's last packet (sent three times)
	Volume uint8 // 0–63, -dBm0 (10 is loud enough, and what phones send)
	// Duration is how long the event has lasted so far, in units of the
	// stream's RTP clock, from the packet's timestamp.
	Duration uint16
}

// Marshal appends the event's payload to b.
func (e Event) Marshal(b []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	return append(b, e.Code, flags, byte(e.Duration>>8), byte(e.Duration))
}

// Parse reads an event payload. Bytes after the first four (a padded or
// longer payload) are ignored; the reserved bit is too.
func Parse(b []byte) (Event, error) {
	if len(b) < PayloadSize {
		return Event{}, ErrShort
	}
	return Event{Code: b[0], End: b[1]&0x80 != 0, Volume: b[1] & 0x3f, Duration: uint16(b[2])<<8 | uint16(b[3])}, nil
}

// Digit returns the key of an event code, or 0 for a code that is none.
func Digit(code uint8) byte {
	if int(code) < len(Digits) {
		return Digits[code]
	}
	return 0
}

// Code returns the event code of a key: 0–9, *, #, A–D (either case).
func Code(digit byte) (uint8, error) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	i := strings.IndexByte(Digits[:16], digit)
	if i < 0 || digit == 0 {
		return 0, ErrNotDigit
	}
	return uint8(i), nil
}

// Valid reports whether s is keys and pauses only (',' is a pause).
func Valid(s string) bool {
	for i := 0; i < len(s); i++ {
		if _, err := Code(s[i]); err != nil && s[i] != ',' {
			return false
		}
	}
	return true
}

var (
	// ErrQueueFull is more digits than a sender holds.
	ErrQueueFull = errors.New("dtmf: too many digits waiting")
	// ErrNotNegotiated is an event for a stream whose other end did not
	// take telephone-event.
	ErrNotNegotiated = errors.New("dtmf: the other end takes no telephone events")
)
