// Package applier is the replica side of Tarantool 2.6 replication
// (applier.cc and the replica half of box.cc's bootstrap): the protocol
// client that connects to a master, and the loop that follows it.
//
// What it owns:
//   - conn.go: a connection to a master — greeting, VOTE (ballot
//     decoding), AUTH (chap-sha1), JOIN (start vclock, initial rows, stop
//     vclock, final rows, last OK: NextJoinRow), SUBSCRIBE (request body
//     and reply decoding), reading rows (error replies become the
//     master's boxerr error) and ACKs {0x26: vclock} without sync;
//     ParseURI for box.cfg.replication sources.
//   - applier.go: the Applier state machine (connect, connected, auth,
//     ready, sync, follow, disconnected, stopped) with reconnects every
//     replication_timeout, the 2.6 log lines ("remote master ... running
//     Tarantool 2.6.0", "authenticated", "subscribed", "can't connect to
//     master", "will retry every 1.00 second" ...), the read timeout of
//     4 x replication_timeout, transaction assembly (rows of one tsn;
//     ER_UNSUPPORTED "replication does not support interleaving
//     transactions" otherwise, ER_PROTOCOL for a first row whose tsn is
//     not its lsn), lag/idle, and a writer goroutine that sends coalesced
//     ACKs after applied transactions and heartbeats and switches
//     sync -> follow.
//
// Errors: as in 2.6, ER_LOADING, ER_CFG, ER_ACCESS_DENIED,
// ER_NO_SUCH_USER, ER_PASSWORD_MISMATCH, ER_SYSTEM and network errors
// make the applier reconnect every replication_timeout; every other error
// stops it for good (status "stopped", upstream.message): a conflict
// (ER_TUPLE_FOUND from ApplyTx), a foreign replica set
// (ER_REPLICASET_UUID_MISMATCH, "expected" being the master's uuid). Only
// a new box.cfg.replication starts a stopped source again (the server
// makes a new Applier). Unlike 2.6, which says "will retry" but stops on
// ER_UNKNOWN_REPLICA, Spindle really retries it (a full-mesh peer may not
// have received the _cluster row of a new member yet), and also retries
// ER_TIMEOUT, ER_INVALID_MSGPACK, ER_UNKNOWN_REQUEST_TYPE and ER_PROTOCOL.
//
// Spindle extensions in box.info.replication[n].upstream (set by the
// server): "skipped", the number of rows replication_skip_conflict turned
// into NOPs, present once it is not zero; and a conflict message that
// goes on after 2.6's "Duplicate key exists in unique index 'i' in space
// 's'" with ": key [..], existing tuple [..], incoming tuple [..]".
//
// What it needs from its consumer (interface Replica, wired by server):
// the instance uuid, what SUBSCRIBE sends (replica set uuid, local
// vclock, own id), ApplyTx for one transaction's rows (the consumer takes
// the tx baton, skips rows already applied, applies the rest as one box
// transaction with one WAL write, keeping their origin replica_id/lsn,
// all or nothing; it may return before the write is durable and report a
// failed write at a later call), the durable local vclock for ACKs, and
// OnFollow (called from the writer goroutine). A bootstrap takes a ready
// connection with Take, runs JOIN on
// it itself (so the rows are applied where the consumer wants) and gives
// it back with Resume; SUBSCRIBE then goes on on the same socket.
//
// Invariants:
//   - Only one goroutine reads a Conn; ACKs are written by the writer
//     goroutine while the reader reads.
//   - Nothing is applied before the SUBSCRIBE reply's replica set uuid
//     has been checked against the local one.
//   - Rows are handed to ApplyTx only as whole transactions, in stream
//     order.
//   - Stop returns only after both goroutines (reader and writer) have
//     ended: no Replica method is called after it.
//
// What it must never do: touch box, fibers, Lua or files (the consumer
// does); send ACKs outside sync/follow; panic on bytes from the network
// (decoders return ER_INVALID_MSGPACK / ER_PROTOCOL).
package applier
