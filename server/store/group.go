package store

import (
	"context"
)

// Registrations of new numbers share commits (group commit). Each caller
// still returns only when its own rows are committed, so a number answered
// "registered" survives a crash; but while one transaction commits, the
// registrations that arrive queue, and the next transaction takes them all.
// Under load that is one commit for many numbers instead of one each.

// maxGroup bounds the writes one group transaction takes.
const maxGroup = 128

// groupWrite is one caller's part of a group transaction.
type groupWrite struct {
	ctx  context.Context
	fn   func(*wtx) error
	done chan error
}

// The savepoint each write of a group runs in, so that one that fails
// undoes only its own rows.
const (
	qSavepoint = `SAVEPOINT one_write`
	qRelease   = `RELEASE one_write`
	qRollback  = `ROLLBACK TO one_write`
)

// grouped runs fn in a transaction it may share with other callers of
// grouped, and returns fn's error or the commit's. A ctx that carries a
// Batch's transaction runs fn in that instead.
func (s *Store) grouped(ctx context.Context, fn func(*wtx) error) error {
	if _, ok := ctx.Value(txKey{}).(*wtx); ok {
		return s.write(ctx, fn)
	}
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.group <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errClosed
	}
	// The write is the group writer's now: wait for its outcome even if
	// ctx ends, so the caller never reports failure for a committed row.
	return <-w.done
}

// groupWriter takes the queued group writes, as many as wait, into one
// transaction at a time.
func (s *Store) groupWriter() {
	defer s.wg.Done()
	var batch []*groupWrite
	for {
		batch = batch[:0]
		select {
		case w := <-s.group:
			batch = append(batch, w)
		case <-s.closing:
			return
		}
	more:
		for len(batch) < maxGroup {
			select {
			case w := <-s.group:
				batch = append(batch, w)
			default:
				break more
			}
		}
		s.commitGroup(batch)
		clear(batch)
	}
}

// commitGroup runs a group in one transaction. A lone write runs as it
// would on its own; in a larger group each write runs inside a savepoint.
func (s *Store) commitGroup(batch []*groupWrite) {
	errs := make([]error, len(batch))
	ctx := context.Background()
	err := s.write(ctx, func(tx *wtx) error {
		if len(batch) == 1 {
			errs[0] = batch[0].fn(tx)
			return errs[0]
		}
		for i, w := range batch {
			if err := w.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			errs[i] = s.inSavepoint(ctx, tx, w.fn)
		}
		return nil
	})
	for i, w := range batch {
		if errs[i] == nil {
			errs[i] = err
		}
		w.done <- errs[i]
	}
}

// inSavepoint runs fn so that, when it fails, what it wrote is undone and
// the transaction goes on.
func (s *Store) inSavepoint(ctx context.Context, tx *wtx, fn func(*wtx) error) error {
	if _, err := tx.ExecContext(ctx, qSavepoint); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, qRollback); rerr != nil {
			return rerr
		}
		_, _ = tx.ExecContext(ctx, qRelease)
		return err
	}
	_, err := tx.ExecContext(ctx, qRelease)
	return err
}
