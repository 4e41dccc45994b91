package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Device is one key that may register a number. A number's first device
// claimed it (open or invite registration) and has no certificate; every
// later one was linked by a device that held the number then, which signed
// Cert (call/identity's canonical LinkCert bytes) with the key By.
type Device struct {
	Number   string
	Key      ed25519.PublicKey
	Name     string
	LinkedAt time.Time
	LastSeen time.Time // when it last registered (to the minute); zero for a device from before devices
	By       ed25519.PublicKey
	Cert     []byte
	Sig      []byte
}

// Removal is an unlinked device, as DeviceRemovals lists them.
type Removal struct {
	ID     int64
	Number string
	Key    ed25519.PublicKey
	At     time.Time
}

const deviceCols = `number, key, name, linked_at, last_seen, by_key, cert, sig`

func scanDevice(row scanner) (Device, error) {
	var (
		d         Device
		key, by   []byte
		linked    int64
		seen      sql.NullInt64
		cert, sig []byte
	)
	if err := row.Scan(&d.Number, &key, &d.Name, &linked, &seen, &by, &cert, &sig); err != nil {
		return Device{}, err
	}
	d.Key, d.LinkedAt, d.LastSeen = ed25519.PublicKey(key), fromDB(linked), fromNull(seen)
	if by != nil {
		d.By = ed25519.PublicKey(by)
	}
	d.Cert, d.Sig = cert, sig
	return d, nil
}

// Devices returns number's devices, the first first, then in the order they
// were linked.
func (s *Store) Devices(ctx context.Context, number string) ([]Device, error) {
	rows, err := s.query(ctx,
		`SELECT `+deviceCols+` FROM devices WHERE number = ? ORDER BY by_key IS NOT NULL, linked_at, rowid`, number)
	if err != nil {
		return nil, fmt.Errorf("listing devices of %s: %w", number, err)
	}
	defer rows.Close()
	var ds []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("listing devices of %s: %w", number, err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing devices of %s: %w", number, err)
	}
	return ds, nil
}

// Device returns number's device with key, or ErrNotFound.
func (s *Store) Device(ctx context.Context, number string, key ed25519.PublicKey) (Device, error) {
	d, err := scanDevice(s.queryRow(ctx,
		`SELECT `+deviceCols+` FROM devices WHERE number = ? AND key = ?`, number, []byte(key)))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Device{}, fmt.Errorf("looking up a device of %s: %w", number, err)
	}
	return d, nil
}

// AddDevice links d to its number. It returns ErrNotFound if the number is
// not a subscriber or d.By is not one of its devices, ErrDeviceLimit if the
// number holds max devices already, ErrExists if the key is linked already,
// and ErrNameTaken if another device has the name. The new device has seen
// no missed call of the number yet, and is not shown those before it.
func (s *Store) AddDevice(ctx context.Context, d Device, max int) error {
	if d.Number == "" || d.Name == "" || len(d.Key) != ed25519.PublicKeySize || len(d.By) != ed25519.PublicKeySize {
		return errors.New("adding device: number, name, key and linking key are required")
	}
	at := d.LinkedAt
	if at.IsZero() {
		at = s.now()
	}
	err := s.write(ctx, func(tx *wtx) error {
		var n, by int
		err := tx.QueryRowContext(ctx,
			`SELECT count(*), coalesce(sum(key = ?), 0) FROM devices WHERE number = ?`, []byte(d.By), d.Number).Scan(&n, &by)
		if err != nil {
			return err
		}
		switch {
		case by == 0:
			return ErrNotFound
		case n >= max:
			return ErrDeviceLimit
		}
		var dup int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM devices WHERE number = ? AND key = ?`, d.Number, []byte(d.Key)).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return ErrExists
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO devices (number, key, name, linked_at, last_seen, by_key, cert, sig, missed_ack)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(id), 0) FROM missed_calls WHERE to_number = ?))`,
			d.Number, []byte(d.Key), d.Name, toDB(at), toDB(at), []byte(d.By), d.Cert, d.Sig, d.Number)
		if isUniqueViolation(err) {
			return ErrNameTaken
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("linking device %q to %s: %w", d.Name, d.Number, err)
	}
	return nil
}

// RemoveDevice unlinks number's device called name and returns it. It
// returns ErrNotFound if there is none, and ErrLastDevice for the number's
// only device: a number always keeps one. The removal is logged for
// DeviceRemovals.
func (s *Store) RemoveDevice(ctx context.Context, number, name string) (Device, error) {
	var d Device
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		d, err = scanDevice(tx.QueryRowContext(ctx,
			`SELECT `+deviceCols+` FROM devices WHERE number = ? AND name = ?`, number, name))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM devices WHERE number = ?`, number).Scan(&n); err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastDevice
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE number = ? AND key = ?`, number, []byte(d.Key)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO device_removals (number, key, at) VALUES (?, ?, ?)`,
			number, []byte(d.Key), toDB(s.now())); err != nil {
			return err
		}
		return trimAcked(ctx, tx, number)
	})
	if err != nil {
		return Device{}, fmt.Errorf("unlinking device %q of %s: %w", name, number, err)
	}
	return d, nil
}

// WasRemoved reports whether key was once a device of number and was
// unlinked.
func (s *Store) WasRemoved(ctx context.Context, number string, key ed25519.PublicKey) (bool, error) {
	var n int
	err := s.queryRow(ctx,
		`SELECT count(*) FROM device_removals WHERE number = ? AND key = ?`, number, []byte(key)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("looking up removals of %s: %w", number, err)
	}
	return n > 0, nil
}

// DeviceRemovals lists the unlinks after the one with ID after, oldest
// first, at most limit.
func (s *Store) DeviceRemovals(ctx context.Context, after int64, limit int) ([]Removal, error) {
	rows, err := s.query(ctx,
		`SELECT id, number, key, at FROM device_removals WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("listing device removals: %w", err)
	}
	defer rows.Close()
	var out []Removal
	for rows.Next() {
		var (
			r   Removal
			key []byte
			at  int64
		)
		if err := rows.Scan(&r.ID, &r.Number, &key, &at); err != nil {
			return nil, fmt.Errorf("listing device removals: %w", err)
		}
		r.Key, r.At = ed25519.PublicKey(key), fromDB(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing device removals: %w", err)
	}
	return out, nil
}

// LastRemoval is the ID of the newest unlink, 0 if none.
func (s *Store) LastRemoval(ctx context.Context) (int64, error) {
	var id int64
	if err := s.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM device_removals`).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the last device removal: %w", err)
	}
	return id, nil
}

// TouchDevice notes that number's device with key was seen at at.
func (s *Store) TouchDevice(ctx context.Context, number string, key ed25519.PublicKey, at time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE devices SET last_seen = ? WHERE number = ? AND key = ?`,
			toDB(at), number, []byte(key))
		return err
	})
	if err != nil {
		return fmt.Errorf("noting a device of %s seen: %w", number, err)
	}
	return nil
}

// trimAcked deletes number's missed calls every device has acknowledged.
func trimAcked(ctx context.Context, tx *wtx, number string) error {
	_, err := tx.ExecContext(ctx,
		`DELETE FROM missed_calls WHERE to_number = ? AND id <= (
			SELECT coalesce(min(missed_ack), 0) FROM devices WHERE number = ?)`, number, number)
	return err
}
