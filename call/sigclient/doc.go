// Package sigclient is the client end of dialtone's signalling: one
// WebSocket to the server (call/wire), registration by key (hello,
// challenge, proof), keepalive pings, and reconnection with resume, so that a
// connection that drops for a few seconds loses no server message and ends
// no call.
//
// A Client delivers every server message on Messages, in the order the
// server numbered them (sn), each exactly once across reconnects, plus local
// notices of its own (TypeConnected, TypeDisconnected). It knows nothing of
// call state; call/session does.
//
// What it cannot do: the protocol numbers only server messages, so a client
// message written to a socket that then dies may be lost; the call state
// machine is built to tolerate that (a lost hangup is repeated by the
// server's grace timer, a lost candidate by ICE's own redundancy).
package sigclient
