package synthetic

import "errors"

// ErrFormat is wrapped by every error about a malformed or unsupported file
// (bad header, unsupported colour space or sample format, out-of-bounds
// dimensions, truncated data), so callers can tell a bad file from an I/O
// failure.
var ErrFormat = errors.New("unsupported or malformed file")
