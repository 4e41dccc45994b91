//go:build cgo

package opus

import (
	"errors"
	"math"
	"testing"

	"github.com/dialtone/dialtone/device"
)

const fs = device.FrameSamples

// tone returns n samples of a sine at hz and the given peak amplitude,
// starting at sample offset.
func tone(hz float64, amp float64, offset, n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(offset+i)/device.SampleRate))
	}
	return pcm
}

// goertzel returns the power of x at frequency hz.
func goertzel(x []int16, hz float64) float64 {
	w := 2 * math.Pi * hz / device.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// dominant returns the frequency between lo and hi with the most power, to
// within 1 Hz: a 10 Hz scan, then a 1 Hz one around its peak.
func dominant(x []int16, lo, hi float64) float64 {
	peak := func(lo, hi, step float64) float64 {
		best, bestP := lo, -1.0
		for f := lo; f <= hi; f += step {
			if p := goertzel(x, f); p > bestP {
				best, bestP = f, p
			}
		}
		return best
	}
	f := peak(lo, hi, 10)
	return peak(f-10, f+10, 1)
}

func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e / float64(len(x))
}

// correlation is the normalised correlation of a and b.
func correlation(a, b []int16) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

func newPair(t testing.TB, bps int) (*Encoder, *Decoder) {
	t.Helper()
	e, err := NewEncoder(bps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return e, d
}

// roundTrip encodes in in 20 ms frames and decodes every packet.
func roundTrip(t testing.TB, e *Encoder, d *Decoder, in []int16) (out []int16, pkts [][]byte) {
	t.Helper()
	buf := make([]byte, MaxPacketSize)
	pcm := make([]int16, fs)
	for i := 0; i+fs <= len(in); i += fs {
		n, err := e.Encode(in[i:i+fs], buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
		m, err := d.Decode(buf[:n], pcm)
		if err != nil || m != fs {
			t.Fatalf("decoding frame %d: %d samples, %v", i/fs, m, err)
		}
		out = append(out, pcm...)
	}
	return out, pkts
}

func TestToneRoundTrip(t *testing.T) {
	e, d := newPair(t, 32000)
	in := tone(440, 10000, 0, device.SampleRate) // 1 s
	out, pkts := roundTrip(t, e, d, in)

	// Steady state: skip the first 100 ms where the codec starts up.
	steady := out[device.SampleRate/10:]
	if f := dominant(steady, 50, 4000); math.Abs(f-440) > 5 {
		t.Errorf("dominant frequency %v Hz, want 440 ± 5", f)
	}
	delay := e.Lookahead()
	if delay <= 0 || delay > 960 {
		t.Fatalf("lookahead %d samples", delay)
	}
	if c := correlation(in[4800:len(in)-delay], out[4800+delay:]); c < 0.9 {
		t.Errorf("correlation with the input %d samples later: %.3f, want > 0.9", delay, c)
	} else {
		t.Logf("lookahead %d samples (%.1f ms), correlation %.3f", delay, float64(delay)/48, c)
	}
	bytes := 0
	for _, p := range pkts {
		bytes += len(p)
	}
	if kbps := float64(bytes) * 8 / 1000; kbps < 16 || kbps > 40 {
		t.Errorf("%.1f kbit/s for a 32 kbit/s target", kbps)
	}
}

func TestConceal(t *testing.T) {
	e, d := newPair(t, 32000)
	roundTrip(t, e, d, tone(440, 10000, 0, 10*fs))
	pcm := make([]int16, fs)
	n, err := d.Conceal(pcm)
	if err != nil || n != fs {
		t.Fatalf("Conceal: %d samples, %v; want %d", n, err, fs)
	}
	if energy(pcm) == 0 {
		t.Error("concealment after a tone is silence")
	}
	for _, bad := range []int{0, 100, 6000} {
		if _, err := d.Conceal(make([]int16, bad)); err == nil {
			t.Errorf("Conceal of %d samples succeeded", bad)
		}
	}
}

// TestFEC loses the packet where a tone starts. Concealment can only extend
// the silence before it; FEC in the next packet brings the onset back.
func TestFEC(t *testing.T) {
	const lost = 10
	e, _ := newPair(t, 32000)
	if err := e.SetPacketLoss(20); err != nil {
		t.Fatal(err)
	}
	in := make([]int16, 20*fs)
	copy(in[lost*fs:], tone(440, 10000, 0, 10*fs))
	// A little noise before the onset, as a microphone gives.
	seed := uint32(1)
	for i := range lost * fs {
		seed = seed*1664525 + 1013904223
		in[i] = int16(seed>>24) - 128
	}
	ref, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want, pkts := roundTrip(t, e, ref, in)
	orig := want[lost*fs : (lost+1)*fs]

	decodeAllBut := func(recover func(d *Decoder, pcm []int16) (int, error)) []int16 {
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		pcm := make([]int16, fs)
		for i := range lost {
			if _, err := d.Decode(pkts[i], pcm); err != nil {
				t.Fatal(err)
			}
		}
		n, err := recover(d, pcm)
		if err != nil || n != fs {
			t.Fatalf("recovering: %d samples, %v", n, err)
		}
		return pcm
	}
	fec := decodeAllBut(func(d *Decoder, pcm []int16) (int, error) { return d.DecodeFEC(pkts[lost+1], pcm) })
	plc := decodeAllBut(func(d *Decoder, pcm []int16) (int, error) { return d.Conceal(pcm) })

	eo, ef, ep := energy(orig), energy(fec), energy(plc)
	t.Logf("energy of the lost frame: original %.0f, FEC %.0f, concealed %.0f; FEC correlation %.2f", eo, ef, ep, correlation(orig, fec))
	if ef < eo/2 || ef > eo*2 {
		t.Errorf("FEC frame energy %.0f, original %.0f: not within a factor 2", ef, eo)
	}
	if ep > eo/4 {
		t.Errorf("concealment alone gave energy %.0f of %.0f; the test does not tell FEC from PLC", ep, eo)
	}
	if c := correlation(orig, fec); c < 0.5 {
		t.Errorf("FEC frame correlates %.2f with the original", c)
	}
}

func TestSetBitrate(t *testing.T) {
	in := tone(440, 10000, 0, device.SampleRate)
	size := func(bps int) int {
		e, d := newPair(t, 64000)
		if err := e.SetBitrate(bps); err != nil {
			t.Fatal(err)
		}
		_, pkts := roundTrip(t, e, d, in)
		n := 0
		for _, p := range pkts {
			n += len(p)
		}
		return n
	}
	hi, lo := size(64000), size(12000)
	t.Logf("64 kbit/s: %d bytes/s, 12 kbit/s: %d bytes/s", hi, lo)
	if lo*3 > hi {
		t.Errorf("lowering the bitrate from 64 to 12 kbit/s took output only from %d to %d bytes/s", hi, lo)
	}
}

func TestDTX(t *testing.T) {
	e, err := NewEncoder(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.SetDTX(true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, MaxPacketSize)
	silence := make([]int16, fs)
	small := 0
	for range 50 {
		n, err := e.Encode(silence, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n <= 2 {
			small++
		}
	}
	if small < 25 {
		t.Errorf("with DTX, %d of 50 silent frames were tiny packets", small)
	}
}

func TestErrors(t *testing.T) {
	e, d := newPair(t, 0)
	buf := make([]byte, MaxPacketSize)
	if _, err := e.Encode(make([]int16, 1000), buf); err == nil {
		t.Error("Encode of 1000 samples succeeded")
	}
	if _, err := e.Encode(make([]int16, fs), nil); err == nil {
		t.Error("Encode into no buffer succeeded")
	}
	for _, pct := range []int{-1, 101} {
		if err := e.SetPacketLoss(pct); err == nil {
			t.Errorf("SetPacketLoss(%d) succeeded", pct)
		}
	}
	n, err := e.Encode(make([]int16, fs), buf)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, fs)
	for name, pkt := range map[string][]byte{"nil": nil, "empty": {}, "bad TOC": {0xff, 0xff, 0xff}} {
		if _, err := d.Decode(pkt, pcm); !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("Decode(%s): %v", name, err)
		}
	}
	if _, err := d.Decode(buf[:n], make([]int16, 100)); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("Decode into 100 samples: %v", err)
	}
	if _, err := d.DecodeFEC(nil, pcm); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("DecodeFEC(nil): %v", err)
	}
	if _, err := d.Decode(buf[:n], pcm); err != nil {
		t.Errorf("decoder unusable after bad packets: %v", err)
	}
}

func TestClosed(t *testing.T) {
	e, err := NewEncoder(0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close()
	d.Close()
	d.Close()
	pcm := make([]int16, fs)
	if _, err := e.Encode(pcm, make([]byte, MaxPacketSize)); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if err := e.SetBitrate(20000); !errors.Is(err, ErrClosed) {
		t.Errorf("SetBitrate after Close: %v", err)
	}
	if _, err := d.Decode([]byte{0xf8, 0xff, 0xfe}, pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
	if _, err := d.Conceal(pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("Conceal after Close: %v", err)
	}
}
