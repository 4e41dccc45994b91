package dnsserver

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestBatchServeStopsWhenNeverEmpty: a worker reads until its socket is
// empty, which under load it may never be; it still stops when told. Here
// every batch it reads puts another datagram in the socket (loopback
// delivers within the send), so only the stop ends the loop.
func TestBatchServeStopsWhenNeverEmpty(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, err := newUDPBatch(pc, false)
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	batches := 0
	answer := func(n int) {
		if _, err := c.Write([]byte("again")); err != nil {
			t.Error(err)
		}
		if batches++; batches == 100 {
			stop.Store(true)
		}
	}
	if _, err := c.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.serve(&stop, answer) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve still reading 10 s after the stop")
	}
	if batches != 100 {
		t.Errorf("%d batches, want 100", batches)
	}
}
