package media

import "time"

// Audio jitter buffer sizes.
const (
	audioRing = 128 // 2.56 s of 20 ms packets
	// maxConceal bounds the frames invented for one gap (1 s): after a
	// longer outage the stream resumes rather than replaying a second of
	// fading noise.
	maxConceal = 50
	// audioReorder is how many packets behind a gap make it a loss at
	// once, without waiting out the reorder time.
	audioReorder = 3
)

type audioPkt struct {
	used    bool
	padding bool // no payload: it takes a sequence number and no 20 ms
	seq     uint16
	data    []byte
	at      time.Time
}

// audioItem is one 20 ms frame out of the audio jitter buffer: a packet to
// decode, or a lost one (data nil) with the packet after it, whose FEC data
// may rebuild it (fec nil: conceal).
type audioItem struct {
	data []byte
	fec  []byte
}

// audioJitter reorders Opus packets and reports lost ones in order. It is
// not safe for concurrent use.
type audioJitter struct {
	ring    [audioRing]audioPkt
	started bool
	next    uint16
	highest uint16
	wait    time.Duration
	lostRun int // lost frames to report before next (after a jump)
}

func newAudioJitter(wait time.Duration) *audioJitter { return &audioJitter{wait: wait} }

// pushPadding stores a padding-only packet, so that its sequence number is
// not taken for a lost frame.
func (j *audioJitter) pushPadding(seq uint16, now time.Time) {
	if j.push(seq, nil, now) {
		j.ring[seq%audioRing].padding = true
	}
}

// push stores one packet; it reports whether it was kept.
func (j *audioJitter) push(seq uint16, data []byte, now time.Time) bool {
	if !j.started {
		j.started, j.next, j.highest = true, seq, seq
	}
	d := int(int16(seq - j.next))
	switch {
	case d < 0:
		return false // late: already concealed
	case d >= audioRing:
		for i := range j.ring {
			j.ring[i] = audioPkt{}
		}
		j.lostRun = min(d, maxConceal)
		j.next, j.highest = seq, seq
	}
	j.ring[seq%audioRing] = audioPkt{used: true, seq: seq, data: data, at: now}
	if int16(seq-j.highest) > 0 {
		j.highest = seq
	}
	return true
}

// pop returns the next frame, if its turn has come. wake is when to call
// again if nothing arrives (zero: only when something arrives).
func (j *audioJitter) pop(now time.Time) (it audioItem, ok bool, wake time.Time) {
	if j.lostRun > 0 {
		j.lostRun--
		return audioItem{}, true, time.Time{}
	}
	if !j.started || int16(j.highest-j.next) < 0 {
		return audioItem{}, false, time.Time{}
	}
	s := &j.ring[j.next%audioRing]
	for s.used && s.seq == j.next && s.padding {
		// Not a frame and not a loss: step over it.
		*s = audioPkt{}
		j.next++
		if int16(j.highest-j.next) < 0 {
			return audioItem{}, false, time.Time{}
		}
		s = &j.ring[j.next%audioRing]
	}
	if s.used && s.seq == j.next {
		it.data = s.data
		*s = audioPkt{}
		j.next++
		return it, true, time.Time{}
	}
	// A gap: lost once enough packets are behind it or the first of them
	// has waited long enough for a reordered packet.
	behind := int(int16(j.highest - j.next))
	var at time.Time
	for d := 1; d <= behind; d++ {
		if p := &j.ring[(j.next+uint16(d))%audioRing]; p.used {
			at = p.at
			break
		}
	}
	if behind < audioReorder && now.Before(at.Add(j.wait)) {
		return audioItem{}, false, at.Add(j.wait)
	}
	if n := &j.ring[(j.next+1)%audioRing]; n.used && n.seq == j.next+1 {
		it.fec = n.data
	}
	j.next++
	return it, true, time.Time{}
}
