package sipgw

import (
	"context"
	"errors"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/wire"
)

// inboundCall serves an INVITE from one of our numbers' phones to a
// dialtone number: a party for the phone's number dials it through the
// switchboard, and the call's progress is told back as SIP responses. It
// returns when the call is over.
func (g *Gateway) inboundCall(req *sip.Request, tx sip.ServerTransaction, from, to, via string) {
	// No body is a delayed offer (RFC 3261 section 13.2.1): the gateway
	// offers in its 200 and the phone answers in the ACK, so the legs wait
	// for that (o nil until then).
	var o *offer
	if len(req.Body()) > 0 {
		var err error
		if o, err = g.parseSDP(req.Body()); err != nil {
			if !errors.Is(err, errNoCodec) {
				g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad SDP", nil))
				return
			}
			g.stats.notAcceptable.Add(1)
			res := sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
			res.AppendHeader(sip.NewHeader("Warning", g.noCodecWarning()))
			g.respond(tx, res)
			return
		}
	}
	c := g.newCall(true, from, req.CallID().Value())
	c.via = via
	c.log.Debug("SIP offer", "sdp", string(req.Body()))
	if !g.calls.add(c) {
		return // a retransmission the stack did not absorb
	}
	defer c.finish()
	if err := c.leaseMedia(); err != nil {
		c.log.Warn("no media for a SIP call", "err", err)
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
		return
	}
	if o == nil {
		g.stats.delayedOffers.Add(1)
	} else if err := c.answerSDES(o, req.Transport()); err != nil {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Error", nil))
		return
	} else if err := c.br.setLegs(o); err != nil {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Error", nil))
		return
	}
	dlg, err := g.dialogs.ReadInvite(req, tx)
	if err != nil {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	defer dlg.Close()
	c.srv = dlg
	tx.OnCancel(func(*sip.Request) { c.push(event{kind: evCancel}) })
	if c.conn, err = g.cfg.Switchboard.AttachParty(from, via, partyOut{c}, "sip "+req.Source()); err != nil {
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	g.stats.callsIn.Add(1)
	c.handle(&wire.Message{Type: wire.TypeDial, Seq: 1, To: to})
	c.serveInbound(o)
}

// serveInbound runs the inbound call's events until it is over.
func (c *sipCall) serveInbound(o *offer) {
	ctx := c.srv.Context()
	renew := time.NewTicker(renewEvery)
	defer renew.Stop()
	for {
		select {
		case <-renew.C:
			c.renewLease()
		case <-c.g.quit:
			c.hangUp()
			return
		case <-ctx.Done():
			// The INVITE's transaction died unanswered (or the dialog
			// ended): the phone is gone.
			if c.id != "" {
				c.handle(&wire.Message{Type: wire.TypeHangup})
			}
			return
		case ev := <-c.events:
			if c.inboundEvent(ev, o) {
				return
			}
		}
	}
}

func (c *sipCall) inboundEvent(ev event, o *offer) (over bool) {
	switch ev.kind {
	case evCandidate:
		c.onCandidate(ev.cand)
	case evState:
		if ev.state == webrtc.PeerConnectionStateFailed {
			c.log.Info("SIP call's WebRTC side failed")
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
	case evCancel:
		if c.id == "" {
			return true
		}
		c.handle(&wire.Message{Type: wire.TypeCancel})
		return true
	case evBye:
		c.handle(&wire.Message{Type: wire.TypeHangup})
		return true
	case evMessage:
		return c.inboundMessage(ev.msg, o)
	}
	return false
}

func (c *sipCall) inboundMessage(m *wire.Message, o *offer) (over bool) {
	respond := func(code int, reason string) bool {
		if err := c.srv.Respond(code, reason, nil); err != nil {
			c.log.Debug("answering the INVITE", "code", code, "err", err)
		}
		return true
	}
	switch m.Type {
	case wire.TypeRinging:
		c.id = m.Call
		return !c.ok(c.srv.Respond(sip.StatusRinging, "Ringing", nil))
	case wire.TypeAccepted:
		if o == nil {
			return c.answerDelayed()
		}
		if err := c.offerWebRTC(); err != nil {
			c.log.Warn("offering media to the dialtone party", "err", err)
			respond(sip.StatusInternalServerError, "Server Error")
			c.handle(&wire.Message{Type: wire.TypeHangup})
			return true
		}
		c.bridged()
		c.current = withSDES(localSDP(c.br.addr(), c.sessID, c.nextVersion(), o), answerLines(o))
		acked, err := c.answerInvite(c.current)
		if !acked {
			c.log.Info("the SIP phone never ACKed its 200; hanging up")
			c.hangUp()
			return true
		}
		return !c.ok(err)
	case wire.TypeSDP:
		if err := c.onSDP(m); err != nil {
			c.log.Warn("applying the dialtone party's SDP", "err", err)
			c.hangUp()
			return true
		}
	case wire.TypeICE:
		c.addCandidate(m.Candidate)
	case wire.TypeBusy:
		return respond(sip.StatusBusyHere, "Busy Here")
	case wire.TypeUnavailable:
		if m.Reason == wire.ReasonUnknown {
			c.g.stats.notFound.Add(1)
			return respond(sip.StatusNotFound, "Not Found")
		}
		return respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
	case wire.TypeRefused:
		return respond(statusDecline, "Decline")
	case wire.TypeNoAnswer:
		return respond(sip.StatusTemporarilyUnavailable, "No Answer")
	case wire.TypeError:
		if !c.answered {
			return respond(sip.StatusTemporarilyUnavailable, m.Message)
		}
	case wire.TypeEnded:
		if c.answered {
			c.bye()
			return true
		}
		return respond(sip.StatusTemporarilyUnavailable, "Ended")
	case wire.TypeCancelled, wire.TypeHangupAck:
		return true
	}
	return false
}

func (c *sipCall) ok(err error) bool {
	if err != nil {
		c.log.Debug("SIP response", "err", err)
		return false
	}
	return true
}

// hangUp ends the call on both sides, as the gateway's own decision.
func (c *sipCall) hangUp() {
	if c.id != "" {
		c.handle(&wire.Message{Type: wire.TypeHangup})
	}
	if c.answered {
		c.bye()
	} else if c.srv != nil {
		_ = c.srv.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
	}
}

// bye sends the phone a BYE.
func (c *sipCall) bye() {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	var err error
	switch {
	case c.srv != nil:
		err = byeServer(ctx, c.srv)
	case c.cli != nil:
		err = c.byeDialog(ctx, c.cli)
	}
	if err != nil {
		c.log.Debug("sending BYE", "err", err)
	}
}
