package sigclient

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
)

// linkOffer is the link code this device made last: while it is good, the
// Client signs the certificate of the one device that comes with it.
type linkOffer struct {
	until  time.Time
	signed bool
}

// LinkCode asks the server for a one-time code with which another device
// may join this number, within the returned time. While the code is good
// the Client signs, once, the certificate the server asks for when a
// device comes with it (link-request); it signs nothing else, so a server
// cannot add a device to the number that no code of the user's let in.
// Making the code is the user's consent: the phone does not ask again.
func (c *Client) LinkCode(ctx context.Context) (string, time.Duration, error) {
	r, err := c.Request(ctx, &wire.Message{Type: wire.TypeLinkNew})
	if err != nil {
		return "", 0, err
	}
	ttl := time.Duration(r.TTLS) * time.Second
	c.mu.Lock()
	c.link = linkOffer{until: time.Now().Add(ttl)}
	c.mu.Unlock()
	return r.Link, ttl, nil
}

// answerLink signs the certificate a link-request describes, if this
// device has a link code out that has not yet let a device in.
func (c *Client) answerLink(m *wire.Message) {
	c.mu.Lock()
	ok := !c.link.signed && time.Now().Before(c.link.until) && m.Number == c.cfg.Number
	if ok {
		c.link.signed = true
	}
	c.mu.Unlock()
	if !ok {
		c.log.Warn("link request without a link code of ours; not signed", "device", m.Device)
		return
	}
	cert := identity.LinkCert{Number: m.Number, Name: m.Device, Device: ed25519.PublicKey(m.Key),
		By: c.cfg.Key.Public().(ed25519.PublicKey), At: time.Unix(m.At, 0).UTC()}
	sig, err := identity.SignLink(cert, c.cfg.Key)
	if err != nil {
		c.log.Warn("signing a link certificate", "err", err)
		return
	}
	if _, err := c.Send(&wire.Message{Type: wire.TypeLinkCert, Key: m.Key, Device: m.Device, At: m.At, Sig: sig}); err != nil {
		c.log.Warn("sending a link certificate", "err", err)
	}
	c.log.Info("device linked", "device", m.Device)
	c.in.push(&wire.Message{Type: TypeLinkSigned, Device: m.Device})
	c.mu.Lock()
	f := c.onLink
	c.mu.Unlock()
	if f != nil {
		f(m.Device)
	}
}

// Devices lists the number's devices.
func (c *Client) Devices(ctx context.Context) ([]wire.DeviceInfo, error) {
	r, err := c.Request(ctx, &wire.Message{Type: wire.TypeListDevices})
	if err != nil {
		return nil, err
	}
	return r.Devices, nil
}

// Unlink removes the number's device called name.
func (c *Client) Unlink(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("unlink: no device name")
	}
	_, err := c.Request(ctx, &wire.Message{Type: wire.TypeUnlink, Device: name})
	return err
}

// OnLink sets a function the Client calls, on its reader, with the name of
// each device it signs in; it must not block.
func (c *Client) OnLink(f func(name string)) {
	c.mu.Lock()
	c.onLink = f
	c.mu.Unlock()
}

// Config is the Client's configuration, defaults filled in.
func (c *Client) Config() Config { return c.cfg }
