package dtmf

import (
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// PayloadType is the payload type dialtone gives telephone-event/48000
// (what browsers' RTCDTMFSender uses beside Opus; Chrome offers 110, an
// answer takes the offer's).
const PayloadType = 101

// Codec is telephone-event at Opus's clock, to register with a pion
// MediaEngine as an audio codec after Opus.
func Codec() webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: MimeType, ClockRate: 48000, SDPFmtpLine: FmtpLine},
		PayloadType:        PayloadType,
	}
}

// IsEvent reports whether a negotiated codec is telephone-event.
func IsEvent(c webrtc.RTPCodecParameters) bool {
	return strings.EqualFold(c.MimeType, MimeType)
}

// Track is an audio track that writes telephone events on its own SSRC
// and sequence numbers: pion's TrackLocalStaticRTP stamps every packet
// with the audio codec's payload type, so events go around it, to the
// same write stream, with the negotiated telephone-event payload type.
type Track struct {
	*webrtc.TrackLocalStaticRTP

	mu    sync.RWMutex
	binds []binding
}

type binding struct {
	id   string
	ssrc uint32
	pt   uint8
	rate uint32
	w    webrtc.TrackLocalWriter
}

// NewTrack makes an audio track of codec c.
func NewTrack(c webrtc.RTPCodecCapability, id, streamID string) (*Track, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(c, id, streamID)
	if err != nil {
		return nil, err
	}
	return &Track{TrackLocalStaticRTP: t}, nil
}

// Bind is pion's: the audio binds as in TrackLocalStaticRTP, and the
// negotiated telephone-event, if any, is kept — the one at the audio's
// clock rate when there are several.
func (t *Track) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := t.TrackLocalStaticRTP.Bind(ctx)
	if err != nil {
		return p, err
	}
	b := binding{id: ctx.ID(), ssrc: uint32(ctx.SSRC()), w: ctx.WriteStream()}
	for _, c := range ctx.CodecParameters() {
		if IsEvent(c) && (b.pt == 0 || c.ClockRate == p.ClockRate) {
			b.pt, b.rate = uint8(c.PayloadType), c.ClockRate
		}
	}
	t.mu.Lock()
	t.binds = append(t.binds, b)
	t.mu.Unlock()
	return p, nil
}

// Unbind is pion's.
func (t *Track) Unbind(ctx webrtc.TrackLocalContext) error {
	t.mu.Lock()
	for i, b := range t.binds {
		if b.id == ctx.ID() {
			t.binds = append(t.binds[:i], t.binds[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	return t.TrackLocalStaticRTP.Unbind(ctx)
}

// EventRate is the clock rate of the negotiated telephone-event; ok is
// false while nothing is bound or the other end did not take events.
func (t *Track) EventRate() (rate uint32, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, b := range t.binds {
		if b.pt != 0 {
			return b.rate, true
		}
	}
	return 0, false
}

// WriteEvent writes one event packet: h's sequence number, timestamp and
// marker, the binding's SSRC and telephone-event payload type. A binding
// without telephone-event gets nothing; ErrNotNegotiated when none has it.
func (t *Track) WriteEvent(h rtp.Header, p Packet) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	payload := p.Event.Marshal(make([]byte, 0, PayloadSize))
	sent := false
	var firstErr error
	for _, b := range t.binds {
		if b.pt == 0 {
			continue
		}
		h := h
		h.Version, h.SSRC, h.PayloadType = 2, b.ssrc, b.pt
		h.Timestamp, h.Marker = p.Timestamp, p.Marker
		if _, err := b.w.WriteRTP(&h, payload); err != nil && firstErr == nil {
			firstErr = err
		}
		sent = true
	}
	if !sent {
		return ErrNotNegotiated
	}
	return firstErr
}
