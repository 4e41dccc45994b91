package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/call"
)

func TestPhoneConfigParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     phoneConfig
		err      string
	}{
		{"empty", "", phoneConfig{}, ""},
		{"all keys", "# comment\nserver = \"ws://h:1/v1\"\nnumber = \"+1 202 555 0100\" # mine\ndata=\"/d\"\ncamera = \"test\"\nmic = \"none\"\nspeaker = \"default\"\nregion = \"US\"\nfps = 15\n",
			phoneConfig{Server: "ws://h:1/v1", Number: "+1 202 555 0100", Data: "/d", Camera: "test", Mic: "none", Speaker: "default", Region: "US", FPS: 15}, ""},
		{"escapes", `camera = "a \"b\" \\c"`, phoneConfig{Camera: `a "b" \c`}, ""},
		{"unknown key", `colour = "red"`, phoneConfig{}, "unknown key"},
		{"no value", "server", phoneConfig{}, "want key = value"},
		{"bare word", "camera = test", phoneConfig{}, "neither a quoted string"},
		{"unterminated", `camera = "test`, phoneConfig{}, "unterminated"},
		{"fps range", "fps = 500", phoneConfig{}, "fps"},
		{"table", "[phone]", phoneConfig{}, "want key = value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c phoneConfig
			err := c.parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || c != tt.want {
				t.Fatalf("got %+v, %v; want %+v", c, err, tt.want)
			}
		})
	}
}

// TestExampleConfig keeps the annotated example loadable with every key
// uncommented.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../assets/dialtone.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	keys := 0
	for l := range strings.Lines(string(data)) {
		if m := regexp.MustCompile(`^# ([a-z]+ = ("[^"]*"|[0-9]+))$`).FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			lines = append(lines, m[1])
			keys++
		}
	}
	var c phoneConfig
	if err := c.parse([]byte(strings.Join(lines, "\n"))); err != nil {
		t.Fatal(err)
	}
	if want := reflect.TypeFor[phoneConfig]().NumField(); keys != want {
		t.Errorf("the example shows %d keys, want all %d", keys, want)
	}
}

func TestSaveNumber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dialtone", "config.toml")
	if err := saveNumber(path, "+12025550100"); err != nil {
		t.Fatal(err)
	}
	c, err := loadPhoneConfig(path)
	if err != nil || c.Number != "+12025550100" {
		t.Fatalf("after the first save: %+v, %v", c, err)
	}
	// The new file says where its keys are explained, somewhere a user of
	// the binary alone can look.
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "dialtone --help") {
		t.Errorf("the new config file points nowhere a user can look:\n%s", data)
	}
	// A second save replaces the line and keeps the user's other settings.
	os.WriteFile(path, []byte("# mine\nregion = \"GB\"\nnumber = \"+12025550100\"\n"), 0o600)
	if err := saveNumber(path, "+442079460000"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if want := "# mine\nregion = \"GB\"\nnumber = \"+442079460000\"\n"; string(data) != want {
		t.Errorf("file:\n%s\nwant\n%s", data, want)
	}
}

func TestPhoneFlagsWin(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("server = \"ws://file:1/v1\"\nfps = 12\nregion = \"GB\"\nnumber = \"020 7946 0000\"\ncamera = \"test\"\n"), 0o600)
	run := func(args ...string) phoneOptions {
		t.Helper()
		var got phoneOptions
		cmd := &cobra.Command{RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			got, err = phoneOptionsFrom(cmd)
			return err
		}}
		addPhoneFlags(cmd)
		cmd.SetArgs(append([]string{"--config", cfg, "--data", dir}, args...))
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	o := run()
	if o.Server != "ws://file:1/v1" || o.FPS != 12 || o.Number != "+442079460000" || o.Camera != "test" || o.Mic != "default" {
		t.Errorf("from the file: %+v", o)
	}
	o = run("--server", "ws://flag:2/v1", "--fps", "30", "--camera", "none")
	if o.Server != "ws://flag:2/v1" || o.FPS != 30 || o.Camera != "none" || o.Region != "GB" {
		t.Errorf("flags did not win: %+v", o)
	}
	if o = run("--invite", "ABCD-EFGH-JKMN-PQRS"); o.invite != "ABCD-EFGH-JKMN-PQRS" {
		t.Errorf("--invite not taken: %+v", o)
	}
}

// TestPhoneNumberToRemember: a --number the config file does not say
// already is one to remember (once the server accepts it); the file's own
// number, or the same number written another way, is not.
func TestPhoneNumberToRemember(t *testing.T) {
	tests := []struct {
		name, file string
		args       []string
		want       bool
	}{
		{"no file, no flag", "", nil, false},
		{"no file, flag", "", []string{"--number", "+1 202 555 0100"}, true},
		{"file only", `number = "+12025550100"`, nil, false},
		{"flag is the file's", `number = "+12025550100"`, []string{"--number", "+12025550100"}, false},
		{"the file's written another way", "region = \"US\"\nnumber = \"(202) 555-0100\"", []string{"--number", "+1 202 555 0100"}, false},
		{"another number", `number = "+12025550100"`, []string{"--number", "+12025550199"}, true},
		{"file number unreadable", `number = "+1 555"`, []string{"--number", "+12025550100"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "config.toml")
			if tt.file != "" {
				os.WriteFile(cfg, []byte(tt.file+"\n"), 0o600)
			}
			var got phoneOptions
			cmd := &cobra.Command{RunE: func(cmd *cobra.Command, _ []string) error {
				var err error
				got, err = phoneOptionsFrom(cmd)
				return err
			}}
			addPhoneFlags(cmd)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			cmd.SetArgs(append([]string{"--config", cfg}, tt.args...))
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.rememberNumber != tt.want {
				t.Errorf("number %q: remember %v, want %v", got.Number, got.rememberNumber, tt.want)
			}
		})
	}
}

// TestPhoneDefaults: the region defaults to one's own number's country, a
// second phone needs only its own --config (its data goes beside it), and
// a number outside its country's plan is refused with the reason.
func TestPhoneDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "b", "config.toml")
	run := func(args ...string) (phoneOptions, error) {
		var got phoneOptions
		cmd := &cobra.Command{RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			got, err = phoneOptionsFrom(cmd)
			return err
		}}
		addPhoneFlags(cmd)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		cmd.SetArgs(append([]string{"--config", cfg}, args...))
		return got, cmd.Execute()
	}
	o, err := run("--number", "+1 202 555 0100")
	if err != nil {
		t.Fatal(err)
	}
	if o.Region != "US" || o.Data != filepath.Join(dir, "b", "phone") {
		t.Errorf("region %q data %q; want US and the directory beside the config", o.Region, o.Data)
	}
	if o, _ = run("--number", "+44 20 7946 0000", "--region", "DE"); o.Region != "DE" {
		t.Errorf("--region did not win: %q", o.Region)
	}
	for in, want := range map[string]string{"+1 000 000 0000": "numbering plan", "+1 555": "too short", "600": "service code"} {
		if _, err := run("--number", in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--number %q: %v, want it refused saying %q", in, err, want)
		}
	}
}

// The real binary under tmux.

// tmuxPane is one detached tmux session, on a private server socket,
// running the phone.
type tmuxPane struct {
	t      *testing.T
	socket string
	name   string
}

func newTmuxPane(t *testing.T, socket, name string, args ...string) *tmuxPane {
	t.Helper()
	// tmux sets TERM=tmux-256color, for which the colour detection will not
	// trust COLORTERM; the phone is told it runs in a truecolour xterm.
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	shell := "env TERM=xterm-256color COLORTERM=truecolor " + strings.Join(quoted, " ") + "; echo dialtone exited $?; sleep 600"
	p := &tmuxPane{t: t, socket: socket, name: name}
	p.tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "40", shell)
	return p
}

func (p *tmuxPane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// resize makes the pane w×h, as a user resizing the terminal would.
func (p *tmuxPane) resize(w, h int) {
	p.tmux("resize-window", "-t", p.name, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
}

func (p *tmuxPane) keys(keys ...string) {
	p.tmux(append([]string{"send-keys", "-t", p.name}, keys...)...)
}

func (p *tmuxPane) screen(escapes bool) string {
	args := []string{"capture-pane", "-p", "-t", p.name}
	if escapes {
		args = append(args, "-e")
	}
	return p.tmux(args...)
}

// waitFor polls the screen until it contains want; polling is how a
// terminal is watched, and the deadline only bounds a failure.
func (p *tmuxPane) waitFor(want string, d time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := p.screen(true)
		if strings.Contains(s, want) || strings.Contains(stripSGR(s), want) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: waited %v for %q; the screen:\n%s", p.name, d, want, stripSGR(s))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

func stripSGR(s string) string { return sgr.ReplaceAllString(s, "") }

// truecolourBlocks counts half-block cells drawn with 24-bit colours.
func truecolourBlocks(screen string) int {
	return len(regexp.MustCompile("\x1b\\[[0-9;]*(38|48);2;[0-9;]*m[▀ ]*▀").FindAllString(screen, -1))
}

func needTmux(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("tmux tests are slow; not in -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	if newEngine == nil {
		t.Skip("this build has no call engine (cmd/dialtone/engine.go, which needs call/session); nothing to call")
	}
}

// tmuxSocket is a private tmux server's socket, in the test's temporary
// directory so that nothing is left behind.
func tmuxSocket(t *testing.T) string {
	socket := filepath.Join(t.TempDir(), "tmux")
	t.Cleanup(func() { exec.Command("tmux", "-S", socket, "kill-server").Run() })
	return socket
}

// TestPhoneEchoUnderTmux runs the real binary with its embedded server,
// dials the echo test, sees its own test pattern come back as truecolour
// half-blocks with the status line, and hangs up with h.
func TestPhoneEchoUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "echo", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--number", "+12025550100", "--camera", "test", "--mic", "test", "--speaker", "none")
	p.waitFor("online as", 20*time.Second)
	p.waitFor("dial 600 for the echo test", time.Second)
	p.keys("6", "0", "0", "Enter")
	p.waitFor("h hang up", 20*time.Second)
	// The echo sends our pattern back; wait until it is drawn.
	deadline := time.Now().Add(20 * time.Second)
	var s string
	for s = p.screen(true); truecolourBlocks(s) < 10; s = p.screen(true) {
		if time.Now().After(deadline) {
			t.Fatalf("no truecolour half-blocks on the screen:\n%q", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Stats come once a second.
	s = p.waitFor("kbit/s", 10*time.Second)
	plain := stripSGR(s)
	for _, want := range []string{"● echo test", "kbit/s", "rtt", "loss", "mic", "h hang up", "? help", "q quit"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the in-call screen lacks %q:\n%s", want, plain)
		}
	}
	// The leases are in the stats overlay, not the status line; m says
	// what it will do next.
	if strings.Contains(plain, "→") {
		t.Errorf("the status line shows the leases:\n%s", plain)
	}
	p.keys("s")
	p.waitFor("(relay)", 5*time.Second)
	p.keys("s", "m")
	p.waitFor("m unmute", 5*time.Second)
	p.waitFor("mic muted", time.Second)
	p.keys("h")
	p.waitFor("call ended", 10*time.Second)
	p.keys("Enter")
	p.waitFor("Recent", 5*time.Second)
	p.waitFor("echo test", time.Second)
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
	if log, err := os.ReadFile(filepath.Join(dir, "dialtone.log")); err != nil || len(log) == 0 {
		t.Errorf("no log in the data directory: %v", err)
	}
}

// TestPhoneHelpUnderTmux starts the real binary for the first time at
// 80×24: the first-run screen's help works, a number that is too short
// says so, and at 80×24 and 40×12 the help bar still shows ? help and
// q quit, which quits.
func TestPhoneHelpUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "help", bin, "--config", filepath.Join(dir, "config.toml"),
		"--camera", "test", "--mic", "test", "--speaker", "none")
	p.resize(80, 24)
	p.waitFor("Welcome to dialtone", 20*time.Second)
	p.waitFor("? help • q quit", time.Second)
	p.keys("?")
	p.waitFor("this help, on and off", 5*time.Second)
	p.keys("?")
	p.keys("+1 555", "Enter")
	p.waitFor("too short for a +1 number", 5*time.Second)
	p.keys("0100042", "Enter")
	p.waitFor("online as", 20*time.Second)
	for _, size := range [][2]int{{80, 24}, {40, 12}} {
		p.resize(size[0], size[1])
		s := p.waitFor("? help • q quit", 5*time.Second)
		lines := strings.Split(strings.TrimRight(stripSGR(s), "\n"), "\n")
		if last := lines[len(lines)-1]; !strings.Contains(last, "q quit") {
			t.Errorf("%dx%d: the last line is %q, not the help bar", size[0], size[1], last)
		}
	}
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
	if data, err := os.ReadFile(filepath.Join(dir, "config.toml")); err != nil || !strings.Contains(string(data), "+15550100042") {
		t.Errorf("the number was not remembered: %v\n%s", err, data)
	}
}

// startPhoneServer runs `dialtone server` on free loopback ports and
// returns its signalling URL.
func startPhoneServer(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "server", "--listen", "127.0.0.1:0", "--dns", "", "--relay", "127.0.0.1:0",
		"--admin", "", "--pool", "127.78.9.0/24", "--data", t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	sc := bufio.NewScanner(out)
	url := ""
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "signalling" {
			url = f[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
		cmd.Wait()
		close(done)
	}()
	if url == "" {
		t.Fatal("the server printed no signalling URL")
	}
	return url
}

// TestPhoneToPhoneUnderTmux runs two phones against one server: the caller
// dials the callee, who accepts with a and sees the caller's video; then
// the caller dials again and the callee refuses with r.
func TestPhoneToPhoneUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	socket := tmuxSocket(t)
	phone := func(name, num string) *tmuxPane {
		dir := t.TempDir()
		return newTmuxPane(t, socket, name, bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
			"--server", url, "--number", num, "--camera", "test", "--mic", "test", "--speaker", "none")
	}
	callee := phone("callee", "+12025550111")
	caller := phone("caller", "+12025550122")
	callee.waitFor("online as", 20*time.Second)
	caller.waitFor("online as", 20*time.Second)

	caller.keys("+12025550111", "Enter")
	callee.waitFor("incoming call", 20*time.Second)
	callee.waitFor("(202) 555-0122", time.Second)
	callee.keys("a")
	callee.waitFor("h hang up", 20*time.Second)
	caller.waitFor("h hang up", 20*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for truecolourBlocks(callee.screen(true)) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("the callee shows no video:\n%s", callee.screen(false))
		}
		time.Sleep(50 * time.Millisecond)
	}
	caller.keys("h")
	caller.waitFor("call ended", 10*time.Second)
	callee.waitFor("call ended", 10*time.Second)
	caller.keys("Enter")
	callee.keys("Enter")

	caller.waitFor("Recent", 5*time.Second)
	caller.keys("+12025550111", "Enter")
	callee.waitFor("incoming call", 20*time.Second)
	callee.keys("r")
	caller.waitFor("call refused", 10*time.Second)
	callee.waitFor("Recent", 5*time.Second)
	callee.waitFor("refused", 5*time.Second)

	caller.keys("q")
	callee.keys("q")
	caller.waitFor("dialtone exited 0", 10*time.Second)
	callee.waitFor("dialtone exited 0", 10*time.Second)
}

type countingRinger struct {
	mu          sync.Mutex
	starts, end int
	on          bool
	changed     chan bool
}

func (r *countingRinger) Start() {
	r.mu.Lock()
	r.starts++
	r.on = true
	r.mu.Unlock()
	r.changed <- true
}
func (r *countingRinger) Stop() {
	r.mu.Lock()
	r.end++
	r.on = false
	r.mu.Unlock()
	r.changed <- false
}

func TestRingerProxy(t *testing.T) {
	p := newRingerProxy()
	p.Start() // before the engine: nothing to ring yet, and no block
	r := &countingRinger{changed: make(chan bool, 8)}
	p.set(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.run(ctx); close(done) }()
	if on := <-r.changed; !on {
		t.Fatal("the pending Start was not applied")
	}
	p.Stop()
	if on := <-r.changed; on {
		t.Fatal("Stop not applied")
	}
	p.Start()
	<-r.changed
	cancel()
	<-done
	if r.on {
		t.Error("still ringing after the phone stopped")
	}
}

// TestPhoneAnswerUnderTmux has the phone answer a headless caller
// (`dialtone call --dial`) with a, see its video, and see the call end when
// the caller hangs up; then refuse a second caller with r, which exits with
// the refused status.
func TestPhoneAnswerUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "callee", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--server", url, "--number", "+12025550133", "--camera", "test", "--mic", "test", "--speaker", "none")
	p.waitFor("online as", 20*time.Second)

	caller := startCall(t, url, "+12025550144", "--dial", "+12025550133")
	p.waitFor("incoming call", 20*time.Second)
	p.waitFor("(202) 555-0144", time.Second)
	p.keys("a")
	caller.waitFor(t, call.EventConnected)
	p.waitFor("h hang up", 20*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for truecolourBlocks(p.screen(true)) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("the phone shows no video from the headless caller:\n%s", p.screen(false))
		}
		time.Sleep(50 * time.Millisecond)
	}
	caller.cmd.Process.Signal(os.Interrupt) // the headless client hangs up
	if code := caller.exit(t); code != exitCallOK {
		t.Errorf("the accepted caller exited %d, want %d", code, exitCallOK)
	}
	p.waitFor("call ended", 10*time.Second)
	p.keys("Enter")

	refused := startCall(t, url, "+12025550155", "--dial", "+12025550133")
	p.waitFor("incoming call", 20*time.Second)
	p.keys("r")
	if code := refused.exit(t); code != exitCallRefused {
		t.Errorf("the refused caller exited %d, want %d", code, exitCallRefused)
	}
	p.waitFor("refused", 5*time.Second)
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
}
