package sipgw

import (
	"bytes"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// mandatory are the header fields every request must carry (RFC 3261
// section 8.1.1), by full and compact name.
var mandatory = []struct{ full, compact string }{
	{"via", "v"}, {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq", ""},
}

// problem is what inspect found wrong with a datagram.
type problem int

const (
	fine problem = iota
	keepAlive
	tooLarge
	tooManyHeaders
	malformed
)

// inspect checks one datagram before the SIP stack sees it: its size, its
// header count, that it parses and that a request has the mandatory
// headers. For a bad request it returns the response to send (400 or 513)
// when there is enough of the request to address one, else nil.
func inspect(p *sip.Parser, data []byte, maxSize, maxHeaders int) (problem, []byte) {
	if len(bytes.Trim(data, "\r\n")) == 0 {
		return keepAlive, nil
	}
	if len(data) > maxSize {
		return tooLarge, reject(p, data, 513, "Message Too Large")
	}
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	if n := bytes.Count(head, []byte("\n")); n > maxHeaders {
		return tooManyHeaders, reject(p, data, 400, "Too Many Headers")
	}
	if !headerLines(head) {
		return malformed, reject(p, data, 400, "Bad Request")
	}
	msg, err := p.ParseSIP(data)
	if err != nil {
		return malformed, reject(p, data, 400, "Bad Request")
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return fine, nil
	}
	if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil ||
		req.CSeq().MethodName != req.Method {
		return malformed, reject(p, data, 400, "Bad Request")
	}
	return fine, nil
}

// headerLines reports whether every line after the start line is a header
// field (name, colon) or a folded continuation; the parser skips lines
// that are neither, and a request with one was not what its sender meant.
func headerLines(head []byte) bool {
	lines := bytes.Split(head, []byte("\n"))
	for _, l := range lines[1:] {
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		i := bytes.IndexByte(l, ':')
		if i <= 0 || !isToken(bytes.TrimRight(l[:i], " \t")) {
			return false
		}
	}
	return true
}

// isToken reports whether b is an RFC 3261 token, as a header name is.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// reject builds a stateless error response from the text of a request the
// parser refused, copying the headers a response must echo. It returns nil
// for a response, or for a request without a Via to answer to.
func reject(p *sip.Parser, data []byte, code int, reason string) []byte {
	res := rejectText(data, code, reason)
	if res == nil {
		return nil
	}
	// The copied headers may be as broken as the rest; a response the
	// sender could not parse either is not worth sending.
	if _, err := p.ParseSIP(res); err != nil {
		return nil
	}
	return res
}

func rejectText(data []byte, code int, reason string) []byte {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	head, _, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	if len(lines) < 2 || !isRequestLine(lines[0]) {
		return nil
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 ")
	b.WriteString(itoa(code))
	b.WriteString(" " + reason + "\r\n")
	via := false
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		for _, m := range mandatory {
			if name == m.full || (m.compact != "" && name == m.compact) {
				b.WriteString(l + "\r\n")
				via = via || m.full == "via"
			}
		}
	}
	if !via {
		return nil
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return []byte(b.String())
}

func isRequestLine(l string) bool {
	f := strings.Fields(l)
	if len(f) != 3 || f[2] != "SIP/2.0" || f[0] == "SIP/2.0" {
		return false
	}
	for _, r := range f[0] {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}
