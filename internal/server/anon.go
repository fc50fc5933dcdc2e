package server

import (
	"bufio"
	"time"

	"github.com/spindledb/spindle/internal/applier"
	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// This file is anonymous replication: an instance with replication_anon
// bootstraps by FETCH_SNAPSHOT, is never in _cluster (its id is 0) and
// subscribes as anonymous; box.cfg{replication_anon = false} registers it
// (REGISTER) and it follows as a normal replica from then on. The master
// side of FETCH_SNAPSHOT is in replication.go, REGISTER's below.

// setAnon is box.cfg{replication_anon = anon} at run time
// (box_set_replication_anon). f holds the baton.
func (s *Server) setAnon(cfg map[string]any, anon bool, f *fiber.Fiber) error {
	switch {
	case anon == s.anon:
		return nil
	case anon && !s.readOnly:
		return errAnonNotRO
	case anon:
		return boxerr.New(boxerr.ER_CFG, "replication_anon", "cannot be turned on after bootstrap has finished")
	}
	if err := s.register(f); err != nil {
		return err
	}
	s.anon = false
	// Every applier subscribes again, now as a normal replica.
	return s.setReplication(cfg, f, true)
}

// register turns this anonymous replica into a normal one: REGISTER on a
// connection of its own to the first source its appliers follow (the
// master; 2.6 takes replicaset_leader), applying the registration rows it
// sends back. f holds the baton.
func (s *Server) register(f *fiber.Fiber) error {
	var master *upstream
	for _, up := range s.upstreamList() {
		if up.a.IsFollowing() {
			master = up
			break
		}
	}
	if master == nil {
		return boxerr.New(boxerr.ER_CANNOT_REGISTER)
	}
	local := s.st.wal.VClock()
	timeout := master.a.Timeout() * 4
	var err error
	f.Block(func() { err = s.registerOn(master, &local, timeout) })
	if err != nil {
		return err
	}
	id := s.Box.InstanceID()
	if id == 0 {
		return boxerr.New(boxerr.ER_CANNOT_REGISTER)
	}
	s.st.wal.SetInstanceID(vclock.ReplicaID(id))
	s.Log.Logf(f.Who(), say.Info, "registered as replica %d of %s", id, master.a.URI().Text)
	return nil
}

// registerOn runs the REGISTER exchange with up's master, without the
// baton; the rows are applied as the applier's transactions are.
func (s *Server) registerOn(up *upstream, local *vclock.VClock, timeout time.Duration) error {
	c, err := applier.Dial(up.a.URI(), timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadTimeout(timeout)
	if up.a.URI().Login != "" {
		if err := c.Auth(); err != nil {
			return err
		}
	}
	if err := c.Register(s.uuid, local); err != nil {
		return err
	}
	// The registration's rows need no ACK: the appliers acknowledge
	// once they subscribe again.
	written := func() {}
	stage := applier.FinalJoin
	var tx []*xrow.Row
	for stage != applier.Joined {
		row := new(xrow.Row)
		var data bool
		stage, data, _, err = c.NextJoinRow(stage, row)
		if err != nil {
			return err
		}
		if !data {
			continue
		}
		if row.Type == proto.Confirm || row.Type == proto.Rollback {
			continue
		}
		tx = append(tx, row)
		if !row.IsCommit {
			continue
		}
		if err := up.ApplyTx(tx, written); err != nil {
			return err
		}
		tx = nil
	}
	return nil
}

// register checks a REGISTER (box_process_register) under the baton
// and hands the connection to registerStream.
func (cs *session) register(sync uint64, req *proto.Request, out []byte) []byte {
	s := cs.s
	uuid := req.InstanceUUID
	if err := cs.checkReplication(cs.sess, uuid); err != nil {
		return cs.fail(out, sync, err)
	}
	if s.replicaID(uuid) != 0 {
		return cs.fail(out, sync, boxerr.New(boxerr.ER_REPLICA_NOT_ANON, uuid))
	}
	if s.Box.ReadOnly() {
		return cs.fail(out, sync, boxerr.New(boxerr.ER_READONLY))
	}
	if err := s.Box.CheckAccess(cs.sess, "space", clusterSpaceID, box.AccessWrite); err != nil {
		return cs.fail(out, sync, err)
	}
	if s.walOff() {
		return cs.fail(out, sync, errWALOff)
	}
	cs.handoff = func(br *bufio.Reader) error { return cs.registerStream(sync, uuid) }
	return out
}

// registerStream registers the replica in _cluster and sends it the rows
// written meanwhile (its registration), then the master's vclock.
func (cs *session) registerStream(sync uint64, uuid string) error {
	s, f, st := cs.s, cs.f, cs.s.st
	f.Acquire()
	s.Log.Logf(f.Who(), say.Info, "registering replica %s at %s", uuid, socketName(cs.conn))
	start := st.wal.VClock()
	// As 2.6's gc consumer of a registering replica: the WAL from here
	// on is kept for it (until its relay moves the mark on).
	s.repl.setConsumer(uuid, start)
	err := s.registerReplica(uuid)
	stop := st.wal.VClock()
	f.Release()
	if err != nil {
		return cs.replicationFailed(sync, err)
	}
	if err := cs.sendFinalData(sync, start, stop); err != nil {
		return err
	}
	s.repl.setConsumer(uuid, stop)
	return nil
}
