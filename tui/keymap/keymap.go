// Package keymap holds every key the phone answers to, in one KeyMap, so the
// help bar is always true: each screen's help is built from the same
// bindings that screen matches keys against, with the bindings that do
// nothing in the current state disabled (help leaves them out, and
// key.Matches ignores them).
package keymap

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// KeyMap is all of the phone's keys.
type KeyMap struct {
	Quit     key.Binding
	FormQuit key.Binding // ctrl+c alone, where q is a letter of a name
	Help     key.Binding

	// Home.
	Dial       key.Binding
	Erase      key.Binding
	Up         key.Binding
	Down       key.Binding
	NewContact key.Binding
	Edit       key.Binding
	Delete     key.Binding
	Confirm    key.Binding // yes, delete
	Keep       key.Binding // no, keep
	Link       key.Binding // link another device to the number

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
	Keypad key.Binding // a keypad tone: menus on the telephone network

	// Trust (summary).
	Verify   key.Binding // mark the number verified: the safety codes matched
	TrustKey key.Binding // accept a number's changed key

	// Forms and summary.
	Save     key.Binding
	NextFld  key.Binding
	Back     key.Binding
	Continue key.Binding
}

// Default returns the phone's keys.
func Default() KeyMap {
	return KeyMap{
		Quit:     b("q", "quit", "q", "ctrl+c"),
		FormQuit: b("ctrl+c", "quit", "ctrl+c"),
		Help:     b("?", "help", "?"),

		Dial:       b("enter", "dial", "enter"),
		Erase:      b("⌫", "erase", "backspace", "ctrl+u"),
		Up:         b("↑", "up", "up"),
		Down:       b("↓", "down", "down"),
		NewContact: b("n", "new contact", "n"),
		Edit:       b("e", "edit", "e"),
		Delete:     b("d", "delete", "d"),
		Confirm:    b("y", "delete", "y"),
		Keep:       b("n/esc", "keep", "n", "esc"),

		Accept: b("a/enter", "accept", "a", "enter"),
		Refuse: b("r/esc", "refuse", "r", "esc"),

		Cancel: b("h/esc", "cancel", "h", "esc"),

		Mute:   b("m", "mute", "m"),
		Camera: b("v", "camera off", "v"),
		Hangup: b("h", "hang up", "h"),
		Stats:  b("s", "stats", "s"),
		Keypad: b("0-9 * #", "keypad tone", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"),

		Verify:   b("V", "codes match", "V"),
		TrustKey: b("T", "trust new key", "T"),

		Save:     b("enter", "save", "enter"),
		NextFld:  b("tab", "next field", "tab", "down", "up", "shift+tab"),
		Back:     b("esc", "back", "esc"),
		Link:     b("l", "link a device", "l"),
		Continue: b("enter", "home", "enter", "esc", "space"),
	}
}

func b(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// typing is the full help's line for the keys a number field takes
// itself (the field handles them, not the KeyMap).
func typing(desc string) key.Binding {
	return b("0-9 +", desc, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+")
}

// with is bd with other help words.
func with(bd key.Binding, help, desc string) key.Binding {
	bd.SetHelp(help, desc)
	return bd
}

// on is bd enabled or not.
func on(bd key.Binding, enabled bool) key.Binding {
	bd.SetEnabled(enabled)
	return bd
}

// Help is the help of one screen: the short bar, most important first,
// the pinned bindings it always ends with (help and quit), and the full
// help's groups.
type Help struct {
	Short  []key.Binding
	Pinned []key.Binding
	Full   [][]key.Binding
}

var _ help.KeyMap = Help{}

// ShortHelp implements help.KeyMap.
func (h Help) ShortHelp() []key.Binding {
	return append(h.Short[:len(h.Short):len(h.Short)], h.Pinned...)
}

// FullHelp implements help.KeyMap.
func (h Help) FullHelp() [][]key.Binding { return h.Full }

// pinned are the help and quit keys every short bar ends with.
func (k KeyMap) pinned(quit key.Binding) []key.Binding {
	return []key.Binding{k.Help, quit}
}

// fullTail ends a full help: help and quit.
func (k KeyMap) fullTail() []key.Binding {
	return []key.Binding{with(k.Help, "?", "this help, on and off"), with(k.Quit, "q ctrl+c", "quit (ends any call properly)")}
}

// HomeState is what the home screen's keys depend on.
type HomeState struct {
	Typed   bool // a number is typed
	Contact bool // a contact is chosen
	Recent  bool // a recent call is chosen
	Listed  bool // there are contacts or recent calls to choose from
	Confirm bool // asking whether to delete the chosen contact
}

// HomeKeys are the home screen's bindings in state st; the page matches
// keys against these, so what the bar shows is what works.
func (k KeyMap) HomeKeys(st HomeState) KeyMap {
	c := k
	confirm := st.Confirm
	c.Confirm = on(k.Confirm, confirm)
	c.Keep = on(k.Keep, confirm)
	c.Dial = on(k.Dial, !confirm)
	if st.Contact || st.Recent {
		c.Dial = with(c.Dial, "enter", "call")
	}
	c.Erase = on(k.Erase, !confirm && st.Typed)
	c.Up = on(k.Up, !confirm && st.Listed)
	c.Down = on(k.Down, !confirm && st.Listed)
	c.NewContact = on(k.NewContact, !confirm)
	c.Edit = on(k.Edit, !confirm && st.Contact)
	c.Delete = on(k.Delete, !confirm && st.Contact)
	c.Link = on(k.Link, !confirm)
	return c
}

// Home is the home screen's help in state st.
func (k KeyMap) Home(st HomeState) Help {
	c := k.HomeKeys(st)
	move := on(b("↑/↓", "choose", "up", "down"), c.Up.Enabled())
	return Help{
		Short:  []key.Binding{c.Confirm, c.Keep, c.Dial, move, c.NewContact, c.Edit, c.Delete, c.Erase},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{
				typing("type a number (formatted as you type)"),
				with(k.Erase, "⌫ ctrl+u", "erase a digit, or the whole number"),
				with(k.Dial, "enter", "dial the number, or call the chosen entry"),
				b("↑ ↓", "choose a contact or a recent call", "up", "down"),
			},
			{
				with(k.NewContact, "n", "new contact: the typed number or chosen call"),
				with(k.Edit, "e", "edit the chosen contact"),
				with(k.Delete, "d", "delete the chosen contact (asks y/n)"),
				with(k.Link, "l", "link another device to this number (a code, and its QR code)"),
			},
			k.fullTail(),
		},
	}
}

// Incoming is the incoming-call dialog's help.
func (k KeyMap) Incoming() Help {
	return Help{
		// a and r, as the dialog says; enter and esc are in the full help.
		Short:  []key.Binding{with(k.Accept, "a", "accept"), with(k.Refuse, "r", "refuse")},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{with(k.Accept, "a enter", "accept the call"), with(k.Refuse, "r esc", "refuse it")},
			k.fullTail(),
		},
	}
}

// Waiting is the call-waiting dialog's help: the dialog's keys and the
// call's, which still work under it.
func (k KeyMap) Waiting(muted, cameraOn bool) Help {
	c := k.InCallKeys(muted, cameraOn)
	return Help{
		Short:  []key.Binding{with(k.Accept, "a", "accept"), with(k.Refuse, "r", "refuse"), c.Hangup, c.Mute, c.Camera},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{with(k.Accept, "a enter", "end the current call and accept"), with(k.Refuse, "r esc", "refuse the new call")},
			{with(c.Hangup, "h", "hang up the current call"), c.Mute, c.Camera},
			k.fullTail(),
		},
	}
}

// Outgoing is the ringing screen's help.
func (k KeyMap) Outgoing() Help {
	return Help{
		Short:  []key.Binding{k.Cancel},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{with(k.Cancel, "h esc", "cancel the call")},
			k.fullTail(),
		},
	}
}

// InCallKeys are the in-call bindings, worded for the state they change.
func (k KeyMap) InCallKeys(muted, cameraOn bool) KeyMap {
	c := k
	if muted {
		c.Mute = with(k.Mute, "m", "unmute")
	}
	if !cameraOn {
		c.Camera = with(k.Camera, "v", "camera on")
	}
	return c
}

// InCall is the in-call screen's help.
func (k KeyMap) InCall(muted, cameraOn bool) Help {
	c := k.InCallKeys(muted, cameraOn)
	mute, camera := "mute the microphone", "turn the camera off"
	if muted {
		mute = "unmute the microphone"
	}
	if !cameraOn {
		camera = "turn the camera on"
	}
	return Help{
		Short:  []key.Binding{c.Hangup, c.Mute, c.Camera, c.Stats},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{with(c.Hangup, "h", "hang up"), with(c.Mute, "m", mute), with(c.Camera, "v", camera),
				with(c.Stats, "s", "statistics: video, audio, network, leases")},
			{with(c.Keypad, "0-9 * # A-D", "keypad tones, for menus on the telephone network")},
			k.fullTail(),
		},
	}
}

// SummaryKeys are the after-call bindings: V only for a call with a safety
// code not yet verified, T only after a key change.
func (k KeyMap) SummaryKeys(verify, trust bool) KeyMap {
	c := k
	c.Verify, c.TrustKey = on(k.Verify, verify), on(k.TrustKey, trust)
	return c
}

// LinkScreen is the link screen's help.
func (k KeyMap) LinkScreen() Help {
	return Help{
		Short:  []key.Binding{with(k.Back, "esc", "back")},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{with(k.Back, "esc", "back to the home screen (the code stays good until it expires)")},
			k.fullTail(),
		},
	}
}

// Summary is the after-call screen's help.
func (k KeyMap) Summary(verify, trust bool) Help {
	c := k.SummaryKeys(verify, trust)
	return Help{
		Short:  []key.Binding{k.Continue, c.TrustKey, c.Verify},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{with(k.Continue, "enter esc", "back to the home screen"),
				with(c.TrustKey, "T", "trust the number's new key (you know the change is theirs)"),
				with(c.Verify, "V", "mark the number verified: its owner read you the same safety code")},
			k.fullTail(),
		},
	}
}

// Setup is the first-run form's help. Its one field takes only what
// numbers are written with, so q and ? keep their meaning there.
func (k KeyMap) Setup(typed bool) Help {
	return Help{
		Short:  []key.Binding{k.Save, on(k.Erase, typed)},
		Pinned: k.pinned(k.Quit),
		Full: [][]key.Binding{
			{typing("type your number with + and the country code"), with(k.Erase, "⌫ ctrl+u", "erase a digit, or all"),
				with(k.Save, "enter", "register this number and remember it")},
			k.fullTail(),
		},
	}
}

// ContactKeys are the contact form's bindings: a name is free text, so
// there q and ? are letters and only ctrl+c quits; on the number field,
// which takes only digits, ? shows the help.
func (k KeyMap) ContactKeys(onName bool) KeyMap {
	c := k
	c.Help = on(k.Help, !onName)
	return c
}

// Contact is the contact form's help.
func (k KeyMap) Contact(onName bool) Help {
	c := k.ContactKeys(onName)
	return Help{
		Short:  []key.Binding{k.Save, k.NextFld, k.Back},
		Pinned: []key.Binding{c.Help, k.FormQuit},
		Full: [][]key.Binding{
			{with(k.Save, "enter", "save the contact"), with(k.NextFld, "tab ↑ ↓", "the other field"),
				with(k.Erase, "⌫ ctrl+u", "erase a letter, or the field"), with(k.Back, "esc", "back without saving")},
			{with(c.Help, "?", "this help (from the number field)"), with(k.FormQuit, "ctrl+c", "quit (q is a letter here)")},
		},
	}
}
