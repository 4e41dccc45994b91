package sipgw

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// answerInvite sends the phone's INVITE its 200 with sdp and waits for the
// ACK, sending the 200 again meanwhile (RFC 3261 section 13.3.1.4, timer
// G), as sipgo's RespondSDP does, but for no longer than 64*T1: it reports
// acked false when none came by then, and the caller ends the session with
// a BYE. sipgo's own wait starts its 64*T1 afresh with every retransmission
// and so never ends, which held the call, its lease and the dialtone
// party's line for as long as the phone stayed silent.
func (c *sipCall) answerInvite(sdp []byte) (acked bool, err error) {
	stop, gaveUp := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(64 * sip.T1)
		defer t.Stop()
		select {
		case <-stop:
			return
		case <-t.C:
		}
		close(gaveUp)
		// The dialog's state is what ends sipgo's wait: confirm it as an
		// ACK would, and let the caller hang up.
		ack := sip.NewRequest(sip.ACK, c.srv.InviteRequest.Recipient)
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: c.srv.InviteRequest.CSeq().SeqNo, MethodName: sip.ACK})
		if err := c.srv.ReadAck(ack, nil); err != nil {
			c.log.Debug("ending the wait for an ACK", "err", err)
		}
	}()
	err = c.respondSDP(sdp)
	close(stop)
	<-done
	select {
	case <-gaveUp:
		return false, err
	default:
		return true, err
	}
}

// onCancel answers a CANCEL that matched no INVITE transaction: the stack
// answers the ones that do (200, then 487 to the INVITE) and passes these
// on. RFC 3261 section 9.2: 481. Unanswered, the caller would send it again
// for 32 s, and one that crossed the 200 would hang up none the sooner.
func (g *Gateway) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
}
