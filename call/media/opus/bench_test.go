//go:build cgo

package opus

import (
	"testing"
)

// BenchmarkEncode is the cost of one 20 ms frame of voice-band audio at
// 32 kbit/s with FEC; a call encodes 50 a second.
func BenchmarkEncode(b *testing.B) {
	e, _ := newPair(b, 32000)
	if err := e.SetPacketLoss(5); err != nil {
		b.Fatal(err)
	}
	in := tone(440, 8000, 0, 50*fs)
	buf := make([]byte, MaxPacketSize)
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		k := i % 50 * fs
		if _, err := e.Encode(in[k:k+fs], buf); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkDecode is the cost of decoding one 20 ms frame.
func BenchmarkDecode(b *testing.B) {
	e, d := newPair(b, 32000)
	_, pkts := roundTrip(b, e, d, tone(440, 8000, 0, 50*fs))
	pcm := make([]int16, fs)
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkConceal is the cost of concealing one lost 20 ms frame.
func BenchmarkConceal(b *testing.B) {
	e, d := newPair(b, 32000)
	roundTrip(b, e, d, tone(440, 8000, 0, 10*fs))
	pcm := make([]int16, fs)
	cpu := cpuTime()
	for b.Loop() {
		if _, err := d.Conceal(pcm); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
