package assets

import (
	"math"
	"testing"
)

func rms(pcm []int16) float64 {
	s := 0.0
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(pcm)))
}

// TestRingtoneShape checks the cadence a listener hears: two bursts, then a
// long pause, starting and ending in silence so the loop is seamless.
func TestRingtoneShape(t *testing.T) {
	pcm := Ringtone()
	sec := func(a, b float64) []int16 { return pcm[int(a*ringRate):int(b*ringRate)] }
	if len(pcm) != 3*ringRate {
		t.Fatalf("ringtone is %d samples, want %d (3 s)", len(pcm), 3*ringRate)
	}
	if pcm[0] != 0 || pcm[len(pcm)-1] != 0 {
		t.Errorf("ringtone starts at %d and ends at %d; a seamless loop starts and ends at 0", pcm[0], pcm[len(pcm)-1])
	}
	for _, on := range [][2]float64{{0.05, 0.35}, {0.65, 0.95}} {
		if r := rms(sec(on[0], on[1])); r < 4000 || r > 8000 {
			t.Errorf("burst %v s: RMS %.0f, want 4000…8000 (about −15 dBFS)", on, r)
		}
	}
	for _, off := range [][2]float64{{0.41, 0.59}, {1.01, 2.99}} {
		if r := rms(sec(off[0], off[1])); r != 0 {
			t.Errorf("pause %v s: RMS %.0f, want silence", off, r)
		}
	}
	peak := 0
	for _, v := range pcm {
		peak = max(peak, int(v), -int(v))
	}
	if limit := int(math.Ceil(ringPeak * 32767)); peak > limit {
		t.Errorf("peak %d above %d", peak, limit)
	}
	pcm[100]++
	if Ringtone()[100] == pcm[100] {
		t.Error("Ringtone shares its slice between callers")
	}
}

func TestDecodeWAVRejects(t *testing.T) {
	good := RingtoneWAV()
	mut := func(off int, b ...byte) []byte {
		c := append([]byte(nil), good[:44+8]...)
		copy(c[off:], b)
		return c
	}
	cases := map[string][]byte{
		"short":       good[:20],
		"not riff":    mut(0, 'R', 'I', 'F', 'X'),
		"stereo":      mut(22, 2),
		"44.1 kHz":    mut(24, 0x44, 0xac),
		"8-bit":       mut(34, 8),
		"long data":   mut(40, 0xff, 0xff, 0xff, 0x00),
		"odd data":    mut(40, 7, 0, 0, 0),
		"float tag":   mut(20, 3),
		"no data tag": mut(36, 'L', 'I', 'S', 'T'),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeWAV(b); err == nil {
				t.Errorf("decodeWAV accepted %s", name)
			}
		})
	}
	if pcm, err := decodeWAV(mut(40, 8, 0, 0, 0)); err != nil || len(pcm) != 4 {
		t.Errorf("decodeWAV(4 samples) = %d samples, %v", len(pcm), err)
	}
}
