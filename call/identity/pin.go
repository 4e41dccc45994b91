package identity

import (
	"crypto/ed25519"
	"time"
)

// Pin is a device key a phone has pinned for a number: trusted on first
// use, or vouched for by a pinned device of the number, or accepted by the
// user after a key change.
type Pin struct {
	Key ed25519.PublicKey `json:"key"`
	// Name is the device's name, as its link certificate gives it; empty
	// for the number's first device.
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at"`
	// Verified: the user compared the safety code with this device's
	// owner and said it matched.
	Verified bool `json:"verified,omitempty"`
	// VouchedBy names the pinned device whose link certificate admitted
	// this one; New says it is shown as new until the user confirms it.
	VouchedBy string `json:"vouched_by,omitempty"`
	New       bool   `json:"new,omitempty"`
}

// DeviceName is how a pinned device is called on screen.
func (p Pin) DeviceName() string {
	if p.Name == "" {
		return "first device"
	}
	return p.Name
}
