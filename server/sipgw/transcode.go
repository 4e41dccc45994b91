package sipgw

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/server/sipgw/g711"
	"github.com/dialtone/dialtone/server/sipgw/resample"
)

// Opus makes the Opus encoders and decoders the gateway transcodes G.711
// with. The server does not link the client's media stack, so cmd/ gives
// it one (libopus, through call/media/opus); without it (Config.Opus nil,
// as in the static build) a phone that offers G.711 only is answered 488.
type Opus interface {
	// NewEncoder returns an encoder of 48 kHz mono PCM in 20 ms frames.
	NewEncoder() (OpusEncoder, error)
	// NewDecoder returns a 48 kHz mono decoder.
	NewDecoder() (OpusDecoder, error)
}

// OpusEncoder is an Opus encoder (call/media/opus.Encoder is one).
type OpusEncoder interface {
	// Encode compresses pcm into out and returns the packet's length.
	Encode(pcm []int16, out []byte) (int, error)
	// SetPacketLoss tells the encoder the loss its receiver reports (0 to
	// 100 %), so that it adds in-band FEC. It may be called while another
	// goroutine encodes.
	SetPacketLoss(pct int) error
	Close()
}

// OpusDecoder is an Opus decoder (call/media/opus.Decoder is one).
type OpusDecoder interface {
	// Decode decodes pkt into pcm and returns the samples written.
	Decode(pkt []byte, pcm []int16) (int, error)
	// DecodeFEC recovers the lost frame before next, len(pcm) samples.
	DecodeFEC(next []byte, pcm []int16) (int, error)
	// Conceal fills pcm, a lost frame, with loss concealment.
	Conceal(pcm []int16) (int, error)
	Close()
}

const (
	// frame8 and frame48 are 20 ms at G.711's rate and at Opus's: the
	// packets the gateway sends each way.
	frame8  = g711.SampleRate / 50
	frame48 = frame8 * resample.Factor
	// maxOpusFrame is the longest Opus packet, 120 ms at 48 kHz.
	maxOpusFrame = 5760
	// maxOpusPacket bounds one encoded 20 ms frame.
	maxOpusPacket = 1276
	// fillGap is the longest hole in the phone's stream (in 8 kHz
	// samples: loss, or silence it did not send) filled with silence so
	// that the Opus stream runs on; past it the stream jumps ahead, as
	// after Opus DTX.
	fillGap = 3 * frame8
	// concealFrames bounds the lost Opus packets made up by FEC or loss
	// concealment; past it the G.711 stream jumps ahead.
	concealFrames = 3
	// maxJump is the longest gap in the party's timestamps (48 kHz) that
	// the phone's skip too; past it, a clock gone wrong, they run on.
	maxJump = 60 * 48000
)

// transcoder joins a G.711 phone to the Opus track of the WebRTC side: its
// two halves are each used by one of the bridge's goroutines (readSIP,
// onTrack), so they share nothing.
type transcoder struct {
	toOpus toOpus
	toG711 toG711
	loss   int // the last loss the party reported, in %; readRTCP's
}

// newTranscoder builds a stream's transcoder. It owns the codecs until
// close.
func newTranscoder(codec Opus, s *stream) (*transcoder, error) {
	if codec == nil {
		return nil, errNoCodec
	}
	law := g711.Ulaw
	if s.codec == codecPCMA {
		law = g711.Alaw
	}
	enc, err := codec.NewEncoder()
	if err != nil {
		return nil, fmt.Errorf("creating the Opus encoder: %w", err)
	}
	dec, err := codec.NewDecoder()
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("creating the Opus decoder: %w", err)
	}
	var seed [12]byte
	_, _ = rand.Read(seed[:]) // never fails (crypto/rand)
	t := &transcoder{
		toOpus: toOpus{law: law, enc: enc, seq: binary.BigEndian.Uint16(seed[0:]), ts: binary.BigEndian.Uint32(seed[2:])},
		toG711: toG711{law: law, dec: dec, pt: s.pt, seq: binary.BigEndian.Uint16(seed[6:]), ts: binary.BigEndian.Uint32(seed[8:])},
	}
	return t, nil
}

// close releases the codecs, once the bridge's goroutines are done.
func (t *transcoder) close() {
	t.toOpus.enc.Close()
	t.toG711.dec.Close()
}

// toOpus turns the phone's G.711 into 20 ms Opus packets: decoded, gaps
// filled, collected into frames, interpolated to 48 kHz and encoded. Its
// RTP timestamps follow the phone's, times six; its sequence numbers are
// its own.
type toOpus struct {
	law g711.Law
	enc OpusEncoder
	up  resample.Up

	started bool
	ssrc    uint32 // the phone's stream
	next    uint32 // the phone's timestamp of the next sample expected
	frame   [frame8]int16
	fill    int    // samples in frame
	seq     uint16 // of the next packet sent
	ts      uint32 // of the frame being filled, at 48 kHz
	marker  bool   // the next packet starts a talkspurt

	pcm8  [maxG711Payload]int16
	pcm48 [frame48]int16
	out   [maxOpusPacket]byte
	pkt   rtp.Packet
}

// maxG711Payload bounds the samples of one G.711 packet taken: 120 ms, far
// beyond any ptime phones use; a longer packet's excess is dropped.
const maxG711Payload = 960

// errCodec wraps the codec's failures, which drop one frame.
var errCodec = errors.New("transcoding")

// push takes one of the phone's packets and calls send with each Opus
// packet it completes. The packet send gets is reused.
func (t *toOpus) push(p *rtp.Packet, send func(*rtp.Packet) error) error {
	if len(p.Payload) == 0 {
		return nil
	}
	if !t.started || p.SSRC != t.ssrc {
		// A new stream (or the phone's first): its clock is its own, so
		// the Opus timestamps run on from the last frame.
		if err := t.flush(send); err != nil {
			return err
		}
		t.restart(p, false)
	}
	samples := p.Payload[:min(len(p.Payload), maxG711Payload)]
	switch rel := int32(p.Timestamp - t.next); {
	case rel < -int32(10*fillGap):
		// Far behind what came: the phone restarted its clock.
		if err := t.flush(send); err != nil {
			return err
		}
		t.restart(p, false)
	case rel < 0:
		// Late (reordered past a frame sent, or duplicated): what is new
		// of it, if anything, is taken.
		if int(-rel) >= len(samples) {
			return nil
		}
		samples = samples[-rel:]
	case rel > fillGap:
		// Silence the phone did not send, or a long loss: end the frame
		// and jump ahead with the phone's clock.
		if err := t.flush(send); err != nil {
			return err
		}
		t.restart(p, true)
	case rel > 0:
		if err := t.silence(int(rel), send); err != nil {
			return err
		}
	}
	pcm := t.law.Decode(t.pcm8[:len(samples)], samples)
	t.next += uint32(len(pcm))
	for len(pcm) > 0 {
		n := copy(t.frame[t.fill:], pcm)
		t.fill += n
		pcm = pcm[n:]
		if t.fill == frame8 {
			if err := t.encode(send); err != nil {
				return err
			}
		}
	}
	return nil
}

// restart begins a new run of the phone's stream at p, at a frame's
// start; with jump, the Opus timestamps skip the time the phone's did.
func (t *toOpus) restart(p *rtp.Packet, jump bool) {
	if g := int32(p.Timestamp - t.next); jump && t.started && g > 0 {
		t.ts += uint32(g) * resample.Factor
	}
	t.started, t.ssrc, t.next, t.marker = true, p.SSRC, p.Timestamp, true
	t.up.Reset()
}

// silence fills n missing samples with silence.
func (t *toOpus) silence(n int, send func(*rtp.Packet) error) error {
	for n > 0 {
		k := min(n, frame8-t.fill)
		clear(t.frame[t.fill : t.fill+k])
		t.fill += k
		t.next += uint32(k)
		n -= k
		if t.fill == frame8 {
			if err := t.encode(send); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush pads and sends a partly filled frame.
func (t *toOpus) flush(send func(*rtp.Packet) error) error {
	if t.fill == 0 {
		return nil
	}
	clear(t.frame[t.fill:])
	t.next += uint32(frame8 - t.fill)
	return t.encode(send)
}

// encode sends the full frame and starts the next.
func (t *toOpus) encode(send func(*rtp.Packet) error) error {
	pcm48 := t.up.Process(t.pcm48[:], t.frame[:])
	ts := t.ts
	t.fill = 0
	t.ts += frame48
	n, err := t.enc.Encode(pcm48, t.out[:])
	if err != nil {
		return fmt.Errorf("%w: encoding Opus: %v", errCodec, err)
	}
	t.pkt.Header = rtp.Header{Version: 2, Marker: t.marker, SequenceNumber: t.seq, Timestamp: ts}
	t.pkt.Payload = t.out[:n]
	t.seq++
	t.marker = false
	return send(&t.pkt)
}

// toG711 turns the dialtone party's Opus into the phone's G.711: decoded
// (a lost packet recovered from the next one's FEC, or concealed),
// decimated to 8 kHz, encoded, and sent in 20 ms packets. Its RTP
// timestamps follow the party's, divided by six; a gap in them (Opus DTX,
// a long loss) is a gap in the phone's, with the marker bit after it.
type toG711 struct {
	law  g711.Law
	dec  OpusDecoder
	down resample.Down
	pt   uint8

	started bool
	ssrc    uint32 // the party's stream
	nextSeq uint16 // the party's sequence number expected next
	next    uint32 // and its timestamp
	frame   [frame8]int16
	fill    int
	seq     uint16 // of the next packet to the phone
	ts      uint32 // of the frame being filled, at 8 kHz
	marker  bool

	pcm48 [maxOpusFrame]int16
	pcm8  [maxOpusFrame/resample.Factor + 1]int16
	raw   [12 + frame8]byte
}

// push takes one of the party's Opus packets and calls send with each
// G.711 packet it completes, marshalled with the phone's payload type and
// ssrc; the bytes are reused after send returns.
func (t *toG711) push(p *rtp.Packet, ssrc uint32, send func([]byte) error) error {
	if len(p.Payload) == 0 {
		return nil
	}
	if !t.started || p.SSRC != t.ssrc {
		if err := t.flush(ssrc, send); err != nil {
			return err
		}
		t.started, t.ssrc, t.nextSeq, t.next, t.marker = true, p.SSRC, p.SequenceNumber, p.Timestamp, true
		t.down.Reset()
	}
	lost := int16(p.SequenceNumber - t.nextSeq)
	if lost < 0 {
		return nil // late or duplicated: its time has been played
	}
	switch gap := int32(p.Timestamp - t.next); {
	case gap < 0 || gap > maxJump:
		// The party's clock moved back, or very far on: run on from here.
		if err := t.flush(ssrc, send); err != nil {
			return err
		}
		t.marker = true
	case lost > 0 && lost <= concealFrames && concealable(int(gap), int(lost)):
		if err := t.conceal(p, int(lost), int(gap)/int(lost), ssrc, send); err != nil {
			return err
		}
	case gap > 0:
		// DTX (nothing was sent, nothing is lost), or a loss too long to
		// make up: the phone's stream has the same hole.
		if err := t.flush(ssrc, send); err != nil {
			return err
		}
		t.ts += uint32(gap) / resample.Factor
		t.marker = true
	}
	n, err := t.dec.Decode(p.Payload, t.pcm48[:])
	t.nextSeq, t.next = p.SequenceNumber+1, p.Timestamp+uint32(max(n, 0))
	if err != nil {
		return fmt.Errorf("%w: decoding Opus: %v", errCodec, err)
	}
	return t.add(t.pcm48[:n], ssrc, send)
}

// concealable reports whether a gap of lost packets can be made up: each
// a whole number of 2.5 ms, at most the longest Opus frame, as libopus
// takes them.
func concealable(gap, lost int) bool {
	if gap <= 0 || gap%lost != 0 {
		return false
	}
	each := gap / lost
	return each%120 == 0 && each <= maxOpusFrame
}

// conceal makes up the lost packets before p, each samples long: the one
// right before p from p's in-band FEC, the others by loss concealment.
func (t *toG711) conceal(p *rtp.Packet, lost, each int, ssrc uint32, send func([]byte) error) error {
	for i := range lost {
		pcm := t.pcm48[:each]
		var n int
		var err error
		if i == lost-1 {
			n, err = t.dec.DecodeFEC(p.Payload, pcm)
		} else {
			n, err = t.dec.Conceal(pcm)
		}
		if err != nil {
			return fmt.Errorf("%w: concealing a lost packet: %v", errCodec, err)
		}
		if err := t.add(pcm[:n], ssrc, send); err != nil {
			return err
		}
	}
	return nil
}

// add decimates 48 kHz PCM into the frame, sending each frame filled.
func (t *toG711) add(pcm48 []int16, ssrc uint32, send func([]byte) error) error {
	pcm := t.down.Process(t.pcm8[:], pcm48)
	for len(pcm) > 0 {
		n := copy(t.frame[t.fill:], pcm)
		t.fill += n
		pcm = pcm[n:]
		if t.fill == frame8 {
			if err := t.flush(ssrc, send); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush sends the frame as it is (a short packet, before a gap) and starts
// the next after it.
func (t *toG711) flush(ssrc uint32, send func([]byte) error) error {
	if t.fill == 0 {
		return nil
	}
	h := rtp.Header{Version: 2, Marker: t.marker, PayloadType: t.pt, SequenceNumber: t.seq, Timestamp: t.ts, SSRC: ssrc}
	n, err := h.MarshalTo(t.raw[:])
	if err != nil {
		return err
	}
	t.law.Encode(t.raw[n:n+t.fill], t.frame[:t.fill])
	raw := t.raw[:n+t.fill]
	t.seq++
	t.ts += uint32(t.fill)
	t.fill, t.marker = 0, false
	return send(raw)
}

// fromPhone passes one of the phone's G.711 packets on as Opus.
func (b *bridge) fromPhone(l *leg, p *rtp.Packet) {
	err := l.tc.toOpus.push(p, func(o *rtp.Packet) error {
		b.renumber(l, o) // after the keys put into the stream (SIP INFO's)
		if err := l.local.WriteRTP(o); err != nil {
			return err
		}
		b.stats.rtpFromSIP.Add(1)
		return nil
	})
	if err != nil {
		b.log.Debug("transcoding the phone's audio", "err", err)
	}
}

// toPhone passes one of the dialtone party's Opus packets on to the phone
// as G.711.
func (b *bridge) toPhone(l *leg, p *rtp.Packet) {
	err := l.tc.toG711.push(p, l.ssrc, func(raw []byte) error {
		l.tx.addRaw(raw, time.Now())
		raw, err := l.sealRTP(raw)
		if err != nil {
			return err
		}
		to, _ := l.target()
		if _, err := b.conn.WriteToUDPAddrPort(raw, to); err != nil {
			return err
		}
		b.stats.rtpToSIP.Add(1)
		return nil
	})
	if err != nil {
		b.log.Debug("transcoding audio for the phone", "err", err)
	}
}

// lossFromPeer passes the loss the dialtone party reports of a transcoded
// leg's Opus stream to its encoder: above zero, each packet carries the
// previous one's FEC, which the party's decoder recovers a loss from.
func (b *bridge) lossFromPeer(l *leg, ssrc uint32, reports []rtcp.ReceptionReport) {
	if l.tc == nil {
		return
	}
	for _, r := range reports {
		if r.SSRC != ssrc {
			continue // of another stream of ours
		}
		// FractionLost is in 256ths (RFC 3550 section 6.4.1); rounded up,
		// so that any loss turns FEC on.
		pct := (int(r.FractionLost)*100 + 255) / 256
		if pct != l.tc.loss {
			l.tc.loss = pct
			if err := l.tc.toOpus.enc.SetPacketLoss(pct); err != nil {
				b.log.Debug("telling the Opus encoder the loss", "err", err)
			}
		}
	}
}

// senderSSRC is the SSRC a sender sends under.
func senderSSRC(s *webrtc.RTPSender) uint32 {
	if enc := s.GetParameters().Encodings; len(enc) > 0 {
		return uint32(enc[0].SSRC)
	}
	return 0
}

// eventPlace gives a telephone event of the phone's, at its timestamp
// phoneTS, a place in the Opus stream: the next sequence number, and the
// timestamp of the same moment at 48 kHz.
func (t *toOpus) eventPlace(phoneTS uint32) (seq uint16, ts uint32) {
	seq, ts = t.seq, t.ts
	t.seq++
	if t.started {
		// The frame being filled starts at the phone's next-fill.
		ts += uint32(int32(phoneTS-(t.next-uint32(t.fill)))) * resample.Factor
	}
	return seq, ts
}

// eventPlace gives a telephone event of the party's, at its 48 kHz
// timestamp partyTS, a place in the phone's G.711 stream.
func (t *toG711) eventPlace(partyTS uint32) (seq uint16, ts uint32) {
	seq, ts = t.seq, t.ts
	t.seq++
	if t.started {
		// The frame being filled ends at the party's next, fill samples
		// (at 8 kHz) after its start.
		ts += uint32(int32(partyTS-(t.next-uint32(t.fill*resample.Factor))) / resample.Factor)
	}
	return seq, ts
}
