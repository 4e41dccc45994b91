package scrub

import (
	"context"
	"encoding/base64"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium runs script in a headless Chromium page and returns what it
// leaves in the page's result element.
func chromium(t *testing.T, bin, script string) string {
	t.Helper()
	page := filepath.Join(t.TempDir(), "page.html")
	html := `<html><body><pre id=out>pending</pre><script>(async () => {` + script +
		`})().then(r => out.textContent = r, e => out.textContent = 'ERR ' + e);</script></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", "file://"+page).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`<pre id="out">([^<]*)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("chromium printed no result:\n%s", out)
	}
	return string(m[1])
}

var withChromium = flag.Bool("chromium", false, "run TestChromiumAcceptsScrubbed against the chromium on PATH")

// TestChromiumAcceptsScrubbed checks the neutral values against a browser:
// Chromium's own offer (testdata/chromium-offer.sdp, from Chromium 156,
// headless, before gathering), given the addresses a browser puts in it
// once it has gathered and then scrubbed, is a remote description Chromium accepts and answers, and a
// scrubbed relay candidate and the end of candidates are candidates it
// takes. (pion is checked by every call through the relay in the tests.)
func TestChromiumAcceptsScrubbed(t *testing.T) {
	if !*withChromium {
		t.Skip("a Chromium start takes seconds here; run with -args -chromium")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("-chromium: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "chromium-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	// What a browser's offer holds once it has gathered.
	in := strings.ReplaceAll(string(raw), "a=rtcp:9 IN IP4 0.0.0.0\r\n", "a=rtcp:54322 IN IP4 192.168.1.20\r\n"+
		"a=candidate:1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 network-id 1\r\n"+
		"a=candidate:3891826594 1 udp 41885438 127.77.0.2 40000 typ relay raddr 203.0.113.7 rport 54321 generation 0 network-id 1\r\n")
	in = strings.ReplaceAll(in, "c=IN IP4 0.0.0.0", "c=IN IP4 203.0.113.7")
	in = strings.Replace(in, "m=audio 9 ", "m=audio 54321 ", 1)
	out, err := SDP(in, lease)
	if err != nil {
		t.Fatal(err)
	}
	cand, err := Candidate("candidate:3891826595 1 udp 41885437 127.77.0.2 40002 typ relay raddr 203.0.113.7 rport 54321 generation 0 network-id 1", lease)
	if err != nil {
		t.Fatal(err)
	}
	got := chromium(t, bin, `
		const pc = new RTCPeerConnection({iceTransportPolicy: 'relay'});
		await pc.setRemoteDescription({type: 'offer', sdp: atob('`+base64.StdEncoding.EncodeToString([]byte(out))+`')});
		await pc.setLocalDescription(await pc.createAnswer());
		await pc.addIceCandidate({candidate: '`+cand+`', sdpMid: '0', sdpMLineIndex: 0});
		await pc.addIceCandidate({candidate: '', sdpMid: '0', sdpMLineIndex: 0});
		return 'OK ' + pc.signalingState;`)
	if got != "OK stable" {
		t.Fatalf("chromium on the scrubbed offer: %s\n%s", got, out)
	}
}
