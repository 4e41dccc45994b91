package media

import (
	"sync/atomic"
	"time"
)

// Phases is when each step of a session's set-up first happened, by
// Config.Now; a zero field has not happened (yet). The set-up benchmarks
// break a call's set-up time down by it, to say which step holds the tail.
type Phases struct {
	Created     time.Time // New
	Described   time.Time // the remote description set
	RelayCand   time.Time // the first relay candidate gathered: the TURN allocation done
	Gathered    time.Time // candidate gathering complete
	Checking    time.Time // ICE began its connectivity checks
	ICEUp       time.Time // a check succeeded and ICE connected
	DTLSUp      time.Time // the DTLS handshake done and SRTP keyed: the connection is up
	CameraFrame time.Time // the first camera frame read after the connection came up
	VideoSent   time.Time // the first video packet written
	VideoRecv   time.Time // the first video packet read
	Decoded     time.Time // the first video frame decoded
}

type phase int

const (
	phCreated phase = iota
	phDescribed
	phRelayCand
	phGathered
	phChecking
	phICEUp
	phDTLSUp
	phCameraFrame
	phVideoSent
	phVideoRecv
	phDecoded
	nPhases
)

// phaseClock holds the first time of each phase, in Unix nanoseconds.
type phaseClock [nPhases]atomic.Int64

// mark records now as p's time unless p already has one. It is cheap once
// set (one load), so per-packet paths may call it.
func (s *Session) mark(p phase) {
	c := &s.phases[p]
	if c.Load() == 0 {
		c.CompareAndSwap(0, s.cfg.Now().UnixNano())
	}
}

// Phases returns when each step of the set-up happened so far.
func (s *Session) Phases() Phases {
	at := func(p phase) time.Time {
		if n := s.phases[p].Load(); n != 0 {
			return time.Unix(0, n)
		}
		return time.Time{}
	}
	return Phases{
		Created: at(phCreated), Described: at(phDescribed), RelayCand: at(phRelayCand), Gathered: at(phGathered),
		Checking: at(phChecking), ICEUp: at(phICEUp), DTLSUp: at(phDTLSUp), CameraFrame: at(phCameraFrame),
		VideoSent: at(phVideoSent), VideoRecv: at(phVideoRecv), Decoded: at(phDecoded),
	}
}
