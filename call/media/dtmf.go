package media

import (
	"fmt"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
	"github.com/dialtone/dialtone/device"
)

// tonesQueue is how many received keys wait for Tones' reader; more are
// dropped (a reader that far behind has stopped reading).
const tonesQueue = 64

// registerTones offers telephone-event/48000 beside Opus: keypad tones
// travel in-band on the audio stream, as browsers send them.
func registerTones(me *webrtc.MediaEngine) error {
	if err := me.RegisterCodec(dtmf.Codec(), webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("registering telephone-event: %w", err)
	}
	return nil
}

// SendTones queues keypad digits (0–9, *, #, A–D; ',' waits a second) to
// send as RFC 4733 events on the audio stream, one after another, each
// 120 ms with 100 ms between. It fails without a microphone (there is no
// audio stream to carry them) and when the other party did not take
// telephone-event.
func (s *Session) SendTones(digits string) error {
	if s.audioTrack == nil {
		return fmt.Errorf("media: sending tones: %w", ErrNoAudio)
	}
	if !dtmf.Valid(digits) {
		return fmt.Errorf("media: sending tones %q: %w", digits, dtmf.ErrNotDigit)
	}
	snd := s.toneSender.Load()
	if snd == nil {
		rate, ok := s.audioTrack.EventRate()
		if !ok {
			return fmt.Errorf("media: sending tones: %w", dtmf.ErrNotNegotiated)
		}
		s.toneSender.CompareAndSwap(nil, dtmf.NewSender(device.FrameSamples*time.Second/device.SampleRate, int(rate)))
		snd = s.toneSender.Load()
	}
	return snd.Queue(digits)
}

// Tones delivers the keys the other party sends, each event once.
func (s *Session) Tones() <-chan byte { return s.tonesIn }

// sendTone sends the frame's event packet in place of its audio, when a
// digit is being sent; it reports whether it did.
func (s *Session) sendTone(seq uint16, ts uint32) bool {
	snd := s.toneSender.Load()
	if snd == nil {
		return false
	}
	p, ok := snd.Next(ts)
	if !ok {
		return false
	}
	if err := s.audioTrack.WriteEvent(rtp.Header{SequenceNumber: seq}, p); err != nil {
		s.log.Debug("writing a telephone event", "err", err)
	}
	return true
}

// toneReader finds the telephone-event packets of the other party's audio
// stream.
type toneReader struct {
	pts map[uint8]bool
	r   dtmf.Receiver
}

func newToneReader(r *webrtc.RTPReceiver) *toneReader {
	t := &toneReader{pts: map[uint8]bool{}}
	for _, c := range r.GetParameters().Codecs {
		if dtmf.IsEvent(c) {
			t.pts[uint8(c.PayloadType)] = true
		}
	}
	return t
}

// take reports whether p is an event packet and passes its key, the first
// time an event shows, to the session's Tones. The packet then goes on to
// the audio decoder as padding: its sequence number is no lost frame.
func (t *toneReader) take(s *Session, p *rtp.Packet) bool {
	if !t.pts[p.PayloadType] {
		return false
	}
	if d, ok := t.r.Push(p.Timestamp, p.Marker, p.Payload); ok {
		s.log.Debug("telephone event", "digit", string(d))
		select {
		case s.tonesIn <- d:
		default:
		}
	}
	p.Payload = nil
	return true
}
