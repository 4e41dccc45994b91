package sipgw

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/switchboard"
)

const statusDecline = 603

// Reaches reports whether n has a registered SIP device; the switchboard
// asks it under its lock.
func (g *Gateway) Reaches(n string) bool {
	if g.cfg.Switchboard == nil || g.client.Load() == nil {
		return false
	}
	return len(g.regs.of(n, g.cfg.Now())) > 0
}

// Reach starts a party for n's SIP device in a call from caller: it rings
// the device when the switchboard says incoming. It runs under the
// switchboard's lock, so the call's work happens on its own goroutine.
func (g *Gateway) Reach(n, caller string, conn *switchboard.Conn) switchboard.Outbox {
	regs := g.regs.of(n, g.cfg.Now())
	if g.client.Load() == nil {
		return nil
	}
	var trunk *Route
	if len(regs) == 0 {
		r, ok := matchRoute(g.cfg.Routes, n)
		if !ok || !g.Routes(n) {
			return nil
		}
		u := r.Trunk
		u.User = n
		regs = []Registration{{Number: n, Contact: u.String(), Transport: r.Transport()}}
		trunk = &r
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	c := g.newCall(false, n, "")
	c.conn = conn
	if trunk != nil {
		c.via, c.trunk = switchboard.ViaTrunk, trunk
		g.stats.trunkOut.Add(1)
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		c.serveOutbound(regs[:min(len(regs), maxForks)], caller)
	}()
	return partyOut{c}
}

// maxForks bounds the devices of one number rung at once (the registrar
// keeps at most MaxContacts).
const maxForks = 8

// fork is the INVITE to one of the number's devices.
type fork struct {
	cli    *sipgo.DialogClientSession
	cancel context.CancelFunc
	done   bool   // its final answer came
	sdes   bool   // offered SRTP (the device registered over TLS)
	body   []byte // the offer sent it
	reg    Registration
	caller string
}

// serveOutbound rings the number's devices and runs the call until it is
// over: the first device to answer takes it, the others get a CANCEL.
func (c *sipCall) serveOutbound(regs []Registration, caller string) {
	defer c.finish()
	var first event
	select {
	case first = <-c.events:
	case <-c.g.quit:
		return
	}
	if first.kind != evMessage || first.msg.Type != wire.TypeIncoming {
		return
	}
	c.id = first.msg.Call
	c.g.stats.callsOut.Add(1)
	if err := c.leaseMedia(); err != nil {
		c.log.Warn("no media for a SIP call", "err", err)
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return
	}
	defer func() {
		for _, f := range c.forks {
			f.cancel()
			f.cli.Close()
		}
	}()
	for _, reg := range regs {
		if err := c.invite(reg, caller, isTLS(reg.Transport)); err != nil {
			c.log.Info("ringing a SIP phone", "contact", reg.Contact, "err", err)
		}
	}
	if len(c.forks) == 0 {
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return
	}
	renew := time.NewTicker(renewEvery)
	defer renew.Stop()
	for {
		select {
		case <-renew.C:
			c.renewLease()
		case <-c.g.quit:
			c.cancelForks(nil)
			c.hangUp()
			return
		case ev := <-c.events:
			if c.outboundEvent(ev) {
				return
			}
		}
	}
}

// cancelForks sends a CANCEL on every INVITE but keep's.
func (c *sipCall) cancelForks(keep *fork) {
	for _, f := range c.forks {
		if f != keep {
			f.cancel()
		}
	}
}

// invite sends the INVITE with the gateway's offer (SRTP with srtpOffer)
// and waits for its answer on a goroutine of the call's.
func (c *sipCall) invite(reg Registration, caller string, srtpOffer bool) error {
	to, err := parseContact(reg.Contact)
	if err != nil {
		return err
	}
	host := c.g.host()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: caller, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	toHdr := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: c.number, Host: host}, Params: sip.NewParams()}
	if c.trunk != nil {
		toHdr.Address = sip.Uri{Scheme: "sip", User: c.number, Host: to.Host, Port: to.Port}
	}
	req := sip.NewRequest(sip.INVITE, to)
	req.AppendHeader(from)
	req.AppendHeader(toHdr)
	if c.trunk != nil {
		// The caller's number is verified (its key, or its SIP digest).
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+caller+"@"+host+">"))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	body, err := c.withOfferKeys(offerSDP(c.br.addr(), c.sessID, c.nextVersion(), c.g.transcodes()), srtpOffer)
	if err != nil {
		return err
	}
	req.SetBody(body)
	if reg.Transport != "" {
		req.SetTransport(reg.Transport)
	}
	if h := c.g.contactFor(reg.Transport); h != nil {
		req.AppendHeader(h)
	}
	overConnection(req, reg)
	ctx, cancel := context.WithCancel(context.Background())
	cli, err := c.g.clientDialogs.WriteInvite(ctx, req)
	if err != nil {
		cancel()
		return fmt.Errorf("sending INVITE: %w", err)
	}
	i := len(c.forks)
	c.forks = append(c.forks, &fork{cli: cli, cancel: cancel, sdes: srtpOffer, body: body, reg: reg, caller: caller})
	c.g.calls.addID(req.CallID().Value(), c)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		err := cli.WaitAnswer(ctx, c.answerOptions(func(r *sip.Response) error {
			if r.StatusCode == sip.StatusRinging || r.StatusCode == sip.StatusSessionInProgress {
				c.push(event{kind: evRinging})
			}
			return nil
		}))
		c.explainAnswer(err)
		c.push(event{kind: evAnswer, err: err, fork: i})
	}()
	return nil
}

// parseContact parses a binding's contact URI.
func parseContact(s string) (sip.Uri, error) {
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return u, fmt.Errorf("contact %q: %w", s, err)
	}
	return u, nil
}

func (c *sipCall) outboundEvent(ev event) (over bool) {
	switch ev.kind {
	case evCandidate:
		c.onCandidate(ev.cand)
	case evState:
		if ev.state == webrtc.PeerConnectionStateFailed {
			c.hangUp()
			return true
		}
	case evKeyFrame:
		c.br.keyFrameFromPeer()
	case evTone:
		c.br.toneFromInfo(ev.digit, ev.ms)
	case evKeyOut:
		c.sendKey(ev.digit, ev.ms)
	case evReinvite:
		c.reinvite(ev.req, ev.tx)
	case evAck:
		c.reinviteAck()
	case evAnswer:
		return c.onAnswer(c.forks[ev.fork], ev.err)
	case evBye:
		if c.cli == nil || ev.callID != c.cli.InviteRequest.CallID().Value() {
			return false // a device that answered too late, told BYE
		}
		c.handle(&wire.Message{Type: wire.TypeHangup})
		return true
	case evMessage:
		m := ev.msg
		switch m.Type {
		case wire.TypeAccepted:
			// The dialtone caller offers; the answer comes with its SDP.
		case wire.TypeSDP:
			if err := c.onSDP(m); err != nil {
				c.log.Warn("answering the dialtone party's offer", "err", err)
				c.hangUp()
				return true
			}
		case wire.TypeICE:
			c.addCandidate(m.Candidate)
		case wire.TypeCancelled:
			// The caller gave up, nobody answered, or the number's
			// dialtone client did: CANCEL the INVITEs and wait for their
			// waiters; a device that answered meanwhile gets a BYE.
			c.cancelForks(nil)
			c.wg.Wait()
			for _, f := range c.forks {
				if f.cli.LoadState() == sip.DialogStateEstablished {
					c.ackAndBye(f.cli)
				}
			}
			return true
		case wire.TypeEnded:
			if c.answered {
				c.bye()
			}
			return true
		case wire.TypeRefused, wire.TypeHangupAck:
			return true
		}
	}
	return false
}

// onAnswer acts on one device's final answer to its INVITE.
func (c *sipCall) onAnswer(f *fork, err error) (over bool) {
	f.done = true
	if err == nil && c.cli != nil {
		c.ackAndBye(f.cli) // another device took the call first
		return false
	}
	var o *offer
	if err == nil {
		if o, err = c.g.parseSDP(f.cli.InviteResponse.Body()); err == nil {
			err = c.sdes.match(o, f.sdes)
		}
		if err != nil {
			c.log.Info("SIP phone's answer is unusable", "err", err)
			c.ackAndBye(f.cli)
		}
	}
	if err != nil {
		var de *sipgo.ErrDialogResponse
		code := 0
		if errors.As(err, &de) {
			code = de.Res.StatusCode
		}
		if c.plainAfterSDES(f, code) {
			return false
		}
		c.log.Info("SIP phone did not answer", "status", code, "err", err)
		if c.cli != nil {
			return false
		}
		for _, g := range c.forks {
			if !g.done {
				return false // another device still rings
			}
		}
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return true
	}
	c.cli = f.cli
	c.current = f.body
	c.cancelForks(f)
	c.ack(c.cli)
	if err := c.br.setLegs(o); err != nil {
		c.bye()
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return true
	}
	c.bridged()
	c.handle(&wire.Message{Type: wire.TypeAccept})
	return false
}

func (c *sipCall) ackAndBye(cli *sipgo.DialogClientSession) {
	c.ack(cli)
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := c.byeDialog(ctx, cli); err != nil {
		c.log.Debug("sending BYE", "err", err)
	}
}
