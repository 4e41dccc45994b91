package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestBrowserCallOutcomes: refuse and cancel from each side, between the
// page and dialtone phones, on one page that stays registered throughout.
func TestBrowserCallOutcomes(t *testing.T) {
	srv := startWebServer(t, "--ring-timeout", "3s")
	b := newBrowser(t)
	const page = "+15550100041"
	b.registered(srv.page, page)
	home := func(t *testing.T) {
		t.Helper()
		b.t = t // the subtest fails, not its parent
		if b.screen() == "ended" {
			b.key("\r")
		}
		b.wait("the home screen", `document.body.dataset.screen === "home" && !document.getElementById("incoming").open`)
		srv.waitLeasesFree(t)
	}

	t.Run("page refuses", func(t *testing.T) {
		b.t = t
		caller := startCall(t, srv.url, "+15550100042", "--dial", page)
		b.wait("the incoming dialog", `document.getElementById("incoming").open`)
		b.key("r")
		if code := caller.exit(t); code != 3 {
			t.Errorf("caller exited %d, want 3 (refused); events %s", code, caller.kinds())
		}
		home(t)
		b.waitContains("recents", shown("+15550100042", "US")+" · missed")
	})
	t.Run("dialtone refuses", func(t *testing.T) {
		b.t = t
		callee := startCall(t, srv.url, "+15550100043", "--answer", "refuse", "--max-calls", "1")
		callee.waitFor(t, "registered")
		b.dial("+15550100043")
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		if got := b.text("ended-reason"); !strings.HasSuffix(got, "refused") {
			t.Errorf("ended screen says %q", got)
		}
		home(t)
	})
	t.Run("page cancels", func(t *testing.T) {
		b.t = t
		callee := servertest.Register(t, srv.url, "+15550100044")
		b.dial("+15550100044")
		m := callee.Expect(wire.TypeIncoming, "")
		b.wait("ringing", `document.getElementById("outgoing-state").textContent === "ringing…"`)
		b.key("h")
		callee.Expect(wire.TypeCancelled, m.Call)
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		home(t)
	})
	t.Run("caller cancels", func(t *testing.T) {
		b.t = t
		caller := servertest.Register(t, srv.url, "+15550100045")
		seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
		id := caller.ExpectReply(seq).Call
		b.wait("the incoming dialog", `document.getElementById("incoming").open`)
		caller.Send(&wire.Message{Type: wire.TypeCancel, Call: id})
		b.wait("the dialog gone", `!document.getElementById("incoming").open`)
		home(t)
		b.waitContains("recents", shown("+15550100045", "US")+" · missed")
	})
	t.Run("no answer", func(t *testing.T) {
		b.t = t
		callee := servertest.Register(t, srv.url, "+15550100046")
		b.dial("+15550100046")
		m := callee.Expect(wire.TypeIncoming, "")
		if c := callee.Expect(wire.TypeCancelled, m.Call); c.Reason != wire.ReasonNoAnswer {
			t.Errorf("callee cancelled with %q", c.Reason)
		}
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		if got := b.text("ended-reason"); !strings.HasSuffix(got, "no answer") {
			t.Errorf("ended screen says %q", got)
		}
		home(t)
	})
	t.Run("page not answering", func(t *testing.T) {
		b.t = t
		caller := servertest.Register(t, srv.url, "+15550100047")
		seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: page})
		id := caller.ExpectReply(seq).Call
		b.wait("the incoming dialog", `document.getElementById("incoming").open`)
		caller.Expect(wire.TypeNoAnswer, id)
		b.wait("the dialog gone", `!document.getElementById("incoming").open`)
		home(t)
		b.waitContains("recents", shown("+15550100047", "US")+" · missed")
	})
	t.Run("busy", func(t *testing.T) {
		b.t = t
		// Two calls ring at the callee from two other sources: it has no
		// room for a third.
		const callee = "+15550100048"
		servertest.Register(t, srv.url, callee)
		for i, n := range []string{"+15550100038", "+15550100039"} {
			c := servertest.RegisterFrom(t, srv.url, n, netip.MustParseAddr(fmt.Sprintf("127.0.0.%d", i+2)))
			if m := c.ExpectReply(c.Send(&wire.Message{Type: wire.TypeDial, To: callee})); m.Type != wire.TypeRinging {
				t.Fatalf("%s's dial was answered %s", n, m.Type)
			}
		}
		b.dial(callee)
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		if got := b.text("ended-reason"); !strings.HasSuffix(got, "busy") {
			t.Errorf("ended screen says %q", got)
		}
		home(t)
	})
	t.Run("unknown number", func(t *testing.T) {
		b.t = t
		b.dial("+15550100049")
		b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
		if got := b.text("ended-reason"); !strings.HasSuffix(got, "no such number") {
			t.Errorf("ended screen says %q", got)
		}
		home(t)
	})
}

// TestBrowserInvite: under invite registration the page needs the
// operator's code; with it the number is the page's, and a second browser
// (another key) claiming the number is refused.
func TestBrowserInvite(t *testing.T) {
	data := t.TempDir()
	const number = "+15550100051"
	code := invite(t, data, number)
	srv := startWebServer(t, "--registration", "invite", "--data", data)

	b := newBrowser(t)
	b.open(srv.page)
	b.register(number, "")
	b.wait("the refusal", `document.getElementById("setup-error").textContent.includes("invite-required")`)
	b.run(chromedp.SendKeys("#setup-invite", code+"\r"))
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
	if got, want := b.text("me"), shown(number, "US"); got != want {
		t.Errorf("the page says it is %q, want %q", got, want)
	}

	// The key stays in the browser: a reload registers again without a code.
	b.open(srv.page)
	b.wait("registration after reload", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)

	other := newBrowser(t)
	other.open(srv.page)
	other.register(number, code)
	other.wait("the refusal", `/auth-failed|invite-invalid/.test(document.getElementById("setup-error").textContent)`)
	if other.screen() != "setup" {
		t.Errorf("the second browser is on %q", other.screen())
	}
}

// TestBrowserEscapes: names and numbers from storage and the network are
// shown as text, never parsed as HTML.
func TestBrowserEscapes(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.registered(srv.page, "+15550100061")
	const evil = `<img src=x id=pwn onerror="window.pwned=1">`
	b.run(chromedp.Evaluate[chromedp.Void](`localStorage.setItem("dialtone.contacts", JSON.stringify([{name: ` + jsString(evil) + `, number: "+15550100062"}]))`))
	caller := servertest.Register(t, srv.url, "+15550100062")
	b.open(srv.page)
	b.wait("registration", `document.body.dataset.registered === "1"`)
	seq := caller.Send(&wire.Message{Type: wire.TypeDial, To: "+15550100061"})
	caller.ExpectReply(seq)
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	if got := b.text("incoming-from"); !strings.Contains(got, evil) {
		t.Errorf("incoming shows %q, want the name as text", got)
	}
	if got := b.text("contacts"); !strings.Contains(got, evil) {
		t.Errorf("contacts show %q", got)
	}
	if evalJS[bool](b, `document.getElementById("pwn") !== null || window.pwned === 1`) {
		t.Error("a contact's name became markup")
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// invite makes a one-time code for number in the server's data directory.
func invite(t *testing.T, data, number string) string {
	t.Helper()
	out, err := exec.Command(binary(t), "server", "invite", number, "--data", data).Output()
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestBrowserAndTUIUnderTmux: the page calls the terminal phone under tmux;
// the TUI accepts and draws the browser's camera as half-blocks, the page
// decodes the TUI's, and the TUI hangs up. Then the TUI calls the page,
// which accepts and hangs up.
func TestBrowserAndTUIUnderTmux(t *testing.T) {
	needTmux(t)
	srv := startWebServer(t)
	bin := binary(t)
	dir := t.TempDir()
	tui := newTmuxPane(t, tmuxSocket(t), "tui", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--server", srv.url, "--number", "+12025550131", "--camera", "test", "--mic", "test", "--speaker", "none")
	tui.waitFor("online as", 20*time.Second)

	b := newBrowser(t)
	b.registered(srv.page, "+12025550132")
	b.dial("+12025550131")
	tui.waitFor("incoming call", 20*time.Second)
	tui.keys("a")
	tui.waitFor("h hang up", 20*time.Second)
	checkPageMedia(t, b.waitMedia())
	// The self-view is drawn over the picture's bottom-right corner (at
	// most 9 of the 40 rows): the top 15 rows hold the browser's camera
	// alone, so blocks there are the remote picture's, not the TUI's own.
	deadline := time.Now().Add(20 * time.Second)
	for truecolourBlocks(topRows(tui.screen(true), 15)) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("the TUI shows no video from the browser:\n%s", tui.screen(false))
		}
		time.Sleep(50 * time.Millisecond) // a terminal is watched by polling
	}
	tui.keys("h")
	tui.waitFor("call ended", 10*time.Second)
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	tui.keys("Enter")
	b.key("\r")
	b.wait("the home screen", `document.body.dataset.screen === "home"`)
	srv.waitLeasesFree(t)

	// And the other way: the TUI dials the page, the page accepts, and
	// hangs up.
	tui.keys("+12025550132", "Enter")
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.key("a")
	tui.waitFor("h hang up", 20*time.Second)
	checkPageMedia(t, b.waitMedia())
	deadline = time.Now().Add(20 * time.Second)
	for truecolourBlocks(topRows(tui.screen(true), 15)) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("the TUI that called shows no video from the browser:\n%s", tui.screen(false))
		}
		time.Sleep(50 * time.Millisecond) // a terminal is watched by polling
	}
	b.key("h")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	tui.waitFor("call ended", 10*time.Second)
	tui.keys("Enter")
	tui.keys("q")
	tui.waitFor("dialtone exited 0", 10*time.Second)
	srv.waitLeasesFree(t)
}

// topRows is the first n lines of a captured screen.
func topRows(screen string, n int) string {
	lines := strings.SplitN(screen, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestBrowserCallsTheEmbeddedServersTUI is what a new user does after
// make run: the phone starts without --server, so it runs the embedded
// server, whose page address its status line shows; Chromium opens that
// address, registers a number of its own and calls the terminal, through
// the embedded server's relay on loopback.
func TestBrowserCallsTheEmbeddedServersTUI(t *testing.T) {
	needTmux(t)
	interfaceIP(t) // chromium reaches even a loopback relay from an interface address
	dir := t.TempDir()
	tui := newTmuxPane(t, tmuxSocket(t), "tui", binary(t), "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--number", "+12025550141", "--camera", "test", "--mic", "test", "--speaker", "none")
	tui.resize(200, 50)
	status := tui.waitFor("browser phone http", 20*time.Second)
	m := regexp.MustCompile(`browser phone (http://127\.0\.0\.1:[0-9]+/)`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no page address on the status line:\n%s", status)
	}

	b := newBrowser(t)
	b.registered(m[1], "+12025550142")
	b.dial("+12025550141")
	tui.waitFor("incoming call", 20*time.Second)
	tui.keys("a")
	tui.waitFor("h hang up", 20*time.Second)
	checkPageMedia(t, b.waitMedia())
	b.key("h")
	tui.waitFor("call ended", 10*time.Second)
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	tui.keys("Enter")
	tui.keys("q")
	tui.waitFor("dialtone exited 0", 10*time.Second)
}
