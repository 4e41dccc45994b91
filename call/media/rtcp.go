package media

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// readSenderRTCP reads what the other party says about one of our streams:
// picture loss (a key frame is due), and receiver reports (round trip,
// loss, jitter). Reading also drives the interceptors (congestion control,
// NACK responder), which see RTCP only when someone reads it.
func (s *Session) readSenderRTCP(sender *webrtc.RTPSender, video bool) {
	var ssrc uint32
	if enc := sender.GetParameters().Encodings; len(enc) > 0 {
		ssrc = uint32(enc[0].SSRC)
	}
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		now := s.cfg.Now()
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if video {
					s.forceKey.Store(true)
				}
			case *rtcp.ReceiverReport:
				s.onReports(p.Reports, ssrc, video, now)
			case *rtcp.SenderReport:
				s.onReports(p.Reports, ssrc, video, now)
			}
		}
	}
}

// onReports takes the reception reports about our stream ssrc.
func (s *Session) onReports(reports []rtcp.ReceptionReport, ssrc uint32, video bool, now time.Time) {
	for _, r := range reports {
		if r.SSRC != ssrc {
			continue
		}
		loss := float64(r.FractionLost) / 256
		if video {
			s.st.videoLoss.Store(loss)
		} else {
			s.st.audioLoss.Store(loss)
		}
		if r.LastSenderReport != 0 {
			// RFC 3550 §6.4.1: RTT = arrival − LSR − DLSR, in 1/65536 s.
			rtt := ntpMiddle(now) - r.LastSenderReport - r.Delay
			if ms := float64(rtt) / 65536 * 1000; ms >= 0 && ms < 10_000 {
				s.st.rttMs.Store(ms)
			}
		}
	}
}

// ntpMiddle is the middle 32 bits of t's NTP timestamp, as LSR carries it.
func ntpMiddle(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return uint32((secs<<32 | frac) >> 16)
}

// readReceiverRTCP drains the RTCP of one of the other party's streams
// (its sender reports), so that the report interceptor sees them and our
// receiver reports carry the LSR and DLSR the other party needs for its
// round trip.
func (s *Session) readReceiverRTCP(r *webrtc.RTPReceiver) {
	for {
		if _, _, err := r.ReadRTCP(); err != nil {
			return
		}
	}
}

// requestKeyFrame sends a PLI for the stream ssrc.
func (s *Session) requestKeyFrame(ssrc uint32) {
	s.pliRequests.Add(1)
	if err := s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		s.log.Debug("sending PLI", "err", err)
	}
}
