package audio

import (
	"context"
	"sync"

	"github.com/dialtone/dialtone/device"
)

// ring is the bounded FIFO of 48 kHz mono samples between a device's driver
// goroutine and ReadAudio/WriteAudio. Waiters watch a channel that is closed
// and replaced on every change, so a wait can also watch a context.
type ring struct {
	mu      sync.Mutex
	buf     []int16
	r, n    int // read index and fill
	changed chan struct{}
	done    bool  // no more pushes (input) or pulls (output)
	err     error // why: device.ErrClosed or the driver's error
}

func newRing(capacity int) *ring {
	return &ring{buf: make([]int16, capacity), changed: make(chan struct{})}
}

// signal wakes every waiter; q.mu is held.
func (q *ring) signal() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// copyIn appends up to the free space; q.mu is held.
func (q *ring) copyIn(src []int16) int {
	c := len(q.buf)
	k := min(len(src), c-q.n)
	w := (q.r + q.n) % c
	m := copy(q.buf[w:], src[:k])
	copy(q.buf, src[m:k])
	q.n += k
	return k
}

// copyOut takes up to len(dst) samples; q.mu is held.
func (q *ring) copyOut(dst []int16) int {
	c := len(q.buf)
	k := min(len(dst), q.n)
	m := copy(dst[:k], q.buf[q.r:min(q.r+k, c)])
	copy(dst[m:k], q.buf)
	q.r = (q.r + k) % c
	q.n -= k
	return k
}

// push appends src, dropping the oldest samples when full (an input that
// nobody reads should stay current, not old). It returns how many samples
// were dropped.
func (q *ring) push(src []int16) (dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(src) > len(q.buf) {
		dropped = len(src) - len(q.buf)
		src = src[dropped:]
	}
	if over := q.n + len(src) - len(q.buf); over > 0 {
		q.r = (q.r + over) % len(q.buf)
		q.n -= over
		dropped += over
	}
	q.copyIn(src)
	q.signal()
	return dropped
}

// readFull waits until len(dst) samples are there and takes them. After
// finish it still drains what is left, then returns the finishing error.
func (q *ring) readFull(ctx context.Context, dst []int16) error {
	if len(dst) > len(q.buf) {
		// Larger than the ring: fill it in ring-sized steps.
		for len(dst) > 0 {
			k := min(len(dst), len(q.buf))
			if err := q.readFull(ctx, dst[:k]); err != nil {
				return err
			}
			dst = dst[k:]
		}
		return nil
	}
	for {
		q.mu.Lock()
		if q.n >= len(dst) {
			q.copyOut(dst)
			q.signal()
			q.mu.Unlock()
			return nil
		}
		if q.done {
			err := q.err
			q.mu.Unlock()
			return err
		}
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// write appends all of src, waiting for room: a writer ahead of the device
// is held back to real time, as a blocking sink should.
func (q *ring) write(src []int16) error {
	for {
		q.mu.Lock()
		if q.done {
			err := q.err
			q.mu.Unlock()
			return err
		}
		k := q.copyIn(src)
		src = src[k:]
		if k > 0 {
			q.signal()
		}
		ch := q.changed
		q.mu.Unlock()
		if len(src) == 0 {
			return nil
		}
		<-ch
	}
}

// pull takes up to len(dst) samples without waiting.
func (q *ring) pull(dst []int16) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := q.copyOut(dst)
	if k > 0 {
		q.signal()
	}
	return k
}

// len is the fill.
func (q *ring) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// finish ends the ring with err (device.ErrClosed when nil); the first
// reason wins.
func (q *ring) finish(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.done {
		return
	}
	if err == nil {
		err = device.ErrClosed
	}
	q.done, q.err = true, err
	q.signal()
}
