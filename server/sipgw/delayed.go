package sipgw

import (
	"bytes"
	"errors"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call/wire"
)

// errNoAnswerInAck is an ACK without the answer to the offer in the
// gateway's 200.
var errNoAnswerInAck = errors.New("the ACK carries no SDP answer to the gateway's offer")

// ackWait is the gateway's wait for the ACK of a 200 that carried its
// offer: RFC 3261 section 13.2.1 puts the phone's answer in that ACK. sipgo
// confirms the dialog on the ACK but keeps no ACK, so the gateway's ACK
// handler hands its body over here first.
type ackWait struct {
	cseq     uint32
	body     chan []byte // the first matching ACK's body
	reinvite bool        // the call's loop hears of it (evAck)
}

// expectAck starts waiting for the ACK of the transaction numbered cseq.
func (c *sipCall) expectAck(cseq uint32, reinvite bool) *ackWait {
	w := &ackWait{cseq: cseq, body: make(chan []byte, 1), reinvite: reinvite}
	c.ackWait.Store(w)
	return w
}

// takeAck takes the body of an ACK in the call's dialog that the call
// waits for; retransmissions (and ACKs of other transactions) are ignored.
func (c *sipCall) takeAck(req *sip.Request) {
	w := c.ackWait.Load()
	if w == nil || req.CSeq() == nil || req.CSeq().SeqNo != w.cseq {
		return
	}
	select {
	case w.body <- bytes.Clone(req.Body()):
		if w.reinvite {
			c.push(event{kind: evAck})
		}
	default:
	}
}

// ackBody is the body the ACK brought, if one came.
func (w *ackWait) ackBody() []byte {
	select {
	case b := <-w.body:
		return b
	default:
		return nil
	}
}

// answerDelayed answers an INVITE that came without an offer, once the
// dialtone party accepted: the 200 carries the gateway's offer (what it
// offers phones it calls: Opus, VP8, G.711 when it transcodes,
// telephone-event, and SRTP keys only when the INVITE came over TLS), the
// ACK the phone's answer, and only then are the bridge's legs set and the
// dialtone party offered media. An ACK with no answer, or none the gateway
// can use, ends the call with a BYE.
func (c *sipCall) answerDelayed() (over bool) {
	srtp := isTLS(c.srv.InviteRequest.Transport())
	body, err := c.withOfferKeys(offerSDP(c.br.addr(), c.sessID, c.nextVersion(), c.g.transcodes()), srtp)
	if err != nil {
		c.log.Warn("making the offer for a delayed-offer INVITE", "err", err)
		_ = c.srv.Respond(sip.StatusInternalServerError, "Server Error", nil)
		c.handle(&wire.Message{Type: wire.TypeHangup})
		return true
	}
	c.current = body
	w := c.expectAck(c.srv.InviteRequest.CSeq().SeqNo, false)
	acked, err := c.answerInvite(body)
	switch {
	case !acked:
		c.log.Info("the SIP phone never ACKed the 200 with the gateway's offer; hanging up", "err", err)
		c.endDelayed()
		return true
	case err != nil:
		// The 200 never left (the INVITE was cancelled meanwhile): there
		// is no dialog to end.
		c.log.Debug("answering a delayed-offer INVITE", "err", err)
		c.handle(&wire.Message{Type: wire.TypeHangup})
		return true
	}
	o, err := c.ackAnswer(w.ackBody(), srtp)
	if err == nil {
		err = c.br.setLegs(o)
	}
	if err != nil {
		c.g.stats.delayedFailed.Add(1)
		c.log.Warn("SIP phone's ACK has no usable answer to the gateway's offer (delayed offer); hanging up", "err", err)
		c.endDelayed()
		return true
	}
	c.bridged()
	if err := c.offerWebRTC(); err != nil {
		c.log.Warn("offering media to the dialtone party", "err", err)
		c.hangUp()
		return true
	}
	return false
}

// ackAnswer reads the phone's answer from its ACK's body.
func (c *sipCall) ackAnswer(body []byte, srtpOffered bool) (*offer, error) {
	if len(body) == 0 {
		return nil, errNoAnswerInAck
	}
	c.log.Debug("SIP answer in the ACK", "sdp", string(body))
	o, err := c.g.parseSDP(body)
	if err != nil {
		return nil, err
	}
	if err := c.sdes.match(o, srtpOffered); err != nil {
		return nil, err
	}
	return o, nil
}

// endDelayed ends a delayed-offer call whose media was never agreed: the
// phone gets a BYE, the dialtone party ended with media-failed.
func (c *sipCall) endDelayed() {
	if c.id != "" {
		c.handle(&wire.Message{Type: wire.TypeHangup, Reason: wire.ReasonMediaFailed})
	}
	c.bye()
}

// reofferCurrent answers a re-INVITE without SDP (phones send them to
// refresh a session) with the gateway's current SDP as the offer; the
// phone's answer comes in the ACK (reinviteAck).
func (c *sipCall) reofferCurrent(req *sip.Request, tx sip.ServerTransaction) {
	c.expectAck(req.CSeq().SeqNo, true)
	res := sip.NewSDPResponseFromRequest(req, c.current)
	if h := c.g.contactFor(req.Transport()); h != nil {
		res.AppendHeader(h)
	}
	c.g.respond(tx, res)
}

// reinviteAck applies the answer in the ACK of a re-INVITE the gateway
// offered in. One it cannot use leaves the session as it was: the media
// already agreed goes on.
func (c *sipCall) reinviteAck() {
	w := c.ackWait.Swap(nil)
	if w == nil || !w.reinvite {
		return
	}
	body := w.ackBody()
	o, err := c.g.parseSDP(body)
	if err == nil {
		err = c.br.reofferSDES(o)
	}
	if err != nil {
		c.log.Info("SIP phone's ACK to the gateway's re-offer has no usable answer; the session stays as it was", "err", err)
		return
	}
	c.br.update(o)
	c.br.keepAgreed(o)
	c.log.Info("SIP phone refreshed the session", "audio_held", o.audio == nil || !o.audio.recv)
}
