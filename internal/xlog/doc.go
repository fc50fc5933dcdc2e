// Package xlog reads and writes Tarantool 2.6.0's .xlog (write-ahead log)
// and .snap (snapshot) files byte-compatibly, so Spindle and Tarantool can
// read each other's data directories.
//
// # File layout
//
// A file is a text meta header followed by blocks and, once the file is
// closed, an EOF marker:
//
//	XLOG\n                          file type: XLOG or SNAP (VYLOG for vinyl)
//	0.13\n                          format version (0.12 is read, with "Server:")
//	Version: 2.6.0-0-g47aa4e01e\n   writer version, ignored by readers
//	Instance: <uuid>\n              instance that wrote the file
//	VClock: {0: 1, 1: 26}\n         xlog: vclock before its first row; snap: checkpoint vclock
//	PrevVClock: {}\n                xlog only: VClock of the previous xlog (absent for the first)
//	\n                              an empty line ends the meta
//	<block>...
//	d5 10 ad ed                     EOF marker, written on close
//
// A block is a 19-byte fixheader and a payload:
//
//	+-------------+-------------+---------+-------------+----------------------+
//	| magic (4)   | mp uint len | mp uint | mp uint     | padding: fixstr 0xa0|n|
//	| d5 ba 0b ab |  of payload | prev=0  | crc32c      | then n zero bytes     |
//	+-------------+-------------+---------+-------------+----------------------+
//	| payload: len bytes of rows, or of one zstd frame of rows (magic ..0b ba) |
//	+--------------------------------------------------------------------------+
//
// Rows are xrow-encoded (header map, body map; NOP rows have no body) and
// carry no length prefix. The checksum is CRC-32C (Castagnoli) with initial
// value 0 and no final XOR - not the standard CRC-32C - over the payload as
// stored. A block is zstd-compressed (level 3) when the fixheader plus rows
// reach 2048 bytes. A writer buffers whole transactions into the current
// block, writes it at the end of every WAL batch (Flush) and, between
// transactions, as soon as it reaches 128 KiB; a transaction is never split
// across blocks, but a block may hold many transactions.
//
// Files are named %020d of the vclock signature plus .xlog/.snap and are
// created with an .inprogress suffix: an xlog is renamed as soon as its
// meta is written, a snapshot when it is complete (see Create and Commit).
//
// # Errors
//
// Readers distinguish three ways a file can end badly, each a typed error
// carrying a file offset:
//
//   - *TornTailError (IsTornTail): the file ends inside a block, or in a
//     tail of zero bytes. This is what a crash during a write leaves behind;
//     everything before Offset is intact and recovery may truncate there.
//   - *CorruptionError (IsCorruption): a complete block fails its checks
//     (magic, fixheader, checksum, zstd frame, row encoding), or data
//     follows the EOF marker. Messages are Tarantool's.
//   - ErrNoEOFMarker: the file ends cleanly between blocks without an EOF
//     marker - the normal state of the WAL being written.
//
// A Cursor reads through io.ReaderAt, so after ErrNoEOFMarker or a torn
// tail a later Next resumes at the same place and sees data appended since:
// relays follow the active xlog that way.
//
// # Rules
//
// The package touches files only through the FS, File and io.ReaderAt
// interfaces its callers pass in; it never opens paths itself, reads no
// clock and starts no goroutines. A Writer is not safe for concurrent use;
// the WAL writer owns it. A failed block write truncates the file back to
// the last complete block (or, if that fails too, makes the Writer refuse
// further writes): a torn block is never followed by good ones.
package xlog
