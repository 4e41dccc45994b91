// Package book keeps the phone's contacts and call history and saves them as
// one small JSON file in the data directory. It does no I/O on its own: the
// TUI changes a Book in memory and writes a Snapshot from a command, so
// Update never waits on the disk.
package book

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// MaxHistory bounds the history; older records are dropped.
const MaxHistory = 200

// Contact is a named number.
type Contact struct {
	Name   string `json:"name"`
	Number string `json:"number"` // normalised (E.164 or a service code)
}

// Direction says which way a call went.
type Direction string

// Directions.
const (
	Outgoing Direction = "out"
	Incoming Direction = "in"
	Missed   Direction = "missed"
)

// Record is one call in the history.
type Record struct {
	Number    string        `json:"number"`
	Direction Direction     `json:"direction"`
	At        time.Time     `json:"at"`
	Duration  time.Duration `json:"duration,omitempty"`
	// Result is how it ended: "ended", "refused", "no-answer", ...
	Result string `json:"result,omitempty"`
	// Call is the server's call ID, when known: the same call reported twice
	// (the phone saw it ring, and the server kept it as missed) is one record.
	Call string `json:"call,omitempty"`
}

// Book is the contacts (sorted by name) and the history (newest first).
type Book struct {
	Contacts []Contact `json:"contacts"`
	History  []Record  `json:"history"`
}

// Lookup finds the contact for a number.
func (b *Book) Lookup(n string) (Contact, bool) {
	for _, c := range b.Contacts {
		if c.Number == n {
			return c, true
		}
	}
	return Contact{}, false
}

// Put adds c, or replaces the contact at index i when 0 <= i < len.
func (b *Book) Put(i int, c Contact) {
	c.Name = strings.TrimSpace(c.Name)
	if i >= 0 && i < len(b.Contacts) {
		b.Contacts[i] = c
	} else {
		b.Contacts = append(b.Contacts, c)
	}
	slices.SortStableFunc(b.Contacts, func(x, y Contact) int {
		return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
	})
}

// Delete removes the contact at index i.
func (b *Book) Delete(i int) {
	if i >= 0 && i < len(b.Contacts) {
		b.Contacts = slices.Delete(b.Contacts, i, i+1)
	}
}

// Add puts r into the history in time order, newest first, unless a record
// of the same call is there already; it reports whether it added r.
func (b *Book) Add(r Record) bool {
	if r.Call != "" && slices.ContainsFunc(b.History, func(h Record) bool { return h.Call == r.Call }) {
		return false
	}
	// Before the first record as old or older: of two at the same time, the
	// one added later comes first.
	i, _ := slices.BinarySearchFunc(b.History, r.At, func(h Record, at time.Time) int { return at.Compare(h.At) })
	b.History = slices.Insert(b.History, i, r)
	if len(b.History) > MaxHistory {
		b.History = b.History[:MaxHistory]
	}
	return true
}

// Snapshot encodes the book for Save; taking it is cheap enough for Update.
func (b *Book) Snapshot() []byte {
	data, _ := json.MarshalIndent(b, "", "  ") // plain structs: cannot fail
	return data
}

// Load reads the book at path; a missing file is an empty book.
func Load(path string) (*Book, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Book{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading contacts: %w", err)
	}
	var b Book
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("reading contacts from %s: %w", path, err)
	}
	// Books written before records were kept in time order.
	slices.SortStableFunc(b.History, func(x, y Record) int { return y.At.Compare(x.At) })
	if len(b.History) > MaxHistory {
		b.History = b.History[:MaxHistory]
	}
	return &b, nil
}

// Saver writes snapshots to one file, atomically, and never lets an older
// snapshot overwrite a newer one when commands run out of order.
type Saver struct {
	Path string
	mu   sync.Mutex
	last uint64
}

// Save writes the snapshot numbered seq, unless a later one is on disk.
func (s *Saver) Save(seq uint64, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq <= s.last {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		return fmt.Errorf("saving contacts: %w", err)
	}
	tmp := s.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("saving contacts: %w", err)
	}
	if err := os.Rename(tmp, s.Path); err != nil {
		return fmt.Errorf("saving contacts: %w", err)
	}
	s.last = seq
	return nil
}
