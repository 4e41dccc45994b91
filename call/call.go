// Package call is the call engine's vocabulary: call IDs, states, the events
// the engine emits, and the statistics of a call. The engine (call/session),
// the headless client (`dialtone call`) and the TUI all speak it. It is a
// leaf: standard library only, no behaviour.
package call

import "time"

// ID identifies a call; the server assigns it at dial.
type ID string

// State is where a call is.
type State string

// Call states.
const (
	StateIdle     State = "idle"
	StateDialing  State = "dialing"  // dial sent, no answer from the server yet
	StateRinging  State = "ringing"  // the callee is being alerted
	StateIncoming State = "incoming" // someone is calling us
	StateActive   State = "active"   // accepted; media is being set up or flowing
	StateEnded    State = "ended"
)

// EventKind names an event. The names are those `dialtone call` prints.
type EventKind string

// Events.
const (
	EventRegistered   EventKind = "registered"
	EventDisconnected EventKind = "disconnected" // signalling lost; reconnecting
	EventRetrying     EventKind = "retrying"     // an attempt to reach the server failed (Error why, Retry when next)
	EventMissed       EventKind = "missed"       // calls missed while away
	EventDialing      EventKind = "dialing"
	EventRinging      EventKind = "ringing"
	EventIncoming     EventKind = "incoming"
	EventAccepted     EventKind = "accepted"
	EventConnected    EventKind = "connected"   // media flows
	EventStats        EventKind = "stats"       // once a second while active
	EventPeerCamera   EventKind = "peer-camera" // the other party's camera went on or off (Camera)
	EventRefused      EventKind = "refused"
	EventUnavailable  EventKind = "unavailable"
	EventBusy         EventKind = "busy"
	EventNoAnswer     EventKind = "no-answer"
	EventCancelled    EventKind = "cancelled"
	EventEnded        EventKind = "ended"
	EventError        EventKind = "error"
	// EventTrust says, once the peer's SDP has come, whether the media's
	// DTLS is bound to a key of the peer's number (Trust).
	EventTrust EventKind = "trust"
	// EventTone: the other party pressed a key (Digit): an RFC 4733
	// telephone event on the call's audio, reported once an event.
	EventTone EventKind = "dtmf"
	// EventLinked: this device signed in another device of the number
	// (Device names it), with a link code it made.
	EventLinked EventKind = "linked"
)

// Event is one thing that happened. Fields not relevant to Kind are empty.
type Event struct {
	Kind EventKind `json:"event"`
	Time time.Time `json:"time"`
	Call ID        `json:"call,omitempty"`
	// Peer is the other party's number.
	Peer string `json:"peer,omitempty"`
	// Number is our own number (registered).
	Number string `json:"number,omitempty"`
	// Waiting marks an incoming call that arrives during another call.
	Waiting bool `json:"waiting,omitempty"`
	// LocalLease and RemoteLease are ip:port (accepted).
	LocalLease  string `json:"local_lease,omitempty"`
	RemoteLease string `json:"remote_lease,omitempty"`
	// Camera is the other party's camera, "on" or "off" (peer-camera).
	Camera string `json:"camera,omitempty"`
	// Media is the path policy the server chose ("relay" or "auto").
	Media string `json:"media,omitempty"`
	// Digit is the key the other party pressed (dtmf): 0–9, *, #, A–D.
	Digit string `json:"digit,omitempty"`
	// Reason says why a call ended or was unavailable.
	Reason string `json:"reason,omitempty"`
	// Device is the device of our number that took the call (cancelled,
	// reason answered-elsewhere).
	Device    string  `json:"device,omitempty"`
	DurationS float64 `json:"duration_s,omitempty"`
	// Stats accompany stats and ended events.
	Stats *Stats `json:"stats,omitempty"`
	// Missed lists missed calls (missed).
	Missed []Missed `json:"missed,omitempty"`
	// Services lists the short codes the server answers (registered).
	Services []Service `json:"services,omitempty"`
	// Local marks an end we caused: we hung up, cancelled or refused
	// (ended, cancelled, refused).
	Local bool `json:"local,omitempty"`
	// Retry is when the engine next tries to reach the server (unreachable).
	Retry time.Time `json:"retry,omitzero"`
	// Error is a human-readable error (error, ended, unreachable).
	Error string `json:"error,omitempty"`
	// Code is the server's error code, when it gave one.
	Code string `json:"code,omitempty"`
	// Trust is what the phone made of the peer's signed statement (trust,
	// and ended for a call that had one).
	Trust *Trust `json:"trust,omitempty"`
}

// TrustState is what a phone knows about the key behind a call's media.
type TrustState string

// Trust states. The first four carry media; KeyChanged and Invalid do not.
const (
	// TrustVerified: the key is pinned and the user compared the safety
	// code with its owner.
	TrustVerified TrustState = "verified"
	// TrustPinned: the key is the one pinned for the number (trust on
	// first use); not yet compared by voice.
	TrustPinned TrustState = "pinned"
	// TrustNew: the first call with this number; its key is pinned now.
	TrustNew TrustState = "new"
	// TrustNewDevice: a device linked to the number by a pinned device
	// (VouchedBy); shown as new until the user confirms it.
	TrustNewDevice TrustState = "new-device"
	// TrustViaServer: the peer is a party the server runs itself: a
	// service (the echo test), or the SIP gateway speaking for a SIP phone
	// of the number. Connected, never verified: no safety code, nothing
	// pinned. For a number with pinned keys it says (Pinned, WasVerified)
	// that the call is not with the pinned device.
	TrustViaServer TrustState = "via-server"
	// TrustUnsigned: the peer sent no statement and has never signed one
	// (an older phone): connected, marked unverified.
	TrustUnsigned TrustState = "unsigned"
	// TrustKeyChanged: a key that is not the one pinned for the number,
	// and no pinned device vouches for it. Not connected until the user
	// accepts the new key.
	TrustKeyChanged TrustState = "key-changed"
	// TrustInvalid: the statement does not verify or does not match the
	// SDP or the call, or a number whose keys are pinned sent none: what
	// a server in the middle would cause. Not connected.
	TrustInvalid TrustState = "invalid"
)

// Trust describes the peer's key for one call.
type Trust struct {
	State TrustState `json:"state"`
	// SafetyCode is derived from both numbers and keys; both screens show
	// the same one (empty without a signed statement).
	SafetyCode string `json:"safety_code,omitempty"`
	// Key is a short ID of the peer's device key; Pinned of the key we
	// had pinned, on a key change, and on via-server for a number whose
	// key is pinned (the device this call is not with).
	Key    string `json:"key,omitempty"`
	Pinned string `json:"pinned,omitempty"`
	// Device is the peer device's name, when its link certificate names it;
	// VouchedBy the pinned device that linked it (new-device).
	Device    string `json:"device,omitempty"`
	VouchedBy string `json:"vouched_by,omitempty"`
	// WasVerified: on a key change, the user had verified the old key; the
	// new one, once accepted, is not. On via-server: the number has a
	// verified key, and this call is not with that device.
	WasVerified bool `json:"was_verified,omitempty"`
	// Via is, on via-server, the kind of server party the server said the
	// peer is (call/wire's ViaSIP, ViaService).
	Via string `json:"via,omitempty"`
	// Detail says why, in words, for the states that warn.
	Detail string `json:"detail,omitempty"`
}

// Carries reports whether a call in this state may carry media.
func (s TrustState) Carries() bool {
	return s != TrustKeyChanged && s != TrustInvalid
}

// Missed is a call we did not take.
type Missed struct {
	From string    `json:"from"`
	At   time.Time `json:"at"`
	Call ID        `json:"call,omitempty"` // the server's call ID: the phone may have seen it ring
}

// Device is one device of our number.
type Device struct {
	Name     string
	LinkedAt time.Time
	By       string // the device that linked it; empty for the first
	Online   bool
	This     bool // the device asking
}

// Service is a short code the server answers itself, such as the echo test.
type Service struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Stats describe one call; `dialtone call --stats FILE` writes them.
type Stats struct {
	// SetupMs is from the answer (the callee's accept) to the first decoded
	// remote video frame (or audio frame, in an audio-only call).
	SetupMs float64 `json:"setup_ms"`
	// RingMs is how long the call rang: from dial sent (caller) or the
	// incoming call (callee) to the answer.
	RingMs  float64      `json:"ring_ms"`
	Video   VideoStats   `json:"video"`
	Audio   AudioStats   `json:"audio"`
	Send    SendStats    `json:"send"`
	Network NetworkStats `json:"network"`
	Path    PathStats    `json:"path"`
	Leases  LeaseStats   `json:"leases"`
}

// VideoStats describe the received video.
type VideoStats struct {
	FramesDecoded int     `json:"frames_decoded"`
	FPS           float64 `json:"fps"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	Kbps          float64 `json:"kbps"`
	// Every frame the other side sent is decoded, lost or dropped.
	// FramesLost never came out of the jitter buffer whole: packets of
	// theirs were lost beyond what retransmission (NACK) recovered in
	// time (counted by the gaps in VP8 picture IDs). FramesDropped came
	// whole but were not decoded: after a loss, until the key frame
	// asked for, or refused by the decoder.
	FramesLost    int `json:"frames_lost"`
	FramesDropped int `json:"frames_dropped"`
	// PacketsLost are video packets given up on, never received in time;
	// PacketsRecovered came after later ones but in time to fill their
	// gap (retransmitted after a NACK, or reordered on the way).
	PacketsLost      int           `json:"packets_lost"`
	PacketsRecovered int           `json:"packets_recovered"`
	Pattern          *PatternStats `json:"pattern,omitempty"`
}

// PatternStats describe a received synthetic test pattern.
type PatternStats struct {
	Frames       int     `json:"frames"`
	Missing      int     `json:"missing"`
	OutOfOrder   int     `json:"out_of_order"`
	LatencyMsP50 float64 `json:"latency_ms_p50"`
	LatencyMsP95 float64 `json:"latency_ms_p95"`
}

// AudioStats describe the received audio.
type AudioStats struct {
	FramesDecoded int     `json:"frames_decoded"`
	Kbps          float64 `json:"kbps"`
	ToneHz        float64 `json:"tone_hz"`
	Concealed     int     `json:"concealed"`
	// Level is the received audio's recent peak, 0–1.
	Level float64 `json:"level"`
}

// SendStats describe what we send.
type SendStats struct {
	VideoKbps  float64 `json:"video_kbps"`
	AudioKbps  float64 `json:"audio_kbps"`
	TargetKbps float64 `json:"target_kbps"` // the congestion controller's estimate
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	FPS        float64 `json:"fps"`
	// FramesSkipped counts camera frames read but not sent: camera off,
	// the frame-rate ladder, or the encoder's rate control. A receiver's
	// missing pattern frames beyond this number were lost on the way.
	FramesSkipped int `json:"frames_skipped"`
	// MicLevel is the microphone's recent peak, 0–1.
	MicLevel float64 `json:"mic_level"`
	Muted    bool    `json:"muted"`
	CameraOn bool    `json:"camera_on"`
}

// NetworkStats describe the path as RTCP reports it.
type NetworkStats struct {
	RTTMs    float64 `json:"rtt_ms"`
	LossPct  float64 `json:"loss_pct"`
	JitterMs float64 `json:"jitter_ms"`
}

// PathStats describe the selected ICE candidate pair.
type PathStats struct {
	Local      string `json:"local"`  // candidate type: host, srflx, relay
	Remote     string `json:"remote"` // candidate type
	LocalAddr  string `json:"local_addr"`
	RemoteAddr string `json:"remote_addr"`
}

// LeaseStats are the call's leased addresses.
type LeaseStats struct {
	Local  string `json:"local"`
	Remote string `json:"remote"`
}
