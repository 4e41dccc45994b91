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
	if len(regs) == 0 || g.client.Load() == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	c := g.newCall(false, n, "")
	c.conn = conn
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		c.serveOutbound(regs[0], caller)
	}()
	return partyOut{c}
}

// serveOutbound rings the phone and runs the call until it is over.
func (c *sipCall) serveOutbound(reg Registration, caller string) {
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.invite(ctx, reg, caller); err != nil {
		c.log.Info("ringing a SIP phone", "contact", reg.Contact, "err", err)
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return
	}
	defer c.cli.Close()
	renew := time.NewTicker(renewEvery)
	defer renew.Stop()
	for {
		select {
		case <-renew.C:
			c.renewLease()
		case <-c.g.quit:
			cancel()
			c.hangUp()
			return
		case ev := <-c.events:
			if c.outboundEvent(ev, cancel) {
				return
			}
		}
	}
}

// invite sends the INVITE with the gateway's offer and waits for its
// answer on a goroutine of the call's.
func (c *sipCall) invite(ctx context.Context, reg Registration, caller string) error {
	to, err := parseContact(reg.Contact)
	if err != nil {
		return err
	}
	host := c.g.host()
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: caller, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	toHdr := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: c.number, Host: host}, Params: sip.NewParams()}
	req := sip.NewRequest(sip.INVITE, to)
	req.AppendHeader(from)
	req.AppendHeader(toHdr)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(localSDP(c.lease.Addr, c.sessID, c.nextVersion(), nil))
	if reg.Transport != "" {
		req.SetTransport(reg.Transport)
	}
	cli, err := c.g.clientDialogs.WriteInvite(ctx, req)
	if err != nil {
		return fmt.Errorf("sending INVITE: %w", err)
	}
	c.cli, c.sipID = cli, req.CallID().Value()
	c.g.calls.add(c)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		err := cli.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
			if r.StatusCode == sip.StatusRinging || r.StatusCode == sip.StatusSessionInProgress {
				c.push(event{kind: evRinging})
			}
			return nil
		}})
		c.push(event{kind: evAnswer, err: err})
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

func (c *sipCall) outboundEvent(ev event, cancel context.CancelFunc) (over bool) {
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
	case evReinvite:
		c.reinvite(ev.req, ev.tx)
	case evAnswer:
		return c.onAnswer(ev.err)
	case evBye:
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
			// The caller gave up or nobody answered: CANCEL the INVITE
			// and wait for the waiter to finish with it.
			cancel()
			c.wg.Wait()
			if c.cli.LoadState() == sip.DialogStateEstablished {
				c.ackAndBye()
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

// onAnswer acts on the phone's final answer to the INVITE.
func (c *sipCall) onAnswer(err error) (over bool) {
	if err != nil {
		var de *sipgo.ErrDialogResponse
		code := 0
		if errors.As(err, &de) {
			code = de.Res.StatusCode
		}
		c.log.Info("SIP phone did not answer", "status", code, "err", err)
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return true
	}
	o, perr := parseSDP(c.cli.InviteResponse.Body())
	if perr != nil {
		c.log.Info("SIP phone's answer is unusable", "err", perr)
		c.ackAndBye()
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return true
	}
	if err := c.cli.Ack(context.Background()); err != nil {
		c.log.Debug("sending ACK", "err", err)
	}
	if err := c.br.setLegs(o); err != nil {
		c.bye()
		c.handle(&wire.Message{Type: wire.TypeRefuse})
		return true
	}
	c.bridged()
	c.handle(&wire.Message{Type: wire.TypeAccept})
	return false
}

func (c *sipCall) ackAndBye() {
	if err := c.cli.Ack(context.Background()); err != nil {
		c.log.Debug("sending ACK", "err", err)
	}
	c.bye()
}
