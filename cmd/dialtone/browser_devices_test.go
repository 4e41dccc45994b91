package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call"
)

// without makes the browser's getUserMedia refuse the kinds named
// ("audio", "video") in every page it opens from now on, as a browser with
// no such device (or whose user said no) does.
func (b *browser) without(kinds ...string) {
	b.t.Helper()
	script := fmt.Sprintf(`(() => { const missing = %s, md = navigator.mediaDevices, gum = md.getUserMedia.bind(md);
		md.getUserMedia = c => missing.some(k => c && c[k]) ? Promise.reject(new DOMException("Requested device not found", "NotFoundError")) : gum(c);
	})()`, jsStrings(kinds))
	b.run(func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return chromedp.Void{}, err
	})
}

func jsStrings(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = jsString(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// TestBrowserWithoutCamera: a browser with no camera still calls, as the
// TUI does: it sends its microphone and no video, shows the other side's
// video, and says "no camera" where its self-view would be.
func TestBrowserWithoutCamera(t *testing.T) {
	srv := startWebServer(t)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	callee := startCall(t, srv.url, "+15550100132", "--answer", "auto", "--max-calls", "1", "--mic", "tone:660", "--stats", statsFile)
	callee.waitFor(t, call.EventRegistered)

	b := newBrowser(t)
	b.without("video")
	b.registered(srv.page, "+15550100131")
	b.dial("+15550100132")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	b.wait("the other side's video and sound", `(s => s && s.video.framesDecoded > 30 && s.audio.packetsReceived > 50 && s.audio.packetsSent > 50 && s.pair.local === "relay")(window.dialtone.lastStats)`)
	checkPageMedia(t, b.stats())
	b.waitText("devices", "no camera")
	if !evalJS[bool](b, `document.getElementById("self").hidden && document.getElementById("camera").disabled && !document.getElementById("mute").disabled`) {
		t.Error("without a camera the self-view shows or the camera button is enabled")
	}
	b.screenshotShowing("incall-no-camera.png", "remote")
	callee.waitFor(t, call.EventConnected)
	b.key("h")
	b.wait("the ended screen", `document.body.dataset.screen === "ended"`)
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s\n%s", code, callee.kinds(), callee.stderr.String())
	}
	st := readStats(t, statsFile)
	if st.Video.FramesDecoded != 0 {
		t.Errorf("dialtone decoded %d frames from a browser without a camera", st.Video.FramesDecoded)
	}
	if st.Audio.FramesDecoded < 50 || st.Audio.Level <= 0 {
		t.Errorf("dialtone audio: %+v; want the browser's beep", st.Audio)
	}
	srv.waitLeasesFree(t)
}

// TestDialtoneCallsBrowserWithoutDevices: a browser with neither camera nor
// microphone accepts a call and only receives: the dialtone phone's video
// and sound play on the page, which says it has neither.
func TestDialtoneCallsBrowserWithoutDevices(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.without("audio", "video")
	b.registered(srv.page, "+15550100133")

	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, srv.url, "+15550100134", "--dial", "+15550100133", "--duration", "6s", "--mic", "tone:660", "--stats", statsFile)
	b.wait("the incoming dialog", `document.getElementById("incoming").open`)
	b.key("a")
	b.wait("the in-call screen", `document.body.dataset.screen === "incall"`)
	b.wait("the other side's video and sound", `(s => s && s.video.framesDecoded > 30 && s.audio.packetsReceived > 50 && s.pair.local === "relay")(window.dialtone.lastStats)`)
	checkPageMedia(t, b.stats())
	b.waitText("devices", "no camera · no microphone")
	b.wait("the dialtone side's hang-up", `document.body.dataset.screen === "ended"`)
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if st := readStats(t, statsFile); st.Video.FramesDecoded != 0 || st.Audio.Level > 0 {
		t.Errorf("dialtone received media from a browser without devices: %+v %+v", st.Video, st.Audio)
	}
	srv.waitLeasesFree(t)
}
