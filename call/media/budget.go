package media

// How the congestion controller's estimate is shared. Audio comes first:
// its bitrate and its packets' headers are reserved before video gets a
// share of the rest; the rest of the rest covers video's own headers and
// retransmissions.
const (
	// minEstimateBps is the floor of the estimate: audio at its lowest
	// rate with headers, and a trickle of video.
	minEstimateBps = 40_000
	// audioOverheadBps is what 50 packets a second cost in IPv4, UDP, RTP,
	// TWCC extension and SRTP tag bytes (about 50 each).
	audioOverheadBps = 20_000
	// videoShare is the part of video's budget given to the encoder.
	videoShare = 0.85
)

// audioBps is the Opus bitrate for an estimate of total bit/s: wideband
// voice with FEC room when there is plenty, narrower as the link narrows
// (12 kbit/s Opus still carries speech clearly).
func audioBps(total int) int {
	switch {
	case total >= 300_000:
		return 32_000
	case total >= 150_000:
		return 24_000
	default:
		return 12_000
	}
}

// budgetFor splits an estimate of total bit/s: the video encoder's target
// in kbit/s (within the configured bounds) and the Opus bitrate (0 when we
// send no audio).
func (s *Session) budgetFor(total int) (videoKbps, opusBps int) {
	reserve := 0
	if s.cfg.Mic != nil {
		opusBps = audioBps(total)
		reserve = opusBps + audioOverheadBps
	}
	v := int(float64(total-reserve) * videoShare / 1000)
	return min(max(v, s.videoFloor()), s.cfg.MaxKbps), opusBps
}

// totalFor is the estimate at which video gets videoKbps with audio at its
// best: what the controller starts from and tops out at.
func (s *Session) totalFor(videoKbps int) int {
	return int(float64(videoKbps*1000)/videoShare) + 32_000 + audioOverheadBps
}

// videoFloor is the least video bitrate: MinKbps normally, but when the
// estimate cannot carry audio and MinKbps together (a 64 kbit/s link
// carries 12 kbit/s Opus in 32 kbit/s of packets), video yields to audio
// down to half of MinKbps rather than keep a standing queue on the link.
func (s *Session) videoFloor() int { return max(s.cfg.MinKbps/2, 1) }
