package identity

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"
)

func TestLinkRoundTripAndTamper(t *testing.T) {
	byPub, byPriv, _ := ed25519.GenerateKey(nil)
	devPub, _, _ := ed25519.GenerateKey(nil)
	c := LinkCert{Number: "+12025550101", Name: "laptop", Device: devPub, By: byPub, At: time.Unix(1_800_000_000, 0).UTC()}
	sig, err := SignLink(c, byPriv)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyLink(c, sig); err != nil {
		t.Fatalf("honest certificate: %v", err)
	}
	back, err := ParseLink(c.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), c.Bytes()) {
		t.Fatal("parse did not give back the same certificate")
	}
	for name, bad := range map[string]LinkCert{
		"number": {Number: "+12025550102", Name: c.Name, Device: c.Device, By: c.By, At: c.At},
		"name":   {Number: c.Number, Name: "phone", Device: c.Device, By: c.By, At: c.At},
		"time":   {Number: c.Number, Name: c.Name, Device: c.Device, By: c.By, At: c.At.Add(time.Second)},
	} {
		if VerifyLink(bad, sig) == nil {
			t.Errorf("changed %s still verifies", name)
		}
	}
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	if _, err := SignLink(c, otherPriv); err == nil {
		t.Error("signed with a key that is not the signer's")
	}
}

// Field boundaries are part of what is signed: moving a byte from the
// number into the name must change the bytes.
func TestLinkFieldsAreUnambiguous(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	a := LinkCert{Number: "+1202555010", Name: "1x", Device: pub, By: pub, At: time.Unix(1, 0)}
	b := LinkCert{Number: "+12025550101", Name: "x", Device: pub, By: pub, At: time.Unix(1, 0)}
	if bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two certificates share one canonical form")
	}
}

func FuzzParseLink(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	f.Add(LinkCert{Number: "+12025550101", Name: "laptop", Device: pub, By: pub, At: time.Unix(1_800_000_000, 0)}.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := ParseLink(p)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), p) {
			t.Fatalf("accepted bytes that are not the canonical form of what they parse to")
		}
	})
}
