package echo

import "sync"

// queue is a bounded FIFO that never blocks the pusher: the switchboard
// sends to a service under its lock, and pion's callbacks must return, so
// both hand work over through one of these. ready has a token whenever
// items may be waiting.
type queue[T any] struct {
	mu    sync.Mutex
	items []T
	max   int
	ready chan struct{}
}

func newQueue[T any](max int) *queue[T] {
	return &queue[T]{max: max, ready: make(chan struct{}, 1)}
}

// push adds v and reports whether there was room.
func (q *queue[T]) push(v T) bool {
	q.mu.Lock()
	if len(q.items) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// take removes and returns everything queued.
func (q *queue[T]) take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}
