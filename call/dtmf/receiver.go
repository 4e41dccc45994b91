package dtmf

// Receiver reports each event of a stream once, on the first of its
// packets that arrives: an event is its packets with one timestamp (its
// start), sent again as its duration grows and three times at its end.
type Receiver struct {
	seen  bool
	ts    uint32
	code  uint8
	ended bool
}

// Push takes an event packet's timestamp, marker bit and payload. It
// returns the key when the packet starts an event not reported yet; an
// event code that is no key (above flash) is never reported.
func (r *Receiver) Push(ts uint32, marker bool, payload []byte) (digit byte, ok bool) {
	ev, err := Parse(payload)
	if err != nil {
		return 0, false
	}
	// A packet with a new timestamp and no marker, of the same key, while
	// the last event has not ended, is that event's next segment (RFC 4733
	// §2.5.1.3: an event too long for the duration field).
	fresh := !r.seen || ev.Code != r.code || ts != r.ts && (marker || r.ended)
	if ts != r.ts || ev.Code != r.code {
		r.ended = false
	}
	r.seen, r.ts, r.code = true, ts, ev.Code
	r.ended = r.ended || ev.End
	if !fresh {
		return 0, false
	}
	d := Digit(ev.Code)
	return d, d != 0
}
