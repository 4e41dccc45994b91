package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// TestEchoWithoutCamera dials the echo test from a phone with no camera: the
// call must connect on audio alone and the tone come back, rather than wait
// for echoed video that can never come.
func TestEchoWithoutCamera(t *testing.T) {
	rs := startServer(t, "--pool", "127.77.7.0/24")
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	caller := startCall(t, rs.addrs["signalling"], "+15550100005", "--dial", "600",
		"--camera", "none", "--mic", "tone:500", "--duration", "2s", "--stats", statsFile)
	if code := caller.exit(t); code != 0 {
		t.Fatalf("exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if got, want := caller.kinds(), "registered dialing ringing accepted trust connected ended"; got != want {
		t.Errorf("events: %s, want %s", got, want)
	}
	// The echo test is the server itself: marked so, with no warning.
	for _, e := range caller.all {
		if e.Kind == call.EventTrust && (e.Trust == nil || e.Trust.State != call.TrustViaServer) {
			t.Errorf("echo trust: %+v", e.Trust)
		}
	}
	b, err := os.ReadFile(statsFile)
	if err != nil {
		t.Fatal(err)
	}
	var st call.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if math.Abs(st.Audio.ToneHz-500) > 5 || st.Video.FramesDecoded != 0 {
		t.Errorf("echo without camera: audio %+v, video frames %d", st.Audio, st.Video.FramesDecoded)
	}
}
