package media

import (
	"math"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/device/synthetic"
)

// atomicFloat is a float64 read and written atomically.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) Load() float64   { return math.Float64frombits(f.bits.Load()) }
func (f *atomicFloat) Store(v float64) { f.bits.Store(math.Float64bits(v)) }

// stats is what the session counts as it goes. Each part is written by one
// goroutine and read by Stats.
type stats struct {
	// received
	videoBytes, audioBytes meter
	videoFPS               meter
	videoDecoded           atomic.Int64
	videoW, videoH         atomic.Int32
	videoDropped           atomic.Int64 // whole frames not decoded: waiting for a key frame, or refused
	videoLost              atomic.Int64 // frames that never came out of the jitter buffer whole
	packetsLost            atomic.Int64 // video packets given up on
	packetsRecovered       atomic.Int64 // video packets that filled a gap in time
	pattern                synthetic.PatternStats
	tone                   synthetic.ToneStats
	audioLevel             atomicFloat
	fecRecovered           atomic.Int64

	// sent
	sentVideoBytes, sentAudioBytes meter
	sentFPS                        meter
	sentSkipped                    atomic.Int64 // camera frames not sent (see call.SendStats.FramesSkipped)
	sendW, sendH                   atomic.Int32
	micLevel                       atomicFloat

	// network
	rttMs, jitterMs      atomicFloat
	videoLoss, audioLoss atomicFloat // fraction lost, as the other party reports our streams
}

// peak is a frame's peak level, 0–1.
func peak(pcm []int16) float64 {
	var m int
	for _, v := range pcm {
		m = max(m, abs(int(v)))
	}
	return float64(m) / 32768
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// levelDecay makes a level meter fall smoothly (about −20 dB in half a
// second at 50 frames a second) and rise at once.
const levelDecay = 0.9

func updateLevel(f *atomicFloat, p float64) {
	f.Store(max(p, f.Load()*levelDecay))
}

// Stats returns a snapshot of the call's statistics. SetupMs and Leases
// are the call engine's to fill. It is cheap: counters, and a frequency
// estimate over the last second of received audio.
func (s *Session) Stats() call.Stats {
	now := s.cfg.Now()
	st := &s.st
	var out call.Stats
	out.Video = call.VideoStats{
		FramesDecoded: int(st.videoDecoded.Load()),
		FPS:           round1(st.videoFPS.rate(now)),
		Width:         int(st.videoW.Load()),
		Height:        int(st.videoH.Load()),
		Kbps:          round1(st.videoBytes.rate(now) * 8 / 1000),

		FramesLost:       int(st.videoLost.Load()),
		FramesDropped:    int(st.videoDropped.Load()),
		PacketsLost:      int(st.packetsLost.Load()),
		PacketsRecovered: int(st.packetsRecovered.Load()),
	}
	if s.cfg.DecodePattern {
		p := st.pattern.Summary()
		out.Video.Pattern = &call.PatternStats{
			Frames: p.Frames, Missing: p.Missing, OutOfOrder: p.OutOfOrder,
			LatencyMsP50: p.LatencyP50, LatencyMsP95: p.LatencyP95,
		}
	}
	tone := st.tone.Summary()
	out.Audio = call.AudioStats{
		FramesDecoded: tone.Frames,
		Kbps:          round1(st.audioBytes.rate(now) * 8 / 1000),
		ToneHz:        round1(tone.ToneHz),
		Concealed:     tone.Concealed,
		Level:         round3(st.audioLevel.Load()),
	}
	var target float64
	if s.bwe != nil {
		target = float64(s.bwe.GetTargetBitrate()) / 1000
	}
	out.Send = call.SendStats{
		VideoKbps:     round1(st.sentVideoBytes.rate(now) * 8 / 1000),
		AudioKbps:     round1(st.sentAudioBytes.rate(now) * 8 / 1000),
		TargetKbps:    round1(target),
		Width:         int(st.sendW.Load()),
		Height:        int(st.sendH.Load()),
		FPS:           round1(st.sentFPS.rate(now)),
		FramesSkipped: int(st.sentSkipped.Load()),
		MicLevel:      round3(st.micLevel.Load()),
		Muted:         s.muted.Load(),
		CameraOn:      s.cameraOn.Load() && s.cfg.Camera != nil,
	}
	out.Network = call.NetworkStats{
		RTTMs:    round1(st.rttMs.Load()),
		LossPct:  round1(100 * max(st.videoLoss.Load(), st.audioLoss.Load())),
		JitterMs: round1(st.jitterMs.Load()),
	}
	out.Path = s.path()
	if out.Network.RTTMs == 0 {
		out.Network.RTTMs = round1(s.iceRTT())
	}
	return out
}

// path describes the selected candidate pair.
func (s *Session) path() call.PathStats {
	for _, t := range s.pc.GetTransceivers() {
		r := t.Receiver()
		if r == nil || r.Transport() == nil {
			continue
		}
		pair, err := r.Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil {
			continue
		}
		return call.PathStats{
			Local:      pair.Local.Typ.String(),
			Remote:     pair.Remote.Typ.String(),
			LocalAddr:  hostPort(pair.Local),
			RemoteAddr: hostPort(pair.Remote),
		}
	}
	return call.PathStats{}
}

func hostPort(c *webrtc.ICECandidate) string {
	return (&netAddr{c.Address, c.Port}).String()
}

// iceRTT is the selected pair's round trip as ICE's keepalives measure it,
// for a call that sends no media to get receiver reports about. It asks
// the ICE transport, not PeerConnection.GetStats: pion's Close (ours, or
// its own when the other party closes DTLS) clears what GetStats reads
// without its lock, and a stats tick during a hang-up raced with it.
func (s *Session) iceRTT() float64 {
	for _, t := range s.pc.GetTransceivers() {
		r := t.Receiver()
		if r == nil || r.Transport() == nil {
			continue
		}
		if p, ok := r.Transport().ICETransport().GetSelectedCandidatePairStats(); ok && p.CurrentRoundTripTime > 0 {
			return p.CurrentRoundTripTime * 1000
		}
	}
	return 0
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
