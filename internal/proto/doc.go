// Package proto is Spindle's IPROTO codec: the constants of Tarantool
// 2.6.0's binary protocol (iproto_constants.h), the connection greeting,
// chap-sha1 authentication, packet framing, header and request body
// decoding, and the encoders of the replies a 2.6.0 server sends.
//
// The package is pure. It reads bytes from a slice or a bufio.Reader and
// appends bytes to a slice; it never opens sockets, starts goroutines,
// reads clocks or touches box state. The iproto server, the replication
// applier and relay, and the public client all sit on top of it.
//
// Invariants:
//
//   - Decoders of external bytes never panic and never read past their
//     input. Malformed input yields a *boxerr.Error with Tarantool's code
//     and message (ER_INVALID_MSGPACK "packet header", "packet body",
//     "packet end", ER_MISSING_REQUEST_FIELD with iproto_key_strs names),
//     exactly as xrow.c/iproto.cc report it, so a client cannot tell
//     Spindle from Tarantool by its error replies.
//   - Decoded byte slices (Request.Tuple, Key, Ops, ...; a packet's body)
//     alias the input buffer. Callers that keep them past the buffer's
//     lifetime copy them.
//   - Reply encoders produce the byte layout of iproto_header_encode: the
//     0xce length prefix, a fixed three-entry header map with 0xce type,
//     0xcf sync and 0xce schema version, and 0xdd for DATA arrays. That
//     layout lets an encoder reserve the header first and patch sizes in
//     place afterwards.
//
// The compact header encoding used for replication rows and WAL rows
// (xrow_header_encode) belongs to package xrow, not here.
//
// Quirks of 2.6.0 that are reproduced on purpose, because clients and
// tests observe them:
//
//   - iproto dispatches on the low eight bits of the request type, so type
//     0x8030 is reported as "Unknown request type 48" (DecodeRequest).
//   - The DML body decoder recognizes a key only when it is written as a
//     one-byte positive fixint; {0xcc 0x10: ...} is skipped as unknown.
//   - A header key below IPROTO_KEY_MAX whose value has the wrong type
//     is an error even if the key is unused; unused keys above 0x2b only
//     accept nil.
package proto
