package switchboard

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/store"
)

// Link attempts (a hello with a link code for a key the number does not
// hold) are limited per number and per source, whether they succeed or
// not, so that nobody can try codes faster than this: a burst of
// linkBurst, then one more every linkEvery.
const (
	linkBurst       = 5
	linkEvery       = time.Minute
	linkSourceBurst = 10
	linkSourceEvery = 30 * time.Second
	// linkConfirm is how long the linking device has to sign the new
	// device's certificate; well inside the 10 s a connection has to
	// register.
	linkConfirm = 5 * time.Second
)

// admitted is the device a registration proved it holds.
type admitted struct {
	name     string
	chain    []wire.Signed
	lastSeen time.Time
}

// linkState is the switchboard's linking state, under sb.mu but for
// lastRemoval, which only the maintenance goroutine touches after New.
type linkState struct {
	perNumber map[number.Number]*rate.Limiter
	perSource map[string]*rate.Limiter
	codes     map[number.Number]*rate.Limiter
	pending   map[*session]*pendingLink // by the linking device's session

	lastRemoval int64
}

// pendingLink is a certificate the linking device is asked to sign.
type pendingLink struct {
	cert identity.LinkCert
	done chan []byte // the signature, or nil for a refusal
}

func newLinkState() *linkState {
	return &linkState{perNumber: map[number.Number]*rate.Limiter{}, perSource: map[string]*rate.Limiter{},
		codes: map[number.Number]*rate.Limiter{}, pending: map[*session]*pendingLink{}}
}

func limiter[K comparable](m map[K]*rate.Limiter, k K, every time.Duration, burst int) *rate.Limiter {
	b := m[k]
	if b == nil {
		if len(m) >= sweepAbove {
			clear(m) // a flood of keys: forgetting them lets them start full again, no worse than new keys
		}
		b = rate.NewLimiter(rate.Every(every), burst)
		m[k] = b
	}
	return b
}

// admitLink takes a token for a link attempt on n from source, or says why not.
func (l *linkState) admitLink(n number.Number, source string, now time.Time) string {
	num := limiter(l.perNumber, n, linkEvery, linkBurst)
	src := limiter(l.perSource, source, linkSourceEvery, linkSourceBurst)
	if num.TokensAt(now) < 1 {
		return fmt.Sprintf("more than %d link attempts for %s; try again in a minute", linkBurst, n)
	}
	if src.TokensAt(now) < 1 {
		return fmt.Sprintf("more than %d link attempts from your address; try again in a minute", linkSourceBurst)
	}
	num.AllowN(now, 1)
	src.AllowN(now, 1)
	return ""
}

// admit checks that key may register c's number: it is one of the
// number's devices, or joins them with a link code, or claims the number
// as its first device (open or invite policy). It returns the device, or
// an error code and message.
func (sb *Switchboard) admit(ctx context.Context, c *Conn, key ed25519.PublicKey) (admitted, wire.Code, string) {
	h := &c.hello
	n := number.Number(h.number)
	d, err := sb.cfg.Store.Device(ctx, string(n), key)
	switch {
	case err == nil:
		return admitted{name: d.Name, chain: sb.chainOf(ctx, d), lastSeen: d.LastSeen}, "", ""
	case !errors.Is(err, store.ErrNotFound):
		sb.log.Error("looking up device", keyNumber, n, "err", err)
		return admitted{}, wire.CodeInternal, "the server could not check the number; try again"
	}
	if h.link != "" {
		return sb.linkDevice(ctx, c, n, key)
	}
	name := h.device
	if name == "" {
		name = store.FirstDevice
	}
	if code, msg := sb.bindKey(ctx, n, key, h.invite, name); code != "" {
		if code == wire.CodeAuthFailed {
			// A bound number: say so if this key was one of its devices.
			if gone, err := sb.cfg.Store.WasRemoved(ctx, string(n), key); err == nil && gone {
				return admitted{}, wire.CodeUnlinked, "this device was unlinked from " + string(n)
			}
		}
		return admitted{}, code, msg
	}
	return admitted{name: name, lastSeen: sb.cfg.Now()}, "", ""
}

// chainOf returns d's link certificates: its own, then its linker's, up to
// the first device (which has none).
func (sb *Switchboard) chainOf(ctx context.Context, d store.Device) []wire.Signed {
	if d.Cert == nil {
		return nil
	}
	devs, err := sb.cfg.Store.Devices(ctx, d.Number)
	if err != nil {
		sb.log.Error("listing devices", keyNumber, d.Number, "err", err)
		return nil
	}
	var chain []wire.Signed
	for cur, ok := d, true; ok && cur.Cert != nil && len(chain) < wire.MaxChain; {
		chain = append(chain, wire.Signed{Body: cur.Cert, Sig: cur.Sig})
		ok = false
		for _, o := range devs {
			if o.Key.Equal(cur.By) {
				cur, ok = o, true
				break
			}
		}
	}
	return chain
}

var linkErrors = []struct {
	err  error
	code wire.Code
	msg  string
}{
	{store.ErrLinkInvalid, wire.CodeLinkInvalid, "there is no such link code; check it, or make a new one with dialtone link"},
	{store.ErrLinkExpired, wire.CodeLinkExpired, "the link code has expired (codes last five minutes); make a new one"},
	{store.ErrLinkUsed, wire.CodeLinkUsed, "the link code was used already; make a new one"},
	{store.ErrLinkWrongNumber, wire.CodeLinkWrongNumber, "the link code is for another number; it is spent, make a new one on a device of this number"},
}

// linkDevice adds key to n's devices with the link code in c's hello: it
// spends the code, asks the device that made it to sign the new device's
// certificate, and stores the certificate. The server signs nothing.
func (sb *Switchboard) linkDevice(ctx context.Context, c *Conn, n number.Number, key ed25519.PublicKey) (admitted, wire.Code, string) {
	now := sb.cfg.Now()
	sb.mu.Lock()
	why := sb.links.admitLink(n, sourceKey(c.remote), now)
	sb.mu.Unlock()
	if why != "" {
		return admitted{}, wire.CodeLinkLimited, why
	}
	by, err := sb.cfg.Store.ClaimLinkCode(ctx, string(n), c.hello.link)
	if err != nil {
		for _, e := range linkErrors {
			if errors.Is(err, e.err) {
				return admitted{}, e.code, e.msg
			}
		}
		sb.log.Error("claiming link code", keyNumber, n, "err", err)
		return admitted{}, wire.CodeInternal, "the server could not check the link code; try again"
	}
	devs, err := sb.cfg.Store.Devices(ctx, string(n))
	if err != nil {
		sb.log.Error("listing devices", keyNumber, n, "err", err)
		return admitted{}, wire.CodeInternal, "the server could not list the number's devices; try again"
	}
	if len(devs) >= wire.MaxDevices {
		return admitted{}, wire.CodeDeviceLimit, fmt.Sprintf("%s has %d devices, as many as it may; unlink one first", n, wire.MaxDevices)
	}
	cert := identity.LinkCert{Number: string(n), Name: freeName(devs, c.hello.device), Device: key, By: by,
		At: time.Unix(now.Unix(), 0).UTC()}
	sig, code, msg := sb.askLinker(ctx, cert)
	if code != "" {
		return admitted{}, code, msg
	}
	d := store.Device{Number: string(n), Key: key, Name: cert.Name, LinkedAt: cert.At, By: by, Cert: cert.Bytes(), Sig: sig}
	switch err := sb.cfg.Store.AddDevice(ctx, d, wire.MaxDevices); {
	case errors.Is(err, store.ErrDeviceLimit):
		return admitted{}, wire.CodeDeviceLimit, fmt.Sprintf("%s has %d devices, as many as it may; unlink one first", n, wire.MaxDevices)
	case errors.Is(err, store.ErrNameTaken), errors.Is(err, store.ErrNotFound):
		return admitted{}, wire.CodeLinkUnconfirmed, "the number's devices changed while linking; make a new code"
	case err != nil:
		sb.log.Error("adding device", keyNumber, n, "err", err)
		return admitted{}, wire.CodeInternal, "the server could not store the device; try again"
	}
	sb.log.Info("device linked", keyNumber, n, "device", cert.Name)
	return admitted{name: d.Name, chain: sb.chainOf(ctx, d), lastSeen: cert.At}, "", ""
}

// askLinker sends cert to the device that made the code and waits for its
// signature.
func (sb *Switchboard) askLinker(ctx context.Context, cert identity.LinkCert) ([]byte, wire.Code, string) {
	p := &pendingLink{cert: cert, done: make(chan []byte, 1)}
	var linker *session
	sb.locked(func(*effects) {
		if l := sb.lines[number.Number(cert.Number)]; l != nil {
			linker = l.device(string(cert.By))
		}
		if linker == nil || linker.conn == nil {
			linker = nil
			return
		}
		sb.links.pending[linker] = p
		sb.send(linker, &wire.Message{Type: wire.TypeLinkRequest, Number: cert.Number, Device: cert.Name,
			Key: cert.Device, At: cert.At.Unix()})
	})
	if linker == nil {
		return nil, wire.CodeLinkUnconfirmed, "the device that made the link code is not connected; make a new code on a device that is"
	}
	t := time.NewTimer(linkConfirm)
	defer t.Stop()
	var sig []byte
	select {
	case sig = <-p.done:
	case <-t.C:
	case <-ctx.Done():
	}
	sb.mu.Lock()
	if sb.links.pending[linker] == p {
		delete(sb.links.pending, linker)
	}
	sb.mu.Unlock()
	if sig == nil {
		return nil, wire.CodeLinkUnconfirmed, "the device that made the link code did not sign this device's certificate; make a new code"
	}
	return sig, "", ""
}

// freeName is want (or "device"), with a number after it if a device of
// the number has that name already.
func freeName(devs []store.Device, want string) string {
	if want == "" {
		want = "device"
	}
	taken := make(map[string]bool, len(devs))
	for _, d := range devs {
		taken[d.Name] = true
	}
	name := want
	for i := 2; taken[name]; i++ {
		suffix := fmt.Sprintf(" %d", i)
		name = want[:min(len(want), wire.MaxDeviceName-len(suffix))] + suffix
	}
	return name
}

// linkCert takes the linking device's signature of a pending certificate.
func (sb *Switchboard) linkCert(c *Conn, m *wire.Message) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	p := sb.links.pending[c.sess]
	if p == nil || !p.cert.Device.Equal(ed25519.PublicKey(m.Key)) || p.cert.At.Unix() != m.At || p.cert.Name != m.Device {
		c.reply(m, wire.CodeWrongState, "no link waits for that certificate")
		return
	}
	delete(sb.links.pending, c.sess)
	if err := identity.VerifyLink(p.cert, m.Sig); err != nil {
		p.done <- nil
		c.reply(m, wire.CodeLinkUnconfirmed, "the certificate's signature does not verify with this device's key")
		return
	}
	p.done <- m.Sig
}

// linkNew issues a link code for c's number, made by c's device.
func (sb *Switchboard) linkNew(ctx context.Context, c *Conn, m *wire.Message) {
	n := c.sess.number
	sb.mu.Lock()
	ok := limiter(sb.links.codes, n, linkEvery, linkBurst).Allow()
	sb.mu.Unlock()
	if !ok {
		c.reply(m, wire.CodeLinkLimited, fmt.Sprintf("more than %d link codes for %s; try again in a minute", linkBurst, n))
		return
	}
	code, err := sb.cfg.Store.CreateLinkCode(ctx, string(n), ed25519.PublicKey(c.hello.key), wire.LinkTTL)
	if errors.Is(err, store.ErrNotFound) {
		c.reply(m, wire.CodeUnlinked, "this device is no longer linked to "+string(n))
		return
	}
	if err != nil {
		sb.log.Error("creating link code", keyNumber, n, "err", err)
		c.reply(m, wire.CodeInternal, "could not make a link code; try again")
		return
	}
	c.out.Send(&wire.Message{Type: wire.TypeLinkCode, Re: m.Seq, Link: code, TTLS: seconds(wire.LinkTTL)})
}

// listDevices answers devices with the number's devices.
func (sb *Switchboard) listDevices(ctx context.Context, c *Conn, m *wire.Message) {
	n := c.sess.number
	devs, err := sb.cfg.Store.Devices(ctx, string(n))
	if err != nil {
		sb.log.Error("listing devices", keyNumber, n, "err", err)
		c.reply(m, wire.CodeInternal, "could not list the devices; try again")
		return
	}
	names := make(map[string]string, len(devs))
	for _, d := range devs {
		names[string(d.Key)] = d.Name
	}
	out := &wire.Message{Type: wire.TypeDeviceList, Re: m.Seq}
	sb.mu.Lock()
	l := sb.lines[n]
	for _, d := range devs {
		di := wire.DeviceInfo{Name: d.Name, Key: d.Key, LinkedAt: d.LinkedAt, LastSeen: d.LastSeen,
			By: names[string(d.By)], This: string(d.Key) == c.sess.key}
		if l != nil {
			if s := l.device(string(d.Key)); s != nil && s.conn != nil {
				di.Online = true
			}
		}
		out.Devices = append(out.Devices, di)
	}
	sb.mu.Unlock()
	c.out.Send(out)
}

// unlink removes a device of c's number, at once: its sessions close and
// its key can no longer register.
func (sb *Switchboard) unlink(ctx context.Context, c *Conn, m *wire.Message) {
	n := c.sess.number
	d, err := sb.cfg.Store.RemoveDevice(ctx, string(n), m.Device)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.reply(m, wire.CodeUnknownDevice, fmt.Sprintf("%s has no device called %q", n, m.Device))
		return
	case errors.Is(err, store.ErrLastDevice):
		c.reply(m, wire.CodeWrongState, fmt.Sprintf("%q is the only device of %s; a number keeps one", m.Device, n))
		return
	case err != nil:
		sb.log.Error("unlinking device", keyNumber, n, "err", err)
		c.reply(m, wire.CodeInternal, "could not unlink the device; try again")
		return
	}
	c.out.Send(&wire.Message{Type: wire.TypeUnlinked, Re: m.Seq, Device: d.Name})
	sb.log.Info("device unlinked", keyNumber, n, "device", d.Name, "by", c.sess.name)
	sb.Unlinked(string(n), d.Key)
}

// Unlinked ends the session of n's device with key, which was just
// unlinked: its calls end or ring on elsewhere, and its connection is told
// and closed.
func (sb *Switchboard) Unlinked(n string, key ed25519.PublicKey) {
	sb.locked(func(fx *effects) {
		l := sb.lines[number.Number(n)]
		if l == nil {
			return
		}
		s := l.device(string(key))
		if s == nil {
			return
		}
		for _, cl := range s.sortedCalls() {
			sb.leave(cl, s, wire.ReasonPeerLost, s, fx)
		}
		if s.grace != nil {
			s.grace.Stop()
		}
		if s.conn != nil {
			s.conn.phase.Store(int32(phaseGone))
			s.out.Send(&wire.Message{Type: wire.TypeError, Code: wire.CodeUnlinked, Message: "this device was unlinked from " + n})
			s.out.Close(string(wire.CodeUnlinked))
		}
		s.conn, s.out = nil, nil
		sb.dropSession(s)
	})
}

// pollRemovals acts on unlinks another process made (dialtone server
// unlink writes the store while the server runs).
func (sb *Switchboard) pollRemovals() {
	rs, err := sb.cfg.Store.DeviceRemovals(context.Background(), sb.links.lastRemoval, 256)
	if err != nil {
		sb.log.Warn("reading device removals", "err", err)
		return
	}
	for _, r := range rs {
		sb.Unlinked(r.Number, r.Key)
		sb.links.lastRemoval = r.ID
	}
}
