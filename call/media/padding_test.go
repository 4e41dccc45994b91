package media

import (
	"log/slog"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/dialtone/dialtone/call/media/vp8"
	"github.com/dialtone/dialtone/device"
)

// TestPaddingIsNotLoss sends what Chromium sends when no RTX is negotiated:
// a run of padding-only RTP packets before the first frame and more between
// frames, each with its own sequence number. Every frame must come out
// unbroken and decoded, and no key frame may be asked for.
func TestPaddingIsNotLoss(t *testing.T) {
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: 160, Height: 120})
	if err != nil {
		t.Skipf("no VP8 encoder in this build: %v", err)
	}
	defer enc.Close()
	dec, err := vp8.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()

	now := time.Unix(1000, 0)
	s := &Session{cfg: Config{Now: func() time.Time { return now }}, log: slog.New(slog.DiscardHandler)}
	plis := 0
	v := videoReceiver{s: s, dec: dec, ssrc: 1, asm: newFrameAssembler(videoWaitMin), needKey: true,
		keyRequest: func(uint32) { plis++ }}

	var seq uint16 = 65500 // wraps during the test
	send := func(p *rtp.Packet) {
		// Through the wire format, as pion's ReadRTP hands it over.
		p.Version, p.PayloadType, p.SequenceNumber, p.SSRC = 2, 96, seq, 1
		seq++
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var got rtp.Packet
		if err := got.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		v.push(&got)
	}
	padding := func(n int, ts uint32) {
		for range n {
			send(&rtp.Packet{Header: rtp.Header{Timestamp: ts, Padding: true}, PaddingSize: 224})
		}
	}

	const frames = 20
	padding(14, 0) // the run at the start of a call
	var pay codecs.VP8Payloader
	decoded := 0
	for i := range frames {
		f := device.NewFrame(160, 120)
		for j := range f.Y {
			f.Y[j] = byte(i*7 + j%160)
		}
		f.Time = now
		pkt, _, err := enc.Encode(f, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		ts := uint32(3000 * i)
		parts := pay.Payload(300, pkt)
		for k, part := range parts {
			send(&rtp.Packet{Header: rtp.Header{Timestamp: ts, Marker: k == len(parts)-1}, Payload: part})
		}
		padding(i%3, ts) // probes between frames
		now = now.Add(33 * time.Millisecond)
		for {
			fr, ok, _ := v.asm.pop(now)
			if !ok {
				break
			}
			if fr.broken {
				t.Fatalf("frame %d came out broken", i)
			}
			before := s.st.videoDecoded.Load()
			v.decode(fr)
			if s.st.videoDecoded.Load() > before {
				decoded++
			}
		}
	}
	if decoded != frames || plis != 0 || v.asm.dropped != 0 {
		t.Fatalf("decoded %d of %d frames, %d key frame requests, %d packets dropped; want all, 0, 0",
			decoded, frames, plis, v.asm.dropped)
	}
}
