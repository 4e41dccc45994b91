package switchboard

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/call/wire"
)

// What the server acknowledges is on disk when it is acknowledged. A
// handler's store writes are queued, under the lock and so in the order of
// the events, and every message it sends in the same section is held in its
// session's queue until the writer has committed them. The writer commits
// whatever is queued in one transaction (group commit), then releases the
// messages that waited for it. A session's messages leave in order: one that
// needs no record still waits behind an earlier one that does.

// maxBatch bounds how many queued writes share one transaction.
const maxBatch = 256

// commitGap is the least time from the start of one commit to the start of
// the next. A commit costs about the same for one record as for ten (the
// WAL frames of the few b-tree pages the batch dirties, and the locks), so
// under load the writer gathers what comes in within commitGap into one
// transaction instead of committing two or three records at a time. It
// delays no record by more than commitGap, and none at all when records
// come less often than that: the first after a pause is committed at once.
const commitGap = time.Millisecond

// maxQueued is how many writes may wait for the writer before handlers that
// add more wait for their own to be committed: the queue cannot outgrow a
// slow disk.
const maxQueued = 4096

// record is one queued store write.
type record struct {
	seq   uint64
	write func(context.Context) error
	what  string
}

// recordQueue is the writer's queue; its fields but wake are guarded by
// sb.mu.
type recordQueue struct {
	q         []record
	seq       uint64            // of the last record queued
	committed uint64            // of the last record committed
	waiting   map[*session]bool // sessions holding messages for a commit
	waiters   []waiter          // flushRecords calls
	wake      chan struct{}
}

type waiter struct {
	seq  uint64
	done chan struct{}
}

func (q *recordQueue) init() {
	q.waiting = make(map[*session]bool)
	q.wake = make(chan struct{}, 1)
}

// effects collects what a locked section did: work to run once the lock is
// released, the last record it queued, and the sessions it sent to.
type effects struct {
	fns     []func()
	gate    uint64
	touched []*session
	full    bool // the queue was over maxQueued
}

func (fx *effects) add(f func()) { fx.fns = append(fx.fns, f) }

// record queues a store write. Every message sent in this section waits for
// it to be committed.
func (fx *effects) record(sb *Switchboard, f func(context.Context) error, what string) {
	q := &sb.recs
	q.seq++
	q.q = append(q.q, record{seq: q.seq, write: f, what: what})
	fx.gate = q.seq
	fx.full = fx.full || len(q.q) > maxQueued
}

// locked runs fn under the lock, releases what fn sent as far as the
// records allow, and then runs fn's effects.
func (sb *Switchboard) locked(fn func(fx *effects)) {
	var fx effects
	sb.mu.Lock()
	sb.sec = &fx
	fn(&fx)
	sb.sec = nil
	for _, s := range fx.touched {
		s.inSection = false
		for i := len(s.outq) - 1; i >= 0 && s.outq[i].gate == unstamped; i-- {
			s.outq[i].gate = fx.gate
		}
		sb.deliver(s)
	}
	sb.mu.Unlock()
	if fx.gate != 0 {
		select {
		case sb.recs.wake <- struct{}{}:
		default:
		}
	}
	for _, f := range fx.fns {
		f()
	}
	if fx.full {
		_ = sb.waitCommitted(context.Background(), fx.gate)
	}
}

// unstamped marks a queued message whose section has not finished.
const unstamped = ^uint64(0)

// queued is a message waiting for the record with seq gate.
type queued struct {
	m    *wire.Message
	gate uint64
}

// send numbers m in the session and queues it; it leaves when the records
// of its section are committed (at once if there are none), and is kept for
// a resume from then on. A message handed to a connection that is failing is
// not lost: the client's resume names the last one it got.
func (sb *Switchboard) send(s *session, m *wire.Message) {
	if s == nil {
		return
	}
	s.sn++
	m.SN = s.sn
	if sb.sec == nil {
		s.outq = append(s.outq, queued{m: m})
		sb.deliver(s)
		return
	}
	s.outq = append(s.outq, queued{m: m, gate: unstamped})
	if !s.inSection {
		s.inSection = true
		sb.sec.touched = append(sb.sec.touched, s)
	}
}

// deliver sends the session's queued messages whose records are committed,
// in order, up to the first that still waits.
func (sb *Switchboard) deliver(s *session) {
	n := 0
	now := sb.cfg.Now()
	for n < len(s.outq) && s.outq[n].gate <= sb.recs.committed {
		sb.keep(s, s.outq[n].m, now)
		n++
	}
	if s.out != nil && n > 0 {
		if b, ok := s.out.(batchOutbox); ok && n > 1 {
			ms := sb.releasing[:0]
			for _, q := range s.outq[:n] {
				ms = append(ms, q.m)
			}
			b.SendAll(ms)
			clear(ms)
			sb.releasing = ms[:0]
		} else {
			for _, q := range s.outq[:n] {
				s.out.Send(q.m)
			}
		}
	}
	clear(s.outq[:n])
	s.outq = s.outq[n:]
	if len(s.outq) == 0 {
		s.outq = nil
		delete(sb.recs.waiting, s)
	} else {
		sb.recs.waiting[s] = true
	}
}

// writeRecords commits the queued writes in batches, in order, and after
// each commit releases the messages that waited for it. On Close it drains
// the queue.
func (sb *Switchboard) writeRecords() {
	defer sb.wg.Done()
	q := &sb.recs
	gap := time.NewTimer(commitGap)
	gap.Stop()
	var last time.Time // the start of the last commit
	for {
		sb.mu.Lock()
		queued := len(q.q)
		if wait := commitGap - time.Since(last); queued > 0 && queued < maxBatch && wait > 0 {
			sb.mu.Unlock()
			sb.gather(gap, wait)
			sb.mu.Lock()
		}
		n := min(len(q.q), maxBatch)
		batch := append([]record(nil), q.q[:n]...)
		clear(q.q[:n])
		q.q = q.q[n:]
		if len(q.q) == 0 {
			q.q = nil
		}
		sb.mu.Unlock()
		if n == 0 {
			select {
			case <-q.wake:
				continue
			case <-sb.done:
			}
			sb.mu.Lock()
			empty := len(q.q) == 0
			sb.mu.Unlock()
			if empty {
				return
			}
			continue
		}
		last = time.Now()
		sb.commit(batch)
		sb.mu.Lock()
		q.committed = batch[n-1].seq
		for s := range q.waiting {
			sb.deliver(s)
		}
		kept := q.waiters[:0]
		for _, w := range q.waiters {
			if w.seq <= q.committed {
				close(w.done)
			} else {
				kept = append(kept, w)
			}
		}
		clear(q.waiters[len(kept):])
		q.waiters = kept
		sb.mu.Unlock()
	}
}

// gather lets records queue for wait before the writer takes them; Close
// cuts it short.
func (sb *Switchboard) gather(t *time.Timer, wait time.Duration) {
	t.Reset(wait)
	select {
	case <-t.C:
	case <-sb.done:
		t.Stop() // (since Go 1.23 a stopped timer's channel holds no stale tick)
	}
}

// commit writes a batch in one transaction. A write that fails is logged and
// the rest go on; if the transaction itself fails the batch is lost, which
// is logged too, and the parties are told all the same: a call must end for
// its parties whether or not the disk takes its record.
func (sb *Switchboard) commit(batch []record) {
	ctx := context.Background()
	err := sb.cfg.Store.Batch(ctx, func(ctx context.Context) error {
		for _, r := range batch {
			if err := r.write(ctx); err != nil {
				sb.log.Error("writing record", "what", r.what, "err", err)
			}
		}
		return nil
	})
	if err != nil {
		sb.log.Error("committing records", "records", len(batch), "err", err)
	}
}

// flushRecords waits until every store write queued before it is committed
// and the messages that waited for them are sent.
func (sb *Switchboard) flushRecords(ctx context.Context) error {
	sb.mu.Lock()
	seq := sb.recs.seq
	sb.mu.Unlock()
	return sb.waitCommitted(ctx, seq)
}

// waitCommitted waits until the record seq is committed, ctx ends, or the
// switchboard closes with the writer gone.
func (sb *Switchboard) waitCommitted(ctx context.Context, seq uint64) error {
	sb.mu.Lock()
	if sb.recs.committed >= seq {
		sb.mu.Unlock()
		return nil
	}
	w := waiter{seq: seq, done: make(chan struct{})}
	sb.recs.waiters = append(sb.recs.waiters, w)
	sb.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-sb.done:
		return errClosed
	}
}

// heartbeat records that the open calls are alive now.
func (sb *Switchboard) heartbeat() {
	sb.locked(func(fx *effects) {
		if len(sb.calls) == 0 {
			return
		}
		at := sb.cfg.Now()
		fx.record(sb, func(ctx context.Context) error { return sb.cfg.Store.TouchOpenCalls(ctx, at) }, "heartbeat")
	})
}

// expirePasses bounds the deletes one retention run makes, so a flood of
// records is worked off over several runs instead of stalling the writer.
const (
	expirePasses = 20
	expireBatch  = 1000
)

// expireRecords deletes call records older than RecordsKeep.
func (sb *Switchboard) expireRecords() {
	if sb.cfg.RecordsKeep <= 0 {
		return
	}
	before := sb.cfg.Now().Add(-sb.cfg.RecordsKeep)
	total := 0
	for range expirePasses {
		n, err := sb.cfg.Store.DeleteCallsBefore(context.Background(), before, expireBatch)
		total += n
		if err != nil {
			sb.log.Error("expiring call records", "err", err)
			break
		}
		if n < expireBatch {
			break
		}
	}
	if total > 0 {
		sb.log.Info("call records expired", "deleted", total, "before", before.Format(time.RFC3339))
	}
}
