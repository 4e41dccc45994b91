// Package relay is dialtone's media relay: an embedded TURN server
// (github.com/pion/turn/v5) on which a number's leased address is its relay
// address.
//
// Each party of a call gets TURN REST-style credentials for that call whose
// identity is its number (Relay.Credentials). An allocation made with them is
// bound on the number's lease (IP and port), and it forwards only to and from
// the leases of the other parties of the number's live calls, checked on IP
// and port, so every media packet between two phones carries the caller's
// lease as source and the callee's as destination, as in the patent.
// Allocations close when the call ends (EndCall), when the lease goes
// (Release) and when the relay stops.
//
// The relay does not own leases or calls: it asks the server through the
// Calls interface. It exports plain counters (Stats); the server turns them
// into metrics. It does not decide the media policy (relay or auto); the
// server signals that to clients.
//
// # Credentials
//
// The username is "<unix-expiry>:<call ID>:<number>" and the password
// base64(HMAC-SHA1(secret, username)), the form coturn's use-auth-secret
// also accepts. The user ID pion/turn carries from authentication to the
// allocation is "<call ID>:<number>". Expiry gates new allocations only:
// pion re-authenticates every Refresh, CreatePermission and ChannelBind with
// the credentials the client allocated with, and a live call must not be
// cut when they expire. A call that is not live gets nothing.
//
// # Allocations
//
// The number's first allocation for a call takes the lease's port. A further
// one (the same number in a second call, or an ICE restart) binds the lease
// IP with a kernel-chosen port and is accepted by the peers' relays as an
// alias of the lease; shared-IP pools must keep their port range outside
// net.ipv4.ip_local_port_range. Config.MaxAllocations bounds them per call
// and number. EVEN-PORT is not honoured: the lease fixes the port.
//
// A datagram from a peer that comes before the client's TURN permission for
// it (ICE's first connectivity check, sent by the peer's relay as soon as
// the peer's own permission exists) is held, up to 8 per allocation for up
// to 2s, and handed to pion/turn when the permission is created, instead of
// being dropped and waiting for the check's 200 ms retransmission. Only
// datagrams that pass the lease check are held; pion/turn still applies its
// permissions, so what gets through is unchanged.
//
// # Batches
//
// The TURN listener and the relay sockets are the relay's own
// net.PacketConns, handed to pion/turn: each read loop takes what its socket
// holds in one recvmmsg (up to 32 datagrams on the listener; on a relay
// socket from 1, doubling to 8 as batches fill), and the datagrams the loop
// relays meanwhile are queued per socket and sent with one sendmmsg each
// when its batch is done (batch.go), so that a datagram waits only for its
// own loop. What pion/turn writes goes out at once.
//
// The listener is spread over Config.ListenerSockets sockets (default
// GOMAXPROCS) in one SO_REUSEPORT group on the address of the socket Serve
// is given, one read loop each; the kernel keeps each client on one socket
// (Linux; elsewhere it stays one socket).
//
// ChannelData over UDP, the media, does not pass through pion/turn: the
// relay mirrors the channels pion/turn binds (its channel events) and
// relays ChannelData in those same read loops, through the same peer
// checks and counters (channels.go). Everything else is pion/turn's.
//
// # TURN over TCP
//
// pion/turn reads a TCP connection until it fails and puts no deadline on
// it, so the relay wraps every accepted connection (stream.go): it follows
// the STUN/ChannelData framing (without buffering) and closes a connection
// that does not finish its first message within Config.TCPMessageTimeout
// (5 s) of connecting, or any message within that of its first byte; that
// completes no message for Config.TCPIdleTimeout (30 s) while it holds no
// allocation (with one, the allocation's lifetime, which the client must
// refresh, bounds it); or that takes nothing it is sent for
// Config.TCPWriteTimeout (10 s). Closures are counted in Stats.TCP by
// reason. Caps on how many connections one source and the relay as a
// whole may hold belong to the listener Serve is given (the server wraps
// it with connlimit); the relay holds no count of its own.
//
// # Clients
//
// A pion/webrtc client uses Credentials as one ICE server
// (URLs, Username, Credential = Password), sets
// ICETransportPolicyRelay under the relay media policy, and must call
// SettingEngine.SetRelayAcceptanceMinWait(0): pion otherwise waits 2 s
// before it nominates a relay pair, which is then all of the call set-up.
package relay
