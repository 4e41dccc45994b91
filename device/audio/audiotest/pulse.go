// Package audiotest runs a private PulseAudio server for tests of real audio
// paths on machines without a sound card: a null sink whose monitor records
// whatever is played into it, reachable both by PulseAudio's own tools
// (paplay, parec) and by ALSA programs such as PortAudio through ALSA's pulse
// plugin.
//
// Start sets the environment of the test process (t.Setenv, so the test must
// not be parallel) so that nothing touches the user's own sound server:
//
//	XDG_RUNTIME_DIR, PULSE_RUNTIME_PATH, PULSE_STATE_PATH  private dirs
//	PULSE_SERVER        unix:<dir>/native, the private server
//	PULSE_CLIENTCONFIG  a client.conf with autospawn off
//	XDG_CONFIG_HOME     <dir>/config, holding alsa/asoundrc, which ALSA's
//	                    stock alsa.conf loads: it routes ALSA's "default"
//	                    to PulseAudio and adds two PCMs, SinkPCM (plays
//	                    into the null sink) and MonitorPCM (records its
//	                    monitor)
//
// It needs the Debian packages pulseaudio (which brings pulseaudio-utils and
// libasound2-plugins); without the pulseaudio binary Start skips the test.
package audiotest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device/synthetic"
)

const (
	// SinkName and MonitorName are the null sink and its monitor source as
	// PulseAudio calls them.
	SinkName    = "dialtone_test"
	MonitorName = SinkName + ".monitor"
	// SinkPCM and MonitorPCM are the ALSA PCM names (and so the PortAudio
	// device names) of the sink and the monitor.
	SinkPCM    = "dialtone_sink"
	MonitorPCM = "dialtone_monitor"
	// Rate is the null sink's rate; it has two channels, like most sinks.
	Rate = 48000

	startTimeout = 20 * time.Second
)

const asoundrc = `# written by dialtone's audiotest: ALSA to a private PulseAudio
pcm.!default { type pulse hint { show on description "PulseAudio (dialtone test)" } }
ctl.!default { type pulse }
pcm.%s { type pulse device "%s" hint { show on description "dialtone test null sink" } }
pcm.%s { type pulse device "%s" hint { show on description "dialtone test null sink monitor" } }
`

// Server is a running private PulseAudio.
type Server struct {
	Dir    string // runtime directory, removed after the test
	Server string // PULSE_SERVER value
	t      testing.TB
	cmd    *exec.Cmd
	exited chan struct{}
	log    *lockedBuffer
}

// Start runs a private PulseAudio with the null sink for the rest of the test
// and points the process environment at it. It skips the test if pulseaudio
// is not installed, and fails it if the server does not come up.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Skip("pulseaudio is not installed (make deps installs it): skipping the test on a real audio server")
	}
	// Unix socket paths are limited to 108 bytes; t.TempDir can be long.
	dir, err := os.MkdirTemp("", "dialtone-pulse-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{Dir: dir, Server: "unix:" + filepath.Join(dir, "native"), t: t, exited: make(chan struct{}), log: &lockedBuffer{}}
	for _, d := range []string{"runtime", "state", "config/alsa", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("config/alsa/asoundrc", fmt.Sprintf(asoundrc, SinkPCM, SinkName, MonitorPCM, MonitorName))
	clientConf := write("client.conf", "autospawn = no\n")
	env := map[string]string{
		"XDG_RUNTIME_DIR":    dir,
		"PULSE_RUNTIME_PATH": filepath.Join(dir, "runtime"),
		"PULSE_STATE_PATH":   filepath.Join(dir, "state"),
		"PULSE_SERVER":       s.Server,
		"PULSE_CLIENTCONFIG": clientConf,
		"XDG_CONFIG_HOME":    filepath.Join(dir, "config"),
		// libpulse looks for a cookie under HOME; keep it away from the user's.
		"HOME": filepath.Join(dir, "home"),
		// PortAudio also probes JACK; there is none to start.
		"JACK_NO_START_SERVER": "1",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}

	s.cmd = exec.Command(bin,
		"-n", "--daemonize=no", "--system=false", "--use-pid-file=no",
		"--exit-idle-time=-1", "--realtime=no", "--high-priority=no",
		"--log-target=stderr", "--log-level=info",
		"-L", "module-native-protocol-unix socket="+filepath.Join(dir, "native")+" auth-anonymous=1",
		"-L", fmt.Sprintf("module-null-sink sink_name=%s rate=%d channels=2", SinkName, Rate),
	)
	s.cmd.SysProcAttr = daemonAttr()
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting pulseaudio: %v", err)
	}
	ready := make(chan struct{})
	go func() {
		// Reads to EOF, so it ends when the daemon does; Wait is called after.
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			s.log.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "Daemon startup complete") {
				once.Do(func() { close(ready) })
			}
		}
		s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.stop)
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-ready:
	case <-s.exited:
		t.Fatalf("pulseaudio exited during start-up:\n%s", s.log.String())
	case <-timer.C:
		t.Fatalf("pulseaudio not ready after %v:\n%s", startTimeout, s.log.String())
	}
	return s
}

func (s *Server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-s.exited:
	case <-timer.C:
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// Log returns what the server has logged so far, for failure messages.
func (s *Server) Log() string { return s.log.String() }

// Play plays pcm (mono, at rate) into the null sink with paplay and
// returns when it has been played; ctx stops it early.
func (s *Server) Play(ctx context.Context, pcm []int16, rate int) error {
	path := filepath.Join(s.Dir, fmt.Sprintf("play-%d.wav", time.Now().UnixNano()))
	var b bytes.Buffer
	if err := synthetic.WriteWAV(&b, rate, 1, pcm); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return err
	}
	defer os.Remove(path)
	out, err := exec.CommandContext(ctx, "paplay", "--device="+SinkName, "--latency-msec=20", path).CombinedOutput()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("paplay: %v: %s", err, out)
	}
	return nil
}

// Recording is parec recording the null sink's monitor, 48 kHz mono.
type Recording struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	pcm     []int16
	changed chan struct{}
	done    chan struct{}
	err     error
}

// Record starts recording the monitor. Stop it with Stop; the test's cleanup
// stops it too.
func (s *Server) Record(t testing.TB) *Recording {
	t.Helper()
	r := &Recording{changed: make(chan struct{}), done: make(chan struct{})}
	r.cmd = exec.Command("parec", "--device="+MonitorName, "--raw", "--format=s16le",
		fmt.Sprintf("--rate=%d", Rate), "--channels=1", "--latency-msec=10")
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	r.cmd.Stderr = &stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting parec: %v", err)
	}
	go func() {
		defer close(r.done)
		br := bufio.NewReader(stdout)
		buf := make([]byte, 4096)
		var odd []byte
		for {
			n, err := br.Read(buf)
			if n > 0 {
				b := append(odd, buf[:n]...)
				r.mu.Lock()
				for i := 0; i+1 < len(b); i += 2 {
					r.pcm = append(r.pcm, int16(binary.LittleEndian.Uint16(b[i:])))
				}
				odd = append([]byte(nil), b[len(b)&^1:]...)
				close(r.changed)
				r.changed = make(chan struct{})
				r.mu.Unlock()
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
					r.err = err
				}
				r.cmd.Wait()
				if r.err == nil && !strings.Contains(r.cmd.ProcessState.String(), "signal") && r.cmd.ProcessState.ExitCode() != 0 {
					r.err = fmt.Errorf("parec: %s: %s", r.cmd.ProcessState, stderr.String())
				}
				return
			}
		}
	}()
	t.Cleanup(func() { r.Stop() })
	return r
}

// Wait blocks until cond holds for the samples recorded so far, the
// recorder ends, or ctx is done.
func (r *Recording) Wait(ctx context.Context, cond func(pcm []int16) bool) error {
	for {
		r.mu.Lock()
		ok, ch := cond(r.pcm), r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-r.done:
			if r.err != nil {
				return r.err
			}
			return errors.New("parec ended")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stop ends the recording and returns every sample recorded.
func (r *Recording) Stop() []int16 {
	select {
	case <-r.done:
	default:
		r.cmd.Process.Signal(syscall.SIGTERM)
		<-r.done
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.pcm...)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
