package relay

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// countingRW counts the batch system calls made on a socket.
type countingRW struct {
	batchRW
	reads, writes atomic.Int32
}

func (c *countingRW) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	c.reads.Add(1)
	return c.batchRW.ReadBatch(ms, flags)
}

func (c *countingRW) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	c.writes.Add(1)
	return c.batchRW.WriteBatch(ms, flags)
}

func udpSocket(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sendN(t *testing.T, from, to *net.UDPConn, n int) {
	t.Helper()
	for i := range n {
		if _, err := from.WriteTo(fmt.Appendf(nil, "datagram %d", i), to.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
}

// readN reads n datagrams from c and checks they are "datagram 0".. in order.
func readN(t *testing.T, c *net.UDPConn, n int) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range n {
		k, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if got, want := string(buf[:k]), fmt.Sprintf("datagram %d", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// The datagrams a socket holds are taken with one system call, not one each.
func TestBatchReaderTakesWhatTheSocketHolds(t *testing.T) {
	sock, sender := udpSocket(t), udpSocket(t)
	rw := &countingRW{batchRW: newBatchRW(sock)}
	r := newBatchReader(rw, listenerBatch, listenerBatch)
	// Loopback delivers before sendto returns: all 20 are queued now.
	sendN(t, sender, sock, 20)
	for i := range 20 {
		data, from, err := r.read()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(data), fmt.Sprintf("datagram %d", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if from.Port != sender.LocalAddr().(*net.UDPAddr).Port {
			t.Fatalf("from %v, want %v", from, sender.LocalAddr())
		}
	}
	if n := rw.reads.Load(); n != 1 {
		t.Errorf("%d reads for 20 queued datagrams, want 1", n)
	}

	// An allocation's reader starts with one buffer and doubles them as
	// batches fill: 1, 2, 4, 8, then the last 5.
	lr := &countingRW{batchRW: newBatchRW(sock)}
	l := newBatchReader(lr, 1, leaseBatch)
	sendN(t, sender, sock, 20)
	for range 20 {
		if _, _, err := l.read(); err != nil {
			t.Fatal(err)
		}
	}
	if n, buffers := lr.reads.Load(), len(l.ms); n != 5 || buffers != leaseBatch {
		t.Errorf("%d reads and %d buffers for 20 datagrams, want 5 and %d", n, buffers, leaseBatch)
	}
}

// Datagrams a loop relays inside its batch go out together, in order,
// when the batch is done; a write from outside the loop goes at once.
func TestQueuedWritesWaitForTheirLoopsBatch(t *testing.T) {
	in, out, sender, peer := udpSocket(t), udpSocket(t), udpSocket(t), udpSocket(t)
	r := newBatchReader(newBatchRW(in), listenerBatch, listenerBatch)
	orw := &countingRW{batchRW: newBatchRW(out)}
	w := newBatchWriter(orw)

	sendN(t, sender, in, 2)
	if _, _, err := r.read(); err != nil { // the loop is inside its batch
		t.Fatal(err)
	}
	to := peer.LocalAddr().(*net.UDPAddr)
	for i := range 10 {
		r.queue(w, fmt.Appendf(nil, "datagram %d", i), to)
	}
	if n := orw.writes.Load(); n != 0 {
		t.Fatalf("%d sendmmsg inside the batch, want 0", n)
	}
	if _, _, err := r.read(); err != nil { // the batch's last datagram
		t.Fatal(err)
	}
	r.flush() // what read does before it blocks for the next batch
	if n := orw.writes.Load(); n != 1 {
		t.Fatalf("%d sendmmsg after the batch, want 1", n)
	}
	readN(t, peer, 10)

	// Not from the loop: a write goes out at once.
	if err := w.write([]byte("datagram 0"), to); err != nil {
		t.Fatal(err)
	}
	if n := orw.writes.Load(); n != 2 {
		t.Fatalf("%d sendmmsg after a direct write, want 2", n)
	}
	readN(t, peer, 1)
}

// A full queue is sent without waiting for the batch to end.
func TestFullWriteQueueIsFlushed(t *testing.T) {
	in, out, peer := udpSocket(t), udpSocket(t), udpSocket(t)
	_ = peer.SetReadBuffer(1 << 20)
	r := newBatchReader(newBatchRW(in), listenerBatch, listenerBatch)
	orw := &countingRW{batchRW: newBatchRW(out)}
	w := newBatchWriter(orw)
	for i := range writeBatch {
		r.queue(w, fmt.Appendf(nil, "datagram %d", i), peer.LocalAddr().(*net.UDPAddr))
	}
	if n := orw.writes.Load(); n != 1 {
		t.Fatalf("%d sendmmsg after %d queued writes, want 1", n, writeBatch)
	}
	readN(t, peer, writeBatch)
	r.flush()
	if n := orw.writes.Load(); n != 1 {
		t.Fatalf("%d sendmmsg after flushing an empty queue, want 1", n)
	}
}

// BenchmarkBatchReader is the per-datagram cost of the batched read path.
func BenchmarkBatchReader(b *testing.B) {
	sock, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sock.Close()
	_ = sock.SetReadBuffer(4 << 20)
	sender, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	r := newBatchReader(newBatchRW(sock), listenerBatch, listenerBatch)
	payload := make([]byte, 1200)
	b.SetBytes(int64(len(payload)))
	for i := 0; i < b.N; {
		burst := min(listenerBatch, b.N-i)
		for range burst {
			_, _ = sender.WriteTo(payload, sock.LocalAddr())
		}
		for range burst {
			if _, _, err := r.read(); err != nil {
				b.Fatal(err)
			}
		}
		i += burst
	}
}

// Batches carry each datagram's address both ways, on IPv4, IPv6 and
// dual-stack sockets (an IPv4 sender comes as a mapped address there).
func TestBatchAddressFamilies(t *testing.T) {
	for _, tc := range []struct{ name, network, listen, sender, senderNet string }{
		{"ipv4", "udp4", "127.0.0.1:0", "127.0.0.1:0", "udp4"},
		{"ipv6", "udp6", "[::1]:0", "[::1]:0", "udp6"},
		{"dual stack, ipv4 sender", "udp", "[::]:0", "127.0.0.1:0", "udp4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := net.ListenPacket(tc.network, tc.listen)
			if err != nil {
				t.Skipf("no %s here: %v", tc.network, err)
			}
			defer pc.Close()
			sc, err := net.ListenPacket(tc.senderNet, tc.sender)
			if err != nil {
				t.Skipf("no %s here: %v", tc.senderNet, err)
			}
			defer sc.Close()
			sock, sender := pc.(*net.UDPConn), sc.(*net.UDPConn)
			to := &net.UDPAddr{IP: sender.LocalAddr().(*net.UDPAddr).IP, Port: sock.LocalAddr().(*net.UDPAddr).Port}
			if to.IP.IsUnspecified() || tc.network == "udp" {
				to.IP = net.IPv4(127, 0, 0, 1)
			}
			for i := range 3 {
				if _, err := sender.WriteTo(fmt.Appendf(nil, "datagram %d", i), to); err != nil {
					t.Fatal(err)
				}
			}
			rw := newBatchRW(sock)
			r := newBatchReader(rw, listenerBatch, listenerBatch)
			w := newBatchWriter(rw)
			for i := range 3 {
				data, from, err := r.read()
				if err != nil {
					t.Fatal(err)
				}
				if got, want := string(data), fmt.Sprintf("datagram %d", i); got != want {
					t.Fatalf("got %q, want %q", got, want)
				}
				sa := sender.LocalAddr().(*net.UDPAddr)
				if !from.IP.Equal(sa.IP) || from.Port != sa.Port {
					t.Fatalf("from %v, want %v", from, sa)
				}
				if err := w.write(data, from); err != nil {
					t.Fatal(err)
				}
			}
			readN(t, sender, 3)
		})
	}
}
