package xlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/spindledb/spindle/internal/xrow"
)

// DefaultMaxBlockSize bounds the decompressed size of one block a Cursor
// accepts, so a hostile zstd frame cannot exhaust memory. Tarantool's own
// blocks stay near AutocommitThreshold unless one transaction is huge.
const DefaultMaxBlockSize = 1 << 30

// Cursor reads the rows of one .xlog/.snap file (Tarantool's xlog_cursor).
//
// Next returns rows in file order across blocks. It returns io.EOF after
// the EOF marker, ErrNoEOFMarker when the file ends between blocks, a
// *TornTailError when it ends inside a block and a *CorruptionError for a
// damaged block. After io.EOF and corruption errors Next keeps returning
// the same error; after ErrNoEOFMarker and a torn tail it retries at the
// same offset, so a Cursor can follow a file that is still being written.
type Cursor struct {
	r    io.ReaderAt
	name string
	meta Meta

	// MaxBlockSize caps a block's decompressed size; set it before the
	// first Next. Zero means DefaultMaxBlockSize.
	MaxBlockSize int

	offset   int64  // file offset of the next block
	blockOff int64  // file offset of the block rows are read from
	good     int64  // start of the block being read: the last safe truncation point
	damaged  int64  // offset of the block a corruption error is about
	rows     []byte // rows of the current block not yet returned
	raw      []byte // buffer for the block as stored
	plain    []byte // buffer for decompressed rows
	dec      *zstd.Decoder
	err      error // sticky: io.EOF or a *CorruptionError
	closer   io.Closer
}

// NewCursor parses the meta header of the file read through r and returns
// a Cursor positioned at its first block. name is used in error messages.
// Meta errors are *MetaError with Tarantool's reason.
func NewCursor(r io.ReaderAt, name string) (*Cursor, error) {
	head := make([]byte, metaLenMax)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("xlog: failed to read '%s' file: %w", name, err)
	}
	meta, size, err := ParseMeta(head[:n])
	if err != nil {
		var me *MetaError
		if errors.As(err, &me) {
			return nil, &MetaError{File: name, Reason: me.Reason}
		}
		return nil, err
	}
	off := int64(size)
	return &Cursor{r: r, name: name, meta: meta, offset: off, blockOff: off, good: off}, nil
}

// Meta returns the file's meta header.
func (c *Cursor) Meta() *Meta { return &c.meta }

// Name returns the name the cursor was opened with.
func (c *Cursor) Name() string { return c.name }

// GoodOffset returns the end of the last block whose rows have all been
// returned (the meta size before the first block). After a torn tail or
// corruption error it is where the file can be truncated to drop the
// damage and keep every intact block before it.
func (c *Cursor) GoodOffset() int64 {
	if len(c.rows) == 0 && (c.err == nil || c.err == io.EOF) {
		return c.offset
	}
	return c.good
}

// Close releases the cursor, closing the file if the cursor opened it.
func (c *Cursor) Close() error {
	if c.dec != nil {
		c.dec.Close()
		c.dec = nil
	}
	c.err = errClosed
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

func (c *Cursor) corrupt(off int64, reason string) error {
	c.damaged = off
	c.err = &CorruptionError{File: c.name, Offset: off, Reason: reason}
	c.rows = nil
	return c.err
}

// Next decodes the next row into row. row.Body aliases the cursor's
// buffer and stays valid only until the next call to Next.
func (c *Cursor) Next(row *xrow.Row) error {
	for len(c.rows) == 0 {
		if c.err != nil {
			return c.err
		}
		c.good = c.offset
		if err := c.nextBlock(); err != nil {
			return err
		}
	}
	n, err := xrow.DecodeRow(c.rows, row)
	if err != nil {
		return c.corrupt(c.blockOff, "can't parse row: "+err.Error())
	}
	c.rows = c.rows[n:]
	return nil
}

// readAt reads up to len(p) bytes at off; a short count means the file
// ends there.
func (c *Cursor) readAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	if err == io.EOF || (err == nil && n == len(p)) {
		return n, nil
	}
	if err != nil {
		return n, fmt.Errorf("xlog: failed to read '%s' file: %w", c.name, err)
	}
	return n, nil
}

// nextBlock loads the block at c.offset into c.rows.
func (c *Cursor) nextBlock() error {
	var hdr [FixHeaderSize]byte
	n, err := c.readAt(hdr[:], c.offset)
	if err != nil {
		return err
	}
	switch {
	case n == 0:
		return ErrNoEOFMarker
	case n >= len(magicEOF) && [4]byte(hdr[:4]) == magicEOF:
		if n > len(magicEOF) {
			return c.corrupt(c.offset+4, fmt.Sprintf("%s: has some data after eof marker at %d", c.name, c.offset+4))
		}
		c.err = io.EOF
		return io.EOF
	case n < FixHeaderSize:
		// An interrupted write leaves a prefix of a block or of the EOF
		// marker (or zeros, on file systems that extend the size first).
		if isPrefixOfMagic(hdr[:n]) || allZero(hdr[:n]) {
			return c.torn(int64(n))
		}
		return c.corrupt(c.offset, "invalid magic")
	}
	if allZero(hdr[:]) {
		size, zero, err := c.zeroTail(c.offset)
		if err != nil {
			return err
		}
		if zero {
			return c.torn(size)
		}
	}
	fh, reason := decodeFixHeader(hdr[:])
	if reason != "" {
		return c.corrupt(c.offset, reason)
	}
	raw, err := c.readPayload(c.offset+FixHeaderSize, int64(fh.length))
	if err != nil {
		return err
	}
	if len(raw) < int(fh.length) {
		return c.torn(FixHeaderSize + int64(len(raw)))
	}
	if Checksum(raw) != fh.crc {
		return c.corrupt(c.offset, "tx checksum mismatch")
	}
	rows := raw
	if fh.compressed {
		if rows, err = c.decompress(raw); err != nil {
			return c.corrupt(c.offset, "Decompression error: "+err.Error())
		}
	}
	c.blockOff = c.offset
	c.offset += FixHeaderSize + int64(fh.length)
	c.rows = rows
	return nil
}

// readPayload reads up to size bytes at off into c.raw, growing the buffer
// only as data actually arrives so that a corrupt length cannot make it
// allocate more than the file holds.
func (c *Cursor) readPayload(off, size int64) ([]byte, error) {
	const chunk = 1 << 20
	buf := c.raw[:0]
	for int64(len(buf)) < size {
		want := min(size-int64(len(buf)), chunk)
		if int64(cap(buf)-len(buf)) < want {
			grown := make([]byte, len(buf), int64(len(buf))+max(want, int64(len(buf))))
			copy(grown, buf)
			buf = grown
		}
		p := buf[len(buf) : int64(len(buf))+want]
		n, err := c.readAt(p, off+int64(len(buf)))
		if err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+n]
		if int64(n) < want {
			break
		}
	}
	c.raw = buf
	return buf, nil
}

func (c *Cursor) torn(size int64) error {
	return &TornTailError{File: c.name, Offset: c.offset, Size: size}
}

func (c *Cursor) decompress(src []byte) ([]byte, error) {
	if c.dec == nil {
		limit := c.MaxBlockSize
		if limit <= 0 {
			limit = DefaultMaxBlockSize
		}
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		c.dec = dec
	}
	out, err := c.dec.DecodeAll(src, c.plain[:0])
	if err != nil {
		return nil, err
	}
	c.plain = out
	return out, nil
}

// zeroTail reports whether the file holds only zero bytes from off to its
// end, and how many.
func (c *Cursor) zeroTail(off int64) (int64, bool, error) {
	var buf [4096]byte
	var size int64
	for {
		n, err := c.readAt(buf[:], off+size)
		if err != nil {
			return 0, false, err
		}
		if !allZero(buf[:n]) {
			return 0, false, nil
		}
		size += int64(n)
		if n < len(buf) {
			return size, true, nil
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// isPrefixOfMagic reports whether b starts like a block or the EOF marker.
func isPrefixOfMagic(b []byte) bool {
	for _, m := range [][4]byte{magicRows, magicZRows, magicEOF} {
		k := min(len(b), 4)
		if bytes.Equal(b[:k], m[:k]) {
			return true
		}
	}
	return false
}

// Resync clears a corruption error and moves to the next block magic after
// the damaged block (xlog_cursor_find_tx_magic): the force_recovery path
// that drops a damaged block and reads on. Without a pending corruption
// error it does nothing. It returns ErrNoEOFMarker if no block magic
// follows.
func (c *Cursor) Resync() error {
	if _, ok := c.err.(*CorruptionError); !ok {
		return nil
	}
	c.err = nil
	c.rows = nil
	var buf [4096]byte
	off := c.damaged + 1
	for {
		n, err := c.readAt(buf[:], off)
		if err != nil {
			return err
		}
		for i := 0; i+4 <= n; i++ {
			if m := [4]byte(buf[i : i+4]); m == magicRows || m == magicZRows {
				c.offset = off + int64(i)
				c.blockOff, c.good = c.offset, c.offset
				return nil
			}
		}
		if n < len(buf) {
			// Leave the cursor on the last bytes that could still
			// begin a magic once the file grows.
			c.offset = off + int64(max(n-3, 0))
			c.blockOff, c.good = c.offset, c.offset
			return ErrNoEOFMarker
		}
		off += int64(n - 3)
	}
}
