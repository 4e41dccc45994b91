package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MaxMissed is how many missed calls are kept for one number; adding more
// drops the oldest, so a caller dialling an offline number in a loop cannot
// grow the database without bound.
const MaxMissed = 100

// MissedCall is a call the callee did not take: they were offline, or it rang
// out or was cancelled. It waits until the callee registers and acknowledges
// it.
type MissedCall struct {
	ID     int64 // assigned by AddMissed; increases, never reused
	To     string
	From   string
	At     time.Time // zero means the store's clock
	CallID string
}

// The missed-call writes, prepared once (see Store.exec).
const (
	qAddMissed  = `INSERT INTO missed_calls (to_number, from_number, at, call_id) VALUES (?, ?, ?, ?)`
	qTrimMissed = `DELETE FROM missed_calls WHERE to_number = ? AND id <= (
		SELECT id FROM missed_calls WHERE to_number = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`
)

// AddMissed records a missed call for m.To and returns its ID. It returns
// ErrNotFound if m.To is not a subscriber: nobody could collect it.
func (s *Store) AddMissed(ctx context.Context, m MissedCall) (int64, error) {
	if m.To == "" {
		return 0, errors.New("adding missed call: no callee")
	}
	if m.At.IsZero() {
		m.At = s.now()
	}
	var id int64
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, qAddMissed,
			m.To, m.From, toDB(m.At), m.CallID)
		if isForeignKeyViolation(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, qTrimMissed,
			m.To, m.To, MaxMissed)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("adding missed call for %s: %w", m.To, err)
	}
	return id, nil
}

// PendingMissed returns the missed calls waiting for number, oldest first; at
// most the newest MaxMissed.
func (s *Store) PendingMissed(ctx context.Context, number string) ([]MissedCall, error) {
	rows, err := s.query(ctx,
		`SELECT id, to_number, from_number, at, call_id FROM (
			SELECT * FROM missed_calls WHERE to_number = ? ORDER BY id DESC LIMIT ?
		) ORDER BY id`, number, MaxMissed)
	return scanMissed(rows, err, number)
}

// AckMissed removes number's missed calls with IDs up to and including
// upToID, once the callee has them. Other numbers' records are untouched.
func (s *Store) AckMissed(ctx context.Context, number string, upToID int64) error {
	_, err := s.w.ExecContext(ctx,
		`DELETE FROM missed_calls WHERE to_number = ? AND id <= ?`, number, upToID)
	if err != nil {
		return fmt.Errorf("acknowledging missed calls for %s: %w", number, err)
	}
	return nil
}

// PendingMissedFor returns the missed calls that number's device with key
// has not acknowledged, oldest first; at most the newest MaxMissed.
func (s *Store) PendingMissedFor(ctx context.Context, number string, key []byte) ([]MissedCall, error) {
	rows, err := s.query(ctx,
		`SELECT id, to_number, from_number, at, call_id FROM (
			SELECT * FROM missed_calls WHERE to_number = ? AND id > coalesce(
				(SELECT missed_ack FROM devices WHERE number = ? AND key = ?), 0)
			ORDER BY id DESC LIMIT ?
		) ORDER BY id`, number, number, key, MaxMissed)
	return scanMissed(rows, err, number)
}

// scanMissed reads the rows of a missed-calls query for number.
func scanMissed(rows *sql.Rows, err error, number string) ([]MissedCall, error) {
	if err != nil {
		return nil, fmt.Errorf("listing missed calls for %s: %w", number, err)
	}
	defer rows.Close()
	var ms []MissedCall
	for rows.Next() {
		var (
			m  MissedCall
			at int64
		)
		if err := rows.Scan(&m.ID, &m.To, &m.From, &at, &m.CallID); err != nil {
			return nil, fmt.Errorf("listing missed calls for %s: %w", number, err)
		}
		m.At = fromDB(at)
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing missed calls for %s: %w", number, err)
	}
	return ms, nil
}

// AckMissedFor notes that number's device with key has shown the missed
// calls up to and including upToID; once every device of the number has,
// they are deleted.
func (s *Store) AckMissedFor(ctx context.Context, number string, key []byte, upToID int64) error {
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx,
			`UPDATE devices SET missed_ack = max(missed_ack, min(?, (SELECT coalesce(max(id), 0) FROM missed_calls)))
			 WHERE number = ? AND key = ?`,
			upToID, number, key); err != nil {
			return err
		}
		return trimAcked(ctx, tx, number)
	})
	if err != nil {
		return fmt.Errorf("acknowledging missed calls for %s: %w", number, err)
	}
	return nil
}
