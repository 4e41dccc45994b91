package media

import (
	"errors"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/call/media/vp8"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/synthetic"
)

const (
	// packetQueue is how many packets wait between a track's reader and
	// its decoder; beyond it packets are dropped (a decoder that far
	// behind is better served by a gap and a key frame).
	packetQueue = 512
	// Video gap wait: at least videoWaitMin, enough for a NACK round trip
	// (1.5 RTT plus the NACK interval) when the path is longer, at most
	// videoWaitMax.
	videoWaitMin = 60 * time.Millisecond
	videoWaitMax = 600 * time.Millisecond
	// audioWait is how long a gap in audio is waited for before it is
	// called lost (reordering only: audio is not retransmitted).
	audioWait = 40 * time.Millisecond
	// pliMinInterval keeps key frame requests from flooding the sender
	// while one is on its way.
	pliMinInterval = 250 * time.Millisecond
)

func (s *Session) onTrack(track *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	s.log.Debug("remote track", keyKind, track.Kind().String(), "codec", track.Codec().MimeType)
	pkts := make(chan *rtp.Packet, packetQueue)
	tones := newToneReader(r)
	if !s.spawn(func() { s.readTrack(track, tones, pkts) }) {
		return
	}
	s.spawn(func() { s.readReceiverRTCP(r) })
	switch track.Kind() {
	case webrtc.RTPCodecTypeVideo:
		s.spawn(func() { s.recvVideo(uint32(track.SSRC()), pkts) })
	case webrtc.RTPCodecTypeAudio:
		s.spawn(func() { s.recvAudio(pkts) })
	}
}

// readTrack moves a track's packets to its decoder until the connection
// closes, and measures the received bitrate and (for audio) the
// interarrival jitter.
func (s *Session) readTrack(track *webrtc.TrackRemote, tones *toneReader, out chan<- *rtp.Packet) {
	defer close(out)
	video := track.Kind() == webrtc.RTPCodecTypeVideo
	rate := float64(track.Codec().ClockRate)
	var jit jitterMeter
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		now := s.cfg.Now()
		if video {
			s.mark(phVideoRecv)
			s.st.videoBytes.add(float64(len(p.Payload)+12), now)
		} else {
			s.st.audioBytes.add(float64(len(p.Payload)+12), now)
			if !tones.take(s, p) && rate > 0 {
				s.st.jitterMs.Store(jit.add(now, p.Timestamp, rate))
			}
		}
		select {
		case out <- p:
		case <-s.ctx.Done():
			return
		default:
		}
	}
}

// jitterMeter is RFC 3550's interarrival jitter, in milliseconds.
type jitterMeter struct {
	started     bool
	lastTransit float64
	j           float64
}

func (m *jitterMeter) add(arrival time.Time, ts uint32, rate float64) float64 {
	// Transit in seconds, modulo the wrap of the RTP clock; only
	// differences matter.
	transit := float64(arrival.UnixNano())/1e9 - float64(ts)/rate
	if m.started {
		d := transit - m.lastTransit
		if d < 0 {
			d = -d
		}
		if d < 10 { // a timestamp wrap or a sender restart is not jitter
			m.j += (d - m.j) / 16
		}
	}
	m.started, m.lastTransit = true, transit
	return m.j * 1000
}

// videoWait is how long the video jitter buffer waits for a gap to fill.
func (s *Session) videoWait() time.Duration {
	rtt := time.Duration(s.st.rttMs.Load() * float64(time.Millisecond))
	return min(max(rtt*3/2+nackInterval, videoWaitMin), videoWaitMax)
}

// recvVideo reassembles, decodes and delivers the other party's video.
func (s *Session) recvVideo(ssrc uint32, in <-chan *rtp.Packet) {
	dec, err := vp8.NewDecoder()
	if err != nil {
		s.log.Error("video decoder; showing no video", "err", err)
		return
	}
	defer dec.Close()
	v := videoReceiver{s: s, dec: dec, ssrc: ssrc, asm: newFrameAssembler(s.videoWait()), needKey: true}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case p, ok := <-in:
			if !ok {
				return
			}
			v.push(p)
		case <-timer.C:
		case <-s.ctx.Done():
			return
		}
		// Everything already queued goes in before any gap is judged: a
		// receiver the scheduler held up past a deadline must not give
		// up on a packet that is waiting in the queue.
		v.drain(in)
		v.asm.wait = s.videoWait()
		for {
			f, ok, wake := v.asm.pop(s.cfg.Now())
			if !ok {
				if !wake.IsZero() {
					timer.Reset(time.Until(wake) + time.Millisecond)
				}
				break
			}
			v.decode(f)
		}
		s.st.videoLost.Store(int64(v.asm.framesLost))
		s.st.packetsLost.Store(int64(v.asm.lost))
		s.st.packetsRecovered.Store(int64(v.asm.recovered))
	}
}

// drain pushes the packets waiting in in (recvVideo is its only reader, so
// as many as it holds now are there to take).
func (v *videoReceiver) drain(in <-chan *rtp.Packet) {
	for n := len(in); n > 0; n-- {
		v.push(<-in)
	}
}

// videoReceiver is recvVideo's state.
type videoReceiver struct {
	s       *Session
	dec     *vp8.Decoder
	ssrc    uint32
	asm     *frameAssembler
	vp      codecs.VP8Packet
	needKey bool
	lastPLI time.Time
	// keyRequest sends a picture loss indication; nil is the session's.
	keyRequest func(ssrc uint32)
}

func (v *videoReceiver) push(p *rtp.Packet) {
	if len(p.Payload) == 0 {
		// Padding only: it must still fill its place in the sequence, or
		// the assembler takes it for a loss, marks the next frame broken
		// and asks for a key frame.
		v.asm.push(vp8Part{seq: p.SequenceNumber, ts: p.Timestamp, padding: true, at: v.s.cfg.Now()})
		return
	}
	data, err := v.vp.Unmarshal(p.Payload)
	if err != nil || len(data) == 0 {
		return
	}
	v.asm.push(vp8Part{
		seq: p.SequenceNumber, ts: p.Timestamp, marker: p.Marker,
		start: v.vp.S == 1 && v.vp.PID == 0, pic: v.vp.PictureID, hasPic: v.vp.I == 1,
		data: data, at: v.s.cfg.Now(),
	})
}

// askKey asks for a key frame, no more often than pliMinInterval (or the
// round trip, when longer).
func (v *videoReceiver) askKey() {
	now := v.s.cfg.Now()
	wait := max(pliMinInterval, time.Duration(v.s.st.rttMs.Load()*float64(time.Millisecond)))
	if now.Sub(v.lastPLI) < wait {
		return
	}
	v.lastPLI = now
	if v.keyRequest != nil {
		v.keyRequest(v.ssrc)
		return
	}
	v.s.requestKeyFrame(v.ssrc)
}

func (v *videoReceiver) decode(f vp8Frame) {
	s := v.s
	if f.broken {
		v.needKey = true
	}
	if v.needKey && !f.key {
		s.st.videoDropped.Add(1)
		v.askKey()
		return
	}
	pic, ok, err := v.dec.Decode(f.data)
	switch {
	case errors.Is(err, vp8.ErrKeyFrameNeeded):
		s.st.videoDropped.Add(1)
		v.needKey = true
		v.askKey()
		return
	case err != nil:
		s.st.videoDropped.Add(1)
		s.log.Debug("decoding video", "err", err)
		return
	}
	if f.key {
		v.needKey = false
	}
	if !ok {
		return
	}
	now := s.cfg.Now()
	pic.Time = now
	s.st.videoDecoded.Add(1)
	s.st.videoFPS.add(1, now)
	s.st.videoW.Store(int32(pic.Width))
	s.st.videoH.Store(int32(pic.Height))
	if s.cfg.DecodePattern {
		if seq, captured, ok := synthetic.DecodePattern(pic); ok {
			s.st.pattern.Add(seq, captured, now)
		}
	}
	if s.cfg.RemoteVideo != nil {
		if err := s.cfg.RemoteVideo.WriteFrame(pic); err != nil {
			s.log.Debug("remote video sink", "err", err)
		}
	}
	s.mark(phDecoded)
	s.frameDecoded(true)
}

// recvAudio decodes the other party's audio, fills gaps (FEC, else
// concealment) and plays it.
func (s *Session) recvAudio(in <-chan *rtp.Packet) {
	dec, err := opus.NewDecoder()
	if err != nil {
		s.log.Error("audio decoder; playing no audio", "err", err)
		return
	}
	defer dec.Close()
	j := newAudioJitter(audioWait)
	pcm := make([]int16, device.FrameSamples)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case p, ok := <-in:
			if !ok {
				return
			}
			if len(p.Payload) > 0 {
				j.push(p.SequenceNumber, p.Payload, s.cfg.Now())
			} else {
				j.pushPadding(p.SequenceNumber, s.cfg.Now())
			}
		case <-timer.C:
		case <-s.ctx.Done():
			return
		}
		for {
			it, ok, wake := j.pop(s.cfg.Now())
			if !ok {
				if !wake.IsZero() {
					timer.Reset(time.Until(wake) + time.Millisecond)
				}
				break
			}
			s.playAudio(dec, it, pcm)
		}
	}
}

// playAudio decodes one 20 ms frame (or makes it up) and plays it.
func (s *Session) playAudio(dec *opus.Decoder, it audioItem, pcm []int16) {
	concealed := false
	var n int
	var err error
	switch {
	case it.data != nil:
		n, err = dec.Decode(it.data, pcm)
	case it.fec != nil:
		n, err = dec.DecodeFEC(it.fec, pcm)
		s.st.fecRecovered.Add(1)
	default:
		err = errors.New("lost")
	}
	if err != nil || n != len(pcm) {
		concealed = true
		clear(pcm)
		if _, err := dec.Conceal(pcm); err != nil {
			s.log.Debug("concealing audio", "err", err)
		}
	}
	s.st.tone.Add(pcm, concealed)
	updateLevel(&s.st.audioLevel, peak(pcm))
	if s.cfg.Speaker != nil {
		if err := s.cfg.Speaker.WriteAudio(pcm); err != nil {
			s.log.Debug("speaker", "err", err)
		}
	}
	s.frameDecoded(false)
}
