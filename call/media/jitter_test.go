package media

import (
	"bytes"
	"testing"
	"time"
)

// parts splits frame n (ts 3000n) into k packets from seq.
func parts(seq uint16, n, k int, key bool, at time.Time) []vp8Part {
	out := make([]vp8Part, k)
	for i := range out {
		b := []byte{byte(n), byte(i)}
		if i == 0 && !key {
			b[0] |= 1 // VP8 frame tag: inter frame
		} else if i == 0 {
			b[0] &^= 1
		}
		out[i] = vp8Part{seq: seq + uint16(i), ts: uint32(3000 * n), start: i == 0, marker: i == k-1, data: b, at: at}
	}
	return out
}

func TestFrameAssembler(t *testing.T) {
	t0 := time.Unix(1000, 0)
	wait := 50 * time.Millisecond
	t.Run("reorder", func(t *testing.T) {
		a := newFrameAssembler(wait)
		p := append(parts(65530, 0, 3, true, t0), parts(65533, 1, 4, false, t0)...) // wraps
		for _, i := range []int{0, 2, 1, 4, 3, 6, 5} {
			a.push(p[i])
		}
		for n := 0; n < 2; n++ {
			f, ok, _ := a.pop(t0)
			if !ok || f.ts != uint32(3000*n) || f.broken {
				t.Fatalf("frame %d: ok=%v %+v", n, ok, f)
			}
			if n == 0 && (!f.key || !bytes.Equal(f.data, []byte{0, 0, 0, 1, 0, 2})) {
				t.Fatalf("frame 0: %+v", f)
			}
		}
		if _, ok, _ := a.pop(t0); ok {
			t.Fatal("a third frame")
		}
	})
	t.Run("gap waits then gives up", func(t *testing.T) {
		a := newFrameAssembler(wait)
		p := append(parts(10, 0, 3, true, t0), parts(13, 1, 2, false, t0)...)
		for i, pk := range p {
			if i != 1 {
				a.push(pk)
			}
		}
		if _, ok, wake := a.pop(t0); ok || !wake.Equal(t0.Add(wait)) {
			t.Fatalf("incomplete frame out (ok=%v) or wake %v", ok, wake)
		}
		// The retransmission arrives in time: both frames, unbroken.
		a.push(p[1])
		if a.recovered != 1 {
			t.Fatalf("recovered %d packets, want 1", a.recovered)
		}
		if f, ok, _ := a.pop(t0.Add(10 * time.Millisecond)); !ok || f.ts != 0 || f.broken {
			t.Fatalf("frame 0 after retransmission: %v %+v", ok, f)
		}
		if f, ok, _ := a.pop(t0); !ok || f.ts != 3000 {
			t.Fatalf("frame 1: %v %+v", ok, f)
		}
		// Now lose a packet for good: the frame is dropped after wait and
		// the next one is marked broken.
		q := append(parts(15, 2, 2, false, t0), parts(17, 3, 1, false, t0)...)
		a.push(q[0])
		a.push(q[2])
		if _, ok, _ := a.pop(t0.Add(wait - time.Millisecond)); ok {
			t.Fatal("gave up early")
		}
		f, ok, _ := a.pop(t0.Add(wait))
		if !ok || f.ts != 9000 || !f.broken {
			t.Fatalf("after the loss: %v %+v", ok, f)
		}
		if a.lost != 1 || a.recovered != 1 {
			t.Fatalf("lost %d recovered %d packets, want 1 and 1", a.lost, a.recovered)
		}
	})
	t.Run("a late tail is not a loss", func(t *testing.T) {
		// The first packet of a frame, then nothing for a long while (the
		// sender or the relay was not scheduled): the frame waits, and
		// comes out whole when the rest comes.
		a := newFrameAssembler(wait)
		p := parts(40, 0, 3, true, t0)
		a.push(p[0])
		if _, ok, wake := a.pop(t0.Add(10 * wait)); ok || !wake.IsZero() {
			t.Fatalf("a frame with nothing behind it: ok=%v, wake %v; want a wait for packets", ok, wake)
		}
		late := t0.Add(10 * wait)
		for _, pk := range p[1:] {
			pk.at = late
			a.push(pk)
		}
		if f, ok, _ := a.pop(late); !ok || f.broken || !f.key || a.lost != 0 || a.dropped != 0 {
			t.Fatalf("the late frame: ok=%v %+v; lost %d dropped %d", ok, f, a.lost, a.dropped)
		}
	})
	t.Run("the wait starts when the loss shows", func(t *testing.T) {
		// Frame 1 loses its last two packets; the first packet behind
		// them comes 10 waits later. Only from then is the tail waited
		// for, and the frame given up on and counted lost by picture ID.
		a := newFrameAssembler(wait)
		f0 := parts(60, 0, 1, true, t0)
		f1 := parts(61, 1, 3, false, t0)
		later := t0.Add(10 * wait)
		f2 := parts(64, 2, 1, false, later)
		for i, f := range [][]vp8Part{f0, f1, f2} {
			f[0].pic, f[0].hasPic = uint16(0x7ffe+i)&0x7fff, true // 15 bits, wrapping
		}
		a.push(f0[0])
		a.push(f1[0])
		if f, ok, _ := a.pop(t0); !ok || f.ts != 0 {
			t.Fatalf("frame 0: %v %+v", ok, f)
		}
		a.push(f2[0])
		if _, ok, wake := a.pop(later.Add(wait - time.Millisecond)); ok || !wake.Equal(later.Add(wait)) {
			t.Fatalf("gave up before the wait from the loss showing: ok=%v, wake %v", ok, wake)
		}
		f, ok, _ := a.pop(later.Add(wait))
		if !ok || f.ts != 6000 || !f.broken {
			t.Fatalf("after the loss: %v %+v", ok, f)
		}
		if a.lost != 2 || a.framesLost != 1 {
			t.Fatalf("lost %d packets and %d frames, want 2 and 1", a.lost, a.framesLost)
		}
	})
	t.Run("late and duplicate", func(t *testing.T) {
		a := newFrameAssembler(wait)
		p := parts(100, 0, 2, true, t0)
		a.push(p[0])
		a.push(p[0])
		a.push(p[1])
		if _, ok, _ := a.pop(t0); !ok {
			t.Fatal("no frame")
		}
		a.push(p[1])
		if a.dropped != 2 {
			t.Fatalf("dropped %d, want 2", a.dropped)
		}
	})
}

func TestAudioJitter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	j := newAudioJitter(40 * time.Millisecond)
	pkt := func(seq uint16) []byte { return []byte{byte(seq)} }
	j.push(1, pkt(1), t0)
	if it, ok, _ := j.pop(t0); !ok || it.data[0] != 1 {
		t.Fatalf("first: %v %+v", ok, it)
	}
	// 2 lost, 3 arrives: waited for, then lost with 3 as its FEC source.
	j.push(3, pkt(3), t0)
	if _, ok, wake := j.pop(t0); ok || wake.IsZero() {
		t.Fatal("gap not waited for")
	}
	it, ok, _ := j.pop(t0.Add(40 * time.Millisecond))
	if !ok || it.data != nil || it.fec == nil || it.fec[0] != 3 {
		t.Fatalf("lost 2: %v %+v", ok, it)
	}
	if it, ok, _ := j.pop(t0); !ok || it.data[0] != 3 {
		t.Fatalf("3: %v %+v", ok, it)
	}
	// Reordered: 5 before 4, both played in order without loss.
	j.push(5, pkt(5), t0)
	j.push(4, pkt(4), t0)
	for _, want := range []byte{4, 5} {
		if it, ok, _ := j.pop(t0); !ok || it.data == nil || it.data[0] != want {
			t.Fatalf("want %d: %v %+v", want, ok, it)
		}
	}
	// A long outage is concealed up to maxConceal frames.
	j.push(6+1000, pkt(6), t0)
	lost := 0
	for {
		it, ok, _ := j.pop(t0)
		if !ok {
			t.Fatal("stream did not resume")
		}
		if it.data != nil {
			break
		}
		lost++
	}
	if lost != maxConceal {
		t.Fatalf("%d frames concealed after an outage, want %d", lost, maxConceal)
	}
}

// TestAudioPaddingIsNotLoss: padding-only packets between audio packets take
// their sequence numbers without a frame lost or concealed.
func TestAudioPaddingIsNotLoss(t *testing.T) {
	t0 := time.Unix(1000, 0)
	j := newAudioJitter(40 * time.Millisecond)
	j.pushPadding(9, t0) // before the first frame
	j.push(10, []byte{10}, t0)
	j.pushPadding(11, t0)
	j.pushPadding(12, t0)
	j.push(13, []byte{13}, t0)
	j.pushPadding(14, t0) // the newest
	var got []byte
	for {
		it, ok, _ := j.pop(t0)
		if !ok {
			break
		}
		if it.data == nil {
			t.Fatalf("a frame was called lost after %v", got)
		}
		got = append(got, it.data[0])
	}
	if string(got) != "\x0a\x0d" {
		t.Fatalf("played %v, want [10 13]", got)
	}
	// The stream goes on after the padding without a gap.
	j.push(15, []byte{15}, t0)
	if it, ok, _ := j.pop(t0); !ok || it.data == nil || it.data[0] != 15 {
		t.Fatalf("after padding: %v %+v", ok, it)
	}
}

func TestLadder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	l := newLadder(320, 240, 300)
	if w, h, _ := l.size(); w != 320 || h != 240 || l.fps() != 30 {
		t.Fatalf("start %dx%d@%d", w, h, l.fps())
	}
	for i := 0; i < 10; i++ {
		l.update(25, t0)
	}
	if w, h, _ := l.size(); w != 160 || h != 120 || l.fps() > 15 {
		t.Fatalf("at 25 kbit/s %dx%d@%d", w, h, l.fps())
	}
	// Up only after the hold.
	l.update(1000, t0)
	if l.update(1000, t0.Add(upHold/2)) {
		t.Fatal("stepped up before the hold")
	}
	if !l.update(1000, t0.Add(upHold)) {
		t.Fatal("did not step up after the hold")
	}
}

func BenchmarkFrameAssembler(b *testing.B) {
	t0 := time.Unix(1000, 0)
	frame := make([][]vp8Part, 64)
	for n := range frame {
		frame[n] = parts(uint16(n*8), n, 8, n == 0, t0)
	}
	a := newFrameAssembler(50 * time.Millisecond)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n := i % 64
		base := uint16(i/64*64*8) + uint16(n*8)
		for k, p := range frame[n] {
			p.seq = base + uint16(k)
			p.ts = uint32(3000 * i)
			a.push(p)
		}
		if _, ok, _ := a.pop(t0); !ok {
			b.Fatal("no frame")
		}
	}
	b.ReportMetric(8, "packets/op")
}

func BenchmarkAudioJitter(b *testing.B) {
	t0 := time.Unix(1000, 0)
	j := newAudioJitter(40 * time.Millisecond)
	data := make([]byte, 80)
	b.ReportAllocs()
	for i := range b.N {
		j.push(uint16(i), data, t0)
		if _, ok, _ := j.pop(t0); !ok {
			b.Fatal("no frame")
		}
	}
}

// BenchmarkCallSetup: New → both Connected (first remote video frame
// decoded) for two in-process sessions on loopback.
func BenchmarkCallSetup(b *testing.B) {
	var total time.Duration
	for range b.N {
		a := newPeer(b, "a", peerOpts{camera: true, toneHz: 440})
		c := newPeer(b, "b", peerOpts{camera: true, toneHz: 660})
		total += dial(b, a, c)
		closeAll(b, a.s, c.s)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/setup")
}
