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
//     4 x replication_timeout, transaction assembly (rows of one tsn,
//     ER_PROTOCOL "interleaving transactions" otherwise), lag/idle, and a
//     writer goroutine that sends coalesced ACKs after applied
//     transactions and heartbeats and switches sync -> follow.
//
// What it needs from its consumer (interface Replica, wired by server):
// the instance uuid, what SUBSCRIBE sends (replica set uuid, local
// vclock, own id), ApplyTx for one transaction's rows (the consumer takes
// the tx baton, skips rows already in its vclock, writes the rest to its
// WAL with their origin replica_id/lsn), the local vclock for ACKs, and
// OnFollow. A bootstrap takes a ready connection with Take, runs JOIN on
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
//
// What it must never do: touch box, fibers, Lua or files (the consumer
// does); send ACKs outside sync/follow; panic on bytes from the network
// (decoders return ER_INVALID_MSGPACK / ER_PROTOCOL).
package applier
