package store

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// SIPCredential is the digest secret of a number's SIP devices. HA1 is
// H(username:realm:password) with the number as the username, one per
// algorithm, so that the password is not kept.
type SIPCredential struct {
	Number    string
	Realm     string
	HA1MD5    string // lower-case hex
	HA1SHA256 string // lower-case hex
	CreatedAt time.Time
}

// sipPasswordBytes of randomness make a 26-character password.
const sipPasswordBytes = 16

// CreateSIPPassword generates a password for number's SIP devices in realm,
// stores its digest hashes (replacing any earlier password) and returns it.
// The password cannot be read back.
func (s *Store) CreateSIPPassword(ctx context.Context, number, realm string) (string, error) {
	if number == "" || realm == "" {
		return "", errors.New("creating SIP password: number and realm are required")
	}
	b := make([]byte, sipPasswordBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("creating SIP password for %s: %w", number, err)
	}
	pass := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	cred := SIPCredential{
		Number: number, Realm: realm, CreatedAt: s.now(),
		HA1MD5:    HA1(md5.New(), number, realm, pass),
		HA1SHA256: HA1(sha256.New(), number, realm, pass),
	}
	err := s.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sip_credentials (number, realm, ha1_md5, ha1_sha256, created_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (number) DO UPDATE SET realm = excluded.realm, ha1_md5 = excluded.ha1_md5,
				ha1_sha256 = excluded.ha1_sha256, created_at = excluded.created_at`,
			cred.Number, cred.Realm, cred.HA1MD5, cred.HA1SHA256, toDB(cred.CreatedAt))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("storing SIP password for %s: %w", number, err)
	}
	return pass, nil
}

// HA1 is the digest H(user:realm:password) in lower-case hex.
func HA1(h hash.Hash, user, realm, password string) string {
	h.Reset()
	io.WriteString(h, user+":"+realm+":"+password)
	return hex.EncodeToString(h.Sum(nil))
}

// SIPCredential returns number's SIP credential, or ErrNotFound.
func (s *Store) SIPCredential(ctx context.Context, number string) (SIPCredential, error) {
	var (
		c  SIPCredential
		at int64
	)
	err := s.queryRow(ctx,
		`SELECT number, realm, ha1_md5, ha1_sha256, created_at FROM sip_credentials WHERE number = ?`, number).
		Scan(&c.Number, &c.Realm, &c.HA1MD5, &c.HA1SHA256, &at)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return SIPCredential{}, fmt.Errorf("looking up SIP credential of %s: %w", number, err)
	}
	c.CreatedAt = fromDB(at)
	return c, nil
}
