package echo

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// BenchmarkEchoPacket is the echo's own work per packet: parse, strip what
// belongs to the caller's stream, and hand it to the local track (unbound
// here, so pion's SRTP and socket work is left out).
func BenchmarkEchoPacket(b *testing.B) {
	local, err := webrtc.NewTrackLocalStaticRTP(vp8Codec, "video", "echo")
	if err != nil {
		b.Fatal(err)
	}
	in := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 90000, SSRC: 42, Marker: true}, Payload: make([]byte, 1100)}
	if err := in.SetExtension(3, []byte{0, 1}); err != nil {
		b.Fatal(err)
	}
	buf, err := in.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var pkt rtp.Packet
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := pkt.Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
		echoPacket(&pkt)
		if err := local.WriteRTP(&pkt); err != nil {
			b.Fatal(err)
		}
	}
}
