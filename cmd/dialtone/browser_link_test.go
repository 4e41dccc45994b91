package main

import (
	"crypto/ed25519"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestBrowserLink: the page joins a number with a link code; a call to the
// number rings on the page and on the number's first device, the first
// device takes it, and the page says so rather than counting it missed.
func TestBrowserLink(t *testing.T) {
	srv := startWebServer(t)
	const number = "+15550100071"
	first := servertest.Register(t, srv.url, number)
	code := first.LinkCode()

	var (
		wg      sync.WaitGroup
		req     *wire.Message
		signErr error
	)
	b := newBrowser(t)
	b.open(srv.page)
	b.run(chromedp.SendKeys("#setup-number", number), chromedp.SendKeys("#setup-link", code))
	// The first device signs when the page's hello comes: from the click
	// on, not while a browser starts.
	wg.Add(1)
	go func() { defer wg.Done(); req, signErr = first.SignLinkRequest() }()
	b.run(chromedp.Click("#setup-register"))
	b.wait("registration or a refusal", `document.body.dataset.registered === "1" || document.getElementById("setup-error").textContent !== ""`)
	wg.Wait()
	if signErr != nil {
		t.Fatal(signErr)
	}
	if e := b.text("setup-error"); e != "" {
		t.Fatalf("the page was refused: %s", e)
	}
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
	if req.Device != "browser" {
		t.Errorf("the page joined as %q", req.Device)
	}

	caller := servertest.Register(t, srv.url, "+15550100072")
	r := caller.ExpectReply(caller.Send(&wire.Message{Type: wire.TypeDial, To: number}))
	first.Expect(wire.TypeIncoming, r.Call)
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	first.Send(&wire.Message{Type: wire.TypeAccept, Call: r.Call})
	caller.Expect(wire.TypeAccepted, r.Call)
	b.wait("the dialog gone", `!document.getElementById("incoming").open`)
	if got := b.text("status"); !strings.Contains(got, "answered on first device") {
		t.Errorf("the status line says %q", got)
	}
	if got := b.text("recents"); strings.Contains(got, "missed") {
		t.Errorf("recents %q count the call answered elsewhere as missed", got)
	}

	// The page's statements carry the chain the server gave it.
	callee := servertest.Register(t, srv.url, "+15550100073")
	b.dial("+15550100073")
	in := callee.Expect(wire.TypeIncoming, "")
	callee.Send(&wire.Message{Type: wire.TypeAccept, Call: in.Call})
	sdp := callee.Expect(wire.TypeSDP, in.Call)
	if sdp.Statement == nil || len(sdp.Chain) != 1 {
		t.Fatalf("the page's offer came with statement %v and %d certificates", sdp.Statement != nil, len(sdp.Chain))
	}
	cert, err := identity.ParseLink(sdp.Chain[0].Body)
	if err != nil || !cert.Device.Equal(ed25519.PublicKey(req.Key)) || identity.VerifyLink(cert, sdp.Chain[0].Sig) != nil {
		t.Fatalf("the page's certificate %+v (%v) is not the one its first device signed", cert, err)
	}
}
