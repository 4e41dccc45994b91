package media

import "time"

// videoRing is how many packets the video jitter buffer holds: at 1200
// bytes a packet, 1024 packets are 10 Mbit, a second of the highest
// bitrate with room to spare.
const videoRing = 1024

// vp8Part is one RTP packet of a VP8 frame, its payload descriptor parsed.
type vp8Part struct {
	used   bool
	seq    uint16
	ts     uint32
	marker bool // last packet of the frame
	start  bool // first packet of the frame (S=1, partition 0)
	// padding is a packet with no payload: Chromium sends padding-only
	// packets to probe bandwidth when no RTX stream is negotiated. It takes
	// a sequence number and belongs to no frame.
	padding bool
	// pic is the VP8 picture ID, when hasPic: one more each frame, so a
	// jump between frames handed out counts the frames lost between them.
	pic    uint16
	hasPic bool
	data   []byte
	at     time.Time
}

// vp8Frame is a whole VP8 frame out of the jitter buffer.
type vp8Frame struct {
	data []byte // valid until the next pop
	ts   uint32
	key  bool
	// broken says packets were given up on before this frame: the decoder's
	// references may be wrong until a key frame.
	broken bool
}

// frameAssembler is the video jitter buffer: it reorders packets by
// sequence number and hands out whole frames in order. A missing packet is
// waited for (retransmission may fill it) for wait after the first packet
// behind it arrived, the moment the loss showed (and the NACK generator
// saw it); then what cannot be completed is dropped and the next frame is
// marked broken. A frame whose remaining packets have simply not come yet,
// with nothing behind them, is not a loss: it waits, however late they
// are, since nothing after it could be handed out first anyway. It is not
// safe for concurrent use.
type frameAssembler struct {
	ring    [videoRing]vp8Part
	started bool
	next    uint16 // sequence number of the next packet to hand out
	highest uint16
	wait    time.Duration
	broken  bool
	buf     []byte
	lastPic int32 // picture ID of the last frame handed out; -1: none yet

	dropped int // packets given up on or refused (late, duplicate)
	// For Stats: packets given up on (never came in time); packets that
	// filled a gap after later ones had come (retransmitted or
	// reordered); frames that never came out whole, by picture ID.
	lost, recovered, framesLost int
}

// maxPicGap is the largest jump in picture ID counted as lost frames; a
// larger one is a sender restarting its count (or a 7-bit picture ID
// wrapping), not 10 s of video lost.
const maxPicGap = 300

func newFrameAssembler(wait time.Duration) *frameAssembler {
	return &frameAssembler{wait: wait, lastPic: -1}
}

// push stores one packet. data must stay unchanged until the frame is
// popped.
func (a *frameAssembler) push(p vp8Part) {
	if !a.started {
		a.started, a.next, a.highest = true, p.seq, p.seq
	}
	d := int(int16(p.seq - a.next))
	switch {
	case d < 0:
		a.dropped++ // too late: its frame is gone
		return
	case d >= videoRing:
		// A jump past the buffer: start again from here.
		a.reset(p.seq)
	}
	s := &a.ring[p.seq%videoRing]
	if s.used && s.seq == p.seq {
		a.dropped++ // duplicate (a retransmission that raced the original)
		return
	}
	p.used = true
	*s = p
	if d := int16(p.seq - a.highest); d > 0 {
		a.highest = p.seq
	} else if d < 0 {
		a.recovered++
	}
}

func (a *frameAssembler) reset(seq uint16) {
	for i := range a.ring {
		if a.ring[i].used {
			a.dropped++
		}
		a.ring[i] = vp8Part{}
	}
	a.next, a.highest, a.broken = seq, seq, true
	a.lastPic = -1
}

// pending is how many sequence numbers from next to highest, inclusive.
func (a *frameAssembler) pending() int {
	if !a.started {
		return 0
	}
	return int(int16(a.highest-a.next)) + 1
}

// pop returns the next whole frame, if there is one now. wake is when to
// call again if nothing new arrives (zero: only when something arrives).
func (a *frameAssembler) pop(now time.Time) (f vp8Frame, ok bool, wake time.Time) {
	for a.started && a.pending() > 0 {
		head := &a.ring[a.next%videoRing]
		if !head.used || head.seq != a.next {
			// A gap at the head: wait for it as long as the packets behind
			// it have been waiting less than wait.
			first, at := a.firstAfter(a.next)
			if first < 0 {
				return vp8Frame{}, false, time.Time{}
			}
			if dl := at.Add(a.wait); now.Before(dl) {
				return vp8Frame{}, false, dl
			}
			a.lost += first
			a.next += uint16(first)
			a.broken = true
			continue
		}
		if head.padding {
			// Not a loss and not a frame: step over it.
			*head = vp8Part{}
			a.next++
			continue
		}
		if !head.start {
			// The middle of a frame whose start is gone.
			a.drop(1)
			a.broken = true
			continue
		}
		n, complete := a.scanFrame()
		if complete {
			return a.take(n), true, time.Time{}
		}
		// The frame stops short. Only a packet behind it says that what
		// is missing was lost (and is being asked for again); until one
		// comes, the rest of the frame is late, not lost — a sender or a
		// relay that the scheduler held up. Then the wait runs from
		// when that packet came, not from when the frame began.
		behind, at := a.firstAfter(a.next + uint16(n) - 1)
		if behind < 0 {
			return vp8Frame{}, false, time.Time{}
		}
		if dl := at.Add(a.wait); now.Before(dl) {
			return vp8Frame{}, false, dl
		}
		a.drop(n)
		a.broken = true
	}
	return vp8Frame{}, false, time.Time{}
}

// firstAfter finds the first stored packet after seq, up to highest: its
// distance from seq and its arrival; -1 if there is none.
func (a *frameAssembler) firstAfter(seq uint16) (int, time.Time) {
	for d := 1; int16(a.highest-seq) >= int16(d); d++ {
		s := &a.ring[(seq+uint16(d))%videoRing]
		if s.used && s.seq == seq+uint16(d) {
			return d, s.at
		}
	}
	return -1, time.Time{}
}

// scanFrame walks the frame starting at next: how many packets it has so
// far, and whether the last (marker) one is among them with no gap.
func (a *frameAssembler) scanFrame() (n int, complete bool) {
	head := &a.ring[a.next%videoRing]
	for n = 0; n < a.pending(); n++ {
		seq := a.next + uint16(n)
		s := &a.ring[seq%videoRing]
		if !s.used || s.seq != seq || s.ts != head.ts {
			return n, false
		}
		if s.marker {
			return n + 1, true
		}
	}
	return n, false
}

// take hands out the n packets at next as one frame.
func (a *frameAssembler) take(n int) vp8Frame {
	head := &a.ring[a.next%videoRing]
	f := vp8Frame{ts: head.ts, broken: a.broken}
	if head.hasPic {
		if a.lastPic >= 0 {
			if gap := int((head.pic - uint16(a.lastPic) - 1) & 0x7fff); gap <= maxPicGap {
				a.framesLost += gap
			}
		}
		a.lastPic = int32(head.pic)
	}
	a.buf = a.buf[:0]
	for i := 0; i < n; i++ {
		s := &a.ring[(a.next+uint16(i))%videoRing]
		a.buf = append(a.buf, s.data...)
		*s = vp8Part{}
	}
	a.next += uint16(n)
	a.broken = false
	f.data = a.buf
	// VP8's frame tag: bit 0 of the first byte is 0 on a key frame.
	f.key = len(f.data) > 0 && f.data[0]&1 == 0
	return f
}

// drop gives up on the n packets at next.
func (a *frameAssembler) drop(n int) {
	for i := 0; i < n; i++ {
		s := &a.ring[(a.next+uint16(i))%videoRing]
		if s.used {
			a.dropped++
		}
		*s = vp8Part{}
	}
	a.next += uint16(n)
}
