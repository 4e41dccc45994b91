package store

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// An invite code is 80 random bits written as 16 characters of Crockford's
// base32 in four groups of four, e.g. "7K3M-Q9ZD-X2AB-PH4T". The alphabet has
// no I, L, O or U, so a code read aloud or copied by hand survives; redeeming
// accepts lower case, spaces and the look-alikes O, I and L.
const (
	inviteBytes = 10
	inviteChars = 16
	inviteGroup = 4
)

const inviteAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var inviteEncoding = base32.NewEncoding(inviteAlphabet).WithPadding(base32.NoPadding)

// CreateInvite issues a one-time code that registers number once, within ttl.
// Only the SHA-256 of the code is stored; the code itself is returned once,
// here. It returns ErrExists if the number is bound already.
func (s *Store) CreateInvite(ctx context.Context, number string, ttl time.Duration) (string, error) {
	if number == "" {
		return "", errors.New("creating invite: no number")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("creating invite for %s: ttl %v is not positive", number, ttl)
	}
	raw := make([]byte, inviteBytes)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return "", fmt.Errorf("creating invite for %s: reading randomness: %w", number, err)
	}
	code := inviteEncoding.EncodeToString(raw)
	now := s.now()
	err := s.write(ctx, func(tx *wtx) error {
		var bound int
		err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM subscribers WHERE number = ?`, number).Scan(&bound)
		if err != nil {
			return err
		}
		if bound > 0 {
			return ErrExists
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO invites (code_hash, number, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			inviteHash(code), number, toDB(now), toDB(now.Add(ttl)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("creating invite for %s: %w", number, err)
	}
	return formatInvite(code), nil
}

// RedeemInvite checks that code was issued for number, is unused and has not
// expired, and in the same transaction marks it used and binds sub. It
// returns ErrInviteInvalid if the code does not pass, and ErrExists if the
// number was bound meanwhile; the invite then stays unused. sub.Number may be
// empty; if it is set it must equal number.
func (s *Store) RedeemInvite(ctx context.Context, number, code string, sub Subscriber) error {
	if sub.Number == "" {
		sub.Number = number
	}
	if sub.Number != number {
		return fmt.Errorf("redeeming invite for %s: subscriber is for %s", number, sub.Number)
	}
	if err := sub.check(); err != nil {
		return fmt.Errorf("redeeming invite for %s: %w", number, err)
	}
	norm, ok := normaliseInvite(code)
	if !ok {
		return fmt.Errorf("redeeming invite for %s: %w", number, ErrInviteInvalid)
	}
	err := s.grouped(ctx, func(tx *wtx) error {
		now := s.now()
		if sub.RegisteredAt.IsZero() {
			sub.RegisteredAt = now
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE invites SET used_at = ?
			 WHERE code_hash = ? AND number = ? AND used_at IS NULL AND expires_at > ?`,
			toDB(now), inviteHash(norm), number, toDB(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrInviteInvalid
		}
		return s.addSubscriber(ctx, tx, sub)
	})
	if err != nil {
		return fmt.Errorf("redeeming invite for %s: %w", number, err)
	}
	return nil
}

func inviteHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

func formatInvite(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i += inviteGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i : i+inviteGroup])
	}
	return b.String()
}

// normaliseInvite turns what a person typed into the canonical 16 characters.
func normaliseInvite(typed string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch r {
		case '-', ' ':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(inviteAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != inviteChars {
		return "", false
	}
	return b.String(), true
}
