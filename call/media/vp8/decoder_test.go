//go:build cgo

package vp8

import (
	"encoding/binary"
	"errors"
	"testing"
)

// encodeClip returns n packets of a w×h scene, starting with a key frame.
func encodeClip(t testing.TB, w, h, n int) [][]byte {
	t.Helper()
	e, err := NewEncoder(EncoderConfig{Width: w, Height: h, NoFrameDrop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var pkts [][]byte
	for i := range n {
		pkt, _, err := e.Encode(scene(w, h, i, 0), false)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, pkt)
	}
	return pkts
}

func TestDecodeRejects(t *testing.T) {
	clip := encodeClip(t, 64, 48, 3)
	huge := append([]byte(nil), clip[0]...)
	huge[6], huge[7] = 0xff, 0x3f // 16383 wide
	// The input that stalled FuzzDecode: a real key frame claiming 2048×2048,
	// within MaxDecodeSize each way but over MaxDecodePixels. libvpx
	// allocated for it before it failed; it must now be refused first.
	square := sized(clip[0], 2048, 2048)
	cases := []struct {
		name string
		pkt  []byte
		want error
	}{
		{"nil", nil, ErrInvalidPacket},
		{"empty", []byte{}, ErrInvalidPacket},
		{"two bytes", []byte{0, 1}, ErrInvalidPacket},
		{"key frame without start code", []byte{0x50, 0x02, 0x00, 1, 2, 3, 64, 0, 48, 0}, ErrInvalidPacket},
		{"bad version", []byte{0x0e, 0, 0, 0x9d, 1, 0x2a, 64, 0, 48, 0}, ErrInvalidPacket},
		{"huge key frame", huge, ErrInvalidPacket},
		{"2048x2048 key frame", square, ErrInvalidPacket},
		{"2048x1088 key frame", sized(clip[0], 2048, 1088), ErrInvalidPacket},
		{"1080p key frame passes the bound", sized(clip[0], 1920, 1088), ErrKeyFrameNeeded},
		{"portrait 1080p passes the bound", sized(clip[0], 1088, 1920), ErrKeyFrameNeeded},
		{"inter frame first", clip[1], ErrKeyFrameNeeded},
		{"truncated key frame", clip[0][:12], ErrKeyFrameNeeded},
		{"garbage key frame", append(append([]byte(nil), clip[0][:10]...), make([]byte, 50)...), ErrKeyFrameNeeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDecoder(t)
			f, ok, err := d.Decode(c.pkt)
			if !errors.Is(err, c.want) || ok {
				t.Errorf("Decode: ok=%v err=%v (%d×%d), want %v", ok, err, f.Width, f.Height, c.want)
			}
		})
	}
}

func TestDecodeRecoversAtKeyFrame(t *testing.T) {
	clip := encodeClip(t, 64, 48, 4)
	d := newDecoder(t)
	if _, _, err := d.Decode(clip[0]); err != nil {
		t.Fatal(err)
	}
	// A damaged inter frame: from here on inter frames are refused...
	bad := append([]byte(nil), clip[1][:3]...)
	bad = append(bad, 0xff, 0xff, 0xff)
	if _, _, err := d.Decode(bad); !errors.Is(err, ErrKeyFrameNeeded) {
		t.Fatalf("damaged frame: %v", err)
	}
	if _, _, err := d.Decode(clip[2]); !errors.Is(err, ErrKeyFrameNeeded) {
		t.Fatalf("inter frame after damage: %v", err)
	}
	// ...until a key frame.
	if _, ok, err := d.Decode(clip[0]); err != nil || !ok {
		t.Fatalf("key frame: ok=%v err=%v", ok, err)
	}
	if _, ok, err := d.Decode(clip[1]); err != nil || !ok {
		t.Fatalf("inter frame after key frame: ok=%v err=%v", ok, err)
	}
}

func TestDecodeReusesFrame(t *testing.T) {
	clip := encodeClip(t, 64, 48, 2)
	d := newDecoder(t)
	a, _, err := d.Decode(clip[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := d.Decode(clip[1])
	if err != nil {
		t.Fatal(err)
	}
	if &a.Y[0] != &b.Y[0] {
		t.Error("Decode allocated a new frame for a picture of the same size")
	}
}

// sized is key frame pkt with the size in its header changed to w×h.
func sized(pkt []byte, w, h int) []byte {
	out := append([]byte(nil), pkt...)
	binary.LittleEndian.PutUint16(out[6:], uint16(w))
	binary.LittleEndian.PutUint16(out[8:], uint16(h))
	return out
}

func TestParseHeader(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want frameHeader
		ok   bool
	}{
		{"inter", []byte{0x01, 0, 0}, frameHeader{}, true},
		{"key 320x240", []byte{0x10, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, frameHeader{key: true, width: 320, height: 240}, true},
		{"key with scale bits", []byte{0x10, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x41, 0xf0, 0xc0}, frameHeader{key: true, width: 320, height: 240}, true},
		{"key 0 wide", []byte{0x10, 0, 0, 0x9d, 0x01, 0x2a, 0, 0, 0xf0, 0}, frameHeader{}, false},
		{"short key", []byte{0x10, 0, 0, 0x9d, 0x01}, frameHeader{}, false},
		{"short", []byte{0x01}, frameHeader{}, false},
	}
	for _, c := range cases {
		got, err := parseHeader(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v, ok=%v", c.name, got, err, c.want, c.ok)
		}
	}
}
