package tui

import (
	"sync"

	"github.com/dialtone/dialtone/device"
)

// Mailbox is a device.VideoSink that keeps only the newest frame: the engine
// writes into it at the video's rate, and the TUI reads it at its own capped
// rate, so a slow terminal drops frames instead of queueing them.
type Mailbox struct {
	mu    sync.Mutex
	frame device.Frame
	seq   uint64
	buf   []byte
}

var _ device.VideoSink = (*Mailbox)(nil)

// WriteFrame copies f, replacing whatever frame was waiting. The copy goes
// into a buffer reused while the frame size stays the same.
func (m *Mailbox) WriteFrame(f device.Frame) error {
	ys, cs := len(f.Y), min(len(f.U), len(f.V))
	m.mu.Lock()
	defer m.mu.Unlock()
	if need := ys + 2*cs; cap(m.buf) < need {
		m.buf = make([]byte, need)
	}
	b := m.buf[:ys+2*cs]
	copy(b, f.Y)
	copy(b[ys:], f.U[:cs])
	copy(b[ys+cs:], f.V[:cs])
	m.frame = device.Frame{Width: f.Width, Height: f.Height, Y: b[:ys], U: b[ys : ys+cs], V: b[ys+cs:], Time: f.Time}
	m.seq++
	return nil
}

// Read calls fn with the newest frame if one arrived after seq last, and
// returns the newest sequence number. fn runs under the mailbox's lock and
// must copy what it keeps.
func (m *Mailbox) Read(last uint64, fn func(device.Frame)) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seq != last && m.seq != 0 {
		fn(m.frame)
	}
	return m.seq
}

// Clear forgets the waiting frame, so the next call starts without the last
// call's picture.
func (m *Mailbox) Clear() {
	m.mu.Lock()
	m.frame = device.Frame{}
	m.seq++
	m.mu.Unlock()
}
