package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser phone's tests drive Debian's chromium, headless, with its fake
// camera (a moving pattern) and fake microphone (a beep). Chromium leaves
// loopback out of ICE, so the relay and the leases sit on the machine's own
// interface address; the traffic still never leaves the machine.

// chromiumPath finds chromium, or skips the test when it is missing and CI
// is not set (under CI a missing browser is a failure).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "" {
		t.Skip("chromium is not installed (./.ci/debs chromium, or make deps); under CI=true this test fails instead")
	}
	t.Fatal("chromium is not installed; make deps installs it")
	return ""
}

// interfaceIP is the machine's first non-loopback IPv4 address.
func interfaceIP(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				return n.IP.String()
			}
		}
	}
	if os.Getenv("CI") == "" {
		t.Skip("no non-loopback IPv4 interface: chromium's ICE needs one")
	}
	t.Fatal("no non-loopback IPv4 interface: chromium's ICE needs one")
	return ""
}

// webServer is a `dialtone server` for browser tests: signalling and the
// page on loopback, the relay and leases on the interface address.
type webServer struct {
	*runningServer
	page, url, admin string
}

func startWebServer(t *testing.T, args ...string) *webServer {
	t.Helper()
	ip := interfaceIP(t)
	lo := 41000 + 200*rand.IntN(40) // tests elsewhere on the machine get other ports
	all := append([]string{"--relay", ip + ":0", "--pool", ip + "/32", "--ports", fmt.Sprintf("%d-%d", lo, lo+199),
		"--hold-down", "1s"}, args...)
	rs := startServer(t, all...)
	ws := &webServer{runningServer: rs, page: rs.addrs["browser"], url: rs.addrs["signalling"],
		admin: strings.TrimSuffix(rs.addrs["admin"], "/metrics")}
	if ws.page == "" {
		t.Fatalf("the server printed no browser phone address: %v", rs.addrs)
	}
	return ws
}

// leasesInUse asks the admin API how many leases are bound.
func (s *webServer) leasesInUse(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(s.admin + "/api/pool")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ InUse int }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.InUse
}

// waitLeasesFree waits until every lease is back in the pool.
func (s *webServer) waitLeasesFree(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := s.leasesInUse(t); n != 0; n = s.leasesInUse(t) {
		if time.Now().After(deadline) {
			t.Fatalf("%d leases still in use after the call", n)
		}
		time.Sleep(50 * time.Millisecond) // polling the admin API: it has no change feed
	}
}

// browser is one headless chromium with its own profile, on one tab.
type browser struct {
	t      *testing.T
	ctx    context.Context
	cancel func()
	// profile is the fresh --user-data-dir, which also names its processes.
	profile string
	mu      sync.Mutex
	logs    strings.Builder // the page's console
}

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(profile),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.WindowSize(420, 860), // a phone-sized screen
	}
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, profile: profile}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithBrowserOption(chromedp.WithConsolef(b.logf)))
	if err := chromedp.Do(ctx); err != nil { // starts the browser; no timeout on this first run
		cancel()
		acancel()
		t.Fatalf("starting chromium: %v", err)
	}
	b.ctx, b.cancel = ctx, func() { cancel(); acancel() }
	t.Cleanup(b.cancel)
	return b
}

func (b *browser) logf(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(&b.logs, format+"\n", args...)
}

func (b *browser) console() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.logs.String()
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v\nconsole:\n%s", err, b.console())
	}
}

// wait waits until the JavaScript expression is true in the page; the page
// evaluates it on every animation frame, so no sleep stands in for it.
func (b *browser) wait(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(25*time.Second))); err != nil {
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.dataset.screen + " | " + document.getElementById("status").textContent + " | " + JSON.stringify(window.dialtone && window.dialtone.lastStats) + " | " + JSON.stringify(window.dialtone && window.dialtone.ended)`))
		b.t.Fatalf("waiting for %s (%s): %v\npage: %s\nconsole:\n%s", what, expr, err, state, b.console())
	}
}

// evalJS evaluates expr in the page (awaiting a promise) and returns its value.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v\nconsole:\n%s", expr, err, b.console())
	}
	return v
}

func (b *browser) screen() string { return evalJS[string](b, `document.body.dataset.screen`) }

func (b *browser) text(id string) string {
	return evalJS[string](b, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

// open loads the page and waits for it to be ready.
func (b *browser) open(page string) {
	b.t.Helper()
	b.run(chromedp.Navigate(page))
	b.wait("the page", `document.body.dataset.ready === "1"`)
}

// waitText waits until the element's text is want (numbers in it are
// shown by the server's rules once the page has learnt them).
func (b *browser) waitText(id, want string) {
	b.t.Helper()
	b.wait(fmt.Sprintf("#%s to read %q", id, want), fmt.Sprintf(`document.getElementById(%q).textContent === %s`, id, jsString(want)))
}

// waitContains waits until the element's text contains want.
func (b *browser) waitContains(id, want string) {
	b.t.Helper()
	b.wait(fmt.Sprintf("#%s to contain %q", id, want), fmt.Sprintf(`document.getElementById(%q).textContent.includes(%s)`, id, jsString(want)))
}

// register fills in the first-run form.
func (b *browser) register(number, invite string) {
	b.t.Helper()
	b.run(chromedp.SendKeys("#setup-number", number))
	if invite != "" {
		b.run(chromedp.SendKeys("#setup-invite", invite))
	}
	b.run(chromedp.Click("#setup-register"))
}

// registered opens the page and registers number.
func (b *browser) registered(page, number string) {
	b.t.Helper()
	b.open(page)
	b.register(number, "")
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
}

// dial types the number on the dial pad's field and presses enter.
func (b *browser) dial(number string) {
	b.t.Helper()
	b.run(chromedp.SendKeys("#dial-number", number+"\r"))
}

// key presses one key on the page (the phone's keys, as in the TUI).
func (b *browser) key(k string) {
	b.t.Helper()
	b.run(chromedp.KeyEvent(k))
}

// pageStats is what the page's getStats summary says.
type pageStats struct {
	Video struct {
		FramesDecoded, FrameWidth, PacketsReceived, FramesEncoded int
		Codec                                                     string
	}
	Audio struct {
		PacketsReceived, PacketsSent int
		Codec                        string
		TotalAudioEnergy             float64
	}
	Pair struct {
		Local, Remote, LocalAddr, RemoteAddr string
	}
}

func (b *browser) stats() pageStats {
	b.t.Helper()
	raw := evalJS[string](b, `JSON.stringify(window.dialtone.lastStats)`)
	var s pageStats
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		b.t.Fatalf("page stats %q: %v", raw, err)
	}
	return s
}

// waitMedia waits until the page has decoded video and received audio
// through the relay, and returns its stats.
func (b *browser) waitMedia() pageStats {
	b.t.Helper()
	b.wait("media both ways", `(s => s && s.video.framesDecoded > 30 && s.audio.packetsReceived > 50 && s.video.framesEncoded > 30 && s.pair.local === "relay")(window.dialtone.lastStats)`)
	return b.stats()
}

// screenshot keeps a picture of the page as a test artifact.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	p, _ := b.keepScreenshot(name)
	return p
}

// keepScreenshot takes a picture of the whole page (page.captureScreenshot)
// and keeps it as a test artifact; it returns the file and the PNG.
func (b *browser) keepScreenshot(name string) (string, []byte) {
	b.t.Helper()
	png := b.capture()
	p := filepath.Join(b.t.ArtifactDir(), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
	return p, png
}

func (b *browser) capture() []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return png
}
