package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call"
)

// TestSIPDTMFByInfo: a SIP phone that offers no telephone-event (a
// sipgo UA with an RTP socket) calls `dialtone call --answer auto --dtmf
// 7#`; the gateway's answer takes none, and the dialtone side's keys reach
// the phone as SIP INFO application/dtmf-relay in the dialog, one each.
func TestSIPDTMFByInfo(t *testing.T) {
	const callee = "+15550100036"
	rs, pass, dt := sipAnswerer(t, "127.77.43.0/24", callee, "7#")

	ph := newRTPPhone(t)
	ua := sipPhoneUA(t)
	// The phone's SIP socket takes the gateway's requests in the dialog
	// (its Contact) and sends its own.
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	infos := make(chan string, 8)
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = h.Value()
		}
		infos <- ct + " " + strings.ReplaceAll(string(req.Body()), "\r\n", ";")
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: freeSIPPort(t)}
	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan struct{})
	go func() {
		_ = srv.ListenAndServe(context.WithValue(srvCtx, sipgo.ListenReadyCtxKey, sipgo.ListenReadyCtxValue(ready)), "udp", local.String())
	}()
	<-ready
	dc := sipPhoneDialogs(t, ua, local.Port)
	offer := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d\r\na=rtpmap:%d opus/48000/2\r\na=rtcp-mux\r\n", ph.port(), rtpPhoneOpusPT, rtpPhoneOpusPT)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sess, err := dc.Invite(ctx, sipGatewayURI(t, rs, callee), []byte(offer),
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: sipTestNumber, Password: pass}); err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	ans := string(sess.InviteResponse.Body())
	if strings.Contains(ans, "telephone-event") {
		t.Errorf("the gateway's answer takes telephone-event the phone did not offer:\n%s", ans)
	}
	ph.send(answerAddr(t, ans))
	dt.waitFor(t, call.EventConnected)
	for _, want := range []string{"7", "#"} {
		select {
		case got := <-infos:
			if !strings.HasPrefix(got, "application/dtmf-relay Signal="+want+";Duration=") {
				t.Errorf("the phone got INFO %q, want Signal=%s", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no INFO for the key %s", want)
		}
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	if code := dt.exit(t); code != 0 {
		t.Fatalf("dialtone call exited %d; events %s; stderr:\n%s", code, dt.kinds(), dt.stderr.String())
	}
	select {
	case got := <-infos:
		t.Errorf("the phone got an extra INFO %q", got)
	default:
	}
}
