package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReasonServerRestart is the end reason the server gives calls it finds open
// on start: they were cut by a crash or restart.
const ReasonServerRestart = "server-restart"

// CDR is a call detail record: who called whom, when, how long, and on which
// leases.
type CDR struct {
	CallID string
	Caller string
	Callee string
	Start  time.Time // dial; zero means the store's clock
	Answer time.Time // zero if never answered
	End    time.Time // zero while the call is open
	// Alive is the last time the server knew the call was live (its start,
	// answer, or a TouchOpenCalls since); a call cut by a crash is ended
	// at it.
	Alive  time.Time
	Reason string // why it ended: "hangup", "refused", "no-answer", ...
	// CallerLease and CalleeLease are the leased addresses, as the lease
	// package prints them; empty if the call was never answered.
	CallerLease string
	CalleeLease string
}

// The call writes, prepared once (see Store.exec).
const (
	qStartCall = `INSERT INTO calls (call_id, caller, callee, start_at, answer_at, end_at, reason, caller_lease, callee_lease, alive_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// qStartOpen is qStartCall for what the switchboard records at dial: a
	// call not yet answered, ended or leased. It binds half the
	// parameters, and binding (the driver copies each string into C
	// memory, and clears it after) was a tenth of the store's work.
	qStartOpen = `INSERT INTO calls (call_id, caller, callee, start_at, answer_at, end_at, reason, caller_lease, callee_lease, alive_at)
		VALUES (?, ?, ?, ?, NULL, NULL, '', '', '', ?)`
	qAnswerCall = `UPDATE calls SET answer_at = ?, caller_lease = ?, callee_lease = ?, alive_at = max(coalesce(alive_at, 0), ?)
		WHERE call_id = ? AND answer_at IS NULL AND end_at IS NULL`
	qEndCall   = `UPDATE calls SET end_at = ?, reason = ? WHERE call_id = ? AND end_at IS NULL`
	qTouchOpen = `UPDATE calls SET alive_at = ? WHERE end_at IS NULL`
)

// Duration is the talk time: from answer to end, or 0 if the call was not
// answered or has not ended.
func (c CDR) Duration() time.Duration {
	if c.Answer.IsZero() || c.End.IsZero() {
		return 0
	}
	return c.End.Sub(c.Answer)
}

// StartCall records a call at dial. It returns ErrExists if c.CallID is
// taken.
func (s *Store) StartCall(ctx context.Context, c CDR) error {
	if c.CallID == "" {
		return errors.New("starting call: no call ID")
	}
	if c.Start.IsZero() {
		c.Start = s.now()
	}
	err := s.write(ctx, func(tx *wtx) error {
		if c.Answer.IsZero() && c.End.IsZero() && c.Reason == "" && c.CallerLease == "" && c.CalleeLease == "" {
			_, err := tx.ExecContext(ctx, qStartOpen,
				c.CallID, c.Caller, c.Callee, toDB(c.Start), toDB(c.Start))
			return err
		}
		_, err := tx.ExecContext(ctx, qStartCall,
			c.CallID, c.Caller, c.Callee, toDB(c.Start), nullTime(c.Answer), nullTime(c.End),
			c.Reason, c.CallerLease, c.CalleeLease, toDB(c.Start))
		return err
	})
	if isUniqueViolation(err) {
		err = ErrExists
	}
	if err != nil {
		return fmt.Errorf("starting call %s: %w", c.CallID, err)
	}
	return nil
}

// AnswerCall records the answer and the two leases. The first answer wins;
// answering a call again or after it ended changes nothing. A zero at means
// the store's clock. It returns
// ErrNotFound for an unknown call.
func (s *Store) AnswerCall(ctx context.Context, callID string, at time.Time, callerLease, calleeLease string) error {
	if at.IsZero() {
		at = s.now()
	}
	err := s.update(ctx, callID, qAnswerCall,
		toDB(at), callerLease, calleeLease, toDB(at), callID)
	if err != nil {
		return fmt.Errorf("answering call %s: %w", callID, err)
	}
	return nil
}

// EndCall records the end of a call and why. The first end wins, so both
// parties hanging up at once, or a hangup racing a timeout, is harmless. A
// zero at means the store's clock. It returns ErrNotFound for an unknown call.
func (s *Store) EndCall(ctx context.Context, callID string, at time.Time, reason string) error {
	if at.IsZero() {
		at = s.now()
	}
	err := s.update(ctx, callID, qEndCall,
		toDB(at), reason, callID)
	if err != nil {
		return fmt.Errorf("ending call %s: %w", callID, err)
	}
	return nil
}

// update runs a guarded UPDATE on one call; when it changes nothing it tells
// a call that does not exist (ErrNotFound) from one whose guard failed (nil).
func (s *Store) update(ctx context.Context, callID, query string, args ...any) error {
	return s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var found int
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM calls WHERE call_id = ?`, callID).Scan(&found)
		if err == nil && found == 0 {
			err = ErrNotFound
		}
		return err
	})
}

// Calls returns the newest limit calls, newest first.
func (s *Store) Calls(ctx context.Context, limit int) ([]CDR, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("listing calls: limit %d is not positive", limit)
	}
	cs, err := s.queryCalls(ctx,
		`SELECT `+cdrColumns+` FROM calls ORDER BY start_at DESC, call_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing calls: %w", err)
	}
	return cs, nil
}

// OpenCalls returns the calls that started and never ended, oldest first.
// At start, before taking calls, the server ends them with
// ReasonServerRestart.
func (s *Store) OpenCalls(ctx context.Context) ([]CDR, error) {
	cs, err := s.queryCalls(ctx,
		`SELECT `+cdrColumns+` FROM calls WHERE end_at IS NULL ORDER BY start_at, call_id`)
	if err != nil {
		return nil, fmt.Errorf("listing open calls: %w", err)
	}
	return cs, nil
}

// TouchOpenCalls records that every call still open is alive at at. The
// server runs it on a timer (in the same ordered batches as the other
// writes, so a call ended before it is not touched): after a crash, the
// calls it cut end at their last touch, not at the next start.
func (s *Store) TouchOpenCalls(ctx context.Context, at time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, qTouchOpen, toDB(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("touching open calls: %w", err)
	}
	return nil
}

// CallsEndedSince returns the answered calls that ended at or after since,
// oldest end first: their leases may still be in hold-down.
func (s *Store) CallsEndedSince(ctx context.Context, since time.Time) ([]CDR, error) {
	cs, err := s.queryCalls(ctx,
		`SELECT `+cdrColumns+` FROM calls WHERE end_at >= ? AND answer_at IS NOT NULL ORDER BY end_at, call_id`, toDB(since))
	if err != nil {
		return nil, fmt.Errorf("listing calls ended since %v: %w", since, err)
	}
	return cs, nil
}

// DeleteCallsBefore deletes at most limit ended calls that started before
// before, oldest first, and returns how many it deleted. Its work is bounded
// by limit; run it again while it returns limit.
func (s *Store) DeleteCallsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx,
			`DELETE FROM calls WHERE call_id IN (
				SELECT call_id FROM calls WHERE start_at < ? AND end_at IS NOT NULL ORDER BY start_at LIMIT ?)`,
			toDB(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting calls before %v: %w", before, err)
	}
	return int(n), nil
}

const cdrColumns = `call_id, caller, callee, start_at, answer_at, end_at, reason, caller_lease, callee_lease, alive_at`

func (s *Store) queryCalls(ctx context.Context, query string, args ...any) ([]CDR, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []CDR
	for rows.Next() {
		var (
			c           CDR
			start       int64
			answer, end sql.NullInt64
			alive       sql.NullInt64
		)
		err := rows.Scan(&c.CallID, &c.Caller, &c.Callee, &start, &answer, &end,
			&c.Reason, &c.CallerLease, &c.CalleeLease, &alive)
		if err != nil {
			return nil, err
		}
		c.Start, c.Answer, c.End, c.Alive = fromDB(start), fromNull(answer), fromNull(end), fromNull(alive)
		if c.Alive.IsZero() {
			c.Alive = c.Start // a row from before alive_at existed
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}
