// Package wire is dialtone's signalling protocol: the messages a client and
// the server exchange over one WebSocket, and the rules for checking them.
// It is shared by the server and the client and imports only the standard
// library. It carries no media; media is WebRTC (DTLS-SRTP over ICE) through
// the server's relay, set up with the SDP and ICE messages below.
//
// # Transport
//
// A client opens a WebSocket to the server (ws://HOST:PORT/v1, or wss:// when
// the server has TLS), offering the subprotocol "dialtone.v1". Every WebSocket
// message is one UTF-8 text frame holding one JSON object, at most MaxMessage
// bytes. Binary frames close the connection.
//
// Before the upgrade the server refuses, with a plain HTTP status and no
// WebSocket at all: a page from another origin — an Origin header whose
// host:port is not the Host the request went to — with 403 (a browser
// reports only an error event and a close with code 1006 and no reason;
// clients that send no Origin, i.e. not browsers, are not affected), and a
// source address that already holds 64 connections with 429. Without the
// subprotocol the server upgrades and closes at once with code 1008 and
// reason "offer the subprotocol dialtone.v1".
//
// Every close the server makes itself is code 1000 with a reason: "timeout",
// "binary frame", "too many bad messages", "too slow to read its messages",
// "server shutting down", "resumed elsewhere", "replaced", "bye", or, after
// a failed registration, the error code (e.g. "auth-failed"). A message over
// MaxMessage bytes is closed with 1009.
//
// # Devices
//
// A number holds a set of device keys, at most MaxDevices (8), each with
// a name (1 to MaxDeviceName bytes, printable; unique within the number),
// when it was linked and when it was last seen. The first device claims the
// number (open or invite registration, above) and is named by hello's
// device, or "first device"; numbers registered before devices existed have
// their one key as their first device. Registration answers to any key of
// the set, and each device has its own session (resume token, sn,
// history): a device that registers afresh replaces only its own earlier
// session.
//
// Linking: a registered device sends link-new and gets link-code: a code
// of 16 characters of Crockford base32 in four groups ("7K3M-Q9ZD-X2AB-PH4T",
// read as invite codes are), for one device, within ttl_s (LinkTTL, five
// minutes); a number has one live code, a new one replaces it. The new
// device sends hello with the number, its own key, link set to the code and
// device to its name. After its proof the server spends the code and sends
// the device that made it link-request: the number, the name it gives the
// new device (the one asked for, or with " 2", " 3"… after it when the
// number has one of that name), the new key, and at (Unix seconds). That
// device signs call/identity's LinkCert{number, device, key, its own key,
// at} and answers link-cert with the same key, device and at, and sig; the
// server checks the signature against the linking device's key and stores
// the certificate, and only then answers the new device registered. The
// server never signs a certificate: it cannot add a key the number's
// devices did not vouch for. The reference client signs at once, without
// asking, while it has a code of its own out that has let no device in:
// making the code was the user's consent, and the code is shown only on
// that device. The linking device has five seconds to sign.
//
// registered carries device, the device's name, and chain: its link
// certificate (body, the canonical LinkCert bytes, and sig), then its
// linker's, and so on up to the first device, which has none (so the
// first device's chain is empty): the chain the device sends with its sdp
// (Call statements). A chain stops early where a device in it was
// unlinked.
//
// Refusals of a link, each an error answering the proof, after which the
// connection closes: link-invalid (no such code, or not one in form, or
// replaced by a newer one), link-expired, link-used, link-wrong-number (the
// code is another number's; it is spent by the attempt), link-limited (more
// than 5 attempts for the number, refilled one a minute, or 10 from the
// source address, refilled one every 30 seconds; every attempt counts,
// good or bad, so codes cannot be guessed faster than that, and link-new
// is limited likewise), link-unconfirmed (the linking device is not
// connected, did not sign in time, or signed wrong), device-limit.
//
// devices answers device-list: every device of the number, the first
// first, with by naming the device that linked it (empty for the first),
// online when it is connected, and this for the asking device. unlink
// removes a device by name, from any device of the number (itself
// included), and takes effect at once: the server answers unlinked, sends
// the removed device's connection error unlinked, closes it (reason
// "unlinked"), and its calls end (or ring on on other devices); the key can
// no longer register (hello answers error unlinked). A number keeps one
// device: unlinking the last is wrong-state; no such name is
// unknown-device. The operator's unlink (dialtone server unlink) writes the
// store; a running server acts on it within two seconds.
//
// Calls to a number ring on every device of it that is connected or in its
// grace period (incoming to each, with waiting as usual), and on a device
// that registers while the call still rings. The first accept takes the
// call: the others get cancelled with reason "answered-elsewhere" and
// device, the name of the device that took it, and a late accept there is
// unknown-call. A refuse (or hangup while ringing) on one device stops it
// ringing there (that device is answered refused) and the call rings on on
// the others; the caller is refused when the last device it still rings on
// refuses, and otherwise gets no-answer at the ring timeout: a
// device declining may only mean "not here" (a laptop without a headset),
// and an unattended device set to refuse must not keep the call from the
// person at another. Each device can dial. Call waiting, busy and the
// dial limits count the number's calls, not a device's: a number in a
// call on one device takes one more call (waiting, on every device) and is
// busy after. Missed calls are kept per number and acknowledged per
// device: each device is shown each missed call (from the time it was
// linked) until it sends missed-ack, and the record is deleted once every
// device has. Leases stay per number, and the DNS answers as before.
//
// # Keepalive and timeouts
//
// The server closes a connection that has sent nothing for 30 seconds
// (reason "timeout", after an error message saying so), and one that has not
// registered within 10 seconds. Any message resets the idle clock; registered
// tells the client, as keepalive_s (default 10), how often to send ping when
// it has nothing else to say. The server sends no pings of its own; its pong
// is how a client learns the connection still works (the reference client
// replaces a connection that hears nothing for two intervals and a second).
// A connection may send 50 messages a second with bursts of 200; beyond that
// each is answered rate-limited. Such messages and those that do not decode
// are strikes; the 21st strike closes the connection ("too many bad
// messages"). Errors about what a message asks (wrong-state, unknown-call …)
// are not strikes.
//
// # Messages
//
// Every message has "v" (protocol version, 1) and "type". A client request
// may carry "seq", a number the client chooses; the server's reply to that
// request carries it back as "re". Fields that are zero, false or empty are
// left out, so a request without seq, or with seq 0, gets a reply without
// re: number requests from 1 to match their replies. Call-related messages
// carry "call", the call ID the server assigned at dial. Messages the server
// sends about calls carry "sn", which grows by one with each such message in
// the session, so a client that reconnects can say what it already has.
// Unknown fields are ignored, so later versions can add fields; an unknown
// type is an error.
//
// Binary fields (key, nonce, sig) are base64 in the standard alphabet
// (RFC 4648 §4, "+" and "/") with "=" padding; unpadded or URL-safe base64
// is refused as bad-message.
//
// Client to server:
//
//	hello      number, key (base64 Ed25519 public key), [invite], [resume, last], [client],
//	           [link] (a link code: this key joins the number's devices), [device] (this device's name)
//	proof      sig (base64 Ed25519 signature of ProofMessage(number, nonce))
//	dial       to (E.164 "+15551234567" or a service code "600")
//	accept     call
//	refuse     call
//	cancel     call                 (caller, while it rings)
//	hangup     call                 (either party, once accepted)
//	sdp        call, sdp_type ("offer"|"answer"), sdp, [statement {body, sig}],
//	           [chain [{body, sig}]]   (see Call statements)
//	ice        call, candidate {candidate, sdpMid, sdpMLineIndex, usernameFragment}
//	                                (end of candidates: candidate "", or nothing;
//	                                 "candidate": null is refused as bad-message)
//	media-state call, camera ("on"|"off")  (once accepted, and at each change: whether
//	           the sender's camera sends pictures; "off" also for a phone with none)
//	missed-ack id                   (missed calls up to and including id were shown, on this device)
//	link-new                        (a link code for another device, see Devices)
//	link-cert  key, device, at, sig (the signed certificate a link-request asked for)
//	devices                         (list the number's devices)
//	unlink     device               (remove the number's device of that name)
//	ping
//	bye                             (leaving now: end my calls, no grace period)
//
// Server to client:
//
//	challenge   nonce (base64, 32 bytes), server (name)
//	registered  number, session (resume token), services [{code, name}],
//	            media ("relay"|"auto"), grace_s, ring_s, keepalive_s,
//	            missed [{id, from, at, call}], [resumed, calls [{call, peer, state}]],
//	            device (this device's name), [chain [{body, sig}]] (its link certificates)
//	ringing     call, peer, re      (caller: the callee is being alerted)
//	incoming    call, from, waiting (callee: accept or refuse; waiting = you are in another call)
//	accepted    call, peer, local_lease, remote_lease, relay {urls, username, credential, expires},
//	            media, [offerer]     (both parties; offerer true, only to the caller, says
//	                                  who sends the SDP offer; the callee's has none)
//	refused     call                 (both parties)
//	unavailable call, to, reason ("unknown"|"offline")
//	busy        call, to             (the callee has no room for another call)
//	no-answer   call                 (caller: ring timeout)
//	cancelled   call, reason, [device] (callee: the caller gave up or the ring timed out, or
//	                                  "answered-elsewhere": the device named took it; caller: ack of cancel)
//	hangup-ack  call                 (to the party that hung up)
//	ended       call, reason         (the other party hung up, vanished, or the server ended the call)
//	sdp, ice,   as above, from the other party of a live call (the server passes
//	media-state them on only between the call's two parties, once it is accepted)
//	link-code   link, ttl_s, re      (answers link-new)
//	link-request number, device, key, at (sign this device's certificate; see Devices)
//	device-list devices [{name, key, linked_at, last_seen, online, by, this}], re
//	unlinked    device, re           (answers unlink)
//	pong        re
//	error       code, message, [re], [call]
//
// # Registration
//
// The client connects and sends hello with its number and public key (the
// 32-byte Ed25519 public key). The server answers with a challenge; the
// client signs ProofMessage(number, nonce) with its private key and sends
// proof. The signed bytes are, concatenated:
//
//	"dialtone/1 registration proof"   29 ASCII bytes
//	0x00
//	number                            exactly as sent in hello, e.g. "+15551230001"
//	0x00
//	nonce                             the challenge's 32 bytes, decoded from base64
//
// signed with plain Ed25519 (RFC 8032, no pre-hash, no context); sig is the
// 64-byte signature. If the number is not bound
// yet, the server binds it to the key (policy "open") or, under policy
// "invite", only when hello carried a valid one-time invite code for that
// number. A bound number answers only to the keys of its devices (see
// Devices). Then the server sends
// registered, which lists missed calls still to be shown; the client
// acknowledges them with missed-ack once shown, and they are not sent again.
//
// A dropped connection does not end the client's calls at once: for grace_s
// seconds the client may connect again and send hello with resume set to the
// session token and last set to the highest sn it received; after the proof
// the server answers registered with resumed true and the calls it still
// holds, then sends again the messages after last that it kept, so nothing
// sent while the connection was failing is lost.
// After the grace period the calls end and the other parties get ended with
// reason "peer-lost". A client that is quitting sends bye first. Leaving is
// not refusing: bye hangs up the client's answered calls, cancels the
// calls it dials that still ring (the callee gets cancelled), and stops
// the calls ringing for it on this device; when this was the last device
// they rang on, they end unanswered (the caller gets no-answer, the
// callee's devices cancelled with reason "no-answer"). Either way a call
// that was ringing is a missed call for its callee.
//
// What the server keeps for a resume is bounded: messages of the last two
// minutes, at most 256 messages and 256 KiB per session, and 64 MiB across the
// server. SDP is kept only while it can matter: of each call's sdp messages
// a session received, only the newest offer and the newest answer are
// replayed (a newer description replaces the older), and once the call has
// ended (ended or hangup-ack) none of its sdp or ice is. So a replay may skip
// sn values; those gaps are not losses. If a bound has dropped anything else
// after last, the session cannot be resumed faithfully and is not: the
// server answers registered without resumed, with a new session token, as it
// does when the session has expired, and ends the old session's calls (their
// other parties get ended "peer-lost"). A client treats that as a fresh
// registration: its calls are gone, and sn numbering starts again at 1.
//
// # Replaced sessions
//
// A device that registers afresh (hello without resume) while a session of
// the same key is connected — the same keys started twice, say — takes the
// number's session for that device: the old session's calls end (their
// other parties get ended "peer-lost"), and its connection gets an error
// with code replaced and no re, then, for clients older than that code,
// one with code auth-failed (message "this number registered on another
// connection"), and is closed with reason "replaced". A client stops at the first of the two and does not connect
// again by itself, since that would push the new connection off in turn;
// it tells its user that the device connected again elsewhere.
//
// # Durability
//
// The server stores a call's record (start, answer with the two leases,
// end and reason) and every missed call before it sends the message that
// acknowledges it: when a client has ringing, accepted, busy, unavailable
// (a missed call for an "offline" callee), hangup-ack, ended, cancelled,
// refused or no-answer, what it reports is on disk, and survives a crash of
// the server (the store commits in groups, then tells each group's parties).
// A session's messages are never reordered by this; a message that records
// nothing waits behind an earlier one that does. A call the server was
// holding when it crashed is recorded as ended with reason "server-restart"
// at the last time it was known alive (the server notes that every 2 s);
// one that was still ringing becomes a missed call for its callee, and so
// does one cut while ringing by a server shutdown. After a restart the
// addresses of the calls it was holding, and of those that ended within a
// hold-down before it stopped, are held down before being leased again.
//
// # Calls
//
// The caller sends dial. The server answers ringing (and the callee gets
// incoming), unavailable, busy or an error. The callee answers with accept
// or refuse. On accept the server leases an address for the callee and then
// for the caller (reusing a lease a party already holds for another call)
// and sends accepted to both, each with its own lease and the other's, and
// credentials for the server's TURN relay. The offerer (the caller) then
// sends an SDP offer, the other an answer; both trickle ICE candidates.
// Either party ends the call with hangup; the server answers hangup-ack and
// tells the other party ended (reason "hangup"; "media-failed" when the
// server's SIP gateway hung up because its phone's answer had no media it
// could use), and both leases go back to the pool. If nobody answers within ring_s seconds the caller gets no-answer
// and the callee cancelled (reason "no-answer"). If two numbers dial each
// other at once, the second dial accepts the first call.
//
// The server limits dials so that one caller cannot tie up other numbers: a
// number has at most one outgoing call ringing at a time, one source address
// (an IPv4 address or an IPv6 /64) at most four, one number may dial one
// number 10 times a minute, and one address may dial 60 times a minute
// (the server's defaults; --dial-rate sets the last). A dial over a
// limit is answered error dial-limited, with a message saying which limit;
// nothing is recorded and a later dial may succeed. A number takes part in
// at most two calls (one and one waiting); its incoming ringing calls use one
// of the two per source address, so a flood from one address leaves room
// for the next caller, and a dial to a number with no room is answered busy.
//
// # Media
//
// Under media "relay" (registered and accepted say which) the server hides
// each party's addresses from the other: it forwards only ICE candidates of
// type relay, over UDP, on the sender's own lease IP (local_lease), with
// their related address rewritten to 0.0.0.0 port 0, and drops every other
// candidate without an answer. It rewrites SDP the same way: a=candidate
// lines filtered likewise, a=remote-candidates removed, the o= and c=
// addresses set to "IN IP4 0.0.0.0", a=rtcp to "9 IN IP4 0.0.0.0", and every
// m= port that is not 0 to 9; SDP that does not parse is answered
// bad-message. Set ICE's transport policy to relay and allocate on the
// relay's UDP URL only (under "relay", accepted lists only the UDP URLs
// when the relay has any): the relay binds a party's first allocation on
// its lease's port, and a second one (a browser given several URLs
// allocates on each) sends from another port. Under "auto" SDP and
// candidates pass as sent.
//
// # Call statements
//
// The server carries the SDP, so it could swap the DTLS fingerprints in it
// and sit in the middle of the media. To stop that, each phone sends with
// its sdp a statement signed with its device key (the key it registers
// with); the server passes statement and chain on untouched, and the peer
// checks them. statement.body is the canonical form below, statement.sig
// its plain Ed25519 signature (64 bytes). Every field is a two-byte
// big-endian length and then its bytes; integers are 8 bytes big-endian:
//
//	"dialtone/1 call statement"   context
//	call                          the call ID
//	caller                        the number that dialled
//	callee                        the number dialled (or service code)
//	role                          "offer" or "answer", the sdp_type
//	count                         integer: how many fingerprints, 1 to 4
//	fingerprint × count           each a=fingerprint of the sdp, as
//	                              "sha-256 AB:CD:…" (algorithm lower case,
//	                              hex upper case), sorted, each once
//	key                           the signer's 32-byte public key
//
// A device admitted to a number by another (a linked device) sends, in
// chain, its link certificates: its own first, then the one of the device
// that linked it, and so on (at most 8; call/identity's LinkCert form,
// signed by the linking device); the number's first device sends none.
// body is at most 2048 bytes; a statement or chain out of bounds is
// answered bad-message or too-large.
//
// The receiver accepts the sdp only if the statement verifies, its
// fingerprints are exactly those of the sdp it hands to its DTLS stack,
// and call, caller, callee and role are this call's. It then looks the key
// up among those it has pinned for the peer's number (trust on first use):
// a key it has not seen for a number it has pinned keys for, and that no
// chain links to a pinned key, is a key change, and the call is not
// connected until the user accepts the new key. Both phones show a safety
// code derived from both numbers and keys, to compare by voice. The
// reference phone refuses media on a statement that does not verify or
// does not match, and on a pinned number whose sdp comes unsigned; it
// connects, marked unverified, a peer that has never signed, and marks a
// call to a service code, or an unsigned sdp marked via, "via server".
//
// # Server parties
//
// Some parties are the server itself: the services (the echo test) and the
// SIP gateway, which speaks for a SIP phone registered to a number (a
// number may have a dialtone key and SIP devices at once). They sign
// nothing. On the sdp it passes on from one, the server sets via: "sip"
// for the gateway speaking for a SIP phone, "trunk" for the gateway
// speaking for a number beyond a SIP trunk (the telephone network),
// "service" for a service code; it drops any via a client sends. The reference phone's rule:
//
//   - A peer that is a service code is "via server", with or without via.
//   - An sdp with a statement is judged as above; via changes nothing.
//   - An unsigned sdp with via is "via server": connected, never verified,
//     no safety code, nothing pinned, never a key change. If the phone has
//     keys pinned for the number, it says plainly that this call is not
//     with the pinned (or verified) device: "via server — SIP phone of
//     +1…, not end-to-end verified".
//   - An unsigned sdp without via is as above: unverified for a number
//     that never signed, refused for one with pinned keys.
//
// via is the server's word, so it can only ever lower what a phone shows:
// a server in the middle could mark any call via, and the phone then
// shows that call as not verified and not with the device it knows, never
// as verified.
//
// # Browser clients
//
// A browser is a client like any other; the server serves one, the browser
// phone, at / on the signalling listener, so its WebSocket has the server's
// own origin. Beyond the above, a WebRTC page needs only this, which
// dialtone phones already meet:
//
//   - Media. One audio (Opus, 48 kHz, 2 channels) and one video (VP8)
//     m-line, BUNDLE and rtcp-mux; a browser keeps to these codecs with
//     setCodecPreferences. The answerer answers the offer's m-lines (a
//     browser puts its tracks on the transceivers setRemoteDescription
//     made) rather than adding its own. A side without a camera or
//     microphone keeps that m-line and only receives on it (recvonly), as
//     dialtone phones do, so both m-lines are always there; their order
//     is the offerer's. The offer's DTLS setup is actpass and the answer's
//     active, the browsers' and pion's default; nothing else about DTLS
//     roles is assumed.
//   - ICE. relay.urls, username and credential go into RTCIceServer as they
//     are. Candidates are RTCIceCandidate.toJSON() as the browser makes
//     them ("candidate:… udp … typ relay raddr … rport …"); they may arrive
//     before the remote description and are kept until it is set. The
//     browser's own end of candidates (a null candidate) is not sent.
//   - Keys. WebCrypto's Ed25519 gives exactly the bytes registration needs:
//     exportKey("raw") of the public key is key, sign() is sig; the private
//     key can stay non-extractable.
//   - Numbers. GET FormatPath?n=TYPED&region=CC (same origin, at most
//     256 bytes of query, rate-limited per source: HTTP 429 with
//     Retry-After when over) answers a Formatted: the display form of
//     what was typed, whether it is a number and why not, by call/number's
//     rules. The page asks as the user types (debounced, stale answers
//     dropped) and before dialling, and groups digits itself only while the
//     server cannot be reached. region is the page's own number's Region,
//     empty before it has one.
//   - Chromium gathers no candidates on loopback interfaces: it reaches the
//     relay from an ordinary interface address, so a relay for browsers
//     must be on an address they can route to (on one machine loopback
//     works as long as the machine has another interface).
//
// # Example
//
//	C→S {"v":1,"type":"hello","seq":1,"number":"+15551230001","key":"mC4w…"}
//	S→C {"v":1,"type":"challenge","re":1,"nonce":"q0X…","server":"dialtone"}
//	C→S {"v":1,"type":"proof","seq":2,"sig":"7n1…"}
//	S→C {"v":1,"type":"registered","re":2,"number":"+15551230001","session":"Zk3…",
//	     "services":[{"code":"600","name":"echo test"}],"media":"relay","grace_s":20,"ring_s":30,"keepalive_s":15}
//	C→S {"v":1,"type":"dial","seq":3,"to":"+15551230002"}
//	S→C {"v":1,"type":"ringing","re":3,"call":"c7q…","peer":"+15551230002"}
//	        (callee) {"v":1,"type":"incoming","call":"c7q…","from":"+15551230001"}
//	        (callee) {"v":1,"type":"accept","seq":9,"call":"c7q…"}
//	S→C {"v":1,"type":"accepted","call":"c7q…","peer":"+15551230002","local_lease":"127.77.0.2:40000",
//	     "remote_lease":"127.77.0.1:40000","relay":{"urls":["turn:127.0.0.1:7478?transport=udp"],
//	     "username":"1764230000:c7q…:+15551230001","credential":"…","expires":"2026-11-27T07:00:00Z"},
//	     "media":"relay","offerer":true}
//	C→S {"v":1,"type":"sdp","call":"c7q…","sdp_type":"offer","sdp":"v=0…"}
//	C→S {"v":1,"type":"ice","call":"c7q…","candidate":{"candidate":"candidate:1 1 udp …","sdpMid":"0","sdpMLineIndex":0}}
//	C→S {"v":1,"type":"hangup","seq":4,"call":"c7q…"}
//	S→C {"v":1,"type":"hangup-ack","re":4,"call":"c7q…"}
//	        (callee) {"v":1,"type":"ended","call":"c7q…","reason":"hangup"}
//
// # Errors
//
// error carries a Code, a human message, and re/call when it concerns one
// request or call. Codes: see the Code constants. A connection that sends
// malformed JSON, a binary frame, a message over MaxMessage bytes, or too many
// messages too fast is answered with an error and may be closed; nothing it
// sends affects other users.
package wire
