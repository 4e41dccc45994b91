package relay

import (
	"errors"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// The relay's UDP sockets (the TURN listener and every allocation's relay
// socket) are read and written in batches. pion/turn reads a socket in a
// loop, handles each datagram and writes what it makes of it before reading
// the next; one recvfrom and one sendto per datagram, and a park and a
// wake-up of the reading goroutine whenever the socket runs dry, were most
// of the relay's CPU. So a read loop here takes everything the socket holds
// (up to a batch) in one recvmmsg, and the datagrams the loop itself relays
// meanwhile (channels.go) are queued per destination socket and sent with
// one sendmmsg per socket when its batch is done, before it reads again or
// hands a datagram to pion/turn. A queued datagram so waits only for the
// rest of its own loop's batch, never for another thread. Writes pion/turn
// makes (STUN, Send indications) go out at once.
const (
	listenerBatch = 32   // datagrams per recvmmsg on the TURN listener
	leaseBatch    = 8    // on an allocation's relay socket, growing from 1 (its buffers are per allocation)
	writeBatch    = 64   // datagrams queued per socket before it is flushed anyway
	datagramMax   = 2048 // read buffer per datagram; pion/turn's own buffers are 1600
)

// batchRW reads and writes a socket's datagrams in batches: recvmmsg and
// sendmmsg on Linux (mmsg_linux.go), golang.org/x/net's ReadBatch and
// WriteBatch elsewhere (a loop of single reads and writes where the
// system has no batch calls). The messages have one buffer each.
type batchRW interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// xnetBatchRW is golang.org/x/net's batch reader and writer for c.
func xnetBatchRW(c *net.UDPConn) batchRW {
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		return ipv4.NewPacketConn(c)
	}
	return ipv6.NewPacketConn(c)
}

// batchReader hands out the datagrams of one socket read in batches. It is
// used by one goroutine, the socket's read loop.
type batchReader struct {
	rw        batchRW
	max       int            // batch size it may grow to
	ms        []ipv4.Message // its buffers, grown when a batch fills them
	n, next   int
	outbox    []*batchWriter // sockets this loop queued datagrams on
	datagrams atomic.Uint64  // read so far
}

// newBatchReader reads up to size datagrams at a time. It starts with
// buffers for start and doubles them whenever a batch fills them all, so
// that a quiet allocation's socket (a call's 50 datagrams a second) holds
// 2 KB, not a whole batch's.
func newBatchReader(rw batchRW, start, size int) *batchReader {
	b := &batchReader{rw: rw, max: size}
	b.grow(start)
	return b
}

func (b *batchReader) grow(n int) {
	for len(b.ms) < n {
		b.ms = append(b.ms, ipv4.Message{Buffers: [][]byte{make([]byte, datagramMax)}})
	}
}

// read returns the next datagram (valid until the next call) and where it
// came from. When the batch is used up it sends what the loop queued
// meanwhile and reads the next batch, blocking until one comes.
func (b *batchReader) read() ([]byte, *net.UDPAddr, error) {
	for b.next >= b.n {
		b.flush()
		n, err := b.rw.ReadBatch(b.ms, 0)
		if err != nil {
			return nil, nil, err
		}
		b.n, b.next = n, 0
		b.datagrams.Add(uint64(n))
		if n == len(b.ms) && n < b.max {
			b.grow(min(2*n, b.max)) // from the next batch
		}
	}
	m := &b.ms[b.next]
	b.next++
	from, _ := m.Addr.(*net.UDPAddr)
	if from == nil {
		return b.read()
	}
	return m.Buffers[0][:m.N], from, nil
}

// queue queues p to go to addr through w when the loop's batch is done
// (or before, if w's queue fills). It is called from the loop only.
func (b *batchReader) queue(w *batchWriter, p []byte, to *net.UDPAddr) {
	w.mu.Lock()
	if w.enqueue(p, to) {
		_ = w.send()
	}
	w.mu.Unlock()
	if !slices.Contains(b.outbox, w) {
		b.outbox = append(b.outbox, w)
	}
}

// flush sends what the loop queued.
func (b *batchReader) flush() {
	for _, w := range b.outbox {
		w.flush()
	}
	clear(b.outbox)
	b.outbox = b.outbox[:0]
}

// batchWriter is a socket's queue of datagrams to send. Several loops may
// queue on it; each flushes it at the end of its own batch.
type batchWriter struct {
	rw batchRW
	mu sync.Mutex
	ms []ipv4.Message // ms[:n] are queued
	n  int
}

func newBatchWriter(rw batchRW) *batchWriter { return &batchWriter{rw: rw} }

// write sends p to addr now, after anything queued.
func (w *batchWriter) write(p []byte, to *net.UDPAddr) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.enqueue(p, to)
	return w.send()
}

// enqueue copies p into the queue and reports whether the queue is full.
func (w *batchWriter) enqueue(p []byte, to *net.UDPAddr) bool {
	if w.n == len(w.ms) {
		w.ms = append(w.ms, ipv4.Message{Buffers: [][]byte{nil}})
	}
	m := &w.ms[w.n]
	m.Buffers[0] = append(m.Buffers[0][:0], p...)
	m.Addr = to
	w.n++
	return w.n >= writeBatch
}

func (w *batchWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.send()
}

// send writes the queue with as few sendmmsg calls as it takes. A datagram
// the system refuses is dropped, as a failed sendto would have been; it
// returns the first error.
func (w *batchWriter) send() error {
	var first error
	for i := 0; i < w.n; {
		n, err := w.rw.WriteBatch(w.ms[i:w.n], 0)
		i += n
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if n == 0 {
			i++ // the datagram that failed
		}
	}
	for i := range w.ms[:w.n] {
		w.ms[i].Addr = nil
	}
	w.n = 0
	return first
}
