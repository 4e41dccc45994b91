package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call"
)

// TestSIPDelayedOffer plays a SIP phone (sipgo for signalling, a UDP
// socket for RTP) that calls a `dialtone call --answer auto --dtmf 9` with
// an INVITE without SDP, as many PBXs and trunks do: the server's 200
// carries its offer, the phone answers in its ACK, and media then runs
// both ways through the lease — the dialtone side's 9 reaches the phone as
// a telephone event, and the phone's RTP (its RFC 4733 4) reaches the
// dialtone side.
func TestSIPDelayedOffer(t *testing.T) {
	const callee = "+15550100036"
	rs, pass, dt := sipAnswerer(t, "127.77.36.0/24", callee, "9")

	// The offer's telephone-event/8000 is payload type 100.
	const tonePT = 100
	ph := newRTPPhonePT(t, tonePT)
	dc := sipPhoneDialogs(t, sipPhoneUA(t), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sess, err := dc.Invite(ctx, sipGatewayURI(t, rs, callee), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: sipTestNumber, Password: pass}); err != nil {
		t.Fatalf("INVITE without SDP: %v", err)
	}
	offer := string(sess.InviteResponse.Body())
	for _, want := range []string{"RTP/AVP 111", "a=rtpmap:111 opus/48000/2", "VP8/90000", fmt.Sprintf("a=rtpmap:%d telephone-event/8000", tonePT)} {
		if !strings.Contains(offer, want) {
			t.Errorf("the server's offer in its 200 lacks %q:\n%s", want, offer)
		}
	}
	answer := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d %d\r\na=rtpmap:%d opus/48000/2\r\na=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\na=rtcp-mux\r\n"+
		"m=video 0 RTP/AVP 96\r\n",
		ph.port(), rtpPhoneOpusPT, tonePT, rtpPhoneOpusPT, tonePT, tonePT)
	ack := sip.NewRequest(sip.ACK, sess.InviteResponse.Contact().Address)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody([]byte(answer))
	if err := sess.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	ph.send(answerAddr(t, offer))
	dt.waitFor(t, call.EventConnected)

	if d := ph.waitKey(t); d != '9' {
		t.Errorf("the SIP phone received %q, want the dialtone side's 9", d)
	}
	if err := ph.snd.Queue("4"); err != nil {
		t.Fatal(err)
	}
	if got := callerKeys(t, dt, 1); got != "4" {
		t.Errorf("dialtone call received %q for the phone's RFC 4733 4", got)
	}
	waitMetric(t, adminOf(rs), `dialtone_sip_calls_total{event="delayed_offer"} 1`)
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if code := dt.exit(t); code != 0 {
		t.Fatalf("dialtone call exited %d; events %s; stderr:\n%s", code, dt.kinds(), dt.stderr.String())
	}
}
