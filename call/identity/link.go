package identity

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
)

// linkContext separates link certificates from anything else a device key
// signs (registration proofs, call statements).
const linkContext = "dialtone/1 link certificate"

// MaxNameLen bounds a device name.
const MaxNameLen = 64

// LinkCert is one device's admission to a number, signed by a device that
// already held it. The number's first device has no certificate: it claimed
// the number (open or invite registration) and is the root of the set.
type LinkCert struct {
	Number string            // E.164
	Name   string            // the new device's name, as the user gave it
	Device ed25519.PublicKey // the new device's key
	By     ed25519.PublicKey // the key of the device that linked it
	At     time.Time         // when it was linked, second precision
}

// Bytes is the canonical form the signature covers.
func (c LinkCert) Bytes() []byte {
	var b builder
	b.str(linkContext)
	b.str(c.Number)
	b.str(c.Name)
	b.field(c.Device)
	b.field(c.By)
	b.u64(uint64(c.At.Unix()))
	return b
}

// Check says whether the certificate's fields are well formed.
func (c LinkCert) Check() error {
	switch {
	case c.Number == "":
		return errors.New("link certificate has no number")
	case c.Name == "" || len(c.Name) > MaxNameLen:
		return fmt.Errorf("link certificate device name must be 1 to %d bytes", MaxNameLen)
	case len(c.Device) != ed25519.PublicKeySize:
		return errors.New("link certificate device key is not an Ed25519 key")
	case len(c.By) != ed25519.PublicKeySize:
		return errors.New("link certificate signer key is not an Ed25519 key")
	}
	return nil
}

// SignLink signs c with the linking device's private key, which must match c.By.
func SignLink(c LinkCert, priv ed25519.PrivateKey) ([]byte, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if !priv.Public().(ed25519.PublicKey).Equal(c.By) {
		return nil, errors.New("signing a link certificate: key is not the certificate's signer")
	}
	return ed25519.Sign(priv, c.Bytes()), nil
}

// VerifyLink checks sig over c against c.By.
func VerifyLink(c LinkCert, sig []byte) error {
	if err := c.Check(); err != nil {
		return err
	}
	if !ed25519.Verify(c.By, c.Bytes(), sig) {
		return errors.New("link certificate signature does not verify")
	}
	return nil
}

// ParseLink reads a certificate back from its canonical form.
func ParseLink(p []byte) (LinkCert, error) {
	r := reader{p: p}
	if ctx := r.str(); r.err == nil && ctx != linkContext {
		return LinkCert{}, errors.New("identity: not a link certificate")
	}
	c := LinkCert{Number: r.str(), Name: r.str()}
	c.Device = ed25519.PublicKey(append([]byte(nil), r.field()...))
	c.By = ed25519.PublicKey(append([]byte(nil), r.field()...))
	c.At = time.Unix(int64(r.u64()), 0).UTC()
	if err := r.done(); err != nil {
		return LinkCert{}, err
	}
	if err := c.Check(); err != nil {
		return LinkCert{}, err
	}
	return c, nil
}
