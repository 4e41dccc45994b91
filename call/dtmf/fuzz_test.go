package dtmf

import "testing"

// FuzzReceiver feeds the event parser and receiver what a peer may send: a
// run of packets, each a timestamp, a marker and a payload of any length.
func FuzzReceiver(f *testing.F) {
	f.Add([]byte{0, 0, 0, 10, 1, 1, 0x0a, 0x03, 0xc0, 0, 0, 0, 10, 0, 1, 0x8a, 0x16, 0x80})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 200, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Receiver
		for len(b) >= 5 {
			ts := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			marker := b[4]&1 != 0
			n := min(len(b)-5, int(b[4]>>1)%8)
			payload := b[5 : 5+n]
			b = b[5+n:]
			ev, err := Parse(payload)
			if err == nil {
				if got, _ := Parse(ev.Marshal(nil)); got != ev {
					t.Fatalf("round trip %+v → %+v", ev, got)
				}
			}
			if d, ok := r.Push(ts, marker, payload); ok && (err != nil || Digit(ev.Code) != d) {
				t.Fatalf("reported %q for %+v, %v", d, ev, err)
			}
		}
	})
}
