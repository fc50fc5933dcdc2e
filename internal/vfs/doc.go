// Package vfs is the only place in Spindle that touches files. Everything
// that persists data (the WAL, snapshots, recovery) goes through its FS
// interface, so tests can swap the operating system for MemFS: an
// in-memory file system that remembers which bytes and which directory
// entries were made durable, can simulate a crash (Crash keeps only those)
// and can inject faults (the Nth write or fsync fails, short writes).
//
// FS is a superset of xlog.FS, so an FS is passed to xlog.Create, Commit and
// Open as is; File and ReadFile are xlog's interfaces (vfs imports xlog
// only for those two types, never for behaviour).
//
// # Durability model (what MemFS promises and what the OS promises)
//
//   - File data is durable only after File.Sync (fsync) or Truncate (which
//     syncs the file on return).
//   - A directory entry - a Create, Rename or Remove - is durable only after
//     SyncDir of its directory. A file whose data was synced but whose
//     creation was not is lost in a crash; a rename that was not synced is
//     undone by a crash.
//   - MkdirAll is durable at once (both implementations create directories
//     only at start-up, before any data is written).
//
// Paths are slash-separated. MemFS cleans them (path.Clean), so "./a" and
// "a" name the same file.
//
// The package must never interpret file contents, start goroutines or keep
// global state; MemFS is safe for concurrent use, OS relies on the kernel.
package vfs
