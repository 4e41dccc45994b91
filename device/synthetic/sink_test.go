package synthetic

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/dialtone/dialtone/device"
)

func TestVideoCapture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewVideoCapture(2)
		done := make(chan error)
		go func() { done <- c.Wait(context.Background(), 3) }()
		f := device.NewFrame(64, 32)
		for i := range 3 {
			EncodePattern(f, uint32(i), testTime)
			if err := c.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// The writer's buffer is reused: the capture must have copied.
		EncodePattern(f, 99, testTime)
		fs := c.Frames()
		if c.Count() != 3 || len(fs) != 2 {
			t.Fatalf("count %d, kept %d", c.Count(), len(fs))
		}
		for i, want := range []uint32{1, 2} {
			if seq, _, ok := DecodePattern(fs[i]); !ok || seq != want {
				t.Errorf("kept frame %d: seq %d ok %v, want %d", i, seq, ok, want)
			}
		}
		go func() { done <- c.Wait(context.Background(), 10) }()
		synctest.Wait()
		c.Close()
		if err := <-done; !errors.Is(err, device.ErrClosed) {
			t.Errorf("Wait across Close: %v", err)
		}
		if err := c.WriteFrame(f); !errors.Is(err, device.ErrClosed) {
			t.Errorf("WriteFrame after Close: %v", err)
		}
	})
}

func TestAudioCapture(t *testing.T) {
	c := NewAudioCapture(5)
	for _, pcm := range [][]int16{{1, 2, 3}, {4, 5, 6}, {7, 8, 9, 10, 11, 12, 13}} {
		if err := c.WriteAudio(pcm); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Samples(); !slicesEqual(got, []int16{9, 10, 11, 12, 13}) || c.Frames() != 3 {
		t.Errorf("kept %v after %d frames", got, c.Frames())
	}
	null := NewAudioCapture(0)
	null.WriteAudio([]int16{1, 2})
	if null.Frames() != 1 || len(null.Samples()) != 0 {
		t.Errorf("null sink kept %v", null.Samples())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx, 100); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with cancelled ctx: %v", err)
	}
	c.Close()
	if err := c.WriteAudio([]int16{1}); !errors.Is(err, device.ErrClosed) {
		t.Errorf("WriteAudio after Close: %v", err)
	}
}
