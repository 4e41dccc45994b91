package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/device/audio/audiotest"
)

// TestCallBinaryRealAudio carries a call through real audio devices: the
// answerer's speaker is PortAudio playing into a PulseAudio null sink and its
// microphone is PortAudio capturing that sink's monitor, so the caller's
// tone travels caller → relay → answerer's speaker → sound server →
// answerer's microphone → relay → caller, and must come back at its
// frequency. The answerer has no camera: the call goes on without video.
func TestCallBinaryRealAudio(t *testing.T) {
	if testing.Short() {
		t.Skip("real audio devices: skipped in -short")
	}
	// Build before the harness moves HOME (and with it Go's build cache).
	binary(t)
	audiotest.Start(t) // the binaries inherit its environment
	rs := startServer(t, "--pool", "127.77.6.0/24")
	url := rs.addrs["signalling"]
	callee := startCall(t, url, "+15550100004", "--answer", "auto", "--max-calls", "1",
		"--camera", "none", "--mic", audiotest.MonitorPCM, "--speaker", audiotest.SinkPCM)
	callee.waitFor(t, call.EventRegistered)
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, url, "+15550100003", "--dial", "+15550100004", "--mic", "tone:660",
		"--duration", "4s", "--stats", statsFile)
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	b, err := os.ReadFile(statsFile)
	if err != nil {
		t.Fatal(err)
	}
	var st call.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("caller heard: %+v", st.Audio)
	if math.Abs(st.Audio.ToneHz-660) > 5 {
		t.Errorf("the tone came back at %.1f Hz, want 660: the loop through the sound devices is broken", st.Audio.ToneHz)
	}
	if st.Audio.FramesDecoded < 100 {
		t.Errorf("only %d audio frames came back", st.Audio.FramesDecoded)
	}
	if st.Video.FramesDecoded != 0 {
		t.Errorf("%d video frames from an answerer without a camera", st.Video.FramesDecoded)
	}
}
