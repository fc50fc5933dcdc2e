// Package server is Spindle's composition root: it wires the Lua runtime,
// the box core, the journal and the IPROTO listener into one instance and
// owns their life cycle and logging.
//
// It implements luabox.Host (what box.cfg and box.info need from the
// outside world) and iproto.Handler (what a client connection executes).
// Every request batch of a connection runs on the fiber of the goroutine
// reading it, with the tx baton held, so IPROTO requests and Lua code
// interleave only at yield points, as in Tarantool. A CALL or EVAL that
// yields hands the rest of its batch and the reading to a new fiber
// (session.go, detach), so that every request behaves as if it had a
// fiber of its own. Writes whose rows wait for the WAL are answered
// together, once durable, by one goroutine per batch.
//
// Replication (replication.go: the master side of VOTE, JOIN, SUBSCRIBE;
// applier.go: appliers, bootstrap, orphan mode, run-time reconfiguration;
// anon.go: anonymous replicas, FETCH_SNAPSHOT and REGISTER) also lives
// here, around the protocol packages relay and applier. Appliers commit
// remote transactions without waiting for the WAL and de-duplicate rows
// of a full mesh against an in-memory vclock of everything applied; one
// goroutine finishes those transactions in WAL order and wakes the
// appliers' ACK writers once rows are durable (completer.go).
//
// Persistence: persist.go opens the storage (recovery, the WAL writer,
// the journal box writes through) and makes checkpoints; checkpoint.go
// is the checkpoint daemon with 2.6's schedule and
// checkpoint_wal_threshold; gc.go collects old snapshots and xlogs and
// serves box.backup and box.info.gc(); dirlock.go locks wal_dir against
// other instances, Spindle's or Tarantool's.
//
// When the event loop has been idle for a second after a burst of work,
// the server collects garbage and returns free heap pages to the system
// (idlegc.go), so an idle instance does not keep the collector's headroom
// resident.
package server
