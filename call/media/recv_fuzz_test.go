package media

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/dialtone/dialtone/call/media/vp8"
)

// FuzzReceivePath feeds what a hostile peer could send — any sequence of
// RTP packets, in any order, with any payload — through depacketising, the
// video frame assembler, the VP8 decoder and the audio jitter buffer. None
// may panic, and the buffers stay within their bounds.
func FuzzReceivePath(f *testing.F) {
	pkt := func(seq uint16, ts uint32, marker bool, payload []byte) []byte {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload}
		b, _ := p.Marshal()
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
	}
	var seed []byte
	seed = append(seed, pkt(1, 0, false, []byte{0x90, 0x80, 0x01, 0x10, 0x02, 0x00})...)
	seed = append(seed, pkt(2, 0, true, []byte{0x80, 0x80, 0x01, 0x00, 0x00})...)
	seed = append(seed, pkt(40000, 3000, true, []byte{0x10, 0xff})...)
	f.Add(seed)
	f.Add(pkt(65535, 1, true, []byte{0x10}))
	f.Add([]byte{0, 3, 0x80, 0, 0})
	// Padding-only packets around a frame.
	pad := func(seq uint16) []byte {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Padding: true}, PaddingSize: 4}
		b, _ := p.Marshal()
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
	}
	f.Add(append(append(pad(7), pkt(8, 0, true, []byte{0x90, 0x80, 0x01, 0x10, 0x02, 0x00})...), pad(9)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := vp8.NewDecoder()
		if err != nil {
			t.Skip("no VP8 decoder in this build")
		}
		defer dec.Close()
		asm := newFrameAssembler(50 * time.Millisecond)
		aj := newAudioJitter(40 * time.Millisecond)
		var depack codecs.VP8Packet
		now := time.Unix(1000, 0)
		for len(data) >= 2 {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			raw := data[:n]
			data = data[n:]
			now = now.Add(time.Duration(n%64) * time.Millisecond)
			var p rtp.Packet
			if p.Unmarshal(raw) != nil {
				continue
			}
			if len(p.Payload) > 0 {
				aj.push(p.SequenceNumber, p.Payload, now)
			} else {
				aj.pushPadding(p.SequenceNumber, now)
			}
			for {
				if _, ok, _ := aj.pop(now); !ok {
					break
				}
			}
			if len(p.Payload) == 0 {
				// Padding only, as videoReceiver.push keeps it.
				asm.push(vp8Part{seq: p.SequenceNumber, ts: p.Timestamp, padding: true, at: now})
			} else {
				payload, err := depack.Unmarshal(p.Payload)
				if err != nil || len(payload) == 0 {
					continue
				}
				asm.push(vp8Part{seq: p.SequenceNumber, ts: p.Timestamp, marker: p.Marker,
					start: depack.S == 1 && depack.PID == 0, data: payload, at: now})
			}
			if got := asm.pending(); got > videoRing {
				t.Fatalf("the assembler holds %d sequence numbers; its ring is %d", got, videoRing)
			}
			for {
				fr, ok, _ := asm.pop(now)
				if !ok {
					break
				}
				_, _, _ = dec.Decode(fr.data)
			}
		}
	})
}
