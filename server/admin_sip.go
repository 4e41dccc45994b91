package server

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/dialtone/dialtone/server/switchboard"
)

// directory tells the SIP gateway which numbers the server holds: numbers
// and services on the switchboard, and numbers with SIP credentials.
type directory struct{ s *Server }

func (d directory) Known(n string) bool {
	if d.s.sb.Resolve(n).Registered {
		return true
	}
	_, err := d.s.store.SIPCredential(context.Background(), n)
	return err == nil
}

// NumberRow is one number in the admin API: the switchboard's view and the
// SIP devices registered for it.
type NumberRow struct {
	switchboard.NumberView
	// SIPContacts are the registered SIP devices' contacts, space separated.
	SIPContacts string `json:"sip_contacts,omitempty"`
	// SIPExpires is when the first of them expires unless renewed.
	SIPExpires *time.Time `json:"sip_expires,omitempty"`
}

// numbers merges the switchboard's numbers with the SIP registrations; a
// number with SIP devices and no dialtone client is listed too.
func (s *Server) numbers() []NumberRow {
	views := s.sb.Numbers()
	rows := make([]NumberRow, 0, len(views))
	at := make(map[string]int, len(views))
	for _, v := range views {
		at[v.Number] = len(rows)
		rows = append(rows, NumberRow{NumberView: v})
	}
	if s.sip == nil {
		return rows
	}
	for _, r := range s.sip.Registrations() {
		i, ok := at[r.Number]
		if !ok {
			i = len(rows)
			at[r.Number] = i
			rows = append(rows, NumberRow{NumberView: switchboard.NumberView{Number: r.Number}})
		}
		row := &rows[i]
		row.SIPContacts = strings.TrimSpace(row.SIPContacts + " " + r.Contact)
		if row.SIPExpires == nil || r.Expires.Before(*row.SIPExpires) {
			e := r.Expires
			row.SIPExpires = &e
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Number < rows[j].Number })
	return rows
}
