package xlog

import (
	"errors"
	"fmt"
)

// ErrNoEOFMarker reports a file that ends between two blocks without an EOF
// marker: the WAL file being written, or one left by a crash. It is not
// corruption; a snapshot without the marker is unusable though.
var ErrNoEOFMarker = errors.New("xlog: file ends without an EOF marker")

// TornTailError reports a file whose last block is incomplete (or which
// ends in zero bytes where a block should be): the remains of an
// interrupted write. Offset is the end of the last intact block, where the
// file can be truncated without losing any complete block.
type TornTailError struct {
	File   string
	Offset int64
	Size   int64 // bytes found after Offset
}

func (e *TornTailError) Error() string {
	return fmt.Sprintf("%s: torn tail: %d bytes of an incomplete block at offset %d", e.File, e.Size, e.Offset)
}

// IsTornTail reports whether err is (or wraps) a *TornTailError.
func IsTornTail(err error) bool {
	var t *TornTailError
	return errors.As(err, &t)
}

// CorruptionError reports a damaged file: a complete block that fails its
// checks, a bad meta header, or data after the EOF marker. Offset is the
// file offset of the offending block (or of the data after EOF); Reason is
// Tarantool's message for the condition.
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("%s: corrupted at offset %d: %s", e.File, e.Offset, e.Reason)
}

// IsCorruption reports whether err is (or wraps) a *CorruptionError.
func IsCorruption(err error) bool {
	var c *CorruptionError
	return errors.As(err, &c)
}

// MetaError reports a meta header Tarantool would refuse with an XlogError;
// Reason is Tarantool's message ("unsupported file format version 0.11",
// "invalid vclock at offset 5", ...).
type MetaError struct {
	File   string
	Reason string
}

func (e *MetaError) Error() string {
	if e.File == "" {
		return e.Reason
	}
	return e.File + ": " + e.Reason
}
