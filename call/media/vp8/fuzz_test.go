//go:build cgo

package vp8

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus in testdata/fuzz")

// FuzzDecode feeds arbitrary bytes to a fresh decoder, then again after a
// good key frame, so that both the key frame and the inter frame paths of
// libvpx see them. Nothing may crash, and any picture must be a valid Frame.
func FuzzDecode(f *testing.F) {
	clip := encodeClip(f, 64, 48, 3)
	for _, p := range clip {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		d := newDecoder(t)
		check := func() {
			g, ok, err := d.Decode(pkt)
			if ok != (err == nil) && err != nil {
				t.Fatalf("ok=%v with error %v", ok, err)
			}
			if !ok {
				return
			}
			w, h := g.Width, g.Height
			if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > MaxDecodeSize || h > MaxDecodeSize || w*h > MaxDecodePixels ||
				len(g.Y) != w*h || len(g.U) != w*h/4 || len(g.V) != w*h/4 {
				t.Fatalf("decoded a %d×%d frame with planes %d, %d, %d", w, h, len(g.Y), len(g.U), len(g.V))
			}
		}
		check()
		if _, _, err := d.Decode(clip[0]); err != nil {
			t.Fatalf("good key frame after fuzz input: %v", err)
		}
		check()
	})
}

// TestWriteFuzzCorpus regenerates the committed seed corpus: real frames, a
// key frame and inter frames at two sizes (go test -run WriteFuzzCorpus -update).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{64, 48}, {96, 64}} {
		for i, p := range encodeClip(t, size[0], size[1], 3) {
			kind := "inter"
			if i == 0 {
				kind = "key"
			}
			name := fmt.Sprintf("%dx%d-%d-%s", size[0], size[1], i, kind)
			data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Real key frames claiming sizes libvpx is slow to allocate for (see
	// MaxDecodePixels): the first is refused now, the second is the largest
	// that passes.
	key := encodeClip(t, 64, 48, 1)[0]
	for _, size := range [][2]int{{2048, 2048}, {1920, 1088}} {
		name := fmt.Sprintf("%dx%d-forged-key", size[0], size[1])
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", sized(key, size[0], size[1]))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
