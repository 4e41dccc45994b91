package store

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var inviteFormat = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestCreateInvite(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.AddSubscriber(ctx, sub("+15550009", 9)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		number string
		ttl    time.Duration
		want   error
	}{
		{"ok", "+15550001", time.Hour, nil},
		{"second for same number", "+15550001", time.Hour, nil},
		{"number bound", "+15550009", time.Hour, ErrExists},
		{"no number", "", time.Hour, errAny},
		{"zero ttl", "+15550001", 0, errAny},
		{"negative ttl", "+15550001", -time.Second, errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := s.CreateInvite(ctx, tc.number, tc.ttl)
			checkErr(t, "CreateInvite", err, tc.want)
			if err == nil && !inviteFormat.MatchString(code) {
				t.Errorf("code %q is not 4 groups of 4 Crockford base32", code)
			}
		})
	}
}

func TestInviteStoresOnlyHash(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	code, err := s.CreateInvite(ctx, "+15550001", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := s.r.QueryRowContext(ctx, `SELECT code_hash FROM invites`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	norm, _ := normaliseInvite(code)
	if !bytes.Equal(stored, inviteHash(norm)) {
		t.Errorf("stored %x, want the SHA-256 of the code", stored)
	}
}

func TestInviteRandomness(t *testing.T) {
	// A fixed source gives a fixed code; a failing one an error.
	s, _ := newStore(t, WithRand(bytes.NewReader(make([]byte, 10))))
	ctx := context.Background()
	code, err := s.CreateInvite(ctx, "+15550001", time.Hour)
	if err != nil || code != "0000-0000-0000-0000" {
		t.Errorf("CreateInvite = %q, %v; want 0000-0000-0000-0000", code, err)
	}
	if _, err := s.CreateInvite(ctx, "+15550001", time.Hour); err == nil {
		t.Error("CreateInvite with exhausted randomness succeeded")
	}
}

func TestNormaliseInvite(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"7K3M-Q9ZD-X2AB-PH4T", "7K3MQ9ZDX2ABPH4T", true},
		{"7k3m q9zd x2ab ph4t", "7K3MQ9ZDX2ABPH4T", true},
		{"7K3MQ9ZDX2ABPH4T", "7K3MQ9ZDX2ABPH4T", true},
		{"OIL0-0000-0000-0000", "0110000000000000", true},
		{"7K3M-Q9ZD-X2AB-PH4", "", false},   // short
		{"7K3M-Q9ZD-X2AB-PH4TT", "", false}, // long
		{"7K3M-Q9ZD-X2AB-PH4U", "", false},  // U is not in the alphabet
		{"7K3M_Q9ZD-X2AB-PH4T", "", false},
		{"", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := normaliseInvite(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("normaliseInvite(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRedeemInvite(t *testing.T) {
	const number, other = "+15550001", "+15550002"
	for _, tc := range []struct {
		name string
		// before runs after issuing and may spend the code or move the
		// clock; number and code, if set, replace what is redeemed.
		before func(t *testing.T, s *Store, clk *fakeClock, code string)
		number string
		code   func(code string) string
		want   error
	}{
		{name: "ok", want: nil},
		{name: "typed loosely", code: func(c string) string { return strings.ToLower(strings.ReplaceAll(c, "-", " ")) }},
		{name: "wrong code", code: func(c string) string { return flip(c) }, want: ErrInviteInvalid},
		{name: "malformed code", code: func(string) string { return "hello" }, want: ErrInviteInvalid},
		{name: "empty code", code: func(string) string { return "" }, want: ErrInviteInvalid},
		{name: "wrong number", number: other, want: ErrInviteInvalid},
		{
			name: "used twice",
			before: func(t *testing.T, s *Store, _ *fakeClock, code string) {
				if err := s.RedeemInvite(context.Background(), number, code, Subscriber{Key: key(1)}); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrInviteInvalid,
		},
		{
			name:   "just before expiry",
			before: func(_ *testing.T, _ *Store, clk *fakeClock, _ string) { clk.Advance(time.Hour - time.Nanosecond) },
		},
		{
			name:   "at expiry",
			before: func(_ *testing.T, _ *Store, clk *fakeClock, _ string) { clk.Advance(time.Hour) },
			want:   ErrInviteInvalid,
		},
		{
			name: "number bound meanwhile",
			before: func(t *testing.T, s *Store, _ *fakeClock, _ string) {
				if err := s.AddSubscriber(context.Background(), sub(number, 7)); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrExists,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newStore(t)
			ctx := context.Background()
			code, err := s.CreateInvite(ctx, number, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateInvite(ctx, other, time.Hour); err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(t, s, clk, code)
			}
			n, c := number, code
			if tc.number != "" {
				n = tc.number
			}
			if tc.code != nil {
				c = tc.code(code)
			}
			err = s.RedeemInvite(ctx, n, c, Subscriber{Key: key(2)})
			checkErr(t, "RedeemInvite", err, tc.want)

			got, lookErr := s.Subscriber(ctx, n)
			switch {
			case tc.want == nil && (lookErr != nil || !got.Key.Equal(key(2)) || !got.RegisteredAt.Equal(clk.Now())):
				t.Errorf("after redeeming: Subscriber = %+v, %v", got, lookErr)
			case errors.Is(tc.want, ErrInviteInvalid) && got.Key.Equal(key(2)):
				t.Errorf("invalid invite bound the number anyway")
			}
		})
	}
}

// flip changes the first character of a code to another valid one.
func flip(code string) string {
	b := []byte(code)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}

func TestRedeemInviteBoundMeanwhileKeepsInvite(t *testing.T) {
	// An invite that failed because the number was taken is not spent: an
	// operator who then removes the binding can still use it. Here the
	// binding is removed by hand, as there is no RemoveSubscriber yet.
	s, _ := newStore(t)
	ctx := context.Background()
	code, err := s.CreateInvite(ctx, "+15550001", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddSubscriber(ctx, sub("+15550001", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.RedeemInvite(ctx, "+15550001", code, Subscriber{Key: key(2)}); !errors.Is(err, ErrExists) {
		t.Fatalf("RedeemInvite = %v, want ErrExists", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM subscribers`); err != nil {
		t.Fatal(err)
	}
	if err := s.RedeemInvite(ctx, "+15550001", code, Subscriber{Key: key(2)}); err != nil {
		t.Errorf("RedeemInvite after the binding went: %v", err)
	}
}

func TestRedeemInviteSubscriberMismatch(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	code, err := s.CreateInvite(ctx, "+15550001", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Subscriber{
		{Number: "+15550002", Key: key(1)},
		{Number: "+15550001"},
	} {
		if err := s.RedeemInvite(ctx, "+15550001", code, bad); err == nil || errors.Is(err, ErrInviteInvalid) {
			t.Errorf("RedeemInvite(%+v) = %v, want a plain error", bad, err)
		}
	}
	// Neither spent the invite.
	if err := s.RedeemInvite(ctx, "+15550001", code, Subscriber{Number: "+15550001", Key: key(1)}); err != nil {
		t.Errorf("RedeemInvite: %v", err)
	}
}

// TestRedeemInviteRace has several goroutines, on two Stores as two
// processes would be, redeem one code at once: exactly one wins.
func TestRedeemInviteRace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := openStore(t, dir), openStore(t, dir)
	code, err := a.CreateInvite(ctx, "+15550001", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const racers = 6
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			<-start
			errs[i] = st.RedeemInvite(ctx, "+15550001", code, Subscriber{Key: key(i)})
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("racers %d and %d both redeemed", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, ErrInviteInvalid):
			t.Errorf("racer %d: %v, want ErrInviteInvalid", i, err)
		}
	}
	if won < 0 {
		t.Fatal("nobody redeemed")
	}
	got, err := b.Subscriber(ctx, "+15550001")
	if err != nil || !got.Key.Equal(key(won)) {
		t.Errorf("Subscriber = %+v, %v; want the winner's key", got, err)
	}
}
