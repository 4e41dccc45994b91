package media

import (
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/call/media/vp8"
	"github.com/dialtone/dialtone/device"
)

const (
	// rtpPayloadMTU is the most VP8 payload per packet: pion's 1200-byte
	// SRTP packets less the RTP header (12), header extensions (TWCC, up
	// to 12) and the VP8 payload descriptor (4).
	rtpPayloadMTU = 1150
	// frameSlack lets a frame through the frame-rate limiter a little
	// early, so that camera jitter does not halve the rate.
	frameSlack = 8 * time.Millisecond
	// bitrateStep is the relative change of budget worth retargeting the
	// encoder for.
	bitrateStep = 0.05
	// fullFPS is the rate at and above which every camera frame is sent.
	fullFPS = 30
)

// sendVideo encodes and sends the camera's pictures until Close.
func (s *Session) sendVideo() {
	enc, err := vp8.NewEncoder(vp8.EncoderConfig{BitrateKbps: s.cfg.StartKbps, MinKbps: s.videoFloor(), MaxKbps: s.cfg.MaxKbps})
	if err != nil {
		s.log.Error("video encoder; sending no video", "err", err)
		return
	}
	defer enc.Close()
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	seq := uint16(rand.Uint32())
	tsBase := rand.Uint32()
	var (
		lad     *ladder
		small   device.Frame
		t0, due time.Time
	)
	for {
		f, err := s.cfg.Camera.ReadFrame(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Warn("camera stopped; sending no more video", "err", err)
			}
			return
		}
		s.mark(phCameraFrame)
		if !s.cameraOn.Load() {
			s.st.sentSkipped.Add(1)
			continue // keep reading, so the camera does not back up
		}
		now := s.cfg.Now()
		if f.Time.IsZero() {
			f.Time = now
		}
		kbps := s.videoBudget()
		if lad == nil || lad.w != f.Width || lad.h != f.Height {
			lad = newLadder(f.Width, f.Height, float64(kbps))
		} else if lad.update(float64(kbps), now) {
			w, h, _ := lad.size()
			s.log.Info("video quality", keySize, [2]int{w, h}, keyFPS, lad.fps(), keyKbps, kbps)
		}
		if !due.IsZero() && lad.fps() < fullFPS && f.Time.Before(due.Add(-frameSlack)) {
			s.st.sentSkipped.Add(1)
			continue
		}
		// The next frame is due one interval after this one was due, so
		// that a camera's jitter does not cost frames; after a stall the
		// schedule restarts.
		interval := time.Second / time.Duration(lad.fps())
		if due = due.Add(interval); f.Time.Sub(due) > interval || due.IsZero() {
			due = f.Time.Add(interval)
		}
		if b := enc.Bitrate(); float64(abs(kbps-b)) > bitrateStep*float64(b) {
			if err := enc.SetBitrate(kbps); err != nil {
				s.log.Warn("setting video bitrate", "err", err)
			}
		}
		_, _, div := lad.size()
		shrink(&small, f, div)
		pkt, _, err := enc.Encode(small, s.forceKey.Swap(false))
		if err != nil {
			s.log.Warn("encoding video", "err", err)
			s.st.sentSkipped.Add(1)
			continue
		}
		if pkt == nil {
			s.st.sentSkipped.Add(1)
			continue // rate control dropped it
		}
		if t0.IsZero() {
			t0 = f.Time
		}
		if s.cfg.LocalVideo != nil {
			_ = s.cfg.LocalVideo.WriteFrame(small)
		}
		ts := tsBase + uint32(f.Time.Sub(t0)*90000/time.Second)
		s.writeVideo(pay, pkt, ts, &seq, now)
		s.mark(phVideoSent)
		s.st.sendW.Store(int32(small.Width))
		s.st.sendH.Store(int32(small.Height))
		s.st.sentFPS.add(1, now)
	}
}

// writeVideo packetises one encoded frame and sends it.
func (s *Session) writeVideo(pay *codecs.VP8Payloader, frame []byte, ts uint32, seq *uint16, now time.Time) {
	parts := pay.Payload(rtpPayloadMTU, frame)
	for i, p := range parts {
		pkt := &rtp.Packet{
			Header:  rtp.Header{Version: 2, Marker: i == len(parts)-1, SequenceNumber: *seq, Timestamp: ts},
			Payload: p,
		}
		*seq++
		if err := s.videoTrack.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			s.log.Debug("writing video", "err", err)
		}
		s.st.sentVideoBytes.add(float64(len(p)+12), now)
	}
}

// videoBudget is the encoder's target now, in kbit/s.
func (s *Session) videoBudget() int {
	if s.bwe == nil {
		return s.cfg.StartKbps
	}
	v, _ := s.budgetFor(s.bwe.GetTargetBitrate())
	return v
}

// A microphone keeps capturing between calls into its buffer (device/audio's
// ring holds 120 ms), so the first reads of a call return at once with
// sound from before the connection came up. Sent, it is stale (the far end
// plays it late, or its jitter buffer drops it), it is sound from before the
// call was connected, and at the moment the set-up is busiest it costs an
// encode, a packet and a decode per frame. A read that returns sooner than
// backlogRead was queued; the first that makes us wait is fresh.
const (
	backlogRead      = 5 * time.Millisecond
	maxBacklogFrames = 16 // 320 ms: more than any device buffers
)

// skipAudioBacklog reads and drops the microphone's queued frames, up to and
// not including the first fresh one, which it leaves in pcm.
func (s *Session) skipAudioBacklog(pcm []int16) error {
	for range maxBacklogFrames {
		// Real time, not Config.Now: this is how long the device made us
		// wait.
		start := time.Now()
		if err := s.cfg.Mic.ReadAudio(s.ctx, pcm); err != nil {
			return err
		}
		if time.Since(start) >= backlogRead {
			return nil
		}
	}
	return nil
}

func (s *Session) readAudio(pcm []int16, have bool) error {
	if have {
		return nil
	}
	return s.cfg.Mic.ReadAudio(s.ctx, pcm)
}

// sendAudio encodes and sends the microphone's sound until Close.
func (s *Session) sendAudio() {
	_, bps := s.budgetFor(s.totalFor(s.cfg.StartKbps))
	enc, err := opus.NewEncoder(bps)
	if err != nil {
		s.log.Error("audio encoder; sending no audio", "err", err)
		return
	}
	defer enc.Close()
	pcm := make([]int16, device.FrameSamples)
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	lossPct := 0
	if err := s.skipAudioBacklog(pcm); err != nil {
		if s.ctx.Err() == nil {
			s.log.Warn("microphone stopped; sending no audio", "err", err)
		}
		return
	}
	for first := true; ; first = false {
		// The first frame is the fresh one skipAudioBacklog left in pcm.
		if err := s.readAudio(pcm, first); err != nil {
			if s.ctx.Err() == nil {
				s.log.Warn("microphone stopped; sending no more audio", "err", err)
			}
			return
		}
		now := s.cfg.Now()
		updateLevel(&s.st.micLevel, peak(pcm))
		if s.muted.Load() {
			clear(pcm)
		}
		if s.sendTone(seq, ts) {
			seq++
			ts += device.FrameSamples
			continue
		}
		if s.bwe != nil {
			if _, b := s.budgetFor(s.bwe.GetTargetBitrate()); b != bps {
				bps = b
				_ = enc.SetBitrate(bps)
			}
		}
		if l := int(s.st.audioLoss.Load()*100 + 0.5); l != lossPct {
			lossPct = l
			_ = enc.SetPacketLoss(lossPct)
		}
		out := make([]byte, opus.MaxPacketSize) // the packet outlives this loop in pion's buffers
		n, err := enc.Encode(pcm, out)
		if err != nil {
			s.log.Warn("encoding audio", "err", err)
			continue
		}
		pkt := &rtp.Packet{
			Header:  rtp.Header{Version: 2, Marker: first, SequenceNumber: seq, Timestamp: ts},
			Payload: out[:n],
		}
		seq++
		ts += device.FrameSamples
		if err := s.audioTrack.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			s.log.Debug("writing audio", "err", err)
		}
		s.st.sentAudioBytes.add(float64(n+12), now)
	}
}
