package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Writes run on the driver's connection itself (sql.Conn.Raw), with
// statements prepared once on it and kept, not through database/sql's Tx
// and Stmt. A busy server's call records are three small statements per
// call, and database/sql's work around each (a Stmt made for the
// transaction and closed at its end, converting the arguments, locking the
// connection, the result) was about a fifth of what the store spent on
// them. Reads stay with database/sql, on their own connections.

// wtx is a write transaction on the writer connection.
type wtx struct {
	c *wconn
}

// wconn is the writer's driver connection and the statements prepared on
// it. It is used only inside sql.Conn.Raw on that connection, which the
// writer pool's single connection serialises.
type wconn struct {
	dc    driver.Conn
	stmts map[string]driver.Stmt
	// nv holds the arguments of the statement running; the driver does
	// not keep them past the call, and making them afresh for each
	// statement was half the bytes the store allocated per call.
	nv []driver.NamedValue
}

// The transaction statements. The writer's transactions take the write
// lock at BEGIN: a deferred transaction that reads and then writes can fail
// with SQLITE_BUSY without waiting when another process committed in
// between.
const (
	qBegin         = `BEGIN IMMEDIATE`
	qCommit        = `COMMIT`
	qRollbackWrite = `ROLLBACK`
)

func (c *wconn) stmt(query string) (driver.Stmt, error) {
	if st := c.stmts[query]; st != nil {
		return st, nil
	}
	st, err := c.dc.(driver.ConnPrepareContext).PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// close finalises the prepared statements; the connection stays open.
func (c *wconn) close() error {
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// ExecContext runs query with args.
func (tx *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := tx.c.stmt(query)
	if err != nil {
		return nil, err
	}
	nv, err := tx.c.args(args)
	if err != nil {
		return nil, err
	}
	return st.(driver.StmtExecContext).ExecContext(ctx, nv)
}

// QueryRowContext runs query with args for its first row; as with
// database/sql, the error comes from Scan, and no row is sql.ErrNoRows.
func (tx *wtx) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	st, err := tx.c.stmt(query)
	if err != nil {
		return errRow{err}
	}
	nv, err := tx.c.args(args)
	if err != nil {
		return errRow{err}
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, nv)
	if err != nil {
		return errRow{err}
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(vals); err != nil {
		if err == io.EOF {
			err = sql.ErrNoRows
		}
		return errRow{err}
	}
	return valuesRow(vals)
}

// args converts a statement's arguments as database/sql does, with the
// common types first, into c.nv.
func (c *wconn) args(args []any) ([]driver.NamedValue, error) {
	clear(c.nv) // drop the last statement's values
	c.nv = slices.Grow(c.nv[:0], len(args))[:len(args)]
	nv := c.nv
	for i, a := range args {
		var v driver.Value
		switch a := a.(type) {
		case nil, int64, string, []byte, float64, bool:
			v = a
		case int:
			v = int64(a)
		default:
			var err error
			if v, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
				return nil, fmt.Errorf("converting argument %d: %w", i+1, err)
			}
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv, nil
}

// valuesRow is a row read on the writer.
type valuesRow []driver.Value

// Scan stores the row's columns in dest, for the destination types the
// store's writes read: integers, strings, byte slices and sql.Scanners.
func (r valuesRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("scanning %d columns into %d destinations", len(r), len(dest))
	}
	for i, d := range dest {
		if err := assign(d, r[i]); err != nil {
			return fmt.Errorf("scanning column %d: %w", i, err)
		}
	}
	return nil
}

func assign(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case sql.Scanner:
		return d.Scan(v)
	case *int64:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%T is not an integer", v)
		}
		*d = n
	case *int:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("%T is not an integer", v)
		}
		*d = int(n)
	case *string:
		switch v := v.(type) {
		case string:
			*d = v
		case []byte:
			*d = string(v)
		default:
			return fmt.Errorf("%T is not text", v)
		}
	case *[]byte:
		switch v := v.(type) {
		case nil:
			*d = nil
		case []byte:
			*d = append([]byte(nil), v...)
		case string:
			*d = []byte(v)
		default:
			return fmt.Errorf("%T is not a blob", v)
		}
	default:
		return fmt.Errorf("unsupported destination %T", dest)
	}
	return nil
}

// write runs fn in one immediate transaction on the writer connection, or
// in the Batch transaction ctx carries.
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*wtx); ok {
		return fn(tx)
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if s.wc == nil || s.wc.dc != dc {
			// The first use, or database/sql replaced a broken connection
			// (whose statements went with it).
			s.wc = &wconn{dc: dc.(driver.Conn), stmts: make(map[string]driver.Stmt)}
		}
		tx := &wtx{c: s.wc}
		if _, err := tx.ExecContext(ctx, qBegin); err != nil {
			return err
		}
		err := fn(tx)
		if err == nil {
			err = ctx.Err() // as database/sql's Tx.Commit
		}
		if err == nil {
			// Once begun, the commit is not cut short by ctx: a commit
			// interrupted half way would be reported failed after it took.
			_, err = tx.ExecContext(context.Background(), qCommit)
		}
		if err != nil {
			// Also after a failed COMMIT, which leaves the transaction
			// open (SQLITE_BUSY), so the next BEGIN can start.
			_, _ = tx.ExecContext(context.Background(), qRollbackWrite)
		}
		return err
	})
}

// closeWriter finalises the writer's statements before its connection
// closes.
func (s *Store) closeWriter() error {
	conn, err := s.w.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if s.wc == nil || s.wc.dc != dc {
			return nil
		}
		return s.wc.close()
	})
}
