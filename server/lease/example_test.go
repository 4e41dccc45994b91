package lease_test

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/dialtone/dialtone/server/lease"
)

// A call between two numbers on a pool of two addresses: the callee is
// leased first, then the caller; a third number finds the pool full; after
// hang-up the addresses wait out their hold-down.
func Example() {
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	pool, err := lease.New(lease.Config{
		Prefixes: []netip.Prefix{netip.MustParsePrefix("127.77.0.0/30")},
		PortLo:   40000,
		PortHi:   40000,
		Now:      func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	callee, _ := pool.Acquire("+15557654321")
	caller, _ := pool.Acquire("+15551234567")
	fmt.Println(callee.Number, callee.Addr)
	fmt.Println(caller.Number, caller.Addr)

	if _, err := pool.Acquire("600"); errors.Is(err, lease.ErrExhausted) {
		fmt.Println("600:", err)
	}

	pool.Release("+15557654321")
	pool.Release("+15551234567")
	fmt.Printf("%+v\n", pool.Stats())

	now = now.Add(lease.DefaultHoldDown)
	echo, _ := pool.Acquire("600")
	fmt.Println(echo.Number, echo.Addr)
	// Output:
	// +15557654321 127.77.0.1:40000
	// +15551234567 127.77.0.2:40000
	// 600: leasing address for 600: address pool exhausted
	// {Capacity:2 InUse:0 HeldDown:2 Exhaustions:1}
	// 600 127.77.0.1:40000
}
