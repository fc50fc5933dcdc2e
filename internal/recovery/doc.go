// Package recovery rebuilds an instance's state at start-up from its data
// directories, as Tarantool 2.6's local_recovery (box.cc), memtx's
// snapshot recovery and recovery.cc do.
//
// Open finds the newest .snap in the memtx dir, checks its meta (type,
// signature, and the instance UUID when box.cfg gives one:
// ER_INSTANCE_UUID_MISMATCH), indexes the xlogs of the WAL dir and computes
// the vclock recovery will end at by reading the last xlog (recovery_scan),
// so the caller can log "instance uuid ..." and "instance vclock ..." first.
// Run then:
//
//  1. logs "recovery start" and "recovering from `<snap>'", feeds every
//     snapshot row (INSERT only, ER_UNKNOWN_REQUEST_TYPE otherwise) to
//     Consumer.ApplySnapshotRow, and refuses a snapshot without an EOF
//     marker ("snapshot `...' has no EOF marker");
//  2. replays the xlogs from the one holding the snapshot's vclock on, in
//     signature order ("recover from `<xlog>'" ... "done `<xlog>'"),
//     skipping rows the vclock already covers and passing the others to
//     Consumer.ApplyRow;
//  3. returns the final vclock and instance UUID; wal.Open continues from
//     there (it starts a new xlog, replacing an empty one left by a clean
//     shutdown).
//
// Damage is handled as Tarantool does: a file that ends without an EOF
// marker or inside a block logs "file `...` wasn't correctly closed" and
// recovery goes on with the next file; a torn last block of the last xlog
// is additionally cut off (Tarantool leaves it; Spindle truncates to the
// last good block so relays reading the file never meet it). A corrupted
// block, a missing xlog between the snapshot and the next file or between
// two files (XlogGapError "Missing .xlog file between LSN ..."), and a row
// the consumer refuses stop recovery with an error naming the file and
// offset - unless ForceRecovery is set, which logs the error and skips the
// damaged block (to the next block magic), the gap or the row.
//
// The package reads files only through vfs, changes nothing but a torn
// tail, and never applies a row twice or out of vclock order.
package recovery
