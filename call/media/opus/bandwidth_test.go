//go:build cgo

package opus

import (
	"math"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// TestMaxBandwidth: capped at narrowband, every packet's table of contents
// says narrowband (RFC 6716 section 3.1: SILK configurations 0-3, CELT
// 16-19), and a tone inside the band still round-trips.
func TestMaxBandwidth(t *testing.T) {
	e, d := newPair(t, 24000)
	if err := e.SetMaxBandwidth(Narrowband); err != nil {
		t.Fatal(err)
	}
	if err := e.SetComplexity(5); err != nil {
		t.Fatal(err)
	}
	out, pkts := roundTrip(t, e, d, tone(440, 10000, 0, device.SampleRate))
	for i, p := range pkts {
		if c := p[0] >> 3; c > 3 && (c < 16 || c > 19) {
			t.Fatalf("packet %d: configuration %d is not narrowband", i, c)
		}
	}
	if p := goertzel(out[len(out)/2:], 440); math.IsNaN(p) || p < goertzel(out[len(out)/2:], 1000)*100 {
		t.Errorf("440 Hz did not survive narrowband coding")
	}
	if err := e.SetMaxBandwidth(Bandwidth(5000)); err == nil {
		t.Error("an unknown bandwidth was taken")
	}
	for _, bad := range []int{-1, 11} {
		if err := e.SetComplexity(bad); err == nil {
			t.Errorf("complexity %d was taken", bad)
		}
	}
}
