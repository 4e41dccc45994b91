package relay

import "encoding/binary"

// framer follows TURN-over-TCP framing (RFC 8656 §11.5: STUN messages, and
// ChannelData padded to 4 bytes) just far enough to know where each message
// ends, without buffering any. pion/turn does the real parsing; the relay
// uses this to put deadlines on messages.
type framer struct {
	hdr    [4]byte
	nhdr   int    // bytes of the current message's first four seen
	left   int    // bytes of the current message still to come, once nhdr is 4
	frames uint64 // messages completed
	bad    bool   // not TURN framing (pion/turn closes such a stream)
}

// feed takes the next bytes of the stream.
func (f *framer) feed(b []byte) {
	for len(b) > 0 && !f.bad {
		if f.nhdr < len(f.hdr) {
			k := copy(f.hdr[f.nhdr:], b)
			f.nhdr += k
			b = b[k:]
			if f.nhdr < len(f.hdr) {
				return
			}
			length := int(binary.BigEndian.Uint16(f.hdr[2:4]))
			switch f.hdr[0] >> 6 {
			case 0b00: // STUN: a 20-byte header, then length bytes
				f.left = 20 - len(f.hdr) + length
			case 0b01: // ChannelData: a 4-byte header, then the data padded to 4
				f.left = (length + 3) &^ 3
			default:
				f.bad = true
				return
			}
		}
		k := min(f.left, len(b))
		f.left -= k
		b = b[k:]
		if f.left == 0 {
			f.frames++
			f.nhdr = 0
		}
	}
}

// inMessage reports whether a message has begun and not ended.
func (f *framer) inMessage() bool { return f.nhdr > 0 }
