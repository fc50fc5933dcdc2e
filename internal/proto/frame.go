package proto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/spindledb/spindle/internal/boxerr"
)

// Framing: every IPROTO packet is <len> <header map> [<body map>], where
// len is a msgpack unsigned integer giving the byte size of what follows.
// Servers accept any uint encoding; replies always use 0xce + 4 bytes.

// ReadPacket reads one packet from r and returns its header and body
// bytes (the length prefix stripped). It reuses buf when it is large
// enough; the result aliases buf.
//
// Errors:
//   - io.EOF when r ends cleanly before a packet starts;
//   - io.ErrUnexpectedEOF when r ends inside a packet;
//   - ER_INVALID_MSGPACK "packet length" when the prefix is not a msgpack
//     uint, and "too big packet size in the header: N" when it exceeds
//     max (use BodyLenMax for Tarantool's limit).
//
// After a boxerr error the stream is out of sync and must be closed, as
// Tarantool closes such connections.
func ReadPacket(r *bufio.Reader, max uint64, buf []byte) ([]byte, error) {
	n, err := ReadLength(r)
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK,
			fmt.Sprintf("too big packet size in the header: %d", n))
	}
	if uint64(cap(buf)) >= n {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// ReadLength reads a packet's length prefix. Errors are as for
// ReadPacket.
func ReadLength(r *bufio.Reader) (uint64, error) {
	c, err := r.ReadByte()
	if err != nil {
		return 0, err // io.EOF: clean end between packets
	}
	var size int
	switch {
	case c <= 0x7f:
		return uint64(c), nil
	case c == 0xcc:
		size = 1
	case c == 0xcd:
		size = 2
	case c == 0xce:
		size = 4
	case c == 0xcf:
		size = 8
	default:
		return 0, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet length")
	}
	// Byte by byte: a buffer handed to io.ReadFull would escape, an
	// allocation per packet.
	var n uint64
	for range size {
		b, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		n = n<<8 | uint64(b)
	}
	return n, nil
}

// SplitPacket cuts one framed packet off the front of b, for callers that
// read into their own buffers. It returns the packet (header and body),
// the total bytes consumed, and ok=false when b does not yet hold a whole
// packet. Length errors are as for ReadPacket.
func SplitPacket(b []byte, max uint64) (packet []byte, n int, ok bool, err error) {
	if len(b) == 0 {
		return nil, 0, false, nil
	}
	var size int
	var l uint64
	switch c := b[0]; {
	case c <= 0x7f:
		l, size = uint64(c), 0
	case c == 0xcc:
		size = 1
	case c == 0xcd:
		size = 2
	case c == 0xce:
		size = 4
	case c == 0xcf:
		size = 8
	default:
		return nil, 0, false, boxerr.New(boxerr.ER_INVALID_MSGPACK, "packet length")
	}
	if len(b) < 1+size {
		return nil, 0, false, nil
	}
	if size > 0 {
		var x [8]byte
		copy(x[8-size:], b[1:1+size])
		l = binary.BigEndian.Uint64(x[:])
	}
	if l > max {
		return nil, 0, false, boxerr.New(boxerr.ER_INVALID_MSGPACK,
			fmt.Sprintf("too big packet size in the header: %d", l))
	}
	start := 1 + size
	if uint64(len(b)-start) < l {
		return nil, 0, false, nil
	}
	end := start + int(l)
	return b[start:end], end, true, nil
}
