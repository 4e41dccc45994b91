// Package sipgw is the server's SIP side: a registrar that lets SIP phones
// (baresip, Linphone, desk phones) register the server's numbers with digest
// credentials (RFC 8760: SHA-256 and MD5), over UDP and TCP.
//
// It keeps registrations in memory (a SIP phone re-registers well inside its
// expiry, and a restarted server is simply registered with again) and reads
// credentials from the store. It bounds what one source may send: message
// size, header count and a rate per source address; a request it cannot
// parse is answered 400 where there is enough of it to answer.
//
// It is not yet a gateway: an INVITE is authenticated (407, as one of our
// numbers; there are no trunks) and its callee looked up (404 for a number
// the server does not hold), but the call is not bridged to a dialtone
// party: a known callee is answered 480.
package sipgw
