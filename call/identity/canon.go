package identity

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxField bounds any one field of a canonical form; nothing we sign is
// longer, and a parser refuses more.
const MaxField = 4096

// errShort is returned when canonical bytes end inside a field.
var errShort = errors.New("identity: canonical form ends early")

// builder appends fields in the canonical form: a two-byte big-endian
// length, then the bytes.
type builder []byte

func (b *builder) field(p []byte) {
	if len(p) > MaxField {
		panic(fmt.Sprintf("identity: field of %d bytes exceeds %d", len(p), MaxField))
	}
	*b = binary.BigEndian.AppendUint16(*b, uint16(len(p)))
	*b = append(*b, p...)
}

func (b *builder) str(s string) { b.field([]byte(s)) }

func (b *builder) u64(v uint64) {
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], v)
	b.field(p[:])
}

// reader takes fields back out of a canonical form.
type reader struct {
	p   []byte
	err error
}

func (r *reader) field() []byte {
	if r.err != nil {
		return nil
	}
	if len(r.p) < 2 {
		r.err = errShort
		return nil
	}
	n := int(binary.BigEndian.Uint16(r.p))
	if n > MaxField {
		r.err = fmt.Errorf("identity: field of %d bytes exceeds %d", n, MaxField)
		return nil
	}
	if len(r.p) < 2+n {
		r.err = errShort
		return nil
	}
	f := r.p[2 : 2+n]
	r.p = r.p[2+n:]
	return f
}

func (r *reader) str() string { return string(r.field()) }

func (r *reader) u64() uint64 {
	f := r.field()
	if r.err == nil && len(f) != 8 {
		r.err = fmt.Errorf("identity: integer field of %d bytes, want 8", len(f))
	}
	if r.err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(f)
}

// done reports an error if anything is left over or went wrong.
func (r *reader) done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.p) != 0 {
		return fmt.Errorf("identity: %d bytes after the last field", len(r.p))
	}
	return nil
}
