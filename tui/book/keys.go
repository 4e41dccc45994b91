package book

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/dialtone/dialtone/call/identity"
)

// MaxPins bounds the device keys pinned for one number; a number's device
// set is bounded by the server, and a peer cannot grow our file past this.
const MaxPins = 16

// Keys are the device keys pinned per number (trust on first use), kept in
// keys.json beside the contacts. The call engine pins and reads them; the
// TUI and `dialtone trust` accept changed keys and mark numbers verified.
// Every method reads the file afresh and writes it whole, so that a phone
// and `dialtone trust` running at once see each other's changes.
type Keys struct {
	Path string
	mu   sync.Mutex
}

// Entry is what is known about one number's keys.
type Entry struct {
	Pins []identity.Pin `json:"pins"`
	// Changed is a key the number presented that is not pinned and that no
	// pinned device vouched for; it waits for the user to accept it.
	Changed *identity.Pin `json:"changed,omitempty"`
}

type keysFile struct {
	Numbers map[string]*Entry `json:"numbers"`
}

// ErrNoChangedKey is Accept's answer when a number has no key waiting.
var ErrNoChangedKey = errors.New("no changed key waiting to be accepted")

func (k *Keys) load() (keysFile, error) {
	f := keysFile{Numbers: map[string]*Entry{}}
	data, err := os.ReadFile(k.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("reading pinned keys: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("reading pinned keys from %s: %w", k.Path, err)
	}
	if f.Numbers == nil {
		f.Numbers = map[string]*Entry{}
	}
	return f, nil
}

func (k *Keys) save(f keysFile) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("saving pinned keys: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(k.Path), 0o700); err != nil {
		return fmt.Errorf("saving pinned keys: %w", err)
	}
	tmp := k.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("saving pinned keys: %w", err)
	}
	if err := os.Rename(tmp, k.Path); err != nil {
		return fmt.Errorf("saving pinned keys: %w", err)
	}
	return nil
}

// update runs f on number's entry and saves the file.
func (k *Keys) update(number string, f func(e *Entry) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	kf, err := k.load()
	if err != nil {
		return err
	}
	e := kf.Numbers[number]
	if e == nil {
		e = &Entry{}
		kf.Numbers[number] = e
	}
	if err := f(e); err != nil {
		return err
	}
	return k.save(kf)
}

// Entry returns what is known of number's keys.
func (k *Keys) Entry(number string) (Entry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kf, err := k.load()
	if err != nil || kf.Numbers[number] == nil {
		return Entry{}, err
	}
	return *kf.Numbers[number], nil
}

// All returns every number's entry.
func (k *Keys) All() (map[string]*Entry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kf, err := k.load()
	return kf.Numbers, err
}

// Pins returns the keys pinned for number.
func (k *Keys) Pins(number string) ([]identity.Pin, error) {
	e, err := k.Entry(number)
	return e.Pins, err
}

// Pin adds p for number, or replaces the pin of the same key.
func (k *Keys) Pin(number string, p identity.Pin) error {
	return k.update(number, func(e *Entry) error {
		if i := slices.IndexFunc(e.Pins, func(x identity.Pin) bool { return x.Key.Equal(p.Key) }); i >= 0 {
			e.Pins[i] = p
			return nil
		}
		if len(e.Pins) >= MaxPins {
			return fmt.Errorf("pinning a key for %s: already %d pinned", number, MaxPins)
		}
		e.Pins = append(e.Pins, p)
		return nil
	})
}

// Changed keeps p as the key waiting for the user's word; it pins nothing.
func (k *Keys) Changed(number string, p identity.Pin) error {
	return k.update(number, func(e *Entry) error { e.Changed = &p; return nil })
}

// Accept makes the changed key the number's only pinned key, unverified:
// the user has said the change is theirs (a new phone). It returns the key.
func (k *Keys) Accept(number string) (ed25519.PublicKey, error) {
	var key ed25519.PublicKey
	err := k.update(number, func(e *Entry) error {
		if e.Changed == nil {
			return fmt.Errorf("accepting a key for %s: %w", number, ErrNoChangedKey)
		}
		p := *e.Changed
		p.Verified, p.New = false, false
		e.Pins, e.Changed, key = []identity.Pin{p}, nil, p.Key
		return nil
	})
	return key, err
}

// Verify marks number's pinned keys verified (the user compared the safety
// code) and confirms its new devices. It reports whether any key is pinned.
func (k *Keys) Verify(number string) (bool, error) {
	any := false
	err := k.update(number, func(e *Entry) error {
		for i := range e.Pins {
			e.Pins[i].Verified, e.Pins[i].New = true, false
			any = true
		}
		return nil
	})
	return any, err
}

// Confirm confirms number's new devices without marking anything verified.
func (k *Keys) Confirm(number string) error {
	return k.update(number, func(e *Entry) error {
		for i := range e.Pins {
			e.Pins[i].New = false
		}
		return nil
	})
}
