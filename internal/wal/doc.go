// Package wal is Spindle's write-ahead log writer, the counterpart of
// Tarantool 2.6's wal.c: a writer goroutine writes every committed
// transaction into the current .xlog file in commit order, and a waiter
// that finds it idle may write its own batch in its place.
//
// # Protocol
//
//  1. The tx side calls Submit with the rows of one transaction, in commit
//     order, while holding the tx baton. Submit never blocks on I/O: it
//     assigns LSNs, TSNs and the commit flag to local rows exactly as
//     wal_assign_lsn does (rows of GroupID 1 advance vclock[0] and keep
//     ReplicaID 0; other local rows get the instance id set by
//     SetInstanceID; rows that already carry an origin ReplicaID/LSN keep
//     them and the vclock follows them) and queues the entry.
//  2. The tx side releases the baton and calls Entry.Wait.
//  3. The writer goroutine takes everything queued and writes it as one
//     batch (group commit): one xlog block per batch unless the batch
//     exceeds 128 KiB, one fsync per batch in fsync mode. Every row of a
//     batch gets the same timestamp, taken when the batch is written.
//  4. Wait returns nil once the entry is written (mode write) or written
//     and fsynced (mode fsync). In mode none nothing is written, LSNs still
//     advance and Wait returns at once.
//
// SubmitDeferred is for a caller that will call Wait. In fsync mode, a
// deferred entry submitted while no other entry is in flight does not
// wake the writer goroutine: its waiter, when it calls Wait and nobody is
// writing, takes the queue and writes and fsyncs it itself. A lone
// transaction is then written and acknowledged on one goroutine, without
// the two goroutine hand-offs (to the writer and back) that cost a single
// client about a tenth of its fsync-mode throughput. Whoever writes, the
// file has one owner at a time (the writing flag), and an owner that
// finishes with entries queued wakes the writer goroutine, so concurrent
// transactions are still committed in groups by the writer goroutine.
//
// # Failures: cascading rollback
//
// If any write, flush or fsync of a batch fails, the whole batch fails and
// so does every entry queued after it (they may have seen the failed
// transactions' changes): Wait returns ER_WAL_IO ("Failed to write to
// disk") and the system error is logged. The file is truncated back to
// where the batch started and abandoned; the next batch starts a new file,
// and the LSNs of the failed entries are handed out again. Until the
// cascade is over, Submit refuses new entries ("Aborting transaction N
// during cascading rollback") and Rotate refuses to start a checkpoint
// (ER_CHECKPOINT_ROLLBACK). The failed entries are woken newest first, one
// at a time: the caller must roll its transaction back in memory and call
// Entry.Release while still holding the tx baton; Release wakes the
// next-older failed entry, and the last Release ends the cascade. This
// gives Tarantool's strict reverse-order rollback. If even the truncation
// fails, the file can no longer be trusted and the writer stops for good:
// every later entry fails (fail-stop, never silent loss).
//
// # Files
//
// An xlog is named by the vclock signature before its first row and
// carries the previous xlog's vclock as PrevVClock. A new file is started
// lazily, at the first batch after Open, after Rotate (checkpoint) and
// when the current file has reached MaxSize (wal_max_size); rotation is
// silent, as in Tarantool 2.6. On Open, an existing file named by the
// current signature (the empty xlog Tarantool and Spindle leave on
// shutdown) is replaced by a fresh one; if it holds rows it is renamed to
// .corrupted ("renaming corrupted ..."), as wal_open does. Close leaves such
// an empty xlog behind so that the next start finds its vclock without
// scanning rows.
//
// The bytes of rows written since the last checkpoint are counted
// (checkpoint_wal_size): when they exceed CheckpointThreshold
// (checkpoint_wal_threshold), OnCheckpointThreshold is called once, and
// CommitCheckpoint, after the checkpoint begun by Rotate, subtracts what
// was written before that Rotate and re-arms it.
//
// CollectGarbage deletes xlogs whose rows are all older than a vclock
// (wal_collect_garbage): the caller computes that vclock as the oldest
// checkpoint kept, lowered by every consumer (relay, backup) still
// reading - see snapshot.Collect - so replication holds files back by
// passing its consumers' vclocks there.
//
// # Must never
//
// Touch files other than through vfs; acknowledge an entry before its rows
// are written per mode; write an entry after a failed one without the
// cascade in between; read or modify rows after completing their entry
// (they belong to the caller again).
package wal
