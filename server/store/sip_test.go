package store

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

func TestSIPPassword(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SIPCredential(ctx, "+12025550101"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before: %v, want ErrNotFound", err)
	}
	pass, err := st.CreateSIPPassword(ctx, "+12025550101", "dialtone")
	if err != nil {
		t.Fatal(err)
	}
	if len(pass) < 20 {
		t.Fatalf("password %q is short", pass)
	}
	c, err := st.SIPCredential(ctx, "+12025550101")
	if err != nil {
		t.Fatal(err)
	}
	if c.HA1MD5 != HA1(md5.New(), "+12025550101", "dialtone", pass) ||
		c.HA1SHA256 != HA1(sha256.New(), "+12025550101", "dialtone", pass) || c.Realm != "dialtone" {
		t.Fatalf("stored %+v does not match the password", c)
	}
	if strings.Contains(c.HA1MD5+c.HA1SHA256, pass) {
		t.Fatal("the password is stored in the clear")
	}
	again, err := st.CreateSIPPassword(ctx, "+12025550101", "dialtone")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := st.SIPCredential(ctx, "+12025550101")
	if again == pass || c2.HA1SHA256 == c.HA1SHA256 {
		t.Fatal("a second password did not replace the first")
	}
}
