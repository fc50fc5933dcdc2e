// Package box is Spindle's transactional core, the counterpart of
// Tarantool 2.6.0's src/box (schema, alter, txn, user, sysview, box.cc's
// request processing), written over internal/memtx.
//
// What it owns:
//   - the catalog: spaces, indexes, users and roles, privileges, functions,
//     the replica set registry, all built from the tuples of the system
//     spaces (_space, _index, _user, _priv, _func, _cluster, _schema ...).
//     DDL is DML on those spaces: triggers on them (ddl_*.go) turn every
//     committed change of a system tuple into a catalog change;
//   - the initial contents of the system spaces (bootstrap.mp, generated
//     from a real Tarantool 2.6.0 by bootstrapgen/dump.lua);
//   - DML execution (Execute, Select) with 2.6's privilege checks,
//     read-only mode, before_replace/on_replace triggers and the WAL row of
//     every statement ("rows are requests": UPDATE keeps key and ops);
//   - sequences (sequence.go): _sequence, _sequence_data and
//     _space_sequence, the sequence cache with 2.6's int64 arithmetic,
//     next/current/set/reset with their access checks, and the filling of
//     a nil primary-key field on INSERT/REPLACE. Unlike everything else,
//     a sequence value handed out is not taken back by a rollback (2.6's
//     rule), and snapshots read _sequence_data from the cache;
//   - transactions: an undo log that restores every index and the catalog
//     exactly on rollback, one Journal write per transaction; autocommit
//     statements and remote transactions can commit without waiting for
//     an AsyncJournal (ExecuteAsync, ApplyTxAsync: a PendingCommit is
//     completed once the rows are durable); a transaction whose fiber
//     yields after its first statement is rolled back (AbortByYield, 2.6's
//     memtx rule);
//   - remote transactions (apply.go): ApplyTx/ApplyTxAsync apply the rows
//     of one transaction from a master as one box transaction keeping
//     their origin headers; conflicts carry the key and both tuples; with
//     skip-conflict a duplicate becomes a NOP row;
//   - snapshot rows of user spaces go straight into the indexes from arena
//     blocks (ApplySnapshotRow, memtx.Arena, Space.Load);
//   - chap-sha1 authentication against _user.
//
// Invariants:
//   - Box is pure: no I/O, no goroutines, no clock (time arrives through
//     Options.Now), no locks. Every method is called with the tx baton held
//     (a PendingCommit's Finish after a successful write that changed no
//     catalog touches only its own transaction and may run without it).
//   - A failed statement leaves no trace: its undo entries are replayed
//     before the error is returned. A failed transaction leaves no trace.
//   - The in-memory catalog always equals what the system spaces say: a
//     catalog change is made by the trigger of the statement that changed
//     the system tuple and is undone by that statement's undo entry.
//   - Rows go to the Journal only from Commit, all rows of one transaction
//     in one call; rows of temporary spaces are never logged.
//
// What it must never do: import wal, iproto or the Lua layer; panic on
// bad input (every error is a *boxerr.Error with Tarantool's code and
// message); write rows to the Journal while bootstrapping or recovering.
package box

//go:generate tarantool bootstrapgen/dump.lua bootstrap.mp
