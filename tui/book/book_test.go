package book

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestAddOnceInTimeOrder: a missed call the phone saw ring and the server's
// copy of it, delivered after a restart, are one record, and records that
// arrive late go where their time puts them.
func TestAddOnceInTimeOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var b Book
	b.Add(Record{Number: "+12025550101", Direction: Outgoing, At: t0, Call: "c1"})
	b.Add(Record{Number: "+12025550102", Direction: Missed, At: t0.Add(2 * time.Minute), Call: "c2"})
	// After a restart the server delivers what it kept: c2 again, and c3,
	// which rang while the phone was off, between the two.
	if b.Add(Record{Number: "+12025550102", Direction: Missed, At: t0.Add(2 * time.Minute), Call: "c2"}) {
		t.Error("the server's copy of a missed call was added again")
	}
	b.Add(Record{Number: "+12025550103", Direction: Missed, At: t0.Add(time.Minute), Call: "c3"})
	b.Add(Record{Number: "+12025550104", Direction: Missed, At: t0.Add(-time.Hour)}) // no ID: kept
	var got []string
	for _, r := range b.History {
		got = append(got, r.Call)
	}
	if want := []string{"c2", "c3", "c1", ""}; !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
}

// TestLoadSorts: books written before the history was kept in order come
// back newest first.
func TestLoadSorts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "book.json")
	os.WriteFile(path, []byte(`{"history":[{"number":"1","at":"2026-01-01T00:00:00Z"},{"number":"2","at":"2026-02-01T00:00:00Z"}]}`), 0o600)
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.History[0].Number != "2" {
		t.Errorf("history not newest first: %+v", b.History)
	}
}
