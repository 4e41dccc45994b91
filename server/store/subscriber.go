package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Subscriber is a number bound to the public key that proves its ownership.
type Subscriber struct {
	Number string // E.164, normalised by the caller
	Key    ed25519.PublicKey
	// RegisteredAt is when the number was bound; AddSubscriber fills in
	// the store's clock when it is zero.
	RegisteredAt time.Time
	// Device names the number's first device; default FirstDevice.
	Device string
}

// FirstDevice is the name of a number's first device when it gave none,
// and of every number's one device from before numbers had several.
const FirstDevice = "first device"

func (sub Subscriber) check() error {
	if sub.Number == "" {
		return errors.New("subscriber has no number")
	}
	if len(sub.Key) != ed25519.PublicKeySize {
		return fmt.Errorf("subscriber key is %d bytes, want %d", len(sub.Key), ed25519.PublicKeySize)
	}
	return nil
}

// The registration writes, prepared once (see Store.exec).
const (
	qAddSubscriber = `INSERT INTO subscribers (number, key, registered_at) VALUES (?, ?, ?)`
	qAddDevice     = `INSERT INTO devices (number, key, name, linked_at, last_seen) VALUES (?, ?, ?, ?, ?)`
)

// AddSubscriber binds sub.Number to sub.Key. It returns ErrExists if the
// number is bound already. It returns once the binding is committed;
// concurrent calls share commits (see group.go).
func (s *Store) AddSubscriber(ctx context.Context, sub Subscriber) error {
	err := s.grouped(ctx, func(tx *wtx) error { return s.addSubscriber(ctx, tx, sub) })
	if err != nil {
		return fmt.Errorf("adding subscriber %s: %w", sub.Number, err)
	}
	return nil
}

func (s *Store) addSubscriber(ctx context.Context, tx *wtx, sub Subscriber) error {
	if err := sub.check(); err != nil {
		return err
	}
	at := sub.RegisteredAt
	if at.IsZero() {
		at = s.now()
	}
	_, err := tx.ExecContext(ctx, qAddSubscriber, sub.Number, []byte(sub.Key), toDB(at))
	if isUniqueViolation(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	name := sub.Device
	if name == "" {
		name = FirstDevice
	}
	_, err = tx.ExecContext(ctx, qAddDevice, sub.Number, []byte(sub.Key), name, toDB(at), toDB(at))
	return err
}

// Subscriber returns the subscriber bound to number, or ErrNotFound.
func (s *Store) Subscriber(ctx context.Context, number string) (Subscriber, error) {
	row := s.queryRow(ctx,
		`SELECT number, key, registered_at FROM subscribers WHERE number = ?`, number)
	sub, err := scanSubscriber(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("looking up subscriber %s: %w", number, err)
	}
	return sub, nil
}

// Subscribers returns every subscriber, sorted by number.
func (s *Store) Subscribers(ctx context.Context) ([]Subscriber, error) {
	rows, err := s.query(ctx,
		`SELECT number, key, registered_at FROM subscribers ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("listing subscribers: %w", err)
	}
	defer rows.Close()
	var subs []Subscriber
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, fmt.Errorf("listing subscribers: %w", err)
		}
		subs = append(subs, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing subscribers: %w", err)
	}
	return subs, nil
}

// CountSubscribers returns how many numbers are bound.
func (s *Store) CountSubscribers(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT count(*) FROM subscribers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting subscribers: %w", err)
	}
	return n, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSubscriber(row scanner) (Subscriber, error) {
	var (
		sub Subscriber
		key []byte
		at  int64
	)
	if err := row.Scan(&sub.Number, &key, &at); err != nil {
		return Subscriber{}, err
	}
	sub.Key = ed25519.PublicKey(key)
	sub.RegisteredAt = fromDB(at)
	return sub, nil
}
