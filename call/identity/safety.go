package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"strings"
)

// safetyContext separates the safety code's hash from any other.
const safetyContext = "dialtone/1 safety code"

// safetyRounds slows down a search for a key pair whose code matches a
// given one; Signal's numeric fingerprints iterate for the same reason.
const safetyRounds = 1024

// Party is one side of a call as the safety code sees it.
type Party struct {
	Number string
	Key    ed25519.PublicKey
}

func (p Party) bytes() []byte {
	var b builder
	b.str(p.Number)
	b.field(p.Key)
	return b
}

// SafetyCode is the code two people compare by voice: six groups of five
// digits (about 100 bits), from both parties' numbers and device keys. It
// does not depend on which party is which, so both screens show the same
// code, and it changes when either key does.
func SafetyCode(a, b Party) string {
	pa, pb := a.bytes(), b.bytes()
	if bytes.Compare(pa, pb) > 0 {
		pa, pb = pb, pa
	}
	h := sha512.New()
	sum := []byte(safetyContext)
	for range safetyRounds {
		h.Reset()
		h.Write(sum)
		h.Write(pa)
		h.Write(pb)
		sum = h.Sum(sum[:0])
	}
	groups := make([]string, 6)
	for i := range groups {
		var p [8]byte
		copy(p[3:], sum[5*i:5*i+5])
		groups[i] = fmt.Sprintf("%05d", binary.BigEndian.Uint64(p[:])%100000)
	}
	return strings.Join(groups, " ")
}

// KeyID is a short printable name for a key, for warnings and lists: the
// first 8 bytes of its SHA-512 in hex, in groups of four.
func KeyID(k ed25519.PublicKey) string {
	s := sha512.Sum512(k)
	const hexd = "0123456789abcdef"
	var b strings.Builder
	for i := range 8 {
		if i > 0 && i%2 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(hexd[s[i]>>4])
		b.WriteByte(hexd[s[i]&15])
	}
	return b.String()
}
