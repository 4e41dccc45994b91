package relay

import (
	"encoding/binary"
	"testing"
)

// stunMsg is a Binding request with attrs SOFTWARE attributes of 8 bytes.
func stunMsg(attrs int) []byte {
	b := make([]byte, 20, 20+12*attrs)
	binary.BigEndian.PutUint16(b[0:2], 0x0001)
	binary.BigEndian.PutUint16(b[2:4], uint16(12*attrs))
	binary.BigEndian.PutUint32(b[4:8], 0x2112A442)
	copy(b[8:20], "transactn-id")
	for range attrs {
		b = binary.BigEndian.AppendUint16(b, 0x8022)
		b = binary.BigEndian.AppendUint16(b, 8)
		b = append(b, "dialtone"...)
	}
	return b
}

func channelData(n int) []byte {
	b := make([]byte, 4+(n+3)&^3)
	binary.BigEndian.PutUint16(b[0:2], 0x4001)
	binary.BigEndian.PutUint16(b[2:4], uint16(n))
	return b
}

func TestFramer(t *testing.T) {
	one, two := stunMsg(0), stunMsg(2)
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		stream []byte
		frames uint64
		in     bool
		bad    bool
	}{
		{"nothing", nil, 0, false, false},
		{"two bytes", one[:2], 0, true, false},
		{"header only", one[:20], 1, false, false}, // a Binding request is only a header
		{"STUN with attributes, cut", two[:len(two)-1], 0, true, false},
		{"STUN with attributes", two, 1, false, false},
		{"ChannelData padded", channelData(5), 1, false, false},
		{"ChannelData cut in the padding", channelData(5)[:9], 0, true, false},
		{"empty ChannelData", channelData(0), 1, false, false},
		{"three messages", cat(one, channelData(7), two), 3, false, false},
		{"then half a header", cat(one, two[:3]), 1, true, false},
		{"neither STUN nor ChannelData", []byte{0x80, 0, 0, 4, 1}, 0, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f framer
			f.feed(tc.stream)
			if f.frames != tc.frames || f.inMessage() != tc.in || f.bad != tc.bad {
				t.Fatalf("frames %d in %v bad %v, want %d %v %v", f.frames, f.inMessage(), f.bad, tc.frames, tc.in, tc.bad)
			}
		})
	}
}

// FuzzFramer: however the stream is cut into reads, the framer ends in the
// same state, and never reports more messages than the stream could hold.
func FuzzFramer(f *testing.F) {
	f.Add(stunMsg(2), uint8(3))
	f.Add(append(channelData(3), stunMsg(0)...), uint8(1))
	f.Add([]byte{0x80, 0, 0, 0}, uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, step uint8) {
		var whole, cut framer
		whole.feed(stream)
		n := int(step%16) + 1
		for b := stream; len(b) > 0; {
			k := min(n, len(b))
			cut.feed(b[:k])
			b = b[k:]
		}
		if whole != cut {
			t.Fatalf("whole %+v, in reads of %d %+v", whole, n, cut)
		}
		if whole.frames > uint64(len(stream)/4) {
			t.Fatalf("%d messages in %d bytes", whole.frames, len(stream))
		}
	})
}
