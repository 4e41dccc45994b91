package identity

import (
	"crypto/ed25519"
	"regexp"
	"testing"
	"time"
)

func TestSafetyCode(t *testing.T) {
	ka, _, _ := ed25519.GenerateKey(nil)
	kb, _, _ := ed25519.GenerateKey(nil)
	kc, _, _ := ed25519.GenerateKey(nil)
	a := Party{Number: "+12025550101", Key: ka}
	b := Party{Number: "+12025550102", Key: kb}
	code := SafetyCode(a, b)
	if !regexp.MustCompile(`^\d{5}( \d{5}){5}$`).MatchString(code) {
		t.Fatalf("code %q is not six groups of five digits", code)
	}
	if SafetyCode(b, a) != code {
		t.Error("the code depends on which party is which")
	}
	if SafetyCode(a, Party{Number: b.Number, Key: kc}) == code {
		t.Error("a different key for b gives the same code")
	}
	if SafetyCode(Party{Number: "+12025550103", Key: ka}, b) == code {
		t.Error("a different number for a gives the same code")
	}
	if KeyID(ka) == KeyID(kb) || len(KeyID(ka)) != 19 {
		t.Errorf("key IDs %q %q", KeyID(ka), KeyID(kb))
	}
}

func TestVouch(t *testing.T) {
	const num = "+12025550101"
	root, rootPriv, _ := ed25519.GenerateKey(nil)
	mid, midPriv, _ := ed25519.GenerateKey(nil)
	leaf, _, _ := ed25519.GenerateKey(nil)
	stranger, strangerPriv, _ := ed25519.GenerateKey(nil)
	link := func(name string, dev, by ed25519.PublicKey, priv ed25519.PrivateKey, n string) SignedLink {
		c := LinkCert{Number: n, Name: name, Device: dev, By: by, At: time.Unix(1_800_000_000, 0)}
		sig, err := SignLink(c, priv)
		if err != nil {
			t.Fatal(err)
		}
		return SignedLink{Cert: c, Sig: sig}
	}
	trusts := func(k ed25519.PublicKey) func(ed25519.PublicKey) bool {
		return func(x ed25519.PublicKey) bool { return x.Equal(k) }
	}
	chain := []SignedLink{link("browser", leaf, mid, midPriv, num), link("laptop", mid, root, rootPriv, num)}
	by, name, err := Vouch(num, leaf, chain, trusts(root))
	if err != nil || !by.Equal(root) || name != "browser" {
		t.Fatalf("two links to a trusted root: %v %q %v", by, name, err)
	}
	if by, _, err := Vouch(num, leaf, chain[:1], trusts(mid)); err != nil || !by.Equal(mid) {
		t.Fatalf("one link to a trusted device: %v", err)
	}
	forged := chain[0]
	forged.Cert.Name = "evil"
	for name, c := range map[string]struct {
		chain []SignedLink
		key   ed25519.PublicKey
	}{
		"no chain":         {nil, leaf},
		"untrusted root":   {[]SignedLink{link("x", leaf, stranger, strangerPriv, num)}, leaf},
		"other number":     {[]SignedLink{link("x", leaf, root, rootPriv, "+12025550199")}, leaf},
		"not for this key": {chain, mid},
		"forged":           {[]SignedLink{forged, chain[1]}, leaf},
		"broken link":      {[]SignedLink{chain[0], link("x", stranger, root, rootPriv, num)}, leaf},
	} {
		if _, _, err := Vouch(num, c.key, c.chain, trusts(root)); err == nil {
			t.Errorf("%s: vouched for", name)
		}
	}
}
