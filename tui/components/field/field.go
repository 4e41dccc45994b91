// Package field is a one-line text field without a blinking cursor, so
// that views stay the same from one render to the next (and in goldens).
// It edits at the end only: numbers and names are short.
package field

import (
	tea "charm.land/bubbletea/v2"
)

// Field is a one-line text input.
type Field struct {
	// Accept filters typed runes; nil accepts any printable rune.
	Accept func(r rune) bool
	// Max is the most runes it holds; 0 means 64.
	Max   int
	value []rune
}

// Value returns the text.
func (f *Field) Value() string { return string(f.value) }

// SetValue replaces the text.
func (f *Field) SetValue(s string) { f.value = []rune(s) }

// Update handles a key; it reports whether the key changed the text.
func (f *Field) Update(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "backspace", "ctrl+h":
		if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
			return true
		}
		return false
	case "ctrl+u":
		f.value = f.value[:0]
		return true
	}
	limit := f.Max
	if limit <= 0 {
		limit = 64
	}
	changed := false
	for _, r := range msg.Text {
		if len(f.value) >= limit || r < ' ' || r == 0x7f || (f.Accept != nil && !f.Accept(r)) {
			continue
		}
		f.value = append(f.value, r)
		changed = true
	}
	return changed
}

// Digits accepts what a telephone number is typed with.
func Digits(r rune) bool {
	return r >= '0' && r <= '9' || r == '+' || r == ' ' || r == '-' || r == '(' || r == ')'
}
