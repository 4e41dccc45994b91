// Package identity holds what lets two phones trust each other without
// trusting the server between them: the certificates that bind a device key
// to a number, the signed statements that bind a call's DTLS fingerprint to
// a device key, and the short safety code two people compare by voice.
//
// Everything signed here is signed over a canonical byte form built by this
// package (a context string, then fields each prefixed with its length), never
// over JSON, so that no re-encoding can make two different statements sign
// the same bytes.
package identity
