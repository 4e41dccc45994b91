// Package switchboard is the server's call coordinator: it owns who is
// registered and connected, the calls between them, and the leases those
// calls hold. It speaks call/wire messages through an Outbox per connection
// and knows nothing of WebSockets (server/signaling carries the bytes) or of
// media (the relay carries that).
//
// All state sits behind one mutex. Work that blocks — the store, the relay —
// runs outside it: handlers collect such effects while they hold the lock and
// run them after. Sends to outboxes never block, so they happen under the
// lock, which keeps every party's view of a call in one order. Store writes
// are queued under the lock too, and the messages sent in the same section
// wait in their sessions' queues until one writer goroutine has committed
// them (records.go): what a party is told is already on disk. Each session
// keeps what it delivered, bounded, for a resume (history.go); on start the
// switchboard closes the calls a crash left open (restart.go).
package switchboard
