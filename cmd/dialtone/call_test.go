package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// callProc is a running `dialtone call` and the events it printed.
type callProc struct {
	cmd    *exec.Cmd
	events chan call.Event // closed at EOF
	all    []call.Event
	stderr bytes.Buffer
}

func startCall(t *testing.T, url, number string, args ...string) *callProc {
	t.Helper()
	all := append([]string{"call", "--server", url, "--number", number, "--data", t.TempDir(), "--log-level", "warn"}, args...)
	p := &callProc{cmd: exec.Command(binary(t), all...), events: make(chan call.Event, 1024)}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.events)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e call.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = call.Event{Kind: "unparsable", Error: sc.Text()}
			}
			p.events <- e
		}
	}()
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// waitFor reads events until one of kind arrives.
func (p *callProc) waitFor(t *testing.T, kind call.EventKind) call.Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-p.events:
			if !ok {
				t.Fatalf("no %s event; stderr:\n%s", kind, p.stderr.String())
			}
			p.all = append(p.all, e)
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event within 20s", kind)
		}
	}
}

// exit reads the remaining events and returns the exit status.
func (p *callProc) exit(t *testing.T) int {
	t.Helper()
	for e := range p.events {
		p.all = append(p.all, e)
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func (p *callProc) kinds() string {
	var ks []string
	for _, e := range p.all {
		if e.Kind != call.EventStats && e.Kind != call.EventPeerCamera { // these come when they come
			ks = append(ks, string(e.Kind))
		}
		if e.Time.IsZero() {
			ks = append(ks, "(no time)")
		}
	}
	return strings.Join(ks, " ")
}

func TestCallBinary(t *testing.T) {
	rs := startServer(t, "--pool", "127.77.5.0/24")
	url := rs.addrs["signalling"]
	profile := filepath.Join(t.TempDir(), "callee.pprof")
	callee := startCall(t, url, "+15550100002", "--answer", "auto", "--max-calls", "1", "--mic", "tone:660",
		"--cpuprofile", profile)
	callee.waitFor(t, call.EventRegistered)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, url, "+15550100001", "--dial", "+15550100002", "--duration", "3s", "--stats", statsFile)

	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	if got, want := caller.kinds(), "registered dialing ringing accepted trust connected ended"; got != want {
		t.Errorf("caller events: %s, want %s", got, want)
	}
	if got, want := callee.kinds(), "registered incoming accepted trust connected ended"; got != want {
		t.Errorf("callee events: %s, want %s", got, want)
	}
	var stats int
	for _, e := range caller.all {
		switch e.Kind {
		case call.EventAccepted:
			if e.LocalLease == "" || e.RemoteLease == "" || e.LocalLease == e.RemoteLease {
				t.Errorf("accepted: %+v", e)
			}
		case call.EventStats:
			stats++
		case call.EventEnded:
			if e.Reason != "hangup" || e.DurationS < 2.5 || e.DurationS > 6 {
				t.Errorf("ended: %+v", e)
			}
		}
	}
	if stats < 2 {
		t.Errorf("%d stats events in a 3 s call", stats)
	}

	b, err := os.ReadFile(statsFile)
	if err != nil {
		t.Fatal(err)
	}
	var st call.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	v := st.Video
	// The callee's 320×240 pattern, or the half size its ladder steps down
	// to when the congestion controller's estimate falls (it can on a
	// loaded machine: scheduling delay reads as queueing).
	size := v.Width == 320 && v.Height == 240 || v.Width == 160 && v.Height == 120
	if st.SetupMs <= 0 || v.FramesDecoded < 30 || !size || v.Pattern == nil ||
		v.Pattern.Frames < 30 || v.Pattern.OutOfOrder != 0 {
		t.Errorf("video stats: setup %v ms, %+v pattern %+v", st.SetupMs, v, v.Pattern)
	}
	// Every frame of the callee's camera arrives, or the callee chose not
	// to send it (its rate control, on a loaded machine), or the caller
	// lost or dropped it after a packet that retransmission could not
	// bring in time (a late packet is waited for: on loopback, none).
	var skipped int
	for _, e := range callee.all {
		if e.Kind == call.EventEnded && e.Stats != nil {
			skipped = e.Stats.Send.FramesSkipped
		}
	}
	if v.Pattern != nil && v.Pattern.Missing > skipped+v.FramesLost+v.FramesDropped ||
		v.FramesLost+v.FramesDropped > 0 && v.PacketsLost == 0 {
		t.Errorf("video: pattern %+v; the callee skipped %d; %d frames lost, %d dropped, %d packets lost",
			v.Pattern, skipped, v.FramesLost, v.FramesDropped, v.PacketsLost)
	}
	if b, err := os.ReadFile(profile); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("--cpuprofile: %d bytes, not a gzipped profile; %v", len(b), err)
	}
	if math.Abs(st.Audio.ToneHz-660) > 15 || st.Audio.FramesDecoded < 50 {
		t.Errorf("audio stats: %+v (the callee sends 660 Hz)", st.Audio)
	}
	if st.Path.Local != "relay" || st.Leases.Local == "" || st.Leases.Remote == "" {
		t.Errorf("path %+v leases %+v", st.Path, st.Leases)
	}
}

func TestCallBinaryOutcomes(t *testing.T) {
	rs := startServer(t, "--pool", "127.77.6.0/24")
	url := rs.addrs["signalling"]
	t.Run("refused", func(t *testing.T) {
		callee := startCall(t, url, "+15550100004", "--answer", "refuse", "--max-calls", "1")
		callee.waitFor(t, call.EventRegistered)
		caller := startCall(t, url, "+15550100003", "--dial", "+15550100004", "--camera", "none", "--mic", "none")
		if code := caller.exit(t); code != exitCallRefused {
			t.Fatalf("caller exited %d, want %d; events %s", code, exitCallRefused, caller.kinds())
		}
		if code := callee.exit(t); code != 0 {
			t.Fatalf("callee exited %d; events %s", code, callee.kinds())
		}
		if got, want := caller.kinds(), "registered dialing ringing refused ended"; got != want {
			t.Errorf("caller events: %s, want %s", got, want)
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		caller := startCall(t, url, "+15550100005", "--dial", "+15550100099", "--camera", "none", "--mic", "none")
		if code := caller.exit(t); code != exitCallUnavailable {
			t.Fatalf("caller exited %d, want %d; events %s", code, exitCallUnavailable, caller.kinds())
		}
		if got, want := caller.kinds(), "registered dialing unavailable ended"; got != want {
			t.Errorf("caller events: %s, want %s", got, want)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		out, err := exec.Command(binary(t), "call", "--server", url, "--number", "+15550100006").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitCallError || !strings.Contains(string(out), "--dial") {
			t.Fatalf("no --dial/--answer: %v\n%s", err, out)
		}
	})
}

func TestIdentityKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "phone")
	k1, err := loadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "identity.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	k2, err := loadOrCreateKey(dir)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second load: %v, same key %v", err, k1.Equal(k2))
	}
	os.WriteFile(filepath.Join(dir, "identity.key"), []byte("junk"), 0o600)
	if _, err := loadOrCreateKey(dir); err == nil {
		t.Fatal("a junk key file loaded")
	}
}
