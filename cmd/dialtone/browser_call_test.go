package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call"
)

func readStats(t *testing.T, path string) call.Stats {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st call.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// checkPageMedia: the page decoded the other side's video and received its
// audio, in VP8 and Opus, over a relay candidate pair.
func checkPageMedia(t *testing.T, s pageStats) {
	t.Helper()
	if s.Video.Codec != "video/VP8" || s.Audio.Codec != "audio/opus" {
		t.Errorf("codecs %q and %q, want video/VP8 and audio/opus", s.Video.Codec, s.Audio.Codec)
	}
	if s.Audio.TotalAudioEnergy <= 0 {
		t.Errorf("the page's received audio has no energy: %+v", s.Audio)
	}
	if s.Pair.Local != "relay" {
		t.Errorf("candidate pair %s → %s (%s → %s), want the relay", s.Pair.Local, s.Pair.Remote, s.Pair.LocalAddr, s.Pair.RemoteAddr)
	}
}

// checkDialtoneMedia: the dialtone phone decoded the browser's fake camera
// and heard its fake microphone (Chromium's beep).
func checkDialtoneMedia(t *testing.T, st call.Stats) {
	t.Helper()
	if st.Video.FramesDecoded < 30 || st.Video.Width == 0 {
		t.Errorf("dialtone decoded %d frames (%dx%d) of the browser's camera", st.Video.FramesDecoded, st.Video.Width, st.Video.Height)
	}
	// Chromium's fake microphone beeps at 400 Hz.
	if st.Audio.FramesDecoded < 50 || st.Audio.Level <= 0 || math.Abs(st.Audio.ToneHz-400) > 10 {
		t.Errorf("dialtone audio: %+v; want the browser's 400 Hz beep", st.Audio)
	}
	if st.Path.Local != "relay" {
		t.Errorf("dialtone path %+v, want the relay", st.Path)
	}
}

// TestBrowserCallsDialtone: the page dials a headless dialtone phone that
// answers; media flows both ways through the relay; keys pressed on the
// page reach the phone as keypad tones; the page hangs up and the leases
// go back to the pool.
func TestBrowserCallsDialtone(t *testing.T) {
	srv := startWebServer(t)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	callee := startCall(t, srv.url, "+15550100012", "--answer", "auto", "--max-calls", "1", "--mic", "tone:660", "--stats", statsFile)
	callee.waitFor(t, call.EventRegistered)

	b := newBrowser(t)
	b.registered(srv.page, "+15550100011")
	b.dial("+1 555 010 0012")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	checkPageMedia(t, b.waitMedia())
	b.wait("remote video playing", `document.getElementById("remote").videoWidth > 0`)
	b.key("s")
	b.wait("the stats panel", `document.getElementById("stats").textContent.includes("relay")`)
	b.wait("the safety code", `document.getElementById("stats").textContent.includes("safety")`)
	b.screenshotShowing("incall.png", "remote")
	callee.waitFor(t, call.EventConnected)
	// Keys pressed go out by the page's RTCDTMFSender, in-band on the
	// audio, and arrive at the dialtone phone as dtmf events, one a key.
	for _, k := range []string{"4", "#", "0"} {
		b.key(k)
	}
	if got := callerKeys(t, callee, 3); got != "4#0" {
		t.Errorf("the dialtone phone received keys %q from the page, want 4#0", got)
	}
	b.wait("the keys shown", `document.getElementById("incall-keys").textContent === "keys sent: 4#0"`)
	// The page signed its fingerprints: the terminal phone pinned its key,
	// and both show one safety code.
	pageCode := evalJS[string](b, `window.dialtone.current.trust.code`)
	if tr := trustOf(t, callee); tr.State != call.TrustNew || tr.SafetyCode == "" || tr.SafetyCode != pageCode {
		t.Errorf("terminal trust %+v; the page's code %q", tr, pageCode)
	}

	// A dropped WebSocket: the page connects again and resumes the session;
	// the call goes on, and its hang-up still reaches the other side.
	b.run(chromedp.Evaluate[chromedp.Void](`window.dialtone.signal.drop()`))
	b.wait("the session resumed", `window.dialtone.signal.registrations === 2 && window.dialtone.signal.resumed`)
	frames := b.stats().Video.FramesDecoded
	b.wait("video after the resume", fmt.Sprintf(`window.dialtone.lastStats.video.framesDecoded > %d + 30`, frames))
	if got := b.screen(); got != "incall" {
		t.Fatalf("after the resume the page is on %q", got)
	}

	b.key("h")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	if v := evalJS[[]string](b, `window.dialtone.cspViolations`); len(v) > 0 {
		t.Errorf("the page broke its own Content-Security-Policy: %v", v)
	}
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s\n%s", code, callee.kinds(), callee.stderr.String())
	}
	checkDialtoneMedia(t, readStats(t, statsFile))
	srv.waitLeasesFree(t)
}

// TestDialtoneCallsBrowser: a headless dialtone phone dials the page, the
// page accepts (its a key), media flows both ways, and the dialtone side
// hangs up. The call lasts 8 s: on a loaded machine the page needs
// more than 4 to decode and encode its 30 frames.
func TestDialtoneCallsBrowser(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.registered(srv.page, "+15550100021")

	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, srv.url, "+15550100022", "--dial", "+15550100021", "--duration", "8s", "--mic", "tone:660", "--stats", statsFile)
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.waitText("incoming-from", shown("+15550100022", "US"))
	b.key("a")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	s := b.waitMedia()
	checkPageMedia(t, s)
	b.wait("the dialtone side's hang-up", `document.body.dataset.screen === "ended"`)
	if got := b.text("ended-reason"); !strings.Contains(got, "hung up") {
		t.Errorf("ended screen says %q", got)
	}
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s\n%s", code, caller.kinds(), caller.stderr.String())
	}
	pageTrust := evalJS[map[string]string](b, `window.dialtone.ended.at(-1).trust`)
	if tr := trustOf(t, caller); tr.State != call.TrustNew || tr.SafetyCode == "" || tr.SafetyCode != pageTrust["code"] || pageTrust["state"] != "new" {
		t.Errorf("terminal trust %+v; the page's %v", tr, pageTrust)
	}
	if got := b.text("ended-reason"); !strings.Contains(got, pageTrust["code"]) {
		t.Errorf("the ended screen does not show the safety code: %q", got)
	}
	// The two read the code to each other: V on the ended screen marks
	// the number verified in the page's pins.
	b.key("V")
	b.wait("the number verified", `JSON.parse(localStorage.getItem("dialtone.pins"))["+15550100022"].verified === true`)
	st := readStats(t, statsFile)
	t.Logf("dialtone heard the browser: %+v, saw %+v", st.Audio, st.Video)
	checkDialtoneMedia(t, st)
	srv.waitLeasesFree(t)
}

// TestBrowserEcho: the page dials 600 and gets its own camera back.
func TestBrowserEcho(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.registered(srv.page, "+15550100031")
	b.run(chromedp.Click("#echo"))
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	checkPageMedia(t, b.waitMedia())
	b.wait("the first frame shown", `document.getElementById("remote").videoWidth > 0`)
	b.muteAndCamera()
	b.run(chromedp.Click("#hangup"))
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	if got := evalJS[string](b, `window.dialtone.ended.at(-1).trust.state`); got != "via-server" {
		t.Errorf("the echo test is %q, want via-server", got)
	}
	srv.waitLeasesFree(t)
}

// remoteBrightness is the mean of the other side's picture as the page
// shows it, 0 (black) to 255, read off a small canvas.
const remoteBrightness = `(v => { const c = document.createElement("canvas"); c.width = 32; c.height = 24;
	const g = c.getContext("2d"); g.drawImage(v, 0, 0, 32, 24); const d = g.getImageData(0, 0, 32, 24).data;
	let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2]; return s / (d.length / 4 * 3);
})(document.getElementById("remote"))`

// muteAndCamera, in a call to the echo test, which sends the page's own
// media back: m silences the microphone (what comes back carries no
// energy) and m again brings it back; v blacks out the camera (what comes
// back is black) and v again brings the picture back.
func (b *browser) muteAndCamera() {
	b.t.Helper()
	audio := func() (packets int, energy float64) {
		s := b.stats()
		return s.Audio.PacketsReceived, s.Audio.TotalAudioEnergy
	}
	// Chromium's fake microphone beeps once a second: 100 packets (2 s)
	// of audio hold at least one beep.
	after := func(what string, packets int) float64 {
		b.wait(what, fmt.Sprintf(`window.dialtone.lastStats.audio.packetsReceived >= %d`, packets))
		_, e := audio()
		return e
	}
	b.key("m")
	b.wait("muted", `document.getElementById("mute").getAttribute("aria-pressed") === "true"`)
	p, _ := audio()
	e0 := after("the sound before the mute gone by", p+100)
	if e1 := after("muted audio", p+200); e1-e0 > 1e-6 {
		b.t.Errorf("muted, the echo brought back %g of audio energy over 2 s", e1-e0)
	}
	b.key("m")
	b.wait("unmuted", `document.getElementById("mute").getAttribute("aria-pressed") === "false"`)
	p, e0 = audio()
	if e1 := after("audio again", p+150); e1-e0 <= 1e-6 {
		b.t.Errorf("unmuted, the echo brought back no audio energy over 3 s (%g)", e1-e0)
	}

	lit := evalJS[float64](b, remoteBrightness)
	b.key("v")
	b.wait("the picture black", remoteBrightness+` < 8`)
	b.key("v")
	b.wait("the picture back", fmt.Sprintf(`%s > %f`, remoteBrightness, lit/2))
	b.t.Logf("camera: the picture's brightness %.0f before v, black after, back after v again", lit)
}
