package dtmf

import (
	"errors"
	"sync"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// fakeBinding is what pion gives a track when it binds it to a sender: the
// negotiated codecs and a write stream, which records.
type fakeBinding struct {
	codecs []webrtc.RTPCodecParameters
	mu     sync.Mutex
	sent   []rtp.Packet
}

func (f *fakeBinding) CodecParameters() []webrtc.RTPCodecParameters           { return f.codecs }
func (f *fakeBinding) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (f *fakeBinding) SSRC() webrtc.SSRC                                      { return 0xabc }
func (f *fakeBinding) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (f *fakeBinding) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (f *fakeBinding) WriteStream() webrtc.TrackLocalWriter                   { return f }
func (f *fakeBinding) ID() string                                             { return "b1" }
func (f *fakeBinding) RTCPReader() interceptor.RTCPReader                     { return nil }
func (f *fakeBinding) Write(b []byte) (int, error)                            { return len(b), nil }
func (f *fakeBinding) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}

var opus = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}

func tev(pt webrtc.PayloadType, rate uint32) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: MimeType, ClockRate: rate}, PayloadType: pt}
}

func TestTrack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		codecs []webrtc.RTPCodecParameters
		pt     uint8
		rate   uint32
	}{
		{"Opus's clock wins", []webrtc.RTPCodecParameters{opus, tev(126, 8000), tev(110, 48000)}, 110, 48000},
		{"8000 alone", []webrtc.RTPCodecParameters{opus, tev(101, 8000)}, 101, 8000},
		{"none negotiated", []webrtc.RTPCodecParameters{opus}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := NewTrack(opus.RTPCodecCapability, "audio", "s")
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tr.EventRate(); ok {
				t.Fatal("an event rate before any binding")
			}
			b := &fakeBinding{codecs: tc.codecs}
			if p, err := tr.Bind(b); err != nil || p.PayloadType != 111 {
				t.Fatalf("Bind = %v, %v; want Opus", p, err)
			}
			rate, ok := tr.EventRate()
			if ok != (tc.pt != 0) || rate != tc.rate {
				t.Fatalf("EventRate = %d, %v; want %d", rate, ok, tc.rate)
			}
			// Audio goes as Opus, events as telephone-event, one SSRC.
			if err := tr.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 7}, Payload: []byte{0xf8}}); err != nil {
				t.Fatal(err)
			}
			err = tr.WriteEvent(rtp.Header{SequenceNumber: 8}, Packet{Timestamp: 960, Marker: true, Event: Event{Code: 11, Volume: 10, Duration: 160}})
			if tc.pt == 0 {
				if !errors.Is(err, ErrNotNegotiated) || len(b.sent) != 1 {
					t.Fatalf("WriteEvent without telephone-event: %v, %d packets", err, len(b.sent))
				}
				return
			}
			if err != nil || len(b.sent) != 2 {
				t.Fatalf("WriteEvent: %v, %d packets", err, len(b.sent))
			}
			a, e := b.sent[0], b.sent[1]
			if a.PayloadType != 111 || e.PayloadType != tc.pt || a.SSRC != 0xabc || e.SSRC != 0xabc ||
				e.SequenceNumber != 8 || e.Timestamp != 960 || !e.Marker || e.Version != 2 {
				t.Fatalf("audio %+v, event %+v", a.Header, e.Header)
			}
			if ev, err := Parse(e.Payload); err != nil || ev.Code != 11 || ev.Duration != 160 {
				t.Fatalf("event payload %+v, %v", ev, err)
			}
			if err := tr.Unbind(b); err != nil {
				t.Fatal(err)
			}
			if _, ok := tr.EventRate(); ok {
				t.Fatal("an event rate after Unbind")
			}
		})
	}
}
