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

// Add puts r at the head of the history.
func (b *Book) Add(r Record) {
	b.History = slices.Insert(b.History, 0, r)
	if len(b.History) > MaxHistory {
		b.History = b.History[:MaxHistory]
	}
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
