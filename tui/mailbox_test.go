package tui

import (
	"sync"
	"testing"

	"github.com/dialtone/dialtone/device"
)

func TestMailboxKeepsNewest(t *testing.T) {
	var m Mailbox
	calls := 0
	seq := m.Read(0, func(device.Frame) { calls++ })
	if calls != 0 || seq != 0 {
		t.Fatalf("empty mailbox delivered a frame")
	}
	a, b := gradient(16, 8), gradient(32, 16)
	m.WriteFrame(a)
	m.WriteFrame(b)
	var got device.Frame
	seq = m.Read(seq, func(f device.Frame) { got = f; calls++ })
	if calls != 1 || got.Width != 32 || got.Y[5] != b.Y[5] {
		t.Fatalf("got %d calls, frame %dx%d", calls, got.Width, got.Height)
	}
	// The mailbox copied: changing the writer's buffer changes nothing.
	b.Y[5]++
	m.Read(0, func(f device.Frame) { got = f })
	if got.Y[5] == b.Y[5] {
		t.Error("the mailbox kept the writer's buffer")
	}
	if m.Read(seq, func(device.Frame) { calls++ }); calls != 1 {
		t.Error("a frame already read was delivered again")
	}
	m.Clear()
	m.Read(seq, func(f device.Frame) { got = f })
	if got.Width != 0 {
		t.Error("Clear did not deliver an empty frame")
	}
}

// TestMailboxConcurrent runs the engine's writes against the TUI's reads;
// run it with -race.
func TestMailboxConcurrent(t *testing.T) {
	var m Mailbox
	frames := []device.Frame{gradient(16, 8), gradient(32, 16)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 500 {
			m.WriteFrame(frames[i%2])
		}
	})
	var seq uint64
	for seq < 500 {
		seq = m.Read(seq, func(f device.Frame) {
			if len(f.Y) != f.Width*f.Height || len(f.U) != f.Width*f.Height/4 {
				t.Errorf("torn frame %dx%d with %d luma", f.Width, f.Height, len(f.Y))
			}
		})
	}
	wg.Wait()
}
