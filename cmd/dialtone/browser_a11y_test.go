package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// axNode is one node of Chromium's accessibility tree, as the audit needs it.
type axNode struct {
	Role, Name, Where string
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return string(v.Value)
	}
	return s
}

// axTree reads the page's full accessibility tree.
func (b *browser) axTree() []axNode {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
		return cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	})
	if err != nil {
		b.t.Fatalf("reading the accessibility tree: %v", err)
	}
	var out []axNode
	for _, n := range res.Nodes {
		if n.Ignored {
			continue
		}
		out = append(out, axNode{Role: axString(n.Role), Name: strings.TrimSpace(axString(n.Name)), Where: fmt.Sprint(n.BackendDOMNodeID)})
	}
	return out
}

// needsName are the roles that mean nothing to a screen reader without an
// accessible name: controls, links, and pictures.
var needsName = map[string]bool{
	"button": true, "textbox": true, "searchbox": true, "combobox": true, "checkbox": true, "radio": true,
	"link": true, "slider": true, "spinbutton": true, "switch": true, "menuitem": true, "tab": true,
	"image": true, "img": true, "Video": true, "video": true, "Audio": true, "audio": true, "dialog": true,
}

// audit fails on every control, link, picture or video in the tree
// without an accessible name, and returns the tree's roles for the caller.
func (b *browser) audit(where string) map[string]int {
	b.t.Helper()
	roles := map[string]int{}
	for _, n := range b.axTree() {
		roles[n.Role]++
		if needsName[n.Role] && n.Name == "" {
			b.t.Errorf("%s: a %s without an accessible name (DOM node %s)", where, n.Role, n.Where)
		}
	}
	return roles
}

// contrast fails on visible text whose contrast with what is behind it
// is under WCAG's 4.5:1 (3:1 for large text).
func (b *browser) contrast(where string) {
	b.t.Helper()
	low := evalJS[[]string](b, `(() => {
		const rgb = c => (c.match(/[0-9.]+/g) || []).map(Number);
		const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
			.reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
		const behind = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
		const out = [];
		for (const e of document.querySelectorAll("body *")) {
			if (!e.getClientRects().length || e.closest("[hidden], video, #videos, .sr-only")) continue;
			if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
			const s = getComputedStyle(e);
			const a = lum(rgb(s.color)), c = lum(behind(e));
			const ratio = (Math.max(a, c) + 0.05) / (Math.min(a, c) + 0.05);
			const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
			if (ratio < (large ? 3 : 4.5)) out.push((e.id || e.className || e.tagName) + " " + ratio.toFixed(2));
		}
		return out;
	})()`)
	for _, l := range low {
		b.t.Errorf("%s: text with too little contrast: %s", where, l)
	}
}

// TestBrowserAccessibleNames reads Chromium's accessibility tree on every
// screen of the page (first run, home with a contact and a recent call,
// the incoming dialog, the contact dialog, dialling, in a call with the
// statistics open, ended) and fails on any control, link, image or video
// without an accessible name.
func TestBrowserAccessibleNames(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.open(srv.page)
	b.contrast("first run")
	if r := b.audit("first run"); r["textbox"] < 2 || r["button"] < 1 {
		t.Errorf("first run: the tree lacks the form's fields and button: %v", r)
	}

	const page = "+15550100101"
	b.register(page, "")
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
	b.run(chromedp.Evaluate[chromedp.Void](`localStorage.setItem("dialtone.contacts", JSON.stringify([{name: "Echo", number: "600"}]))`))
	caller := servertest.Register(t, srv.url, "+15550100102")
	b.open(srv.page)
	b.wait("registration", `document.body.dataset.registered === "1"`)
	seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
	id := caller.ExpectReply(seq).Call
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	if r := b.audit("incoming dialog"); r["dialog"] != 1 || r["button"] < 2 {
		t.Errorf("incoming: the tree lacks the dialog and its buttons: %v", r)
	}
	caller.Send(&wire.Message{Type: wire.TypeCancel, Call: id})
	b.wait("the dialog gone", `!document.getElementById("incoming").open && document.getElementById("recents").querySelector("button") !== null`)
	if r := b.audit("home"); r["button"] < 16 || r["textbox"] < 1 {
		t.Errorf("home: %v", r)
	}
	b.dial("+1555") // refused, with its reason shown
	b.wait("the reason", `document.getElementById("dial-error").textContent !== ""`)
	b.contrast("home")
	b.run(chromedp.Evaluate[chromedp.Void](`window.dialtone.fields.dial.set("")`))

	b.key("n")
	b.wait("the contact dialog", `document.getElementById("contact-dialog").open`)
	b.audit("contact dialog")
	b.key("\u001b")
	b.wait("the contact dialog gone", `!document.getElementById("contact-dialog").open`)

	b.dial("600")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	b.waitMedia()
	b.key("s")
	b.wait("the statistics", `!document.getElementById("stats").hidden && document.getElementById("stats").children.length > 0`)
	if r := b.audit("in a call"); r["Video"]+r["video"] < 2 {
		t.Errorf("in a call: the tree lacks the two videos: %v", r)
	}
	b.contrast("in a call")
	b.key("h")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	b.audit("ended")
	b.contrast("ended")
}

// focused describes the element with focus, and whether its focus ring
// shows (an outline of at least 2 px).
func (b *browser) focused() (id string, ring bool) {
	b.t.Helper()
	v := evalJS[[]any](b, `(e => { const s = getComputedStyle(e); const name = e.id || e.dataset.digit || (e.matches("#contacts .who") ? "contact" : e.matches("#contacts li button:not(.who)") ? "delete" : e.matches("#recents .who") ? "recent" : e.tagName.toLowerCase());
		return [name, s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2]; })(document.activeElement)`)
	return v[0].(string), v[1].(bool)
}

// tab presses Tab (or shift+Tab) until want has focus, checking that
// every element it passes shows its focus; it returns the order visited.
func (b *browser) tab(want string, back bool) []string {
	b.t.Helper()
	var order []string
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	for range 40 {
		if id, _ := b.focused(); id == want {
			return order
		}
		b.run(chromedp.KeyEvent("\t", opts...))
		id, ring := b.focused()
		if !ring && id != "body" {
			b.t.Errorf("%s has focus with no visible focus ring", id)
		}
		order = append(order, id)
	}
	b.t.Fatalf("Tab never reached %s; went %v", want, order)
	return nil
}

func (b *browser) wantFocus(want string) {
	b.t.Helper()
	b.wait(want+" focused", fmt.Sprintf(`(e => (e.id || (e.matches("#contacts .who") ? "contact" : "")) === %q)(document.activeElement)`, want))
}

// TestBrowserKeyboardOnly walks every flow with the keyboard alone, as a
// person who uses no mouse would: Tab, shift+Tab, Enter, Escape and typing.
// Register, save a contact, dial 600, mute and camera, hang up, call the
// contact, refuse and accept incoming calls, delete the contact. Focus
// goes in a logical order, shows a ring, is kept inside dialogs and comes
// back when they close; call state is said in the live region.
func TestBrowserKeyboardOnly(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.open(srv.page)
	const page = "+15550100111"

	// Register: the number field has focus on arrival.
	b.wantFocus("setup-number")
	b.key(page)
	if got := b.tab("setup-register", false); strings.Join(got, " ") != "setup-invite setup-link setup-register" {
		t.Errorf("first run Tab order %v", got)
	}
	b.key("\r")
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
	b.wantFocus("dial-number")

	// The home screen's order: the number, the pad, then the actions.
	order := b.tab("add-contact", false)
	if want := "1 2 3 4 5 6 7 8 9 + 0 erase dial echo add-contact"; strings.Join(order, " ") != want {
		t.Errorf("home Tab order %q, want %q", strings.Join(order, " "), want)
	}

	// Save a contact: the dialog takes focus and keeps it.
	b.key("\r")
	b.wait("the contact dialog", `document.getElementById("contact-dialog").open`)
	b.wantFocus("contact-name")
	b.key("Echo")
	b.tab("contact-number", false)
	b.key("600")
	if got := b.tab("contact-name", false); strings.Join(got, " ") != "contact-save contact-back contact-name" {
		t.Errorf("the contact dialog's Tab went %v, want round inside it", got)
	}
	if got := b.tab("contact-back", true); strings.Join(got, " ") != "contact-back" {
		t.Errorf("shift+Tab from the first field went %v, want round to the last button", got)
	}
	b.tab("contact-save", true)
	b.key("\r")
	b.wait("the contact saved", `!document.getElementById("contact-dialog").open && document.getElementById("contacts").textContent.includes("Echo")`)
	b.wantFocus("add-contact")
	// Escape closes it and gives focus back.
	b.key("\r")
	b.wait("the contact dialog", `document.getElementById("contact-dialog").open`)
	b.key("\u001b")
	b.wait("the contact dialog gone", `!document.getElementById("contact-dialog").open`)
	b.wantFocus("add-contact")

	// Dial 600 from the number field.
	b.tab("dial-number", true)
	b.key("600\r")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	b.wantFocus("hangup")
	b.wait("the live region", `document.getElementById("announce").textContent.startsWith("In a call with Echo (600)")`)
	b.waitMedia()
	for _, id := range []string{"mute", "camera", "stats-toggle"} {
		b.tab(id, true)
		b.key("\r")
		b.wait(id+" pressed", fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-pressed") === "true"`, id))
		b.key("\r")
		b.wait(id+" released", fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-pressed") === "false"`, id))
	}
	b.tab("hangup", false)
	b.key("\r")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	b.wantFocus("ended-ok")
	b.wait("the live region", `document.getElementById("announce").textContent.startsWith("Call ended.")`)
	b.key("\r")
	b.wait("the home screen", `document.body.dataset.screen === "home"`)
	b.wantFocus("dial-number")

	// Call the contact from the list; Escape hangs up and leaves.
	b.tab("contact", false)
	b.key("\r")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	b.wait("the first frame", `document.getElementById("remote").videoWidth > 0`)
	b.key("\u001b")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	b.key("\u001b")
	b.wait("the home screen", `document.body.dataset.screen === "home"`)
	b.wantFocus("dial-number")

	// An incoming call: the dialog takes focus and keeps it, Escape
	// refuses and focus comes back to where it was.
	b.tab("echo", false)
	caller := servertest.Register(t, srv.url, "+15550100112")
	seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
	first := caller.ExpectReply(seq).Call
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.wantFocus("accept")
	b.wait("the live region", `document.getElementById("announce").textContent.startsWith("Incoming call from")`)
	b.wait("the ringtone", `!document.getElementById("ringtone").paused && document.getElementById("ringtone").currentSrc.endsWith("/ringtone.wav")`)
	if got := append(b.tab("refuse", false), b.tab("accept", false)...); strings.Join(got, " ") != "refuse accept" {
		t.Errorf("the incoming dialog's Tab went %v, want round inside it", got)
	}
	b.key("\u001b")
	caller.Expect(wire.TypeRefused, first)
	if got := evalJS[string](b, `document.getElementById("status").textContent`); strings.Contains(got, "error") {
		t.Errorf("the status line says %q after refusing", got)
	}
	b.wait("the dialog gone and the ringtone stopped", `!document.getElementById("incoming").open && document.getElementById("ringtone").paused`)
	b.wantFocus("echo")
	// Enter on Refuse refuses (not the Enter shortcut for accept).
	seq = caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
	refused := caller.ExpectReply(seq).Call
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.tab("refuse", false)
	b.key("\r")
	caller.Expect(wire.TypeRefused, refused)
	b.wait("the dialog gone", `!document.getElementById("incoming").open`)
	// Enter on Accept accepts; Enter on the focused hang-up ends it.
	seq = caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
	second := caller.ExpectReply(seq).Call
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.key("\r")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	caller.Expect(wire.TypeAccepted, second)
	b.wantFocus("hangup")
	b.key("\r")
	caller.Expect(wire.TypeEnded, second)
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	b.key("\r")

	// Delete the contact: two presses, as the TUI's y.
	b.wait("the home screen", `document.body.dataset.screen === "home"`)
	b.tab("delete", false)
	b.key("\r")
	b.wait("the question", `document.activeElement.textContent === "Really delete?"`)
	b.key("\r")
	b.wait("the contact gone", `!document.getElementById("contacts").textContent.includes("Echo")`)
	if got := b.console(); strings.Contains(got, "Uncaught") {
		t.Errorf("the page threw:\n%s", got)
	}
}
