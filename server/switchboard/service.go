package switchboard

import (
	"fmt"

	"github.com/dialtone/dialtone/call/number"
)

// AttachService makes the server answer a short code itself, as the echo
// test does. The service is a party like any client: out receives its
// messages (incoming, accepted, sdp, ice, ended …) and the returned Conn is
// how it answers (accept, sdp, ice, hangup). It takes any number of calls at
// once and never needs to register.
func (sb *Switchboard) AttachService(code, name string, out Outbox) (*Conn, error) {
	n, err := number.Canonical(code)
	if err != nil || !n.IsService() {
		return nil, fmt.Errorf("service code %q: want 2 to 6 digits", code)
	}
	c := sb.Connect(out, "service "+code)
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.lines[n] != nil {
		return nil, fmt.Errorf("service code %s is taken", code)
	}
	s := &session{number: n, service: true, name: name}
	c.hello = helloFields{number: code}
	sb.attach(c, s)
	s.ln.service = true
	delete(sb.tokens, "") // services resume nothing
	sb.registered.add(n)
	sb.services[n] = name
	return c, nil
}
