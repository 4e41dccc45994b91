package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; the database's user_version is the number
// applied so far. Append only: never edit a released entry, add a new one, so
// that every existing file can be brought forward.
var migrations = []string{
	// 1: subscribers, invites, missed calls, call detail records.
	`
CREATE TABLE subscribers (
	number        TEXT PRIMARY KEY,
	key           BLOB NOT NULL,
	registered_at INTEGER NOT NULL
) STRICT;

CREATE TABLE invites (
	code_hash  BLOB PRIMARY KEY,
	number     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) STRICT;

CREATE TABLE missed_calls (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	to_number   TEXT NOT NULL REFERENCES subscribers(number) ON DELETE CASCADE,
	from_number TEXT NOT NULL,
	at          INTEGER NOT NULL,
	call_id     TEXT NOT NULL
) STRICT;
CREATE INDEX missed_calls_to ON missed_calls(to_number, id);

CREATE TABLE calls (
	call_id      TEXT PRIMARY KEY,
	caller       TEXT NOT NULL,
	callee       TEXT NOT NULL,
	start_at     INTEGER NOT NULL,
	answer_at    INTEGER,
	end_at       INTEGER,
	reason       TEXT NOT NULL,
	caller_lease TEXT NOT NULL,
	callee_lease TEXT NOT NULL
) STRICT;
CREATE INDEX calls_start ON calls(start_at);
CREATE INDEX calls_open ON calls(start_at) WHERE end_at IS NULL;
`,
	// 2: when each call was last known alive, so a call cut by a crash ends
	// then rather than at the next start; and the end time indexed, so a
	// restart finds the addresses still in hold-down.
	`
ALTER TABLE calls ADD COLUMN alive_at INTEGER;
CREATE INDEX calls_end ON calls(end_at) WHERE end_at IS NOT NULL;
`,
	// 3: SIP digest credentials. A number may have them without a dialtone
	// key; the password itself is never stored, only the digest HA1 values
	// (RFC 8760), which are all a registrar needs.
	`
CREATE TABLE sip_credentials (
	number     TEXT PRIMARY KEY,
	realm      TEXT NOT NULL,
	ha1_md5    TEXT NOT NULL,
	ha1_sha256 TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
`,
	// 4: several devices per number. Each subscriber's one key becomes its
	// first device, the root of the number's link certificates (it has
	// none). A device's missed_ack is the newest missed call it has shown,
	// so each device of a number sees every missed call once. Link codes
	// are stored hashed, like invites. device_removals lets a running
	// server learn of an unlink made by another process.
	`
CREATE TABLE devices (
	number     TEXT NOT NULL REFERENCES subscribers(number) ON DELETE CASCADE,
	key        BLOB NOT NULL,
	name       TEXT NOT NULL,
	linked_at  INTEGER NOT NULL,
	last_seen  INTEGER,
	by_key     BLOB,
	cert       BLOB,
	sig        BLOB,
	missed_ack INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (number, key)
) STRICT;
CREATE UNIQUE INDEX devices_name ON devices(number, name);
INSERT INTO devices (number, key, name, linked_at)
	SELECT number, key, 'first device', registered_at FROM subscribers;

CREATE TABLE link_codes (
	code_hash  BLOB PRIMARY KEY,
	number     TEXT NOT NULL,
	by_key     BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) STRICT;

CREATE TABLE device_removals (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL,
	key    BLOB NOT NULL,
	at     INTEGER NOT NULL
) STRICT;
`,
}

// migrate brings the schema up to date. It runs in one immediate transaction,
// so two processes opening a new directory at once apply each step once.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning migration: %w", err)
	}
	defer tx.Rollback()

	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary knows (%d)", version, len(migrations))
	}
	if version == len(migrations) {
		return nil
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("applying migration %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is an int we computed.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("setting schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing migration: %w", err)
	}
	return nil
}
