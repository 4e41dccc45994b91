package dtmf

import (
	"sync"
	"time"
)

// How a digit is sent. A tone of 120 ms and a gap of 100 ms are what
// telephone-network menus take comfortably (ITU-T Q.24 asks for 40 ms at
// least of each); ',' waits a second, as on a phone's dial string.
const (
	ToneLength = 120 * time.Millisecond
	Gap        = 100 * time.Millisecond
	Pause      = time.Second
	// Volume is the level the events carry, -dBm0.
	Volume = 10
	// endPackets is how often an event's final packet is sent (RFC 4733
	// §2.5.1.4), one a frame.
	endPackets = 3
	// maxQueue bounds the digits waiting to be sent.
	maxQueue = 256
)

// Packet is one event packet for the stream: sent in place of the frame's
// audio, with the stream's next sequence number.
type Packet struct {
	Timestamp uint32 // the event's start, in the stream's clock
	Marker    bool   // the event's first packet
	Event     Event
}

type senderState int

const (
	idle senderState = iota
	tone
	ending
	waiting // a gap or a pause: the stream's audio goes on
)

// Sender turns queued digits into the event packets of one audio stream.
// The stream's send loop calls Next once a frame; Queue may be called from
// any goroutine.
type Sender struct {
	toneFrames, gapFrames, pauseFrames int
	step                               uint16 // the event's duration per frame

	mu    sync.Mutex
	queue []byte
	state senderState
	code  uint8
	start uint32
	n     int
}

// NewSender makes a sender for a stream of frame-long packets whose
// events count duration at rate Hz.
func NewSender(frame time.Duration, rate int) *Sender {
	frames := func(d time.Duration) int { return max(1, int((d+frame-1)/frame)) }
	return &Sender{
		toneFrames: frames(ToneLength), gapFrames: frames(Gap), pauseFrames: frames(Pause),
		step: uint16(int64(rate) * int64(frame) / int64(time.Second)),
	}
}

// Queue adds digits (keys and ',' pauses) to send after those waiting.
func (s *Sender) Queue(digits string) error {
	if !Valid(digits) {
		return ErrNotDigit
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue)+len(digits) > maxQueue {
		return ErrQueueFull
	}
	s.queue = append(s.queue, digits...)
	return nil
}

// Busy reports whether digits wait or one is being sent.
func (s *Sender) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state != idle || len(s.queue) > 0
}

// Next is the frame at ts: ok says to send p in place of its audio.
func (s *Sender) Next(ts uint32) (p Packet, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case waiting:
		if s.n > 0 {
			s.n--
			return Packet{}, false
		}
		s.state = idle
		fallthrough
	case idle:
		if len(s.queue) == 0 {
			return Packet{}, false
		}
		d := s.queue[0]
		s.queue = s.queue[1:]
		if d == ',' {
			s.state, s.n = waiting, s.pauseFrames-1 // this frame is the pause's first
			return Packet{}, false
		}
		s.code, _ = Code(d)
		s.state, s.start, s.n = tone, ts, 0
	}
	ev := Event{Code: s.code, Volume: Volume}
	switch s.state {
	case tone:
		s.n++
		ev.Duration = uint16(s.n) * s.step
		if s.n == s.toneFrames {
			s.state, s.n = ending, 1
			ev.End = true
		}
		return Packet{Timestamp: s.start, Marker: ev.Duration == s.step, Event: ev}, true
	default: // ending
		s.n++
		ev.Duration, ev.End = uint16(s.toneFrames)*s.step, true
		if s.n == endPackets {
			s.state, s.n = waiting, s.gapFrames
		}
		return Packet{Timestamp: s.start, Event: ev}, true
	}
}
