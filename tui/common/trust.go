package common

import (
	"fmt"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/wire"
)

// TrustWords says in one line what is known of the peer's key, safety code
// first.
func TrustWords(t *call.Trust) string {
	state := map[call.TrustState]string{
		call.TrustVerified:   "verified",
		call.TrustPinned:     "not verified yet: compare the code by voice",
		call.TrustNew:        "first call: compare the code by voice",
		call.TrustNewDevice:  "new device " + quoted(t.Device) + "vouched for by " + t.VouchedBy,
		call.TrustViaServer:  "via server: the other end is the server itself",
		call.TrustUnsigned:   "unverified: the other phone signs nothing",
		call.TrustKeyChanged: "KEY CHANGED",
		call.TrustInvalid:    "NOT VERIFIED",
	}[t.State]
	if t.State == call.TrustViaServer {
		state = ViaWords(t)
	}
	if t.SafetyCode != "" {
		return t.SafetyCode + "  " + state
	}
	return state
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q ", s)
}

// TrustBadge is the status line's word on the peer's key; empty until it
// is known.
func TrustBadge(c *Common, t *call.Trust) string {
	if t == nil {
		return ""
	}
	s := c.Styles
	switch t.State {
	case call.TrustVerified:
		return s.Status.Render("✓ verified")
	case call.TrustViaServer:
		if t.Pinned != "" {
			// The server's mark cannot stand for the device pinned for the
			// number: say so where the user looks.
			return s.Warn.Render(viaName(t) + " · not your " + pinnedWord(t) + " device")
		}
		return s.Subtle.Render(viaName(t))
	case call.TrustNewDevice:
		return s.Warn.Render("new device of this number")
	case call.TrustUnsigned:
		return s.Warn.Render("unverified")
	case call.TrustKeyChanged, call.TrustInvalid:
		return s.Bad.Render("NOT VERIFIED")
	}
	return s.Subtle.Render("not verified")
}

// TrustLines are the after-call summary's lines on the peer's key: the
// safety code, and for a key change or a failed statement a warning as
// loud as SSH's.
func TrustLines(c *Common, t *call.Trust, number string) []string {
	if t == nil {
		return nil
	}
	s := c.Styles
	switch t.State {
	case call.TrustKeyChanged:
		was := "pinned key "
		if t.WasVerified {
			was = "verified key "
		}
		return []string{"",
			s.Bad.Render("WARNING: THE KEY OF " + c.FormatNumber(number) + " HAS CHANGED"),
			was + t.Pinned + ", now " + t.Key,
			"a new phone, or someone in the middle listening;",
			"the call was not connected. Ask them (not by this call).",
			s.Accent.Render("T trusts the new key") + " · or dialtone trust " + number}
	case call.TrustInvalid:
		return []string{"", s.Bad.Render("WARNING: NOT CONNECTED, THE CALL COULD NOT BE VERIFIED"), t.Detail}
	case call.TrustViaServer:
		lines := []string{ViaWords(t)}
		if t.Pinned != "" {
			lines = append(lines, s.Warn.Render("not the "+pinnedWord(t)+" device of "+c.FormatNumber(number)+
				" (key "+t.Pinned+"): the server says this is a SIP phone of the number"))
		}
		return lines
	}
	lines := []string{"safety code " + t.SafetyCode, TrustWords(&call.Trust{State: t.State, Device: t.Device, VouchedBy: t.VouchedBy})}
	if t.State == call.TrustNewDevice {
		lines = append(lines, s.Warn.Render("new device of this number, vouched for by "+t.VouchedBy))
	}
	return lines
}

// viaName is the via-server badge: which party of the server it is.
func viaName(t *call.Trust) string {
	switch t.Via {
	case wire.ViaSIP, wire.ViaTrunk:
		return "via server (SIP gateway)"
	case wire.ViaService:
		return "via server (service)"
	}
	return "via server"
}

// ViaWords says in one line what a via-server call is.
func ViaWords(t *call.Trust) string {
	switch {
	case t.Via == wire.ViaSIP:
		return "via server (SIP gateway): a SIP phone, not end to end verified"
	case t.Via == wire.ViaTrunk:
		return "via server (SIP trunk): a phone beyond the trunk, not end to end verified"
	case t.Via == wire.ViaService || t.Via == "":
		return "via server: the other end is the server itself"
	}
	return "via server: not end to end verified"
}

func pinnedWord(t *call.Trust) string {
	if t.WasVerified {
		return "verified"
	}
	return "pinned"
}
