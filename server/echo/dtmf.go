package echo

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
)

// Keypad tones are echoed too: the caller's RFC 4733 events come back on
// the echoed audio, so pressing a key on the echo test shows it as the
// other side's (a way to try the keypad, and a SIP phone's, without a menu
// to call).

// newEchoTrack makes a leg's echo track; the audio one also writes
// telephone events.
func newEchoTrack(codec webrtc.RTPCodecCapability, kind webrtc.RTPCodecType) (webrtc.TrackLocal, *webrtc.TrackLocalStaticRTP, *dtmf.Track, error) {
	id := "echo-" + kind.String()
	if kind != webrtc.RTPCodecTypeAudio {
		t, err := webrtc.NewTrackLocalStaticRTP(codec, id, "echo")
		return t, t, nil, err
	}
	t, err := dtmf.NewTrack(codec, id, "echo")
	if err != nil {
		return nil, nil, nil, err
	}
	return t, t.TrackLocalStaticRTP, t, nil
}

// echoTone sends an event packet of the caller's back; it reports whether
// pkt was one.
func (c *call) echoTone(l *leg, codec webrtc.RTPCodecParameters, pkt *rtp.Packet) bool {
	if l.tones == nil || !dtmf.IsEvent(codec) {
		return false
	}
	ev, err := dtmf.Parse(pkt.Payload)
	if err != nil {
		return true
	}
	if err := l.tones.WriteEvent(rtp.Header{SequenceNumber: pkt.SequenceNumber}, dtmf.Packet{Timestamp: pkt.Timestamp, Marker: pkt.Marker, Event: ev}); err != nil {
		c.log.Debug("echoing a telephone event", "err", err)
		return true
	}
	c.e.stats.packets.Add(1)
	return true
}
