// Package xrow is the row codec shared by the WAL (.xlog/.snap rows), the
// replication stream (JOIN/SUBSCRIBE rows) and appliers: Tarantool 2.6.0's
// xrow_header_encode/xrow_header_decode and the DML body layout of
// xrow_encode_dml/xrow_decode_dml.
//
// A row is <header map><body map>, the body absent for NOP rows and
// heartbeats. The header is compact: only non-zero fields, in this order
//
//	0x00 type, 0x01 sync, 0x02 replica_id, 0x07 group_id, 0x03 lsn,
//	0x04 timestamp (always a 0xcb double), 0x08 tsn, 0x09 flags
//
// with integers in their smallest encoding and no schema_version. Sync is
// never written to files. TSN is delta-encoded as lsn - tsn (as a uint64, so
// a local row inside a global transaction wraps around) and omitted for a
// one-row transaction; only the last row of a multi-row transaction carries
// FLAGS = 0x01 (commit). Row.TSN is always absolute: decoding restores
// tsn = lsn - delta, and a row without a TSN key decodes as TSN = LSN,
// IsCommit = true.
//
// Decoders follow Tarantool's acceptance rules (header keys >= 0x53 and
// values of the wrong MessagePack type are ER_INVALID_MSGPACK "packet
// header"; unknown keys below that are skipped) and additionally reject
// values that would not fit Row's fields, so a decoded Row never carries a
// silently truncated value. Bad input is a boxerr error, never a panic.
// Decoded Body slices alias the input buffer.
//
// The package is pure: no I/O, no clock. It must never allocate per row on
// the encode path beyond growing the caller's buffer.
package xrow
