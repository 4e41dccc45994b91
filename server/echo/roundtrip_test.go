package echo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/call/media/vp8"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/synthetic"
)

// Tests may use the client's codecs and synthetic devices: the layering
// rule is on what server/echo builds with, not on its tests.

const toneHz = 440

// patternFrame is one echoed picture, read back.
type patternFrame struct {
	seq           uint32
	captured, got time.Time
}

// codecMedia is a phone's real media: the test pattern through VP8 and a
// tone through Opus, and the decoded echo of both.
type codecMedia struct {
	frames  chan patternFrame
	pcm     chan []int16
	keyReqs atomic.Int32 // key frames the phone's encoder was asked for
}

// addCodecs gives p a VP8 track fed by the test pattern and an Opus track
// fed by a tone, and decodes what comes back. It skips the test when the
// codecs are not built in (no cgo).
func (p *phone) addCodecs(ctx context.Context) *codecMedia {
	t := p.t
	t.Helper()
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{Width: 160, Height: 120, FPS: 30, BitrateKbps: 400, NoFrameDrop: true})
	if errors.Is(err, vp8.ErrUnavailable) {
		t.Skip("VP8 is not built in (cgo off)")
	}
	if err != nil {
		t.Fatal(err)
	}
	aenc, err := opus.NewEncoder(0)
	if err != nil {
		enc.Close()
		t.Fatal(err)
	}
	src, err := synthetic.NewPattern(synthetic.PatternConfig{Width: 160, Height: 120, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	tone, err := synthetic.NewTone(toneHz)
	if err != nil {
		t.Fatal(err)
	}
	video, err := webrtc.NewTrackLocalStaticSample(vp8Codec, "video", "phone")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := webrtc.NewTrackLocalStaticSample(opusCodec, "audio", "phone")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := p.pc.AddTrack(video)
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.pc.AddTrack(audio)
	if err != nil {
		t.Fatal(err)
	}
	m := &codecMedia{frames: make(chan patternFrame, 256), pcm: make(chan []int16, 256)}
	var forceKey atomic.Bool
	p.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			m.receiveVideo(p, tr)
		} else {
			m.receiveAudio(tr)
		}
	})
	p.wg.Add(4)
	go func() { // the phone's camera
		defer p.wg.Done()
		defer enc.Close()
		defer src.Close()
		for {
			f, err := src.ReadFrame(ctx)
			if err != nil {
				return
			}
			pkt, _, err := enc.Encode(f, forceKey.Swap(false))
			if err != nil || pkt == nil {
				continue
			}
			_ = video.WriteSample(media.Sample{Data: pkt, Duration: time.Second / 30})
		}
	}()
	go func() { // the phone's microphone
		defer p.wg.Done()
		defer aenc.Close()
		defer tone.Close()
		pcm := make([]int16, device.FrameSamples)
		out := make([]byte, opus.MaxPacketSize)
		for tone.ReadAudio(ctx, pcm) == nil {
			n, err := aenc.Encode(pcm, out)
			if err != nil {
				continue
			}
			_ = audio.WriteSample(media.Sample{Data: append([]byte(nil), out[:n]...), Duration: device.FrameTime})
		}
	}()
	go func() { // key frames on request, as the call engine's encoder does
		defer p.wg.Done()
		for {
			pkts, _, err := vs.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				switch pk.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					m.keyReqs.Add(1)
					forceKey.Store(true)
				}
			}
		}
	}()
	go func() {
		defer p.wg.Done()
		for {
			if _, _, err := as.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	return m
}

// receiveVideo puts echoed VP8 frames together by the marker bit, decodes
// them and reads the pattern back. A gap in sequence numbers loses the
// frame in progress and asks for a key frame.
func (m *codecMedia) receiveVideo(p *phone, tr *webrtc.TrackRemote) {
	dec, err := vp8.NewDecoder()
	if err != nil {
		return
	}
	defer dec.Close()
	var (
		frame   []byte
		vp      codecs.VP8Packet
		lastSeq uint16
		started bool
		broken  bool
	)
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if started && pkt.SequenceNumber != lastSeq+1 {
			broken = true
			_ = p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
		}
		started, lastSeq = true, pkt.SequenceNumber
		payload, err := vp.Unmarshal(pkt.Payload)
		if err != nil {
			continue
		}
		if vp.S == 1 && vp.PID == 0 {
			frame, broken = frame[:0], false
		}
		frame = append(frame, payload...)
		if !pkt.Marker || broken {
			continue
		}
		f, ok, err := dec.Decode(frame)
		if err != nil || !ok {
			continue
		}
		got := time.Now()
		if seq, captured, ok := synthetic.DecodePattern(f); ok {
			select {
			case m.frames <- patternFrame{seq: seq, captured: captured, got: got}:
			default:
			}
		}
	}
}

func (m *codecMedia) receiveAudio(tr *webrtc.TrackRemote) {
	dec, err := opus.NewDecoder()
	if err != nil {
		return
	}
	defer dec.Close()
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		pcm := make([]int16, device.FrameSamples)
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			continue
		}
		select {
		case m.pcm <- pcm[:n]:
		default:
		}
	}
}

// roundTrip is what one echo call measured.
type roundTrip struct {
	connected  time.Duration // dial sent → the phone's media connected
	firstFrame time.Duration // dial sent → the first echoed frame decoded
	pattern    synthetic.PatternSummary
	toneHz     float64
}

// echoCall dials the echo test from number with real media, reads back
// frames pictures and a second of audio, and hangs up.
func echoCall(tb testing.TB, p *phone, frames int) roundTrip {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var r roundTrip
	start := time.Now()
	p.dial()
	m := p.addCodecs(ctx)
	p.offer()
	p.waitConnected()
	r.connected = time.Since(start)

	var stats synthetic.PatternStats
	var last uint32
	deadline := time.After(wait)
	for i := 0; i < frames; i++ {
		select {
		case f := <-m.frames:
			if i == 0 {
				r.firstFrame = f.got.Sub(start)
			} else if f.seq <= last {
				tb.Errorf("pattern frame %d came back after %d", f.seq, last)
			}
			last = f.seq
			stats.Add(f.seq, f.captured, f.got)
		case <-deadline:
			tb.Fatalf("%d of %d pattern frames came back", i, frames)
		}
	}
	r.pattern = stats.Summary()
	if m.keyReqs.Load() == 0 {
		tb.Errorf("the phone's encoder was never asked for a key frame; the echo asks when it starts")
	}

	var pcm []int16
	for len(pcm) < device.SampleRate+10*device.FrameSamples {
		select {
		case b := <-m.pcm:
			pcm = append(pcm, b...)
		case <-deadline:
			tb.Fatalf("%d ms of audio came back", len(pcm)/(device.SampleRate/1000))
		}
	}
	r.toneHz = synthetic.DominantFrequency(pcm[10*device.FrameSamples:], device.SampleRate)
	p.hangup()
	cancel()
	return r
}

// TestEchoRoundTrip: the caller's own test pattern comes back through VP8,
// the relay and the echo, every frame in order, and its tone comes back at
// its frequency.
func TestEchoRoundTrip(t *testing.T) {
	srv, e := start(t, Config{})
	p := newPhone(t, srv, alice)
	r := echoCall(t, p, 30)
	// Nothing may be missing here, unlike between two phones: this
	// phone's encoder never drops a frame (NoFrameDrop) and its receiver
	// has no deadline — a late packet, however late, is waited for — so
	// only a packet lost on loopback could cost a frame, and none is.
	if r.pattern.Missing != 0 || r.pattern.OutOfOrder != 0 {
		t.Errorf("pattern %+v: want nothing missing or out of order", r.pattern)
	}
	if math.Abs(r.toneHz-toneHz) > 5 {
		t.Errorf("the tone came back at %.1f Hz, want %d", r.toneHz, toneHz)
	}
	t.Logf("connected in %v, first echoed frame at %v, round trip p50 %.1f ms p95 %.1f ms, tone %.1f Hz",
		r.connected.Round(time.Millisecond), r.firstFrame.Round(time.Millisecond), r.pattern.LatencyP50, r.pattern.LatencyP95, r.toneHz)
	waitLive(t, e, 0)
}

// BenchmarkEchoCall measures, per echo call on loopback through the relay,
// set-up (dial → media connected, and dial → first echoed frame decoded)
// and the round trip of the pattern (capture → encode → relay → echo →
// relay → decode), at 160×120, 30 fps.
func BenchmarkEchoCall(b *testing.B) {
	srv, _ := start(b, Config{})
	var connected, first time.Duration
	var p50, p95 float64
	for i := range b.N {
		p := newPhone(b, srv, fmt.Sprintf("+1555020%04d", i))
		r := echoCall(b, p, 30)
		p.close()
		connected += r.connected
		first += r.firstFrame
		p50 += r.pattern.LatencyP50
		p95 += r.pattern.LatencyP95
	}
	n := float64(b.N)
	b.ReportMetric(float64(connected.Microseconds())/1000/n, "ms/connect")
	b.ReportMetric(float64(first.Microseconds())/1000/n, "ms/first-frame")
	b.ReportMetric(p50/n, "ms-rtt-p50")
	b.ReportMetric(p95/n, "ms-rtt-p95")
}
