package xlog

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"github.com/spindledb/spindle/internal/xrow"
)

// nopType is IPROTO_NOP: the only row type written without a body.
const nopType = 12

// Options tune a Writer.
type Options struct {
	// NoCompression writes every block plain (xlog_opts.no_compression).
	NoCompression bool
}

// Writer appends blocks of rows to one .xlog/.snap file.
//
// The WAL uses it as Tarantool's wal.c uses struct xlog: WriteTxn for each
// transaction of a batch, Flush at the end of the batch, Sync per
// wal_mode, Close when rotating. A snapshot calls WriteTxn with one row at
// a time, then Close. Rows are durable only after Flush and Sync.
type Writer struct {
	f    File
	path string // with the .inprogress suffix while the file has one
	opts Options

	offset int64  // file size: end of the last complete block
	buf    []byte // FixHeaderSize reserved bytes, then the rows of the pending block
	txRows int64  // rows in buf
	rows   int64  // rows written in complete blocks

	enc  *zstd.Encoder
	zbuf []byte

	// broken is set when a failed write could not be undone; the file may
	// end in a torn block and must not get further blocks.
	broken error
	closed bool
}

// errClosed is returned by a Writer used after Close.
var errClosed = errors.New("xlog: writer is closed")

// NewWriter writes meta at the start of f (which must be empty) and
// returns a Writer appending after it. The Writer owns f from now on and
// closes it in Close.
func NewWriter(f File, meta *Meta, opts Options) (*Writer, error) {
	w := &Writer{f: f, opts: opts, buf: make([]byte, FixHeaderSize, AutocommitThreshold+AutocommitThreshold/8)}
	head := AppendMeta(nil, meta)
	if _, err := f.WriteAt(head, 0); err != nil {
		return nil, fmt.Errorf("xlog: failed to write xlog meta: %w", err)
	}
	w.offset = int64(len(head))
	return w, nil
}

// Offset returns the size of the file: meta plus complete blocks.
func (w *Writer) Offset() int64 { return w.offset }

// Rows returns the number of rows written in complete blocks.
func (w *Writer) Rows() int64 { return w.rows }

// PendingRows returns the rows buffered for the next block; a snapshot
// writer numbers its rows with Rows()+PendingRows() (checkpoint_write_row).
func (w *Writer) PendingRows() int64 { return w.txRows }

// Buffered returns the bytes of rows waiting for the next Flush.
func (w *Writer) Buffered() int { return len(w.buf) - FixHeaderSize }

// Path returns the file's path as given to Create, with .inprogress while
// the file still has that suffix; "" for a Writer made by NewWriter.
func (w *Writer) Path() string { return w.path }

func (w *Writer) usable() error {
	if w.closed {
		return errClosed
	}
	return w.broken
}

// WriteTxn buffers the rows of one transaction in the current block. A
// transaction is never split across blocks; once the block reaches
// AutocommitThreshold it is written at once. NOP rows must have no body
// and all other rows must have one, or readers would misparse the block.
// On error nothing of this transaction is buffered; a failed block write
// also drops the earlier buffered transactions of the block (the WAL rolls
// the whole batch back, as Tarantool does).
func (w *Writer) WriteTxn(rows []*xrow.Row) error {
	if err := w.usable(); err != nil {
		return err
	}
	for _, r := range rows {
		if (r.Type == nopType) != (len(r.Body) == 0) {
			return fmt.Errorf("xlog: row of type %d with %d body bytes cannot be stored", r.Type, len(r.Body))
		}
	}
	for _, r := range rows {
		w.buf = xrow.EncodeRow(w.buf, r, true)
	}
	w.txRows += int64(len(rows))
	if len(w.buf) >= AutocommitThreshold {
		return w.writeBlock()
	}
	return nil
}

// Flush writes the buffered rows as one block (xlog_flush). It does not
// sync.
func (w *Writer) Flush() error {
	if err := w.usable(); err != nil {
		return err
	}
	return w.writeBlock()
}

// writeBlock writes buf as a block, compressed if it is large enough
// (xlog_tx_write). On failure it truncates the file back to the last
// complete block so that a later block never follows a torn one.
func (w *Writer) writeBlock() error {
	if len(w.buf) == FixHeaderSize {
		return nil
	}
	block := w.buf
	if !w.opts.NoCompression && len(w.buf) >= CompressThreshold {
		if w.enc == nil {
			// Level 3 is what Tarantool uses; SpeedDefault is
			// klauspost's equivalent. No frame checksum, as
			// Tarantool's frames carry none. Each block is a frame
			// of its own, so a window beyond the largest usual
			// block finds no more matches; the default 8 MiB
			// window would keep a 16 MiB history buffer alive for
			// the life of the file.
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(3)),
				zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false),
				zstd.WithWindowSize(compressWindow), zstd.WithLowerEncoderMem(true))
			if err != nil {
				return fmt.Errorf("xlog: Compression error: %w", err)
			}
			w.enc = enc
		}
		w.zbuf = w.enc.EncodeAll(w.buf[FixHeaderSize:], append(w.zbuf[:0], make([]byte, FixHeaderSize)...))
		block = w.zbuf
		putFixHeader(block[:FixHeaderSize], true, block[FixHeaderSize:])
	} else {
		putFixHeader(block[:FixHeaderSize], false, block[FixHeaderSize:])
	}
	n, err := w.f.WriteAt(block, w.offset)
	w.buf = w.buf[:FixHeaderSize]
	txRows := w.txRows
	w.txRows = 0
	if err == nil && n != len(block) {
		err = errors.New("short write")
	}
	if err != nil {
		if terr := w.f.Truncate(w.offset); terr != nil {
			w.broken = fmt.Errorf("xlog: failed to truncate after a failed write (%v): %w", err, terr)
		}
		return fmt.Errorf("xlog: failed to write block: %w", err)
	}
	w.offset += int64(len(block))
	w.rows += txRows
	return nil
}

// Sync makes every complete block durable.
func (w *Writer) Sync() error {
	if err := w.usable(); err != nil {
		return err
	}
	return w.f.Sync()
}

// Close flushes buffered rows, appends the EOF marker, syncs and closes
// the file (xlog_close). After a failed write it only closes the file: an
// EOF marker must not follow a torn block.
func (w *Writer) Close() error {
	if w.closed {
		return errClosed
	}
	w.closed = true
	if w.enc != nil {
		defer w.enc.Close()
	}
	err := w.broken
	if err == nil {
		err = w.writeBlock()
	}
	if err == nil {
		if _, werr := w.f.WriteAt(magicEOF[:], w.offset); werr != nil {
			err = fmt.Errorf("xlog: failed to write EOF marker: %w", werr)
		} else {
			w.offset += int64(len(magicEOF))
		}
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
