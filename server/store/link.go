package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"
)

// A link code has the form of an invite code (80 random bits, 16 characters
// of Crockford's base32 in groups of four) and is stored the same way, as
// its SHA-256 only.

// CreateLinkCode issues a one-time code with which one more device may join
// number within ttl; by is the key of the device that asked, which will be
// asked to sign the new device's certificate. A number has one live code at
// a time: a new one replaces any unused one. It returns ErrNotFound if by is
// not a device of number.
func (s *Store) CreateLinkCode(ctx context.Context, number string, by ed25519.PublicKey, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("creating link code for %s: ttl %v is not positive", number, ttl)
	}
	raw := make([]byte, inviteBytes)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return "", fmt.Errorf("creating link code for %s: reading randomness: %w", number, err)
	}
	code := inviteEncoding.EncodeToString(raw)
	now := s.now()
	err := s.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM devices WHERE number = ? AND key = ?`,
			number, []byte(by)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		// Used codes are kept until they expire, so that a second try
		// with one is told "used" rather than "no such code".
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM link_codes WHERE (number = ? AND used_at IS NULL) OR expires_at <= ?`,
			number, toDB(now.Add(-ttl))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO link_codes (code_hash, number, by_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			inviteHash(code), number, []byte(by), toDB(now), toDB(now.Add(ttl)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("creating link code for %s: %w", number, err)
	}
	return formatInvite(code), nil
}

// ClaimLinkCode spends code for number and returns the key of the device
// that made it. It returns ErrLinkInvalid for a code not in form or never
// issued, ErrLinkExpired, ErrLinkUsed, or ErrLinkWrongNumber for a code
// issued for another number, which is spent as well: whoever holds it has
// shown it to the wrong number.
func (s *Store) ClaimLinkCode(ctx context.Context, number, code string) (ed25519.PublicKey, error) {
	norm, ok := normaliseInvite(code)
	if !ok {
		return nil, fmt.Errorf("claiming link code for %s: %w", number, ErrLinkInvalid)
	}
	var (
		by    []byte
		wrong bool
	)
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		var (
			num     string
			expires int64
			used    sql.NullInt64
		)
		err := tx.QueryRowContext(ctx,
			`SELECT number, by_key, expires_at, used_at FROM link_codes WHERE code_hash = ?`,
			inviteHash(norm)).Scan(&num, &by, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkInvalid
		}
		if err != nil {
			return err
		}
		switch {
		case used.Valid:
			return ErrLinkUsed
		case fromDB(expires).Compare(now) <= 0:
			return ErrLinkExpired
		}
		if _, err := tx.ExecContext(ctx, `UPDATE link_codes SET used_at = ? WHERE code_hash = ?`,
			toDB(now), inviteHash(norm)); err != nil {
			return err
		}
		// A wrong-number claim spends the code too, so the
		// transaction commits.
		wrong = num != number
		return nil
	})
	if err == nil && wrong {
		err = ErrLinkWrongNumber
	}
	if err != nil {
		return nil, fmt.Errorf("claiming link code for %s: %w", number, err)
	}
	return ed25519.PublicKey(by), nil
}
