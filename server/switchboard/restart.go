package switchboard

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/store"
)

// recover picks up after the previous process. Calls it left open were cut
// by a crash: they end, as server-restart, at the last time they were known
// alive (not now, which would add the outage to their length); one still
// ringing is a missed call for its callee. The addresses those calls held,
// and those of calls that ended within a hold-down before the stop, go into
// hold-down, so that the first calls after a restart do not get them.
func (sb *Switchboard) recover(ctx context.Context) error {
	now := sb.cfg.Now()
	open, err := sb.cfg.Store.OpenCalls(ctx)
	if err != nil {
		return fmt.Errorf("loading open calls: %w", err)
	}
	recent, err := sb.cfg.Store.CallsEndedSince(ctx, now.Add(-sb.cfg.Leases.HoldDown()))
	if err != nil {
		return fmt.Errorf("loading recent calls: %w", err)
	}
	var held []lease.Held
	for _, c := range open {
		held = appendLeases(held, c, now)
	}
	for _, c := range recent {
		held = appendLeases(held, c, c.End)
	}
	n, err := sb.cfg.Leases.Restore(held)
	if err != nil {
		return fmt.Errorf("holding down the last process's addresses: %w", err)
	}
	missed := 0
	err = sb.cfg.Store.Batch(ctx, func(ctx context.Context) error {
		for _, c := range open {
			end := c.Alive
			if c.Answer.After(end) {
				end = c.Answer
			}
			if c.Start.After(end) {
				end = c.Start
			}
			if err := sb.cfg.Store.EndCall(ctx, c.CallID, end, store.ReasonServerRestart); err != nil {
				return err
			}
			if !c.Answer.IsZero() || number.Number(c.Callee).IsService() {
				continue
			}
			_, err := sb.cfg.Store.AddMissed(ctx, store.MissedCall{To: c.Callee, From: c.Caller, At: c.Start, CallID: c.CallID})
			switch {
			case err == nil:
				missed++
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("closing the calls left open: %w", err)
	}
	if len(open) > 0 || n > 0 {
		sb.log.Info("recovered after a stop", "open_calls", len(open), "missed", missed, "held_down", n)
	}
	return nil
}

// appendLeases adds the addresses c held, held down from since.
func appendLeases(held []lease.Held, c store.CDR, since time.Time) []lease.Held {
	for _, s := range []string{c.CallerLease, c.CalleeLease} {
		if a, err := netip.ParseAddrPort(s); err == nil {
			held = append(held, lease.Held{Addr: a, Since: since})
		}
	}
	return held
}
