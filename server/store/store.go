package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the name of the database file inside the data directory.
const FileName = "dialtone.db"

// Store is the server's persistent state. It is safe for concurrent use.
type Store struct {
	// w holds the one connection that writes. In-process writers queue for
	// it in database/sql instead of spinning in SQLite's busy handler; the
	// busy timeout is left to settle contention with other processes.
	w *sql.DB
	// r holds read-only connections; in WAL mode they read a committed
	// snapshot without waiting for the writer.
	r *sql.DB

	now  func() time.Time
	rand io.Reader

	// wc is the writer's driver connection with the statements prepared
	// on it (see wtx.go): SQLite spends more on parsing a short statement
	// than on running it.
	wc *wconn
	// reads are the readers' statements, prepared on first use (see
	// Store.query): a registration makes four look-ups, and preparing
	// them was a sixth of the server's CPU while clients registered.
	readMu sync.Mutex
	reads  map[string]*sql.Stmt

	// ckpt holds the connection that checkpoints the WAL into the database
	// file. The writer never does (its automatic checkpoint is off): a
	// checkpoint syncs the disk, and the writer's commits are what the
	// server's acknowledgements wait for.
	ckpt    *sql.DB
	closing chan struct{}
	// group takes the writes that share commits (see group.go).
	group     chan *groupWrite
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup
}

// checkpointEvery is how often the WAL is checkpointed. A passive
// checkpoint waits for nobody, and the writer goes on meanwhile.
const checkpointEvery = time.Second

// Option changes a default of Open.
type Option func(*config)

type config struct {
	// now is the clock for invite expiry and for times left zero by the
	// caller. Default time.Now.
	now func() time.Time
	// rand is the source of invite codes. Default crypto/rand.Reader.
	rand io.Reader
	// busyTimeout is how long a write waits for another process's write
	// lock. Default 5s.
	busyTimeout time.Duration
	// readers caps the read-only connections. Default 4.
	readers int
}

// WithClock sets the clock used for invite expiry and default timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRand sets the source of randomness for invite codes.
func WithRand(r io.Reader) Option { return func(c *config) { c.rand = r } }

// WithBusyTimeout sets how long a write waits for another process to release
// the database.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

func (c *config) validate() error {
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	if c.busyTimeout == 0 {
		c.busyTimeout = 5 * time.Second
	}
	if c.busyTimeout < 0 {
		return fmt.Errorf("busy timeout %v is negative", c.busyTimeout)
	}
	if c.readers == 0 {
		c.readers = 4
	}
	return nil
}

// Open opens the store in dir, creating dir (mode 0700) and the database file
// if they are missing and bringing the schema up to date.
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	if dir == "" {
		return nil, errors.New("opening store: no data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}

	w, err := openDB(ctx, dsn(path, c.busyTimeout, false), 1)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	r, err := openDB(ctx, dsn(path, c.busyTimeout, true), c.readers)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	ckpt, err := openDB(ctx, dsn(path, c.busyTimeout, false), 1)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("opening %s for checkpoints: %w", path, err)
	}
	s := &Store{w: w, r: r, now: c.now, rand: c.rand, reads: make(map[string]*sql.Stmt), ckpt: ckpt, closing: make(chan struct{}), group: make(chan *groupWrite)}
	s.wg.Add(1)
	go s.checkpoints()
	s.wg.Add(1)
	go s.groupWriter()
	return s, nil
}

// dsn builds the connection string. The path goes in a file: URI so that any
// character in it is escaped; every pragma is applied to each new connection
// by the driver.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_foreign_keys", "1")
	// NORMAL in WAL mode does not sync on every commit: a process crash
	// loses nothing, a power cut may lose the last commits but never
	// corrupts or half-applies one. That is the right trade for CDRs, and
	// an invite lost that way is also still unused.
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		// Checkpoints run on their own connection (see Store.ckpt).
		q.Add("_pragma", "wal_autocheckpoint(0)")
		// Take the write lock at BEGIN (the migration's; the writes
		// begin their own, see qBegin).
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

func openDB(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database. It waits for queries in progress. Later calls
// do nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.wg.Wait()
		werr := s.closeWriter()
		s.readMu.Lock()
		for _, st := range s.reads {
			st.Close()
		}
		s.readMu.Unlock()
		s.closeErr = errors.Join(werr, s.ckpt.Close(), s.r.Close(), s.w.Close())
	})
	return s.closeErr
}

// checkpoints copies the WAL into the database file once a second, off the
// writer's path.
func (s *Store) checkpoints() {
	defer s.wg.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			// A busy answer means another checkpoint runs (another
			// process's); the next tick tries again.
			_, _ = s.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// read returns query prepared on the readers, preparing it the first time.
// (database/sql prepares it again on each reader connection it meets.)
func (s *Store) read(ctx context.Context, query string) (*sql.Stmt, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if st := s.reads[query]; st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.reads[query] = st
	return st, nil
}

// query runs a read-only query as a prepared statement on the readers.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.read(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is query for one row; its error comes from Scan, as with
// database/sql's own.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.read(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row that failed before it was asked for.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// txKey marks a context whose writes join a Batch's transaction.
type txKey struct{}

// Batch runs fn with a context in which every write (StartCall, AnswerCall,
// EndCall, AddMissed, …) joins one transaction, committed when fn returns
// nil. Each of those writes is one statement, or fails before it changes
// anything, and SQLite undoes a failing statement on its own; so a write
// that fails inside a batch leaves the rest of it intact, and fn may log the
// error and go on. Busy servers write call records this way: one commit for
// many calls.
func (s *Store) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, nested := ctx.Value(txKey{}).(*wtx); nested {
		return fn(ctx)
	}
	return s.write(ctx, func(tx *wtx) error { return fn(context.WithValue(ctx, txKey{}, tx)) })
}

// toDB encodes t for storage; see the package comment.
func toDB(t time.Time) int64 { return t.UnixNano() }

func fromDB(n int64) time.Time { return time.Unix(0, n).UTC() }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toDB(t), Valid: true}
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromDB(n.Int64)
}
