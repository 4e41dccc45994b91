package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserReplaced: a second tab of the same browser profile (the same
// keys) takes the number; the first says so in plain words and stops,
// without the first-run form, and reloading it takes the number back.
func TestBrowserReplaced(t *testing.T) {
	srv := startWebServer(t)
	first := newBrowser(t)
	const number = "+15550100071"
	first.registered(srv.page, number)

	ctx, cancel := chromedp.NewContext(first.ctx) // a new tab, same profile
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab; no timeout on this first run
		t.Fatalf("opening a second tab: %v", err)
	}
	second := &browser{t: t, ctx: ctx, cancel: cancel, profile: first.profile}
	second.open(srv.page)
	second.wait("registration", `document.body.dataset.registered === "1"`)

	const words = "this phone connected again elsewhere"
	first.waitContains("status", words)
	if s := first.text("status"); !strings.Contains(s, "reload this page to take the number back") {
		t.Fatalf("the status gives no way out: %q", s)
	}
	if sc := first.screen(); sc == "setup" {
		t.Fatal("a replaced page shows the first-run form")
	}
	if r := evalJS[string](first, `document.body.dataset.registered`); r != "" {
		t.Fatalf("a replaced page says registered %q", r)
	}

	// Reloading takes the number back; the other tab stops in turn.
	first.open(srv.page)
	first.wait("registration", `document.body.dataset.registered === "1"`)
	second.waitContains("status", words)
	if s := first.text("status"); strings.Contains(s, words) {
		t.Fatalf("the page that took the number back says %q", s)
	}
}
