// Package relay is the master side of Tarantool 2.6 replication: what a
// master sends a replica on VOTE, JOIN and SUBSCRIBE (relay.cc and the
// replication half of box.cc).
//
// What it owns:
//   - the wire shapes of the master's replication packets: the VOTE
//     ballot, the {VCLOCK} markers of JOIN, the SUBSCRIBE reply, initial
//     JOIN rows, heartbeats, and the decoding of the replica's ACKs
//     (ballot.go, packets.go);
//   - the row filter of relay_send_row (filter.go): which WAL rows a
//     subscriber gets, which become NOPs and which are dropped;
//   - the WAL reader (reader.go): rows of the .xlog files of a directory
//     from a vclock on, following the file the WAL writer is still
//     appending to, with Tarantool's XlogGapError when files are missing;
//   - the stream loops (relay.go): the final stage of JOIN and the
//     SUBSCRIBE relay with heartbeats, ACK tracking and the
//     4 x replication_timeout disconnect rule.
//
// What it needs from its caller (interfaces it owns, wired by server):
//   - WAL (relay.go): Watch, a coalescing notification after every batch
//     written and every new file, and VClock, the vclock of the rows
//     durable so far. The reader never hands out a row the WAL has not
//     reported durable, so a batch whose fsync fails is never relayed.
//   - Conn (relay.go): the replica's socket after the IPROTO session has
//     given it up: Send (ordered, goroutine-safe), Read for ACKs and
//     SetReadDeadline.
//   - The caller does everything that needs the tx baton (access checks,
//     read views, registering the replica in _cluster) and passes plain
//     values in: the package never touches box, fibers or Lua.
//
// Invariants:
//   - Rows are streamed in WAL order with their original replica_id, lsn,
//     timestamp, tsn and flags; only sync is replaced by the request's.
//   - A row whose lsn is not above the reader's vclock for its replica_id
//     is never sent twice: the reader follows its vclock per row.
//   - Every packet of one stream carries the sync of the request that
//     opened it.
//
// What it must never do: touch files other than through vfs; write into
// the WAL directory; block the tx baton (it has none); send a row beyond
// the WAL's durable vclock.
package relay
