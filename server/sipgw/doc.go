// Package sipgw is the server's SIP side: a registrar that lets SIP phones
// (baresip, Linphone, desk phones) register the server's numbers with digest
// credentials (RFC 8760: SHA-256 and MD5), over UDP, TCP and TLS, and a gateway
// that bridges their calls to dialtone parties.
//
// It keeps registrations in memory (a SIP phone re-registers well inside its
// expiry, and a restarted server is simply registered with again) and reads
// credentials from the store. It bounds what one source may send: message
// size, header count and a rate per source address; a request it cannot
// parse is answered 400 where there is enough of it to answer.
//
// Calls. An INVITE is authenticated (407) as one of our numbers, or comes
// from a trunk's address (Config.Routes, TrunkAllow), and its callee looked
// up (404 for a number the server does not hold); then a party for the phone's number (switchboard.AttachParty)
// dials the callee through the switchboard as any caller would. The other
// way, the switchboard asks the gateway (Reaches, Reach) for a number that
// has SIP devices, and the gateway INVITEs the device. Either way the SIP
// party takes its number's lease and binds one UDP socket on it (bridge;
// the number's second call at once, another port on the lease's IP):
// pion's ICE mux on that socket is the party's end of the WebRTC session
// with the dialtone party, through the relay, and what the mux cannot place
// is the phone's RTP, passed through to WebRTC tracks without transcoding
// when it is Opus or VP8 (Opus preferred where offered). A phone with G.711
// alone (PCMU, PCMA: desk phones, the telephone network's trunks) has its
// audio transcoded to and from Opus in the bridge's own goroutines
// (transcode.go, with the g711 and resample packages and the Opus codec
// Config.Opus gives); without one, and for anything else, 488.
// The phone's side may be SRTP keyed by SDES (sdes.go, srtp.go):
// decrypted and encrypted at the bridge.
// An INVITE without SDP (a delayed offer, delayed.go) is offered to in the
// 200, and the phone's answer in its ACK sets up the bridge.
//
// Keypad tones (dtmf.go) cross as RFC 4733 telephone events both ways:
// telephone-event is offered and answered on the SIP side, the dialtone
// party's events (in-band on its audio) go to the phone at its payload type
// and clock (or, to a phone that took no telephone-event, by SIP INFO
// dtmf-relay), and the phone's — RTP events, or SIP INFO dtmf-relay — to
// the dialtone party's audio.
//
// Trunks. A dial to a number the server does not hold, matching a route
// (longest prefix), gets a party for that foreign number (ViaTrunk) that
// INVITEs the trunk, as one for a SIP phone INVITEs the phone.
//
// It is not a proxy or a B2BUA for SIP-to-SIP calls of foreign parties, and
// it decodes media only to transcode G.711: it has no jitter buffer (the
// dialtone party's and the phone's own absorb the jitter) and mixes
// nothing.
package sipgw
