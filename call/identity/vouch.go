package identity

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// MaxChain bounds the link certificates a device presents: its own, the
// one of the device that linked it, and so on toward the number's first
// device.
const MaxChain = 8

// SignedLink is a link certificate with its signature, as a device presents
// it beside its call statement.
type SignedLink struct {
	Cert LinkCert
	Sig  []byte
}

// Vouch follows a device's chain of link certificates for number, starting
// at the certificate of key itself, until it reaches a key that trusted
// accepts. It returns that key and the name the chain gives the device.
// Each certificate must verify, name number, and be signed by the device
// the next certificate admits. A chain that reaches no trusted key is an
// error: the device is unknown, however well its chain is formed.
func Vouch(number string, key ed25519.PublicKey, chain []SignedLink, trusted func(ed25519.PublicKey) bool) (by ed25519.PublicKey, name string, err error) {
	if len(chain) == 0 {
		return nil, "", errors.New("no link certificates")
	}
	if len(chain) > MaxChain {
		return nil, "", fmt.Errorf("%d link certificates; at most %d", len(chain), MaxChain)
	}
	want := key
	for i, l := range chain {
		if err := VerifyLink(l.Cert, l.Sig); err != nil {
			return nil, "", fmt.Errorf("link certificate %d: %w", i, err)
		}
		if l.Cert.Number != number {
			return nil, "", fmt.Errorf("link certificate %d is for %s, not %s", i, l.Cert.Number, number)
		}
		if !l.Cert.Device.Equal(want) {
			return nil, "", fmt.Errorf("link certificate %d is not for the device before it", i)
		}
		if i == 0 {
			name = l.Cert.Name
		}
		if trusted(l.Cert.By) {
			return l.Cert.By, name, nil
		}
		want = l.Cert.By
	}
	return nil, "", errors.New("no certificate in the chain is signed by a known device")
}
