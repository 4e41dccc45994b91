package echo

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/switchboard"
)

// maxInbox bounds the signalling messages waiting for the echo; a call needs
// a handful (accepted, offer, a few candidates), so this only bites when the
// echo is stuck, and then dropping is better than holding the switchboard.
const maxInbox = 4096

// Echo is the running echo test. Create it with New; stop it with Close.
type Echo struct {
	cfg   Config
	log   *slog.Logger
	conn  *switchboard.Conn
	inbox *queue[*wire.Message]

	// handleMu keeps Conn.Handle to one message at a time, as the
	// switchboard asks. It is never held while e.mu is.
	handleMu sync.Mutex

	mu      sync.Mutex
	calls   map[wire.CallID]*call
	closed  bool
	changed chan struct{} // closed and replaced whenever calls changes

	quit      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // the dispatcher and every call

	stats counters
}

type counters struct {
	answered, refused, connected, timedOut, failed atomic.Uint64
	packets, keyFrameRequests, dropped             atomic.Uint64
}

// Stats is a snapshot of the echo's counters.
type Stats struct {
	Live             int    // calls in progress
	Answered         uint64 // calls accepted
	Refused          uint64 // calls refused: MaxCalls reached, or closing
	Connected        uint64 // calls whose media connected
	TimedOut         uint64 // calls hung up at SetupTimeout or MaxDuration
	Failed           uint64 // calls ended by a media error
	Packets          uint64 // RTP packets sent back
	KeyFrameRequests uint64 // key frames asked of callers: one as each video echo starts, then their own requests passed on
	Dropped          uint64 // signalling messages dropped on a full inbox
}

// New attaches the echo to sb under cfg.Code and starts answering.
func New(sb *switchboard.Switchboard, cfg Config) (*Echo, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Echo{
		cfg:     cfg,
		log:     cfg.Logger,
		inbox:   newQueue[*wire.Message](maxInbox),
		calls:   make(map[wire.CallID]*call),
		changed: make(chan struct{}),
		quit:    make(chan struct{}),
	}
	conn, err := sb.AttachService(cfg.Code, cfg.Name, outbox{e})
	if err != nil {
		return nil, fmt.Errorf("attaching the echo test: %w", err)
	}
	e.conn = conn
	e.wg.Add(1)
	go e.run()
	e.log.Info("echo test answering", keyNumber, cfg.Code, "max_calls", cfg.MaxCalls)
	return e, nil
}

// Close hangs up every call, closes their PeerConnections, detaches the
// service and waits for every goroutine the echo started. Later calls do
// nothing.
func (e *Echo) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		close(e.quit)
		e.wg.Wait()
		// Handle is ignored once the connection is gone, so the hang-ups
		// above come first. Without calls the session goes at once and
		// later dials to the code get unavailable instead of ringing.
		e.handleMu.Lock()
		e.conn.Disconnect()
		e.handleMu.Unlock()
		e.log.Info("echo test stopped")
	})
	return nil
}

// Stats returns the echo's counters.
func (e *Echo) Stats() Stats {
	e.mu.Lock()
	live := len(e.calls)
	e.mu.Unlock()
	return Stats{
		Live:             live,
		Answered:         e.stats.answered.Load(),
		Refused:          e.stats.refused.Load(),
		Connected:        e.stats.connected.Load(),
		TimedOut:         e.stats.timedOut.Load(),
		Failed:           e.stats.failed.Load(),
		Packets:          e.stats.packets.Load(),
		KeyFrameRequests: e.stats.keyFrameRequests.Load(),
		Dropped:          e.stats.dropped.Load(),
	}
}

// outbox is the echo's side of the switchboard: Send runs under the
// switchboard's lock and must not block, so it only queues.
type outbox struct{ e *Echo }

func (o outbox) Send(m *wire.Message) bool {
	if o.e.inbox.push(m) {
		return true
	}
	o.e.stats.dropped.Add(1)
	o.e.log.Warn("echo inbox full; dropping a message", "type", m.Type, keyCall, m.Call)
	return false
}

// Close is the switchboard shutting down. Each call has already been sent
// ended; the owner still calls Echo.Close to wait for them.
func (o outbox) Close(reason string) {
	o.e.log.Debug("switchboard closed the echo's connection", "reason", reason)
}

// handle gives m to the switchboard as the service's message.
func (e *Echo) handle(m *wire.Message) {
	m.V = wire.Version
	e.handleMu.Lock()
	defer e.handleMu.Unlock()
	e.conn.Handle(context.Background(), m)
}

// run hands each message from the switchboard to its call, and admits or
// refuses new ones.
func (e *Echo) run() {
	defer e.wg.Done()
	for {
		select {
		case <-e.quit:
			// Calls that rang while the echo was closing are refused, not
			// left to ring out.
			for _, m := range e.inbox.take() {
				if m.Type == wire.TypeIncoming {
					e.refuse(m.Call)
				}
			}
			return
		case <-e.inbox.ready:
			for _, m := range e.inbox.take() {
				e.dispatch(m)
			}
		}
	}
}

func (e *Echo) dispatch(m *wire.Message) {
	switch m.Type {
	case wire.TypeIncoming:
		e.admit(m)
		return
	case wire.TypeError:
		e.log.Debug("switchboard answered with an error", keyCall, m.Call, "code", m.Code, "message", m.Message)
	}
	if m.Call == "" {
		return
	}
	e.mu.Lock()
	c := e.calls[m.Call]
	e.mu.Unlock()
	if c != nil {
		c.events.push(event{kind: eventMessage, msg: m})
	}
}

// admit starts a call for an incoming message, or refuses it when the echo
// is full or closing.
func (e *Echo) admit(m *wire.Message) {
	e.mu.Lock()
	if e.calls[m.Call] != nil {
		e.mu.Unlock()
		return // the switchboard said it twice; the call is being answered
	}
	if e.closed || len(e.calls) >= e.cfg.MaxCalls {
		full := !e.closed
		e.mu.Unlock()
		if full {
			e.log.Warn("echo test full; refusing a call", keyCall, m.Call, keyNumber, m.From, "max_calls", e.cfg.MaxCalls)
		}
		e.refuse(m.Call)
		return
	}
	c := newCall(e, m)
	e.calls[c.id] = c
	e.notifyLocked()
	e.wg.Add(1)
	e.mu.Unlock()
	go c.run()
}

func (e *Echo) refuse(id wire.CallID) {
	e.stats.refused.Add(1)
	e.handle(&wire.Message{Type: wire.TypeRefuse, Call: id})
}

// forget removes a finished call.
func (e *Echo) forget(c *call) {
	e.mu.Lock()
	delete(e.calls, c.id)
	e.notifyLocked()
	e.mu.Unlock()
}

func (e *Echo) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// live returns the number of calls in progress and a channel closed when
// that changes.
func (e *Echo) live() (int, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls), e.changed
}
