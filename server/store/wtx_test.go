package store

import (
	"context"
	"errors"
	"testing"
)

// A write transaction that fails, or whose context ends before it commits,
// is rolled back on the writer's connection, which goes on taking writes.
func TestWriterAfterFailedTransactions(t *testing.T) {
	s, _ := newStore(t)
	bg := context.Background()
	boom := errors.New("boom")
	start := func(ctx context.Context, id string) error {
		return s.StartCall(ctx, CDR{CallID: id, Caller: "+15550001", Callee: "+15550002", Start: t0})
	}
	if err := s.Batch(bg, func(ctx context.Context) error {
		if err := start(ctx, "failed"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing batch: %v", err)
	}
	ctx, cancel := context.WithCancel(bg)
	if err := s.Batch(ctx, func(ctx context.Context) error {
		err := start(ctx, "canceled")
		cancel()
		return err
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("batch canceled before its commit: %v", err)
	}
	if err := start(bg, "after"); err != nil {
		t.Fatalf("write after the failed ones: %v", err)
	}
	cs, err := s.Calls(bg, 10)
	if err != nil || len(cs) != 1 || cs[0].CallID != "after" {
		t.Fatalf("calls = %+v, %v; want only the last", cs, err)
	}
}

func TestValuesRowScan(t *testing.T) {
	var (
		n   int
		i64 int64
		str string
		b   []byte
	)
	src := []byte("blob")
	if err := (valuesRow{int64(7), int64(8), "text", src}).Scan(&n, &i64, &str, &b); err != nil {
		t.Fatal(err)
	}
	src[0] = 'X' // the driver may reuse its buffers
	if n != 7 || i64 != 8 || str != "text" || string(b) != "blob" {
		t.Fatalf("scanned %d %d %q %q", n, i64, str, b)
	}
	if err := (valuesRow{nil}).Scan(&b); err != nil || b != nil {
		t.Fatalf("NULL into []byte: %q, %v", b, err)
	}
	if err := (valuesRow{"x"}).Scan(&n); err == nil {
		t.Error("text scanned into an int")
	}
	if err := (valuesRow{int64(1), int64(2)}).Scan(&n); err == nil {
		t.Error("two columns scanned into one destination")
	}
}
