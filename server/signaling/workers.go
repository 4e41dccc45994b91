package signaling

import "time"

// workerIdle is how long a finished worker waits for more work before it
// exits.
const workerIdle = time.Second

// spawn runs f on a worker goroutine: an idle one if there is one, else a
// new one. Reads and writes each start on a goroutine of their own (an
// idle connection holds none), and a fresh goroutine grows its stack
// through the JSON and switchboard calls each time: in a profile of call
// set-ups that copying was a tenth of the server's CPU. Workers that stay
// a second without work exit, so an idle server holds none.
func (s *Server) spawn(f func()) {
	select {
	case s.work <- f:
	default:
		s.wg.Add(1)
		go s.worker(f)
	}
}

func (s *Server) worker(f func()) {
	defer s.wg.Done()
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		f()
		t.Reset(workerIdle)
		select {
		case f = <-s.work:
		case <-t.C:
			return
		case <-s.ctx.Done():
			return
		}
	}
}
