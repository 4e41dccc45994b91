package main

import (
	"bufio"
	"context"
	enc "encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// baresipPhone is a headless baresip driven over its ctrl_tcp module: a
// SIP phone with a sine tone for a microphone, a generated picture for a
// camera, and the sndfile filter recording what it hears.
type baresipPhone struct {
	t      *testing.T
	ctl    net.Conn
	events chan baresipEvent
	snd    string // where sndfile writes its recordings

	mu  sync.Mutex
	log strings.Builder
}

// baresipEvent is one ctrl_tcp event, such as CALL_INCOMING.
type baresipEvent struct {
	Type  string `json:"type"`
	Param string `json:"param"`
	Peer  string `json:"peeruri"`
}

// startBaresipPhone runs baresip registered as number at the server's SIP
// address, sending a tone of toneHz, and waits for its registration.
func startBaresipPhone(t *testing.T, sipAddr, number, password string, toneHz int) *baresipPhone {
	t.Helper()
	account := fmt.Sprintf("<sip:%s@%s;transport=udp>;auth_pass=%s;regint=600\n", number, sipAddr, password)
	b := runBaresip(t, freeSIPPort(t), account, toneHz)
	// The registration may finish before ctrl_tcp is connected, so its
	// event is not the sign; the console line is.
	waitFor(t, func() bool { return strings.Contains(b.logText(), "200 OK () [") }, "baresip registering")
	return b
}

// baresipSIPTrace, among runBaresip's extraConfig, turns on baresip's
// SIP trace (its -s flag: every SIP message in its log) instead of adding
// a line.
const baresipSIPTrace = "-s"

// runBaresip runs baresip listening for SIP on port with one account line
// and extraConfig's lines, and connects to its ctrl_tcp.
func runBaresip(t *testing.T, port int, account string, toneHz int, extraConfig ...string) *baresipPhone {
	t.Helper()
	return runBaresipWith(t, port, account, toneHz, "module opus.so\nmodule vp8.so", extraConfig...)
}

// runBaresipWith is runBaresip with codecs as the configuration of its
// codecs: "module opus.so\nmodule vp8.so", or G.711 alone for audio (its
// g711 module, and the tone generated at 48 kHz, the only rate of ausine,
// and resampled), with or without VP8.
func runBaresipWith(t *testing.T, port int, account string, toneHz int, codecs string, extraConfig ...string) *baresipPhone {
	t.Helper()
	if _, err := exec.LookPath("baresip"); err != nil {
		t.Skip("baresip is not on PATH (Debian package baresip-core; make deps installs it)")
	}
	dir := t.TempDir()
	ctlPort := freePort(t)
	b := &baresipPhone{t: t, events: make(chan baresipEvent, 256), snd: filepath.Join(dir, "snd")}
	if err := os.Mkdir(b.snd, 0o700); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`module_path /usr/lib/baresip/modules
sip_listen 127.0.0.1:%d
audio_player aufile,/dev/null
audio_source ausine,%d
video_source fakevideo,nil
video_display fakevideo,nil
video_size 320x240
video_fps 15
rtcp_mux yes
ctrl_tcp_listen 127.0.0.1:%d
snd_path %s
%s
module ausine.so
module aufile.so
module fakevideo.so
module sndfile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
`, port, toneHz, ctlPort, b.snd, codecs)
	args := []string{"-f", dir}
	for _, e := range extraConfig {
		if e == baresipSIPTrace {
			args = append([]string{baresipSIPTrace}, args...)
			continue
		}
		config += e
	}
	for name, body := range map[string]string{"config": config, "accounts": account, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "baresip", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			b.mu.Lock()
			b.log.WriteString(sc.Text() + "\n")
			b.mu.Unlock()
			if strings.Contains(sc.Text(), "baresip is ready") {
				once.Do(func() { close(up) })
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("baresip log:\n%s", b.logText())
		}
	})
	select {
	case <-up:
	case <-time.After(15 * time.Second):
		t.Fatalf("baresip did not start:\n%s", b.logText())
	}
	// ctrl_tcp listens before "ready" is printed.
	if b.ctl, err = net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", ctlPort), 5*time.Second); err != nil {
		t.Fatalf("baresip's ctrl_tcp: %v", err)
	}
	t.Cleanup(func() { b.ctl.Close() })
	go b.read()
	return b
}

func (b *baresipPhone) logText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// read parses ctrl_tcp's netstrings into events; command responses are
// dropped.
func (b *baresipPhone) read() {
	defer close(b.events)
	r := bufio.NewReader(b.ctl)
	for {
		head, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(head, ":")))
		if err != nil || n > 1<<20 {
			return
		}
		body := make([]byte, n+1) // and the trailing comma
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m struct {
			Event bool `json:"event"`
			baresipEvent
		}
		if json.Unmarshal(body[:n], &m) == nil && m.Event {
			b.events <- m.baresipEvent
		}
	}
}

// do sends one ctrl_tcp command, as the menu knows it ("dial", "accept",
// "hangup").
func (b *baresipPhone) do(command, params string) {
	b.t.Helper()
	j, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": command})
	if _, err := fmt.Fprintf(b.ctl, "%d:%s,", len(j), j); err != nil {
		b.t.Fatalf("baresip %s: %v", command, err)
	}
}

// waitEvent reads events until one of typ comes.
func (b *baresipPhone) waitEvent(typ string) baresipEvent {
	b.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-b.events:
			if !ok {
				b.t.Fatalf("baresip's ctrl_tcp closed before %s", typ)
			}
			if e.Type == typ {
				return e
			}
		case <-timeout:
			b.t.Fatalf("baresip: no %s event", typ)
		}
	}
}

// heardHz is the frequency of the tone in baresip's newest recording of
// what it heard (sndfile's *-dec.wav), by zero crossings over its middle
// half, and the recording's length in seconds.
func (b *baresipPhone) heardHz() (hz, seconds float64) {
	b.t.Helper()
	files, _ := filepath.Glob(filepath.Join(b.snd, "*-dec.wav"))
	if len(files) == 0 {
		b.t.Fatal("baresip recorded nothing")
	}
	sort.Strings(files)
	raw, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		b.t.Fatal(err)
	}
	pcm, rate, channels, err := wavPCM(raw)
	if err != nil {
		b.t.Fatalf("baresip's recording: %v", err)
	}
	frames := len(pcm) / channels
	if frames < rate/2 {
		return 0, float64(frames) / float64(rate)
	}
	lo, hi := frames/4, frames*3/4
	crossings := 0
	for i := lo + 1; i < hi; i++ {
		if pcm[(i-1)*channels] < 0 && pcm[i*channels] >= 0 {
			crossings++
		}
	}
	return float64(crossings) * float64(rate) / float64(hi-lo), float64(frames) / float64(rate)
}

// wavPCM reads 16-bit PCM from a RIFF WAVE file.
func wavPCM(b []byte) (pcm []int16, rate, channels int, err error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, 0, errors.New("not a WAVE file")
	}
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(enc.LittleEndian.Uint32(b[p+4:]))
		if id == "data" && (size == 0 || p+8+size > len(b)) {
			size = len(b) - p - 8 // still being written
		}
		body := b[p+8 : min(p+8+size, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 || enc.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, 0, errors.New("not 16-bit PCM")
			}
			channels, rate = int(enc.LittleEndian.Uint16(body[2:])), int(enc.LittleEndian.Uint32(body[4:]))
		case "data":
			for i := 0; i+1 < len(body); i += 2 {
				pcm = append(pcm, int16(enc.LittleEndian.Uint16(body[i:])))
			}
		}
		p += 8 + size + size%2
	}
	if channels == 0 || rate == 0 {
		return nil, 0, 0, errors.New("no fmt chunk")
	}
	return pcm, rate, channels, nil
}
