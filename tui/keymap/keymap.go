// Package keymap holds every key the phone answers to, in one KeyMap, so the
// help bar is always true: each screen's help lists exactly the bindings that
// screen handles.
package keymap

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// KeyMap is all of the phone's keys.
type KeyMap struct {
	Quit key.Binding
	Help key.Binding

	// Home.
	Dial       key.Binding
	Erase      key.Binding
	Up         key.Binding
	Down       key.Binding
	NewContact key.Binding
	Edit       key.Binding
	Delete     key.Binding

	// Incoming dialog.
	Accept key.Binding
	Refuse key.Binding

	// Outgoing.
	Cancel key.Binding

	// In call.
	Mute   key.Binding
	Camera key.Binding
	Hangup key.Binding
	Stats  key.Binding

	// Forms and summary.
	Save     key.Binding
	NextFld  key.Binding
	Back     key.Binding
	Continue key.Binding
}

// Default returns the phone's keys.
func Default() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Quit: b("q", "quit", "q", "ctrl+c"),
		Help: b("?", "help", "?"),

		Dial:       b("enter", "dial", "enter"),
		Erase:      b("⌫", "erase", "backspace"),
		Up:         b("↑", "up", "up"),
		Down:       b("↓", "down", "down"),
		NewContact: b("n", "new contact", "n"),
		Edit:       b("e", "edit contact", "e"),
		Delete:     b("d", "delete contact", "d"),

		Accept: b("a/enter", "accept", "a", "enter"),
		Refuse: b("r/esc", "refuse", "r", "esc"),

		Cancel: b("h/esc", "cancel", "h", "esc"),

		Mute:   b("m", "mute", "m"),
		Camera: b("v", "camera", "v"),
		Hangup: b("h", "hang up", "h"),
		Stats:  b("s", "stats", "s"),

		Save:     b("enter", "save", "enter"),
		NextFld:  b("tab", "next field", "tab", "down", "up", "shift+tab"),
		Back:     b("esc", "back", "esc"),
		Continue: b("enter/esc", "home", "enter", "esc", "space"),
	}
}

// Help is the help.KeyMap of one screen.
type Help struct {
	Short []key.Binding
	Full  [][]key.Binding
}

var _ help.KeyMap = Help{}

// ShortHelp implements help.KeyMap.
func (h Help) ShortHelp() []key.Binding { return h.Short }

// FullHelp implements help.KeyMap.
func (h Help) FullHelp() [][]key.Binding { return h.Full }

func single(bs ...key.Binding) Help {
	full := make([][]key.Binding, 0, (len(bs)+2)/3)
	for i := 0; i < len(bs); i += 3 {
		full = append(full, bs[i:min(i+3, len(bs))])
	}
	return Help{Short: bs, Full: full}
}

// Home is the home screen's help.
func (k KeyMap) Home() Help {
	return single(k.Dial, k.Erase, k.Up, k.Down, k.NewContact, k.Edit, k.Delete, k.Help, k.Quit)
}

// Incoming is the incoming-call dialog's help (also during a call).
func (k KeyMap) Incoming() Help { return single(k.Accept, k.Refuse, k.Help, k.Quit) }

// Outgoing is the ringing screen's help.
func (k KeyMap) Outgoing() Help { return single(k.Cancel, k.Help, k.Quit) }

// InCall is the in-call screen's help.
func (k KeyMap) InCall() Help { return single(k.Mute, k.Camera, k.Hangup, k.Stats, k.Help, k.Quit) }

// Summary is the after-call screen's help.
func (k KeyMap) Summary() Help { return single(k.Continue, k.Help, k.Quit) }

// Form is the help of the contact form and the first-run form; q types a
// letter there, so only ctrl+c quits.
func (k KeyMap) Form() Help {
	quit := key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))
	return single(k.Save, k.NextFld, k.Back, quit)
}
