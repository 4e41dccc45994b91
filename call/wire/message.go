package wire

import "time"

// Version is the protocol version this package speaks.
const Version = 1

// Subprotocol is the WebSocket subprotocol name clients offer.
const Subprotocol = "dialtone.v1"

// Path is the URL path of the signalling endpoint.
const Path = "/v1"

// FormatPath is the URL path of the number formatter a server with the
// browser phone serves beside Path: GET FormatPath?n=TYPED&region=CC
// answers a Formatted as JSON, so the page formats numbers as the user
// types by the same rules as the terminal phone (call/number).
const FormatPath = "/v1/format"

// Formatted is FormatPath's answer about one typed number.
type Formatted struct {
	// Display is what to show in the field: the number as people write
	// it once it is possible, the input as typed until then.
	Display string `json:"display"`
	// OK says whether the input is a number dialtone accepts; Number is
	// then its normalised form (what dial and hello carry).
	OK     bool   `json:"ok"`
	Number string `json:"number,omitempty"`
	// Service says the number is a short service code ("600").
	Service bool `json:"service,omitempty"`
	// Region is the ISO 3166 country the number belongs to, if any.
	Region string `json:"region,omitempty"`
	// Reason says, for people, why the input is not a number, when !OK.
	Reason string `json:"reason,omitempty"`
}

// Bounds on untrusted input.
const (
	MaxMessage   = 64 << 10 // bytes in one WebSocket message
	MaxSDP       = 32 << 10 // bytes of SDP
	MaxCandidate = 1024     // bytes of one ICE candidate line
	MaxNumber    = 16       // "+" and 15 digits
	MaxToken     = 128      // call IDs, session tokens, invite codes, names
	MaxMissed    = 100      // missed calls listed in one registered message
)

// Type names a message.
type Type string

// Client to server.
const (
	TypeHello     Type = "hello"
	TypeProof     Type = "proof"
	TypeDial      Type = "dial"
	TypeAccept    Type = "accept"
	TypeRefuse    Type = "refuse"
	TypeCancel    Type = "cancel"
	TypeHangup    Type = "hangup"
	TypeSDP       Type = "sdp"
	TypeICE       Type = "ice"
	TypeMissedAck Type = "missed-ack"
	// TypeMediaState says whether the sender's camera is on; the server
	// passes it to the other party of a live call (both directions).
	TypeMediaState Type = "media-state"
	TypePing       Type = "ping"
	TypeBye        Type = "bye"
)

// Server to client.
const (
	TypeChallenge   Type = "challenge"
	TypeRegistered  Type = "registered"
	TypeRinging     Type = "ringing"
	TypeIncoming    Type = "incoming"
	TypeAccepted    Type = "accepted"
	TypeRefused     Type = "refused"
	TypeUnavailable Type = "unavailable"
	TypeBusy        Type = "busy"
	TypeNoAnswer    Type = "no-answer"
	TypeCancelled   Type = "cancelled"
	TypeHangupAck   Type = "hangup-ack"
	TypeEnded       Type = "ended"
	TypePong        Type = "pong"
	TypeError       Type = "error"
)

// CallID identifies one call; the server assigns it at dial.
type CallID string

// Media path policies.
const (
	MediaRelay = "relay" // relay candidates only: clients never learn each other's addresses
	MediaAuto  = "auto"  // ICE may go direct, the relay is the fallback
)

// Reasons carried by ended, cancelled and unavailable.
const (
	ReasonHangup     = "hangup"
	ReasonRefused    = "refused"
	ReasonCancelled  = "cancelled"
	ReasonNoAnswer   = "no-answer"
	ReasonPeerLost   = "peer-lost"
	ReasonNoCapacity = "no-capacity"
	ReasonShutdown   = "server-shutdown"
	ReasonLeaseLost  = "lease-lost"
	ReasonUnknown    = "unknown" // unavailable: no such number
	ReasonOffline    = "offline" // unavailable: registered, not connected
	// ReasonAnsweredElsewhere cancels the ringing of one of a number's
	// devices when another of them answered.
	ReasonAnsweredElsewhere = "answered-elsewhere"
	// ReasonMediaFailed ends a call whose media could not be agreed: a
	// SIP phone that answered the gateway's offer with nothing it can use.
	ReasonMediaFailed = "media-failed"
)

// Camera states carried by media-state.
const (
	CameraOn  = "on"
	CameraOff = "off" // turned off, or the sender has none
)

// SDP types.
const (
	SDPOffer  = "offer"
	SDPAnswer = "answer"
)

// Message is one signalling message. Which fields a type uses is listed in
// the package documentation; the rest stay empty and are left out of JSON.
type Message struct {
	V    int    `json:"v"`
	Type Type   `json:"type"`
	Seq  uint64 `json:"seq,omitempty"`
	Re   uint64 `json:"re,omitempty"`
	// SN numbers the messages the server sends within one session, so a
	// client that resumes can say (Last) what it already has.
	SN   uint64 `json:"sn,omitempty"`
	Call CallID `json:"call,omitempty"`

	// Registration.
	Number  string `json:"number,omitempty"`
	Key     []byte `json:"key,omitempty"`
	Invite  string `json:"invite,omitempty"`
	Resume  string `json:"resume,omitempty"`
	Last    uint64 `json:"last,omitempty"`
	Client  string `json:"client,omitempty"`
	Nonce   []byte `json:"nonce,omitempty"`
	Server  string `json:"server,omitempty"`
	Sig     []byte `json:"sig,omitempty"`
	Session string `json:"session,omitempty"`

	Services   []Service  `json:"services,omitempty"`
	GraceS     int        `json:"grace_s,omitempty"`
	RingS      int        `json:"ring_s,omitempty"`
	KeepaliveS int        `json:"keepalive_s,omitempty"`
	Missed     []Missed   `json:"missed,omitempty"`
	Resumed    bool       `json:"resumed,omitempty"`
	Calls      []CallInfo `json:"calls,omitempty"`
	ID         int64      `json:"id,omitempty"`

	// Calls.
	To          string `json:"to,omitempty"`
	From        string `json:"from,omitempty"`
	Peer        string `json:"peer,omitempty"`
	Waiting     bool   `json:"waiting,omitempty"`
	Reason      string `json:"reason,omitempty"`
	LocalLease  string `json:"local_lease,omitempty"`
	RemoteLease string `json:"remote_lease,omitempty"`
	Relay       *Relay `json:"relay,omitempty"`
	Media       string `json:"media,omitempty"`
	Offerer     bool   `json:"offerer,omitempty"`

	// Media negotiation.
	Camera    string     `json:"camera,omitempty"` // media-state: CameraOn or CameraOff
	SDPType   string     `json:"sdp_type,omitempty"`
	SDP       string     `json:"sdp,omitempty"`
	Candidate *Candidate `json:"candidate,omitempty"`
	// Statement is the sender's signed call statement (call/identity),
	// sent with its sdp; Chain the link certificates of its device, its
	// own first. The server passes both on untouched.
	Statement *Signed  `json:"statement,omitempty"`
	Chain     []Signed `json:"chain,omitempty"`
	// Via is set by the server, on the sdp it passes on, when the other
	// party is one the server runs itself (ViaSIP, ViaService); whatever a
	// client puts there is dropped. It explains a missing statement and
	// never stands for one: see "Server parties" in the package doc.
	Via string `json:"via,omitempty"`

	// Devices of one number (link.go).
	Link    string       `json:"link,omitempty"`    // hello: the link code; link-code: a new one
	Device  string       `json:"device,omitempty"`  // a device's name
	TTLS    int          `json:"ttl_s,omitempty"`   // link-code: seconds the code is good for
	At      int64        `json:"at,omitempty"`      // link-request, link-cert: the certificate's time, Unix seconds
	Devices []DeviceInfo `json:"devices,omitempty"` // device-list

	// Errors.
	Code    Code   `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Server parties, as sdp's via names them.
const (
	ViaSIP     = "sip"     // the SIP gateway, for a SIP phone of the number
	ViaService = "service" // a service code the server answers (the echo test)
	ViaTrunk   = "trunk"   // the SIP gateway, for a number beyond a SIP trunk
)

// Signed is canonical bytes built by call/identity and the Ed25519
// signature over them.
type Signed struct {
	Body []byte `json:"body"`
	Sig  []byte `json:"sig"`
}

// Bounds on signed identity material.
const (
	MaxSigned = 2048 // bytes of one Signed body
	MaxChain  = 8    // link certificates in one chain
)

// Service is a short code the server answers itself.
type Service struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Missed is a call the number did not take.
type Missed struct {
	ID   int64     `json:"id"`
	From string    `json:"from"`
	At   time.Time `json:"at"`
	Call CallID    `json:"call,omitempty"`
}

// CallInfo describes a call the server still holds for a resumed session.
type CallInfo struct {
	Call        CallID `json:"call"`
	Peer        string `json:"peer"`
	State       string `json:"state"` // "ringing", "incoming" or "active"
	LocalLease  string `json:"local_lease,omitempty"`
	RemoteLease string `json:"remote_lease,omitempty"`
}

// Relay is what a party needs to use the server's TURN relay for one call.
type Relay struct {
	URLs       []string  `json:"urls"`
	Username   string    `json:"username"`
	Credential string    `json:"credential"`
	Expires    time.Time `json:"expires"`
}

// Candidate is an ICE candidate as WebRTC's RTCIceCandidateInit has it.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}
