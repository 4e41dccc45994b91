package assets

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated assets")

// The ringtone: the classic 440 + 480 Hz ring pair, in the gentler double
// ring cadence (0.4 s on, 0.2 s off, 0.4 s on, 2 s off), each burst eased in
// and out over 25 ms so it rings rather than clicks, at −10 dBFS peak.
const (
	ringRate    = 48000
	ringHz1     = 440.0
	ringHz2     = 480.0
	ringPeak    = 0.32 // of full scale, both tones together
	ringRamp    = 0.025
	ringSeconds = 3.0
)

var ringBursts = [][2]float64{{0, 0.4}, {0.6, 1.0}} // start, end in seconds

func generateRingtone() []int16 {
	n := int(ringSeconds * ringRate)
	pcm := make([]int16, n)
	for i := range pcm {
		t := float64(i) / ringRate
		env := 0.0
		for _, b := range ringBursts {
			if t < b[0] || t >= b[1] {
				continue
			}
			env = 1
			if d := min(t-b[0], b[1]-t); d < ringRamp {
				env = 0.5 - 0.5*math.Cos(math.Pi*d/ringRamp)
			}
		}
		v := env * ringPeak / 2 * (math.Sin(2*math.Pi*ringHz1*t) + math.Sin(2*math.Pi*ringHz2*t))
		pcm[i] = int16(math.Round(v * 32767))
	}
	return pcm
}

func encodeWAV(pcm []int16) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+2*len(pcm)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(ringRate), uint32(2 * ringRate), uint16(2), uint16(16)} {
		binary.Write(&b, le, v)
	}
	b.WriteString("data")
	binary.Write(&b, le, uint32(2*len(pcm)))
	binary.Write(&b, le, pcm)
	return b.Bytes()
}

// TestRingtoneFile checks ringtone.wav against its generator (within one
// step, as floating point may round differently on another CPU); -update
// rewrites it.
func TestRingtoneFile(t *testing.T) {
	want := generateRingtone()
	if *update {
		if err := os.WriteFile("ringtone.wav", encodeWAV(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got := Ringtone()
	if len(got) != len(want) {
		t.Fatalf("ringtone.wav has %d samples, the generator makes %d; run go generate ./assets", len(got), len(want))
	}
	for i := range got {
		if d := int(got[i]) - int(want[i]); d < -1 || d > 1 {
			t.Fatalf("sample %d is %d, the generator makes %d; run go generate ./assets", i, got[i], want[i])
		}
	}
}
