package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestBrowserCallWaiting: the page is in a call with a headless phone (A)
// when another (B) dials it: the page shows call waiting. Refusing leaves
// the first call going; B dials again, and accepting ends the first call
// and connects B with media both ways.
func TestBrowserCallWaiting(t *testing.T) {
	srv := startWebServer(t)
	const page, a, b = "+15550100071", "+15550100072", "+15550100073"
	first := startCall(t, srv.url, a, "--answer", "auto", "--max-calls", "1")
	first.waitFor(t, call.EventRegistered)
	br := newBrowser(t)
	br.registered(srv.page, page)
	br.dial(a)
	br.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	br.waitMedia()
	first.waitFor(t, call.EventConnected)

	waiting := `document.getElementById("incoming").open && document.getElementById("incoming-title").textContent === "Call waiting"`
	bData := t.TempDir() // B's key, for both of its calls
	refused := startCall(t, srv.url, b, "--dial", page, "--data", bData)
	br.wait("the call-waiting dialog", waiting)
	if got := br.text("accept"); got != "End call and accept a" {
		t.Errorf("the accept button says %q", got)
	}
	br.key("r")
	if code := refused.exit(t); code != exitCallRefused {
		t.Errorf("B exited %d, want %d (refused); events %s", code, exitCallRefused, refused.kinds())
	}
	br.wait("the dialog gone", `!document.getElementById("incoming").open`)
	frames := br.stats().Video.FramesDecoded
	br.wait("the first call going on", fmt.Sprintf(`document.body.dataset.screen === "incall" && window.dialtone.lastStats.video.framesDecoded > %d + 30`, frames))

	statsFile := filepath.Join(t.TempDir(), "stats.json")
	second := startCall(t, srv.url, b, "--dial", page, "--data", bData, "--duration", "3s", "--mic", "tone:660", "--stats", statsFile)
	br.wait("the call-waiting dialog", waiting)
	br.key("a")
	if code := first.exit(t); code != 0 {
		t.Errorf("A exited %d when the page took the waiting call; events %s", code, first.kinds())
	}
	checkPageMedia(t, br.waitMedia())
	br.waitText("incall-peer", shown("+15550100073", "US"))
	br.wait("B's hang-up", `document.body.dataset.screen === "ended"`)
	if code := second.exit(t); code != 0 {
		t.Fatalf("B exited %d; events %s\n%s", code, second.kinds(), second.stderr.String())
	}
	checkDialtoneMedia(t, readStats(t, statsFile))
	srv.waitLeasesFree(t)
}

// TestBrowserQueueAndBusy: a second caller waits behind the dialog ("+1 more
// calling") and is asked about once the first is refused. The server allows
// a number two calls (one call and one waiting), ringing calls from one
// source address taking one slot, so callers from three addresses find the
// page busy at the third, whether its two calls both ring or one is
// answered.
func TestBrowserQueueAndBusy(t *testing.T) {
	srv := startWebServer(t)
	const page = "+15550100081"
	br := newBrowser(t)
	br.registered(srv.page, page)
	dial := func(c *servertest.Client) wire.CallID {
		t.Helper()
		m := c.ExpectReply(c.Send(&wire.Message{Type: wire.TypeDial, To: page}))
		if m.Type != wire.TypeRinging {
			t.Fatalf("the dial was answered %s, want ringing", m.Type)
		}
		return m.Call
	}
	busy := func(number string) {
		t.Helper()
		p := startCall(t, srv.url, number, "--dial", page) // from 127.0.0.1
		if code := p.exit(t); code != exitCallBusy {
			t.Errorf("%s exited %d, want %d (busy); events %s\n%s", number, code, exitCallBusy, p.kinds(), p.stderr.String())
		}
	}

	a := servertest.RegisterFrom(t, srv.url, "+15550100082", netip.MustParseAddr("127.0.0.2"))
	b := servertest.RegisterFrom(t, srv.url, "+15550100083", netip.MustParseAddr("127.0.0.3"))
	aCall := dial(a)
	br.wait("the incoming dialog", `document.getElementById("incoming").open && document.getElementById("incoming-from").textContent === `+jsString(shown("+15550100082", "US")))
	bCall := dial(b)
	br.wait("+1 more calling", `document.getElementById("incoming-more").textContent === "+1 more calling" && !document.getElementById("incoming-more").hidden`)
	busy("+15550100084")

	br.key("r")
	a.Expect(wire.TypeRefused, aCall)
	br.wait("B asked about in its turn", `document.getElementById("incoming").open && document.getElementById("incoming-more").hidden && document.getElementById("incoming-from").textContent === `+jsString(shown("+15550100083", "US")))
	br.key("a")
	b.Expect(wire.TypeAccepted, bCall)
	br.wait("the in-call screen", `document.body.dataset.screen === "incall" && !document.getElementById("incoming").open`)

	c := servertest.RegisterFrom(t, srv.url, "+15550100085", netip.MustParseAddr("127.0.0.2"))
	cCall := dial(c)
	br.wait("the call-waiting dialog", `document.getElementById("incoming").open && document.getElementById("incoming-title").textContent === "Call waiting"`)
	busy("+15550100086")

	// The waiting caller gives up: the page is back in its call.
	c.Send(&wire.Message{Type: wire.TypeCancel, Call: cCall})
	br.wait("the dialog gone", `!document.getElementById("incoming").open && document.body.dataset.screen === "incall"`)
	br.key("h")
	b.Expect(wire.TypeEnded, bCall)
	br.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	srv.waitLeasesFree(t)
}
