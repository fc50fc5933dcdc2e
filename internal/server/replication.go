package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/iproto"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/relay"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/snapshot"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/wal"
)

// This file is the master side of replication: VOTE, JOIN and SUBSCRIBE
// as box.cc answers them, with the streams themselves in package relay.
//
// A JOIN or SUBSCRIBE that passes its checks (made under the baton, in
// the session's dispatch) hands the connection over: the session stops
// serving it through iproto and a goroutine of its own (runReplication)
// owns the socket, taking the baton through the session's fiber only for
// the steps that touch box. After JOIN the same connection goes on with
// SUBSCRIBE (or any other request); SUBSCRIBE ends the connection when
// its relay stops.

// replication is the registry of downstream relays and WAL consumers.
// Its methods are safe for concurrent use.
type replication struct {
	// timeout is replication_timeout in nanoseconds; 0 means the default.
	timeout atomic.Int64

	mu sync.Mutex
	// downstreams by replica uuid; an entry stays after its relay
	// stopped, to report the error in box.info.
	downstreams map[string]*downstream
	// consumers are the vclocks up to which replicas have the WAL, by
	// replica uuid (gc_consumer): checkpoints do not collect the xlogs
	// after them. They live until restart, as in Tarantool.
	consumers map[string]vclock.VClock
}

// downstream is one relay's status as box.info shows it.
type downstream struct {
	relay *relay.Relay // set while following
	err   *boxerr.Error
}

// configure takes the replication options from box.cfg.
func (r *replication) configure(cfg map[string]any) {
	if v, ok := cfg["replication_timeout"].(float64); ok && v > 0 {
		r.timeout.Store(int64(v * float64(time.Second)))
	}
}

// replicationTimeout is replication_timeout (default 1 s).
func (r *replication) replicationTimeout() time.Duration {
	if t := r.timeout.Load(); t > 0 {
		return time.Duration(t)
	}
	return time.Second
}

func (r *replication) setConsumer(uuid string, v vclock.VClock) {
	r.mu.Lock()
	if r.consumers == nil {
		r.consumers = make(map[string]vclock.VClock)
	}
	r.consumers[uuid] = v
	r.mu.Unlock()
}

func (r *replication) hasConsumer(uuid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.consumers[uuid]
	return ok
}

// consumerMap returns a copy of the replicas' vclocks by UUID.
func (r *replication) consumerMap() map[string]vclock.VClock {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]vclock.VClock, len(r.consumers))
	for uuid, v := range r.consumers {
		out[uuid] = v
	}
	return out
}

// walConsumers returns the vclocks checkpoint garbage collection must
// keep xlogs for (snapshot.CollectOptions.Consumers).
func (r *replication) walConsumers() []vclock.VClock {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]vclock.VClock, 0, len(r.consumers))
	for _, v := range r.consumers {
		out = append(out, v)
	}
	return out
}

// startFollowing marks uuid as followed; false if a relay already
// follows it (2.6 refuses a second one).
func (r *replication) startFollowing(uuid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.downstreams == nil {
		r.downstreams = make(map[string]*downstream)
	}
	if d := r.downstreams[uuid]; d != nil && d.err == nil {
		return false
	}
	r.downstreams[uuid] = &downstream{}
	return true
}

func (r *replication) setRelay(uuid string, rl *relay.Relay) {
	r.mu.Lock()
	if d := r.downstreams[uuid]; d != nil {
		d.relay = rl
	}
	r.mu.Unlock()
}

// stopFollowing records why the relay of uuid ended.
func (r *replication) stopFollowing(uuid string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.downstreams[uuid]
	if d == nil {
		return
	}
	d.relay = nil
	d.err = boxerr.From(err)
	if d.err == nil {
		d.err = boxerr.System("relay stopped")
	}
}

// downstreamInfo is box.info.replication[id].downstream, nil if no relay
// ever served uuid.
func (r *replication) downstreamInfo(uuid string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.downstreams[uuid]
	if d == nil {
		return nil
	}
	if d.err != nil {
		return map[string]any{"status": "stopped", "message": d.err.Message}
	}
	info := map[string]any{"status": "follow", "idle": 0.0, "vclock": map[uint32]int64{}}
	if d.relay != nil {
		acked, idle := d.relay.Status()
		vc := map[uint32]int64{}
		acked.Each(func(id vclock.ReplicaID, lsn vclock.LSN) {
			if id != 0 {
				vc[uint32(id)] = int64(lsn)
			}
		})
		info["idle"] = idle.Seconds()
		info["vclock"] = vc
	}
	return info
}

// replicationInfo builds box.info.replication: one entry per registered
// instance, with the downstream of a connected replica. Under the baton.
func (s *Server) replicationInfo(vc vclock.VClock) []map[string]any {
	if s.Box == nil {
		return nil
	}
	self := s.Box.InstanceID()
	var out []map[string]any
	for id, uuid := range s.Box.Replicas() {
		e := map[string]any{"id": id, "uuid": uuid, "lsn": int64(vc.Get(vclock.ReplicaID(id)))}
		if id != self {
			if u := s.upstreamInfo(uuid); u != nil {
				e["upstream"] = u
			}
			if d := s.repl.downstreamInfo(uuid); d != nil {
				e["downstream"] = d
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["id"].(uint32) < out[j]["id"].(uint32) })
	return out
}

// replicationAnonInfo builds box.info.replication_anon(): the anonymous
// replicas following this instance now (2.6 forgets one when its relay
// stops). Under the baton.
func (s *Server) replicationAnonInfo() []map[string]any {
	if s.Box == nil {
		return nil
	}
	s.repl.mu.Lock()
	var uuids []string
	for uuid, d := range s.repl.downstreams {
		if d.relay != nil && d.err == nil {
			uuids = append(uuids, uuid)
		}
	}
	s.repl.mu.Unlock()
	sort.Strings(uuids)
	var out []map[string]any
	for _, uuid := range uuids {
		if s.replicaID(uuid) != 0 {
			continue
		}
		e := map[string]any{"id": uint32(0), "uuid": uuid, "lsn": int64(0)}
		if d := s.repl.downstreamInfo(uuid); d != nil {
			e["downstream"] = d
		}
		out = append(out, e)
	}
	return out
}

// gcVClock is the ballot's gc_vclock: the oldest checkpoint's vclock
// lowered by the WAL consumers, as gc.vclock is.
func (s *Server) gcVClock() vclock.VClock {
	if s.st == nil {
		return vclock.VClock{}
	}
	cps, _ := snapshot.List(s.st.fs, s.st.memtxDir)
	return snapshot.GCVClock(cps, s.repl.walConsumers())
}

// vote answers VOTE and VOTE_DEPRECATED; it works before box.cfg is done.
func (cs *session) vote(typ uint32, sync uint64, out []byte) []byte {
	s := cs.s
	var vc vclock.VClock
	if s.st != nil && s.st.wal != nil {
		vc = s.st.wal.VClock()
	}
	if typ == proto.VoteDeprecated {
		return proto.AppendOK(out, sync, cs.schemaVersion(), relay.AppendVClockBody(nil, &vc))
	}
	b := relay.Ballot{
		IsRO:      s.readOnly,
		IsLoading: s.Box == nil || s.readOnly,
		VClock:    vc,
	}
	if s.Box != nil {
		b.GCVClock = s.gcVClock()
	}
	return proto.AppendOK(out, sync, cs.schemaVersion(), relay.AppendBallotBody(nil, &b))
}

// handoff is a step of replication that owns the connection; it reads
// through br. A nil error lets the connection go on with requests.
type handoff func(br *bufio.Reader) error

// checkReplication is the part of the JOIN and SUBSCRIBE checks shared
// by both: not self, read access to universe.
func (cs *session) checkReplication(sess *box.Session, uuid string) error {
	if uuid == cs.s.uuid {
		return boxerr.New(boxerr.ER_CONNECTION_TO_SELF)
	}
	return cs.s.Box.CheckAccess(sess, "universe", 0, box.AccessRead)
}

func (s *Server) walOff() bool {
	return s.st == nil || s.st.wal == nil || s.st.wal.Mode() == wal.ModeNone
}

var errWALOff = boxerr.New(boxerr.ER_UNSUPPORTED, "Replication", "wal_mode = 'none'")

// replicaID returns the _cluster id of uuid, 0 if not registered.
func (s *Server) replicaID(uuid string) uint32 {
	for id, u := range s.Box.Replicas() {
		if u == uuid {
			return id
		}
	}
	return 0
}

// join checks a JOIN (box_process_join) under the baton and hands the
// connection to the join stream.
func (cs *session) join(sync uint64, req *proto.Request, out []byte) []byte {
	s := cs.s
	uuid := req.InstanceUUID
	if err := cs.checkReplication(cs.sess, uuid); err != nil {
		return cs.fail(out, sync, err)
	}
	if s.replicaID(uuid) == 0 {
		if s.Box.ReadOnly() {
			return cs.fail(out, sync, boxerr.New(boxerr.ER_READONLY))
		}
		if err := s.Box.CheckAccess(cs.sess, "space", 320, box.AccessWrite); err != nil {
			return cs.fail(out, sync, err)
		}
	}
	if s.walOff() {
		return cs.fail(out, sync, errWALOff)
	}
	cs.handoff = func(br *bufio.Reader) error { return cs.joinStream(sync, uuid) }
	return out
}

// sendError writes an error packet, as tx_process_replication does when
// a replication request fails after its checks.
func (cs *session) sendError(sync uint64, err error) {
	cs.conn.Send(proto.AppendError(nil, sync, cs.schemaVersion(), replicationError(err)))
}

func replicationError(err error) *boxerr.Error {
	var gap *relay.GapError
	if errors.As(err, &gap) {
		return boxerr.From(storageError(err))
	}
	return boxerr.From(err)
}

// relayWho names the relay of a peer in log lines, as the relay cord
// ("relay/127.0.0.1:40000") with its fiber.
func relayWho(c *iproto.Conn) string { return "relay/" + c.Peer + "/101/main" }

// socketName is sio_socketname: "fd 23, aka 127.0.0.1:3301, peer of
// 127.0.0.1:40000".
func socketName(c *iproto.Conn) string {
	fd := -1
	if sc, ok := c.NetCon.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			raw.Control(func(f uintptr) { fd = int(f) })
		}
	}
	return fmt.Sprintf("fd %d, aka %s, peer of %s", fd, c.Local, c.Peer)
}

// joinView is one space's part of the initial stage of JOIN.
type joinView struct {
	id   uint32
	view *memtx.ReadView
}

// joinStream runs JOIN after its checks: initial data from read views,
// registration in _cluster, final data from the WAL (box_process_join).
func (cs *session) joinStream(sync uint64, uuid string) error {
	s, f, st := cs.s, cs.f, cs.s.st
	send := func(b []byte) error { return cs.conn.Send(b) }
	fail := func(err error) error { return cs.replicationFailed(sync, err) }

	f.Acquire()
	s.repl.setConsumer(uuid, st.wal.VClock())
	s.Log.Logf(f.Who(), say.Info, "joining replica %s at %s", uuid, socketName(cs.conn))
	f.Release()
	start, err := cs.sendReadView(sync)
	if err != nil {
		if errors.Is(err, errSend) {
			return err
		}
		return fail(err)
	}
	s.Log.Log(f.Who(), say.Info, "initial data sent.")

	f.Acquire()
	err = s.registerReplica(uuid)
	stop := st.wal.VClock()
	f.Release()
	if err != nil {
		return fail(err)
	}
	if err := send(relay.AppendVClockPacket(nil, sync, &stop)); err != nil {
		return err
	}
	if err := cs.sendFinalData(sync, start, stop); err != nil {
		return err
	}
	s.repl.setConsumer(uuid, stop)
	return nil
}

// replicationFailed logs err and sends it to the peer of a JOIN or a
// REGISTER stream, which ends with it.
func (cs *session) replicationFailed(sync uint64, err error) error {
	cs.s.Log.Logf(cs.f.Who(), say.Error, "%s", replicationError(err).Message)
	cs.sendError(sync, err)
	return err
}

// sendFinalData is relay_final_join and what follows it in JOIN and
// REGISTER: the WAL rows in (start, stop], then the master's vclock.
func (cs *session) sendFinalData(sync uint64, start, stop vclock.VClock) error {
	s, st := cs.s, cs.s.st
	send := func(b []byte) error { return cs.conn.Send(b) }
	rd := relay.NewReader(st.fs, st.walDir, start)
	rd.Durable = st.wal.VClock
	who := relayWho(cs.conn)
	rd.OnOpen = func(path string) { s.Log.Logf(who, say.Info, "recover from `%s'", path) }
	err := relay.FinalJoin(rd, send, sync, stop)
	rd.Close()
	if err != nil {
		return cs.replicationFailed(sync, err)
	}
	s.Log.Log(cs.f.Who(), say.Info, "final data sent.")
	cur := st.wal.VClock()
	return send(relay.AppendVClockPacket(nil, sync, &cur))
}

// errSend marks a failure to write to the replica's socket: nothing more
// can be sent, not even an error.
var errSend = errors.New("replication socket write failed")

// sendReadView is relay_initial_join: read views of every persistent
// memtx space, system spaces first (Spaces is in id order), the vclock
// they are at, then their rows. The WAL sync runs with the baton held so
// no transaction can commit between the views and the vclock: everything
// in the views is at or before it, nothing after it is.
func (cs *session) sendReadView(sync uint64) (vclock.VClock, error) {
	s, f, st := cs.s, cs.f, cs.s.st
	send := func(b []byte) error { return cs.conn.Send(b) }
	f.Acquire()
	var views []joinView
	for _, sp := range s.Box.Spaces() {
		if sp.Temporary || sp.IsLocal || sp.IsView() || sp.Primary() == nil || sp.Engine != "memtx" {
			continue
		}
		views = append(views, joinView{id: sp.ID, view: sp.ReadView()})
	}
	start, err := st.wal.Sync()
	f.Release()
	if err != nil {
		return start, err
	}
	if err := send(relay.AppendVClockPacket(nil, sync, &start)); err != nil {
		return start, errSend
	}
	var buf []byte
	for _, v := range views {
		var sendErr error
		v.view.Iterate(func(t *memtx.Tuple) bool {
			buf = relay.AppendInitialRow(buf, sync, v.id, t.Data())
			if len(buf) >= 128<<10 {
				sendErr = send(buf)
				buf = buf[:0]
			}
			return sendErr == nil
		})
		if sendErr != nil {
			return start, errSend
		}
	}
	if len(buf) > 0 {
		if err := send(buf); err != nil {
			return start, errSend
		}
	}
	return start, nil
}

// fetchSnapshot is box_process_fetch_snapshot: an anonymous replica's
// bootstrap gets the current read view, without registering in _cluster,
// then subscribes as anonymous on the same connection.
func (cs *session) fetchSnapshot(sync uint64, out []byte) []byte {
	s := cs.s
	if err := s.Box.CheckAccess(cs.sess, "universe", 0, box.AccessRead); err != nil {
		return cs.fail(out, sync, err)
	}
	if s.walOff() {
		return cs.fail(out, sync, errWALOff)
	}
	cs.handoff = func(br *bufio.Reader) error {
		s.Log.Logf(cs.f.Who(), say.Info, "sending current read-view to replica at %s", socketName(cs.conn))
		if _, err := cs.sendReadView(sync); err != nil {
			if !errors.Is(err, errSend) {
				s.Log.Logf(cs.f.Who(), say.Error, "%s", replicationError(err).Message)
				cs.sendError(sync, err)
			}
			return err
		}
		s.Log.Log(cs.f.Who(), say.Info, "read-view sent.")
		cs.f.Acquire()
		stop := s.st.wal.VClock()
		cs.f.Release()
		return cs.conn.Send(relay.AppendVClockPacket(nil, sync, &stop))
	}
	return out
}

// registerReplica is box_on_join: an unregistered instance gets the
// smallest free id in _cluster, inserted as admin. Under the baton.
func (s *Server) registerReplica(uuid string) error {
	if s.replicaID(uuid) != 0 {
		return nil
	}
	if s.Box.ReadOnly() {
		return boxerr.New(boxerr.ER_READONLY)
	}
	ids := s.Box.Replicas()
	id := uint32(1)
	for ids[id] != "" {
		id++
	}
	tuple := msgpack.AppendArrayHeader(nil, 2)
	tuple = msgpack.AppendUint(tuple, uint64(id))
	tuple = msgpack.AppendString(tuple, uuid)
	_, err := s.Box.Execute(s.Box.AdminSession(), nil, &box.Request{Type: proto.Insert, SpaceID: 320, Tuple: tuple})
	return err
}

// subscribe checks a SUBSCRIBE (box_process_subscribe) under the baton
// and hands the connection to a relay.
func (cs *session) subscribe(sync uint64, req *proto.Request, out []byte) []byte {
	s := cs.s
	uuid := req.InstanceUUID
	if s.anon && !req.Anon && uuid != s.uuid {
		return cs.fail(out, sync, boxerr.New(boxerr.ER_UNSUPPORTED, "Anonymous replica", "non-anonymous followers."))
	}
	if err := cs.checkReplication(cs.sess, uuid); err != nil {
		return cs.fail(out, sync, err)
	}
	id := s.replicaID(uuid)
	if !req.Anon && id == 0 {
		return cs.fail(out, sync, boxerr.New(boxerr.ER_UNKNOWN_REPLICA, uuid, s.Box.ReplicasetUUID()))
	}
	if s.walOff() {
		return cs.fail(out, sync, errWALOff)
	}
	if !s.repl.startFollowing(uuid) {
		return cs.fail(out, sync, boxerr.New(boxerr.ER_CFG, "replication", "duplicate connection with the same replica UUID"))
	}
	masterID := s.Box.InstanceID()
	local := s.st.wal.VClock()
	remote := vclockOf(req.VClock)
	reply := relay.AppendSubscribeReply(nil, sync, masterID, &local, s.Box.ReplicasetUUID())
	who := cs.f.Who()
	cs.handoff = func(br *bufio.Reader) error {
		return cs.relayStream(br, sync, uuid, vclock.ReplicaID(id), masterID, req.Anon, req.IDFilter, remote, local, reply, who)
	}
	return out
}

func vclockOf(m map[uint32]int64) vclock.VClock {
	var v vclock.VClock
	for id, lsn := range m {
		if id < vclock.Max && lsn > 0 {
			v.Set(vclock.ReplicaID(id), vclock.LSN(lsn))
		}
	}
	return v
}

// relayConn is the replica's socket for a relay: writes through the
// iproto connection, reads through the handoff's buffered reader.
type relayConn struct {
	c  *iproto.Conn
	br *bufio.Reader
}

func (r relayConn) Send(b []byte) error               { return r.c.Send(b) }
func (r relayConn) Read(p []byte) (int, error)        { return r.br.Read(p) }
func (r relayConn) SetReadDeadline(t time.Time) error { return r.c.NetCon.SetReadDeadline(t) }

// relayStream answers SUBSCRIBE and relays the WAL until the link fails.
func (cs *session) relayStream(br *bufio.Reader, sync uint64, uuid string, id vclock.ReplicaID, masterID uint32,
	anon bool, idFilter uint32, remote, local vclock.VClock, reply []byte, who string) error {
	s, st := cs.s, cs.s.st
	if err := cs.conn.Send(reply); err != nil {
		s.repl.stopFollowing(uuid, err)
		return err
	}
	s.Log.Logf(who, say.Info, "subscribed replica %s at %s", uuid, socketName(cs.conn))
	s.Log.Logf(who, say.Info, "remote vclock %s local vclock %s", remote.String(), local.String())
	// Local rows are never relayed: start from this instance's own
	// component 0 so no older file is needed for them.
	from := remote
	from.Set(0, local.Get(0))
	if !anon && !s.repl.hasConsumer(uuid) {
		s.repl.setConsumer(uuid, from)
	}
	relayWho := relayWho(cs.conn)
	rd := relay.NewReader(st.fs, st.walDir, from)
	rd.Durable = st.wal.VClock
	rd.OnOpen = func(path string) { s.Log.Logf(relayWho, say.Info, "recover from `%s'", path) }
	defer rd.Close()
	opts := relay.Options{
		Sync:        sync,
		MasterID:    masterID,
		Timeout:     s.repl.replicationTimeout,
		Filter:      relay.Filter{IDFilter: idFilter, Subscriber: id, LocalAtSubscribe: local},
		AckedVClock: remote,
		SocketName:  socketName(cs.conn),
	}
	if !anon {
		opts.OnAck = func(v vclock.VClock) { s.repl.setConsumer(uuid, v) }
	}
	rl := relay.New(st.wal, relayConn{c: cs.conn, br: br}, rd, opts)
	s.repl.setRelay(uuid, rl)
	err := rl.Run(s.stopped)
	s.repl.stopFollowing(uuid, err)
	if err != relay.ErrStopped {
		e := replicationError(err)
		s.Log.Logf(relayWho, say.Error, "%s: %s", e.Type, e.Message)
		cs.sendError(sync, err)
	}
	s.Log.Log(relayWho, say.Crit, "exiting the relay loop")
	return err
}

// runReplication owns a connection a JOIN or SUBSCRIBE took over from
// iproto: it runs h, then serves further requests (a SUBSCRIBE after
// JOIN) until one hands off again, the link fails or a relay ends.
func (cs *session) runReplication(h handoff) {
	defer func() {
		cs.conn.NetCon.Close()
		cs.Close()
	}()
	br := bufio.NewReaderSize(cs.conn.NetCon, 16<<10)
	for h != nil {
		if err := h(br); err != nil {
			return
		}
		h = nil
		for h == nil {
			pkt, err := readPacket(br)
			if err != nil {
				return
			}
			cs.f.Acquire()
			out := cs.handle(pkt, nil)
			h, cs.handoff = cs.handoff, nil
			cs.s.RT.Refresh()
			cs.f.Release()
			if len(out) > 0 {
				if cs.conn.Send(out) != nil {
					return
				}
			}
		}
	}
}

// readPacket reads one length-prefixed IPROTO packet.
func readPacket(br *bufio.Reader) ([]byte, error) {
	n, err := proto.ReadLength(br)
	if err != nil {
		return nil, err
	}
	if n > iproto.MaxPacket {
		return nil, boxerr.New(boxerr.ER_INVALID_MSGPACK, "too big packet size in the header")
	}
	pkt := make([]byte, n)
	if _, err := io.ReadFull(br, pkt); err != nil {
		return nil, err
	}
	return pkt, nil
}
