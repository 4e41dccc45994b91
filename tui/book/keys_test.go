package book

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialtone/dialtone/call/identity"
)

func key(t *testing.T) ed25519.PublicKey {
	t.Helper()
	k, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeysPinAcceptVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	phone, cli := &Keys{Path: path}, &Keys{Path: path} // the phone and `dialtone trust`
	const n = "+12025550101"
	k1, k2 := key(t), key(t)
	if err := phone.Pin(n, identity.Pin{Key: k1}); err != nil {
		t.Fatal(err)
	}
	if ok, err := cli.Verify(n); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	pins, _ := phone.Pins(n)
	if len(pins) != 1 || !pins[0].Verified {
		t.Fatalf("the phone does not see the verification: %+v", pins)
	}
	if _, err := cli.Accept(n); !errors.Is(err, ErrNoChangedKey) {
		t.Fatalf("accept with nothing waiting: %v", err)
	}
	phone.Changed(n, identity.Pin{Key: k2})
	if pins, _ := phone.Pins(n); len(pins) != 1 || !pins[0].Key.Equal(k1) {
		t.Fatalf("a changed key was pinned: %+v", pins)
	}
	if k, err := cli.Accept(n); err != nil || !k.Equal(k2) {
		t.Fatalf("accept: %v %v", k, err)
	}
	pins, _ = phone.Pins(n)
	if len(pins) != 1 || !pins[0].Key.Equal(k2) || pins[0].Verified {
		t.Fatalf("after accept (a verified number loses verified): %+v", pins)
	}
	if ok, _ := cli.Verify("+12025550102"); ok {
		t.Error("verified a number with no key")
	}
}

func TestKeysBounded(t *testing.T) {
	k := &Keys{Path: filepath.Join(t.TempDir(), "keys.json")}
	for i := range MaxPins {
		if err := k.Pin("+12025550101", identity.Pin{Key: key(t)}); err != nil {
			t.Fatalf("pin %d: %v", i, err)
		}
	}
	if err := k.Pin("+12025550101", identity.Pin{Key: key(t)}); err == nil {
		t.Fatalf("pinned more than %d keys for one number", MaxPins)
	}
}

func TestKeysBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	k := &Keys{Path: path}
	if _, err := k.Pins("+12025550101"); err == nil {
		t.Fatal("a broken file read as empty")
	}
	if err := k.Pin("+12025550101", identity.Pin{Key: key(t)}); err == nil {
		t.Fatal("a broken file was overwritten")
	}
}
