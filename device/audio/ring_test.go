package audio

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/dialtone/dialtone/device"
)

func seq(from, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(from + i)
	}
	return s
}

func TestRingDropsOldest(t *testing.T) {
	q := newRing(10)
	if d := q.push(seq(0, 6)); d != 0 {
		t.Fatalf("dropped %d of a push that fits", d)
	}
	if d := q.push(seq(6, 7)); d != 3 {
		t.Fatalf("dropped %d, want the 3 oldest", d)
	}
	got := make([]int16, 10)
	if err := q.readFull(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seq(3, 10)) {
		t.Errorf("got %v, want the newest 10", got)
	}
	if d := q.push(seq(100, 25)); d != 15 || q.len() != 10 {
		t.Errorf("a push larger than the ring dropped %d, holds %d", d, q.len())
	}
}

func TestRingReadWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newRing(device.FrameSamples * 3)
		got := make(chan error, 1)
		frame := make([]int16, device.FrameSamples)
		go func() { got <- q.readFull(context.Background(), frame) }()
		q.push(seq(0, device.FrameSamples/2))
		synctest.Wait()
		select {
		case err := <-got:
			t.Fatalf("readFull returned %v with half a frame", err)
		default:
		}
		q.push(seq(device.FrameSamples/2, device.FrameSamples))
		if err := <-got; err != nil || frame[0] != 0 || frame[device.FrameSamples-1] != device.FrameSamples-1 {
			t.Fatalf("readFull = %v, frame %d…%d", err, frame[0], frame[device.FrameSamples-1])
		}

		ctx, cancel := context.WithCancel(context.Background())
		go func() { got <- q.readFull(ctx, make([]int16, 2*device.FrameSamples)) }()
		synctest.Wait()
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Errorf("readFull after cancel = %v", err)
		}

		go func() { got <- q.readFull(context.Background(), make([]int16, 2*device.FrameSamples)) }()
		synctest.Wait()
		boom := errors.New("unplugged")
		q.finish(boom)
		q.finish(nil) // the first reason stays
		if err := <-got; !errors.Is(err, boom) {
			t.Errorf("readFull after finish = %v, want the device's error", err)
		}
	})
}

func TestRingWriteWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newRing(8)
		done := make(chan error, 1)
		go func() { done <- q.write(seq(0, 12)) }()
		synctest.Wait()
		if q.len() != 8 {
			t.Fatalf("ring holds %d, want full", q.len())
		}
		out := make([]int16, 6)
		if n := q.pull(out); n != 6 || !slices.Equal(out, seq(0, 6)) {
			t.Fatalf("pull = %d %v", n, out)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		rest := make([]int16, 10)
		if n := q.pull(rest); n != 6 || !slices.Equal(rest[:n], seq(6, 6)) {
			t.Errorf("pull = %d %v, want 6…11 in order across the wrap", n, rest[:n])
		}
		go func() { done <- q.write(seq(0, 20)) }()
		synctest.Wait()
		q.finish(nil)
		if err := <-done; !errors.Is(err, device.ErrClosed) {
			t.Errorf("write after finish = %v, want ErrClosed", err)
		}
	})
}
