package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDevicesAndLinkCodes(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSubscriber(ctx, sub("+15550002", 9)); err != nil {
		t.Fatal(err)
	}
	code, err := s.CreateLinkCode(ctx, "+15550001", key(1), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateLinkCode(ctx, "+15550001", key(2), time.Minute); err == nil {
		t.Fatal("a key that is not a device made a link code")
	}
	by, err := s.ClaimLinkCode(ctx, "+15550001", code)
	if err != nil || !by.Equal(key(1)) {
		t.Fatalf("claim: %v %x", err, by)
	}
	expired, _ := s.CreateLinkCode(ctx, "+15550001", key(1), time.Minute)
	clk.Advance(time.Minute)
	wrong, _ := s.CreateLinkCode(ctx, "+15550001", key(1), time.Minute)
	for _, tc := range []struct {
		name, number, code string
		want               error
	}{
		{"used", "+15550001", code, ErrLinkUsed},
		{"expired", "+15550001", expired, ErrLinkInvalid}, // replaced by the next code
		{"never issued", "+15550001", "AAAA-AAAA-AAAA-AAAA", ErrLinkInvalid},
		{"not in form", "+15550001", "hello", ErrLinkInvalid},
		{"wrong number", "+15550002", wrong, ErrLinkWrongNumber},
		{"then spent", "+15550001", wrong, ErrLinkUsed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ClaimLinkCode(ctx, tc.number, tc.code)
			checkErr(t, "ClaimLinkCode", err, tc.want)
		})
	}
	late, _ := s.CreateLinkCode(ctx, "+15550001", key(1), time.Minute)
	clk.Advance(time.Minute)
	if _, err := s.ClaimLinkCode(ctx, "+15550001", late); !errors.Is(err, ErrLinkExpired) {
		t.Fatalf("expired code: %v", err)
	}

	for i := 2; i <= 3; i++ {
		d := Device{Number: "+15550001", Key: key(i), Name: "d" + string(rune('0'+i)), By: key(1), Cert: []byte("c"), Sig: []byte("s")}
		if err := s.AddDevice(ctx, d, 3); err != nil {
			t.Fatal(err)
		}
	}
	checkErr(t, "AddDevice over the bound", s.AddDevice(ctx, Device{Number: "+15550001", Key: key(4), Name: "d4", By: key(1)}, 3), ErrDeviceLimit)
	checkErr(t, "AddDevice by a stranger", s.AddDevice(ctx, Device{Number: "+15550001", Key: key(4), Name: "d4", By: key(7)}, 8), ErrNotFound)
	checkErr(t, "AddDevice same name", s.AddDevice(ctx, Device{Number: "+15550001", Key: key(4), Name: "d2", By: key(1)}, 8), ErrNameTaken)
	ds, err := s.Devices(ctx, "+15550001")
	if err != nil || len(ds) != 3 || ds[0].Name != FirstDevice || ds[0].Cert != nil || ds[1].Name != "d2" {
		t.Fatalf("devices %+v %v", ds, err)
	}
	if _, err := s.RemoveDevice(ctx, "+15550001", "d2"); err != nil {
		t.Fatal(err)
	}
	if gone, _ := s.WasRemoved(ctx, "+15550001", key(2)); !gone {
		t.Fatal("removal not noted")
	}
	rs, _ := s.DeviceRemovals(ctx, 0, 10)
	if len(rs) != 1 || !rs[0].Key.Equal(key(2)) {
		t.Fatalf("removals %+v", rs)
	}
	if _, err := s.RemoveDevice(ctx, "+15550001", "d3"); err != nil {
		t.Fatal(err)
	}
	_, err = s.RemoveDevice(ctx, "+15550001", FirstDevice)
	checkErr(t, "RemoveDevice of the last", err, ErrLastDevice)
}

// Each device sees each missed call until it acknowledges it; the record
// goes once all have.
func TestMissedPerDevice(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	s.AddSubscriber(ctx, sub("+15550001", 1))
	s.AddDevice(ctx, Device{Number: "+15550001", Key: key(2), Name: "two", By: key(1)}, 8)
	id, err := s.AddMissed(ctx, MissedCall{To: "+15550001", From: "+15550009", CallID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AckMissedFor(ctx, "+15550001", key(1), id+1000); err != nil {
		t.Fatal(err)
	}
	one, _ := s.PendingMissedFor(ctx, "+15550001", key(1))
	two, _ := s.PendingMissedFor(ctx, "+15550001", key(2))
	if len(one) != 0 || len(two) != 1 {
		t.Fatalf("after one ack: %d and %d pending", len(one), len(two))
	}
	// An acknowledgement past the newest call hides no later one.
	next, _ := s.AddMissed(ctx, MissedCall{To: "+15550001", From: "+15550009", CallID: "c2"})
	if one, _ := s.PendingMissedFor(ctx, "+15550001", key(1)); len(one) != 1 || one[0].ID != next {
		t.Fatalf("a later missed call: %+v", one)
	}
	s.AckMissedFor(ctx, "+15550001", key(2), id)
	if all, _ := s.PendingMissed(ctx, "+15550001"); len(all) != 1 || all[0].ID != next {
		t.Fatalf("the call both acknowledged is still stored: %+v", all)
	}
}

// The one-key schema comes forward with each subscriber as its first
// device.
func TestMigrationMakesFirstDevices(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, `DELETE FROM devices`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO subscribers (number, key, registered_at) VALUES ('+15550001', ?, 1)`, []byte(key(1))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, migrations[3]); err == nil {
		t.Fatal("migration 4 ran twice")
	}
	if _, err := s.w.ExecContext(ctx, `DROP TABLE devices; DROP TABLE link_codes; DROP TABLE device_removals; PRAGMA user_version = 3`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir)
	d, err := s.Device(ctx, "+15550001", key(1))
	if err != nil || d.Name != FirstDevice || d.Cert != nil {
		t.Fatalf("after migration: %+v %v", d, err)
	}
}
