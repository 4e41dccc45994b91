package wire

import (
	"crypto/ed25519"
	"time"
	"unicode"
	"unicode/utf8"
)

// Linking more devices to one number (see the package documentation,
// "Devices").
const (
	// TypeLinkNew (client) asks for a one-time link code.
	TypeLinkNew Type = "link-new"
	// TypeLinkCode (server) answers link-new: link, ttl_s.
	TypeLinkCode Type = "link-code"
	// TypeLinkRequest (server) asks the device that made the code to sign
	// the new device's certificate: number, device, key, at.
	TypeLinkRequest Type = "link-request"
	// TypeLinkCert (client) answers link-request: key, device, at, sig.
	TypeLinkCert Type = "link-cert"
	// TypeListDevices (client) asks for the number's devices.
	TypeListDevices Type = "devices"
	// TypeDeviceList (server) answers devices: devices.
	TypeDeviceList Type = "device-list"
	// TypeUnlink (client) removes a device of the number by name: device.
	TypeUnlink Type = "unlink"
	// TypeUnlinked (server) answers unlink: device.
	TypeUnlinked Type = "unlinked"
)

// MaxDevices is how many devices one number may hold; the server refuses
// to link more (device-limit).
const MaxDevices = 8

// MaxDeviceName bounds a device's name in bytes (call/identity.MaxNameLen).
const MaxDeviceName = 64

// LinkTTL is how long a link code is good for.
const LinkTTL = 5 * time.Minute

// DeviceInfo is one device of a number, as device-list gives it.
type DeviceInfo struct {
	Name     string    `json:"name"`
	Key      []byte    `json:"key"`
	LinkedAt time.Time `json:"linked_at"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	Online   bool      `json:"online,omitempty"`
	By       string    `json:"by,omitempty"`   // the name of the device that linked it; empty for the first
	This     bool      `json:"this,omitempty"` // the device that asked
}

// DeviceName checks a device name: 1 to MaxDeviceName bytes of UTF-8,
// printable, not starting or ending with a space.
func DeviceName(s string) bool {
	if s == "" || len(s) > MaxDeviceName || !utf8.ValidString(s) || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func checkDevice(m *Message) error {
	if m.Device != "" && !DeviceName(m.Device) {
		return errorf(CodeBadMessage, "device name must be 1 to %d printable bytes", MaxDeviceName)
	}
	if len(m.Link) > MaxToken {
		return errorf(CodeTooLarge, "link longer than %d bytes", MaxToken)
	}
	if len(m.Devices) > MaxDevices {
		return errorf(CodeTooLarge, "more than %d devices", MaxDevices)
	}
	for _, d := range m.Devices {
		if len(d.Name) > MaxDeviceName || len(d.By) > MaxDeviceName {
			return errorf(CodeTooLarge, "device name longer than %d bytes", MaxDeviceName)
		}
	}
	return nil
}

func init() {
	for t, check := range map[Type]func(*Message) error{
		TypeLinkNew: nil,
		TypeLinkCode: func(m *Message) error {
			return need(m.Link != "" && m.TTLS > 0, "link-code needs link and ttl_s")
		},
		TypeLinkRequest: func(m *Message) error {
			return need(m.Number != "" && m.Device != "" && len(m.Key) == ed25519.PublicKeySize && m.At > 0,
				"link-request needs number, device, key and at")
		},
		TypeLinkCert: func(m *Message) error {
			return need(m.Device != "" && len(m.Key) == ed25519.PublicKeySize && m.At > 0 && len(m.Sig) == ed25519.SignatureSize,
				"link-cert needs device, key, at and a 64-byte sig")
		},
		TypeListDevices: nil,
		TypeDeviceList:  nil,
		TypeUnlink:      func(m *Message) error { return need(m.Device != "", "unlink needs device") },
		TypeUnlinked:    func(m *Message) error { return need(m.Device != "", "unlinked needs device") },
	} {
		required[t] = check
	}
	for _, t := range []Type{TypeLinkNew, TypeLinkCert, TypeListDevices, TypeUnlink} {
		ClientTypes[t] = true
	}
}
