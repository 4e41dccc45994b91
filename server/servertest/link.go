package servertest

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
)

// LinkCode asks the server for a link code for c's number.
func (c *Client) LinkCode() string {
	c.t.Helper()
	m := c.ExpectReply(c.Send(&wire.Message{Type: wire.TypeLinkNew}))
	if m.Type != wire.TypeLinkCode {
		c.t.Fatalf("link-new answered %s %s %s", m.Type, m.Code, m.Message)
	}
	return m.Link
}

// SignLinkRequest waits for the server's link-request and signs the
// certificate it describes with c's key, as a phone does. It may run on
// another goroutine than the test's.
func (c *Client) SignLinkRequest() (*wire.Message, error) {
	req, err := c.ExpectErr(wire.TypeLinkRequest, "")
	if err != nil {
		return nil, err
	}
	cert := identity.LinkCert{Number: req.Number, Name: req.Device, Device: req.Key,
		By: c.Key.Public().(ed25519.PublicKey), At: time.Unix(req.At, 0).UTC()}
	sig, err := identity.SignLink(cert, c.Key)
	if err != nil {
		return nil, fmt.Errorf("signing link certificate: %w", err)
	}
	c.SendErr(&wire.Message{Type: wire.TypeLinkCert, Key: req.Key, Device: req.Device, At: req.At, Sig: sig})
	return req, nil
}

// LinkDevice links a new device called name to linker's number: linker
// makes a code, the new device registers with it, and linker signs its
// certificate. It returns the new device, registered, and its registered
// message.
func LinkDevice(t testing.TB, url string, linker *Client, name string) (*Client, *wire.Message) {
	t.Helper()
	code := linker.LinkCode()
	d := Dial(t, url)
	d.Number, d.Key, d.Link, d.Device = linker.Number, NewKey(), code, name
	var (
		wg      sync.WaitGroup
		signErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, signErr = linker.SignLinkRequest()
	}()
	m, err := d.LoginErr("", "")
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if signErr != nil {
		t.Fatal(signErr)
	}
	if m.Type != wire.TypeRegistered {
		t.Fatalf("linking %s: got %s %s %s", name, m.Type, m.Code, m.Message)
	}
	d.Link = ""
	return d, m
}
