package signaling

import (
	"sync"
	"time"
)

// workerIdle is how long a finished worker waits for more work before it
// exits.
const workerIdle = time.Second

// workers are the goroutines that read and write connections. Reads and
// writes each start on a goroutine of their own (an idle connection holds
// none), and a fresh goroutine grows its stack through the JSON and
// switchboard calls each time: in a profile of call set-ups that copying
// was a tenth of the server's CPU. So a finished worker waits for more, and
// those that stay workerIdle without work exit, so an idle server holds
// none.
//
// Idle workers wait on a stack, each on a channel of its own: the newest
// (its stack warm) gets the next piece of work, and the oldest are at the
// bottom for the sweep. A worker that waited in a select on the work, its
// idle timer and the server's end, resetting the timer after every piece
// of work, spent 7 % of the server's CPU in a profile of call set-ups on
// that select.
type workers struct {
	mu       sync.Mutex
	idle     []*worker // oldest first
	closed   bool
	sweep    *time.Timer // made by the first rest
	sweeping bool        // sweep is armed
}

type worker struct {
	work  chan func() // one at a time; nil: exit
	since time.Time   // idle since
}

// spawn runs f on a worker goroutine: an idle one if there is one, else a
// new one.
func (s *Server) spawn(f func()) {
	ws := &s.workers
	ws.mu.Lock()
	if n := len(ws.idle); n > 0 {
		w := ws.idle[n-1]
		ws.idle[n-1] = nil
		ws.idle = ws.idle[:n-1]
		ws.mu.Unlock()
		w.work <- f // it waits for just this
		return
	}
	s.wg.Add(1)
	ws.mu.Unlock()
	go s.worker(&worker{work: make(chan func(), 1)}, f)
}

func (s *Server) worker(w *worker, f func()) {
	defer s.wg.Done()
	for f != nil {
		f()
		if !s.rest(w) {
			return
		}
		f = <-w.work
	}
}

// rest puts a worker that finished its work on the idle stack, unless the
// server is closed.
func (s *Server) rest(w *worker) bool {
	ws := &s.workers
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return false
	}
	w.since = time.Now()
	ws.idle = append(ws.idle, w)
	switch {
	case ws.sweep == nil:
		ws.sweep = time.AfterFunc(workerIdle, s.sweepIdle)
		ws.sweeping = true
	case !ws.sweeping:
		ws.sweeping = true
		ws.sweep.Reset(workerIdle)
	}
	return true
}

// sweepIdle ends the workers that have been idle for workerIdle, and
// comes back when the next one will have been.
func (s *Server) sweepIdle() {
	ws := &s.workers
	ws.mu.Lock()
	defer ws.mu.Unlock()
	now := time.Now()
	n := 0
	for n < len(ws.idle) && now.Sub(ws.idle[n].since) >= workerIdle {
		ws.idle[n].work <- nil
		n++
	}
	rest := copy(ws.idle, ws.idle[n:])
	clear(ws.idle[rest:])
	ws.idle = ws.idle[:rest]
	if rest == 0 || ws.closed {
		ws.sweeping = false
		return
	}
	ws.sweep.Reset(workerIdle - now.Sub(ws.idle[0].since))
}

// closeWorkers ends the idle workers, and the others as they finish.
func (s *Server) closeWorkers() {
	ws := &s.workers
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.closed = true
	for _, w := range ws.idle {
		w.work <- nil
	}
	ws.idle = nil
	if ws.sweep != nil {
		ws.sweep.Stop()
	}
}
