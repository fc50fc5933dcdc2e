// Package snapshot writes and garbage-collects checkpoints: the .snap
// files of Tarantool 2.6's memtx engine (memtx_engine.c checkpoint_f and
// gc.c).
//
// Write dumps read views of spaces into <signature>.snap.inprogress, one
// INSERT row per tuple exactly as checkpoint_write_row does - body
// {space_id, tuple}, no replica_id, group_id 1 for is_local spaces, a row
// lsn counting from 0, and the same timestamp in every row of every
// snapshot the process writes (Tarantool takes it at the first checkpoint) -
// in blocks of up to 128 KiB, then the EOF marker, fsync, the rename to
// <signature>.snap and a directory fsync. Spaces are written in ascending
// id order: system spaces (257..511) first, as Tarantool does. The caller
// leaves out temporary and non-memtx spaces. Write reads only the read
// views, so it runs in its own goroutine while the tx side goes on writing;
// it logs "saving snapshot `<path>.inprogress'" and "done" under the
// snapshot cord's name, and "0.1M rows written" every 100000 rows.
// If the snapshot of that signature already exists, Write does nothing
// (Tarantool's "touch" path).
//
// Collect keeps the newest checkpoint_count snapshots, deletes older ones
// and leftover .inprogress files ("removed <path>"), and returns the vclock
// below which the WAL may drop xlogs: the oldest kept checkpoint, lowered
// (ignoring component 0) by every consumer the caller names - replication
// relays and backups hold files back that way (gc_run_cleanup).
//
// The package never modifies spaces, never writes a file other than the
// one snapshot and never leaves a .snap that lacks its EOF marker: a failed
// or cancelled Write removes its .inprogress file.
package snapshot
