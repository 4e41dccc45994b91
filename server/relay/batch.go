package relay

import (
	"errors"
	"net"
	"os"
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
// (up to a batch) in one recvmmsg, hands it to pion/turn one datagram at a
// time, and the writes pion/turn makes while any loop is inside a batch are
// queued per socket and sent with one sendmmsg per socket when the batch is
// done, before the loop reads again. A write made while no loop is inside
// a batch goes out at once. So a queued write waits at most for the end of
// the batches under way; a loop that may block inside its batch (one that
// writes to a TURN-over-TCP client, which may not read for
// Config.TCPWriteTimeout) therefore never joins (batchReader.solo).
const (
	listenerBatch = 32   // datagrams per recvmmsg on the TURN listener
	leaseBatch    = 8    // on an allocation's relay socket (its buffers are per allocation)
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

// flusher is shared by all of a relay's batched sockets: it knows whether
// any read loop is inside a batch and which sockets have queued writes.
type flusher struct {
	mu     sync.Mutex
	active int            // read loops inside a batch
	dirty  []*batchWriter // sockets with queued writes
}

func (f *flusher) begin() {
	f.mu.Lock()
	f.active++
	f.mu.Unlock()
}

// end marks the end of a loop's batch and flushes every queued write.
// scratch is the loop's own slice for the sockets to flush; end returns it
// for reuse.
func (f *flusher) end(scratch []*batchWriter) []*batchWriter {
	f.mu.Lock()
	f.active--
	scratch = append(scratch[:0], f.dirty...)
	for _, w := range f.dirty {
		w.dirty = false
	}
	clear(f.dirty)
	f.dirty = f.dirty[:0]
	f.mu.Unlock()
	for _, w := range scratch {
		w.flush()
	}
	clear(scratch)
	return scratch
}

// batchReader hands out the datagrams of one socket read in batches. It is
// used by one goroutine, the socket's read loop.
type batchReader struct {
	rw        batchRW
	f         *flusher
	ms        []ipv4.Message
	n, next   int
	inBatch   bool
	scratch   []*batchWriter
	datagrams atomic.Uint64 // read so far
	// solo keeps the reader out of batches: the writes its loop makes may
	// block, and others' queued writes must not wait for them.
	solo atomic.Bool
}

func newBatchReader(rw batchRW, f *flusher, size int) *batchReader {
	b := &batchReader{rw: rw, f: f, ms: make([]ipv4.Message, size)}
	for i := range b.ms {
		b.ms[i].Buffers = [][]byte{make([]byte, datagramMax)}
	}
	return b
}

// read returns the next datagram (valid until the next call) and where it
// came from. When the batch is used up it flushes the writes queued
// meanwhile and reads the next batch, blocking until one comes.
func (b *batchReader) read() ([]byte, *net.UDPAddr, error) {
	for b.next >= b.n {
		b.endBatch()
		n, err := b.rw.ReadBatch(b.ms, 0)
		if err != nil {
			return nil, nil, err
		}
		b.n, b.next = n, 0
		b.datagrams.Add(uint64(n))
		if n > 0 && !b.solo.Load() {
			b.inBatch = true
			b.f.begin()
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

// endBatch ends the current batch, if any, flushing what it wrote.
func (b *batchReader) endBatch() {
	if b.inBatch {
		b.inBatch = false
		b.scratch = b.f.end(b.scratch)
	}
}

// batchWriter queues a socket's writes while a read loop is inside a batch.
type batchWriter struct {
	rw    batchRW
	f     *flusher
	dirty bool // in f.dirty; guarded by f.mu

	mu sync.Mutex
	ms []ipv4.Message // ms[:n] are queued
	n  int
}

func newBatchWriter(rw batchRW, f *flusher) *batchWriter { return &batchWriter{rw: rw, f: f} }

// write sends p to addr, or queues it to be sent when the current batch
// ends. It reports p as written either way; a failed send is counted by
// the caller's socket errors no more than pion/turn would have logged them.
func (w *batchWriter) write(p []byte, to *net.UDPAddr) error {
	w.f.mu.Lock()
	if w.f.active == 0 {
		w.f.mu.Unlock()
		w.mu.Lock()
		defer w.mu.Unlock()
		// Queued datagrams still waiting for their flush go first.
		w.enqueue(p, to)
		return w.send()
	}
	w.mu.Lock()
	full := w.enqueue(p, to)
	w.mu.Unlock()
	if !w.dirty {
		w.dirty = true
		w.f.dirty = append(w.f.dirty, w)
	}
	w.f.mu.Unlock()
	if full {
		w.flush()
	}
	return nil
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
