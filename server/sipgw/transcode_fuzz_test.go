package sipgw

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"
)

// FuzzTranscode feeds both halves of a transcoder packets whose sequence
// numbers, timestamps, SSRCs and payloads are arbitrary (the phone's RTP
// is anyone's, and the party's Opus its own): they must not panic, and
// what they send must be 20 ms at most, Opus or G.711 alike.
func FuzzTranscode(f *testing.F) {
	f.Add([]byte("\x00\x01\x00\x00\x00\xa0\xa0\x00\x02\x00\x00\x01\x40\xa0"))
	f.Add([]byte("\xff\xff\xff\xff\xff\x00\x10\x00\x00\x00\x00\x00\x00\x08"))
	tc := newTestTranscoder(f, codecPCMA, 8)
	g711 := make([]byte, maxG711Payload+100)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Records of 7 bytes: sequence number, timestamp, payload length.
		for len(data) >= 7 {
			seq, ts, n := binary.BigEndian.Uint16(data), binary.BigEndian.Uint32(data[2:]), int(data[6])
			data = data[7:]
			ssrc := uint32(seq >> 15)
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc},
				Payload: g711[:min(n*5, len(g711))]}
			if err := tc.toOpus.push(p, func(o *rtp.Packet) error {
				if len(o.Payload) == 0 || len(o.Payload) > maxOpusPacket {
					t.Fatalf("an Opus packet of %d bytes", len(o.Payload))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			q := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts * 6, SSRC: ssrc},
				Payload: data[:min(n%40, len(data))]}
			_ = tc.toG711.push(q, 1, func(raw []byte) error {
				if len(raw) <= 12 || len(raw) > 12+frame8 {
					t.Fatalf("a G.711 packet of %d bytes", len(raw))
				}
				return nil
			})
		}
	})
}
