package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// fits fails when the page is wider than the viewport (a sideways scroll
// on a phone), naming the widest elements.
func (b *browser) fits(where string) {
	b.t.Helper()
	v := evalJS[[]any](b, `(() => {
		const w = document.documentElement.clientWidth;
		const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w + 0.5 && e.getClientRects().length)
			.slice(0, 5).map(e => (e.id || e.tagName.toLowerCase()) + " " + Math.round(e.getBoundingClientRect().right));
		return [document.documentElement.scrollWidth, w, wide.join(", ")];
	})()`)
	if sw, w := v[0].(float64), v[1].(float64); sw > w {
		b.t.Errorf("%s: the page is %.0f px wide in a %.0f px viewport (%s)", where, sw, w, v[2])
	}
}

// tappable fails unless each control is on screen without scrolling, at
// least 44×44 CSS px (the size a finger hits), and not covered by another
// element at its centre.
func (b *browser) tappable(where string, ids ...string) {
	b.t.Helper()
	for _, id := range ids {
		v := evalJS[[]any](b, fmt.Sprintf(`(e => { const r = e.getBoundingClientRect();
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return [r.width, r.height, r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight, hit !== null && e.contains(hit)];
		})(document.getElementById(%q))`, id))
		w, h, onScreen, hit := v[0].(float64), v[1].(float64), v[2].(bool), v[3].(bool)
		if w < 44 || h < 44 {
			b.t.Errorf("%s: #%s is %.0f×%.0f px, under 44×44", where, id, w, h)
		}
		if !onScreen {
			b.t.Errorf("%s: #%s is not on screen without scrolling", where, id)
		}
		if !hit {
			b.t.Errorf("%s: #%s is covered at its centre", where, id)
		}
	}
}

// TestBrowserPhoneScreen: on a 390×844 phone (mobile emulation, touch) the
// page never scrolls sideways, on any screen, and its controls are on
// screen and big enough to tap; the in-call screen is kept as a picture at
// that size and at a desktop size.
func TestBrowserPhoneScreen(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
	b.open(srv.page)
	b.fits("first run")
	b.tappable("first run", "setup-register")

	const page = "+15550100121"
	b.register(page, "")
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
	// A long contact name and a missed call, for the lists.
	b.run(chromedp.Evaluate[chromedp.Void](`localStorage.setItem("dialtone.contacts", JSON.stringify([{name: "Bartholomew Featherstonehaugh-Cholmondeley of Llanfairpwllgwyngyll", number: "+442079460000"}]))`))
	b.open(srv.page)
	b.wait("registration", `document.body.dataset.registered === "1"`)
	caller := servertest.Register(t, srv.url, "+15550100122")
	seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
	id := caller.ExpectReply(seq).Call
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.fits("incoming dialog")
	b.tappable("incoming dialog", "accept", "refuse")
	caller.Send(&wire.Message{Type: wire.TypeCancel, Call: id})
	b.wait("the dialog gone", `!document.getElementById("incoming").open && document.getElementById("recents").querySelector("button") !== null`)
	b.fits("home")
	b.tappable("home", "dial", "echo", "erase")

	b.dial("600")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	b.waitMedia()
	b.wait("the first frame shown", `document.getElementById("remote").videoWidth > 0`)
	b.fits("in a call")
	b.tappable("in a call", "mute", "camera", "stats-toggle", "hangup")
	b.screenshotShowing("incall-390x844.png", "remote")
	b.key("s")
	b.wait("the statistics", `document.getElementById("stats").children.length > 8`)
	b.fits("in a call, statistics open")
	b.screenshot("incall-stats-390x844.png")

	b.run(chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)))
	b.wait("the statistics", `document.getElementById("stats").children.length > 8`)
	b.fits("in a call on a desktop")
	b.tappable("in a call on a desktop", "mute", "camera", "stats-toggle", "hangup")
	b.screenshotShowing("incall-1280x800.png", "remote")
	b.key("h")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
}
