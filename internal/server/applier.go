package server

import (
	"errors"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindledb/spindle/internal/applier"
	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/fiber"
	"github.com/spindledb/spindle/internal/luabox"
	"github.com/spindledb/spindle/internal/proto"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xrow"
)

// This file is the replica side of replication: the appliers of
// box.cfg.replication (package applier speaks the protocol), bootstrap
// of an empty instance from a master (JOIN) and the orphan status.

// upstreams are the appliers of this instance.
type upstreams struct {
	list []*upstream
	// applyMu serializes transactions of all appliers: the local vclock
	// check and the WAL write of one transaction happen as a unit, so a
	// row coming from two masters is applied once (the per-origin latch
	// of 2.6, coarser).
	applyMu sync.Mutex
	// applied is the vclock of every row applied in memory, written or
	// still in the WAL queue (guarded by applyMu): transactions are
	// committed without waiting for the WAL, so the WAL's vclock alone
	// would let a row in flight from one master be applied again from
	// another. A failed write makes it stale (appliedStale): it is then
	// rebuilt from the WAL's.
	applied      vclock.VClock
	appliedStale atomic.Bool
	// inflight bounds the transactions applied but not yet durable.
	inflight chan struct{}
	// completer finishes them once durable.
	completer completer
	// reconfig serializes run-time box.cfg{replication=...} calls of
	// different fibers: one may wait (without the baton) for its
	// appliers while another starts. Taken without the baton.
	reconfig sync.Mutex

	// skipConflict is replication_skip_conflict, read by every applied
	// transaction.
	skipConflict atomic.Bool

	// mu guards list (changed under the baton by box.cfg; read by the
	// applier goroutines without it), orphan and quorum.
	mu     sync.Mutex
	orphan bool
	// bootLeader is set when this instance created the replica set at its
	// first start: the bootstrap leader does not wait for its peers (they
	// are joining it) and is never orphan because of them.
	bootLeader bool
	quorum     int
}

// upstream is one applier with the fiber it applies rows in.
type upstream struct {
	s *Server
	a *applier.Applier
	f *fiber.Fiber
	// fw is the fiber of the applier's writer goroutine (OnFollow).
	fw *fiber.Fiber
	// joined is the connection a JOIN ran on: SUBSCRIBE goes on on it.
	joined *applier.Conn
	// started is set once the applier runs.
	started bool
	// skipped counts rows replaced by a NOP under
	// replication_skip_conflict (box.info upstream.skipped).
	skipped atomic.Int64
	// walErr is the first failed WAL write of a transaction this applier
	// committed asynchronously; the next ApplyTx returns it, which
	// breaks the connection (the applier resubscribes from the WAL's
	// vclock). A new subscription forgets it: the failures of one
	// cascade end the connection once, not once each.
	walErr atomic.Pointer[error]
}

// maxInflight bounds the applied transactions waiting for the WAL.
const maxInflight = 4096

// errDuplicateSource is 2.6's refusal of two sources that lead to one
// instance: two URIs with one address, or two masters answering with one
// instance UUID at bootstrap.
var errDuplicateSource = boxerr.New(boxerr.ER_CFG, "replication", "duplicate connection to the same replica")

// replicationSources reads box.cfg.replication: a string, a number or a
// list of them.
func replicationSources(cfg map[string]any) ([]applier.URI, error) {
	var raw []any
	switch v := cfg["replication"].(type) {
	case nil:
		return nil, nil
	case string, float64:
		raw = []any{v}
	case []any:
		raw = v
	default:
		return nil, boxerr.New(boxerr.ER_CFG, "replication", "expected a URI or a list of URIs")
	}
	var out []applier.URI
	for _, r := range raw {
		var s string
		switch x := r.(type) {
		case string:
			s = x
		case float64:
			s = strconv.FormatInt(int64(x), 10)
		default:
			return nil, boxerr.New(boxerr.ER_CFG, "replication", "expected a URI or a list of URIs")
		}
		u, err := applier.ParseURI(s)
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			if o.Addr == u.Addr {
				return nil, errDuplicateSource
			}
		}
		out = append(out, u)
	}
	return out, nil
}

func cfgDuration(cfg map[string]any, key string, def float64) time.Duration {
	return time.Duration(cfgNumber(cfg, key, def) * float64(time.Second))
}

// newUpstreams creates (not starts) the appliers of the sources.
func (s *Server) newUpstreams(cfg map[string]any, uris []applier.URI) {
	s.ups.skipConflict.Store(cfg["replication_skip_conflict"] == true)
	list := make([]*upstream, 0, len(uris))
	for _, u := range uris {
		list = append(list, s.newUpstream(cfg, u))
	}
	s.ups.mu.Lock()
	s.ups.list = list
	s.ups.quorum = connectQuorum(cfg, len(uris))
	s.ups.mu.Unlock()
}

// connectQuorum is replication_connect_quorum bounded by the number of
// sources (2.6's MIN(count, replication_connect_quorum)).
func connectQuorum(cfg map[string]any, n int) int {
	if q, ok := cfg["replication_connect_quorum"].(float64); ok && int(q) < n {
		return max(int(q), 0)
	}
	return n
}

// newUpstream creates the applier of one source with its fiber.
func (s *Server) newUpstream(cfg map[string]any, u applier.URI) *upstream {
	syncLag := cfgDuration(cfg, "replication_sync_lag", 10)
	up := &upstream{s: s, f: s.Sched.New("applier/" + u.Text), fw: s.Sched.New("applierw/" + u.Text)}
	who := up.f.Who()
	up.a = applier.New(u, up, applier.Options{
		Timeout: s.repl.replicationTimeout,
		SyncLag: func() time.Duration { return syncLag },
		Log:     func(level int, msg string) { s.Log.Log(who, say.Level(level), msg) },
	})
	return up
}

// upstreamList is a copy of the current appliers, safe to range over
// from any goroutine.
func (s *Server) upstreamList() []*upstream {
	s.ups.mu.Lock()
	defer s.ups.mu.Unlock()
	return append([]*upstream(nil), s.ups.list...)
}

// errBootstrapLeader tells openStorage that this instance won the
// bootstrap election and must create the replica set itself.
var errBootstrapLeader = errors.New("this instance is the bootstrap leader")

// candidate is one ballot in the bootstrap election.
type candidate struct {
	uuid   string
	ballot applier.Ballot
	up     *upstream // nil for this instance
}

// bootstrapLeader is replicaset_leader of 2.6: over the candidates (read-only
// ones only when no writable one exists), an instance that finished loading
// beats a loading one, a larger vclock beats a smaller one, and among equals
// the smallest UUID wins; incomparable vclocks let the later candidate win.
func bootstrapLeader(cands []candidate) *candidate {
	pick := func(allowRO bool) *candidate {
		var best *candidate
		for i := range cands {
			c := &cands[i]
			if c.ballot.IsRO && !allowRO {
				continue
			}
			if best == nil {
				best = c
				continue
			}
			if c.ballot.IsLoading && !best.ballot.IsLoading {
				continue
			}
			if !(best.ballot.IsLoading && !c.ballot.IsLoading) {
				switch c.ballot.VClock.CompareIgnore0(&best.ballot.VClock) {
				case vclock.Less:
					continue
				case vclock.Equal:
					if c.uuid > best.uuid {
						continue
					}
				}
			}
			best = c
		}
		return best
	}
	if l := pick(false); l != nil {
		return l
	}
	return pick(true)
}

// bootstrapFromMaster is the first start of an empty instance with
// replication sources (2.6's bootstrap()): it connects to every source,
// collects their ballots (VOTE answers even while a peer is loading), and
// elects the bootstrap leader. When the leader is this instance it returns
// errBootstrapLeader with the UUIDs of the connected peers; otherwise it
// JOINs the leader, retrying while the leader is still loading.
func (s *Server) bootstrapFromMaster(cfg map[string]any, f *fiber.Fiber) (*box.Box, vclock.VClock, []string, error) {
	who := f.Who()
	deadline := time.Now().Add(cfgDuration(cfg, "replication_connect_timeout", 30))
	for _, up := range s.ups.list {
		up.a.Start(false)
		up.started = true
	}
	total := len(s.ups.list)
	s.Log.Logf(who, say.Info, "connecting to %d replicas", total)
	quorum := total
	if q, ok := cfg["replication_connect_quorum"].(float64); ok && int(q) < total {
		quorum = int(q)
	}
	// Wait for a ballot from every source (this instance counts for the
	// source that is itself), or for the quorum at the deadline.
	var cands []candidate
	collect := func() int {
		cands = cands[:0]
		n := 0
		for _, up := range s.ups.list {
			if up.a.IsSelf() {
				n++
				continue
			}
			if b, uuid, ok := up.a.Ballot(); ok {
				cands = append(cands, candidate{uuid: uuid, ballot: b, up: up})
				n++
			}
		}
		return n
	}
	var connected int
	f.Block(func() {
		for {
			connected = collect()
			if connected == total || time.Now().After(deadline) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	seen := make(map[string]bool, len(cands))
	for _, c := range cands {
		if seen[c.uuid] {
			s.stopUpstreams()
			return nil, vclock.VClock{}, nil, errDuplicateSource
		}
		seen[c.uuid] = true
	}
	if connected < quorum {
		s.Log.Logf(who, say.Crit, "failed to connect to %d out of %d replicas", total-connected, total)
		s.stopUpstreams()
		return nil, vclock.VClock{}, nil, boxerr.New(boxerr.ER_CFG, "replication", "failed to connect to one or more replicas")
	}
	s.Log.Logf(who, say.Info, "connected to %d replicas", connected)
	ro, _ := cfg["read_only"].(bool)
	self := candidate{uuid: s.uuid, ballot: applier.Ballot{IsRO: ro, IsLoading: true}}
	leader := bootstrapLeader(append(append([]candidate(nil), cands...), self))
	if leader.up == nil {
		if ro {
			s.stopUpstreams()
			return nil, vclock.VClock{}, nil, boxerr.New(boxerr.ER_BOOTSTRAP_READONLY)
		}
		peers := make([]string, 0, len(cands))
		for _, c := range cands {
			peers = append(peers, c.uuid)
		}
		sort.Strings(peers)
		return nil, vclock.VClock{}, peers, errBootstrapLeader
	}
	up := leader.up
	for {
		var c *applier.Conn
		f.Block(func() {
			for c == nil && time.Now().Before(deadline) {
				c, _ = up.a.Take(10 * time.Millisecond)
			}
		})
		if c == nil {
			s.stopUpstreams()
			return nil, vclock.VClock{}, nil, boxerr.New(boxerr.ER_CFG, "replication", "failed to connect to one or more replicas")
		}
		s.Log.Logf(who, say.Info, "bootstrapping replica from %s at %s", c.Greeting.UUID, c.PeerAddr())
		b, vc, err := s.join(f, up, c)
		if err == nil {
			up.joined = c
			return b, vc, nil, nil
		}
		up.a.Resume(nil, false) // reconnect, park again; the applier logs err
		e := boxerr.From(err)
		s.Log.Logf(up.f.Who(), say.Error, "%s: %s", e.Code.Name(), e.Message)
		switch e.Code {
		case boxerr.ER_LOADING, boxerr.ER_READONLY, boxerr.ER_ACCESS_DENIED, boxerr.ER_NO_SUCH_USER,
			boxerr.ER_PASSWORD_MISMATCH, boxerr.ER_SYSTEM:
			continue
		}
		s.stopUpstreams()
		return nil, vclock.VClock{}, nil, err
	}
}

// join runs the JOIN exchange on c into a new box. f holds the baton;
// network reads happen without it.
func (s *Server) join(f *fiber.Fiber, up *upstream, c *applier.Conn) (*box.Box, vclock.VClock, error) {
	var start vclock.VClock
	var err error
	f.Block(func() {
		if s.anon {
			start, err = c.FetchSnapshot()
		} else {
			start, err = c.Join(s.uuid)
		}
	})
	if err != nil {
		return nil, start, err
	}
	b := s.newBox()
	b.SetRecovering(true)
	defer b.SetRecovering(false)
	vc := start
	stage := applier.InitialJoin
	logged := false
	for stage != applier.Joined {
		var row xrow.Row
		var data bool
		var next applier.JoinStage
		var v vclock.VClock
		f.Block(func() { next, data, v, err = c.NextJoinRow(stage, &row) })
		if err != nil {
			return nil, vc, err
		}
		if !data {
			if stage == applier.InitialJoin && s.anon {
				// FETCH_SNAPSHOT ends with the read view: no final
				// data, no registration (and no log line in 2.6).
				vc = v
				break
			}
			if stage == applier.InitialJoin {
				vc = v
				s.Log.Log(up.f.Who(), say.Info, "initial data received")
			} else if stage == applier.FinalJoin && !logged {
				s.Log.Log(up.f.Who(), say.Info, "final data received")
				logged = true
			}
			stage = next
			continue
		}
		if stage == applier.InitialJoin {
			err = applyInitialRow(b, &row)
			if err == nil && b.ReplicasetUUID() != "" && s.clusterUUID == "" {
				s.clusterUUID = b.ReplicasetUUID()
			}
		} else {
			if row.Type == proto.Confirm || row.Type == proto.Rollback {
				continue
			}
			err = b.ApplyRow(&row)
			if row.ReplicaID != 0 && row.LSN > int64(vc.Get(vclock.ReplicaID(row.ReplicaID))) {
				vc.Follow(vclock.ReplicaID(row.ReplicaID), vclock.LSN(row.LSN))
			}
		}
		if err != nil {
			return nil, vc, err
		}
	}
	if s.clusterUUID != "" && s.clusterUUID != b.ReplicasetUUID() {
		return nil, vc, boxerr.New(boxerr.ER_REPLICASET_UUID_MISMATCH, s.clusterUUID, b.ReplicasetUUID())
	}
	s.clusterUUID = b.ReplicasetUUID()
	if b.InstanceID() == 0 && !s.anon {
		return nil, vc, boxerr.New(boxerr.ER_UNKNOWN_REPLICA, s.uuid, s.clusterUUID)
	}
	return b, vc, nil
}

// applyInitialRow applies a snapshot INSERT {space_id, tuple}.
func applyInitialRow(b *box.Box, row *xrow.Row) error {
	req, err := box.DecodeDML(row.Type, row.Body)
	if err != nil {
		return err
	}
	return b.ApplySnapshotRow(req.SpaceID, req.Tuple)
}

// startFollowing subscribes every applier (after bootstrap or local
// recovery). Until a quorum follows, the instance is orphan (read-only).
// After a local recovery it waits as 2.6's box.cfg does for the
// connections, up to replication_connect_timeout (a bootstrap already
// connected); then, unless this instance created the replica set, for a
// quorum to sync, up to replication_sync_timeout.
func (s *Server) startFollowing(cfg map[string]any, f *fiber.Fiber, recovered bool) {
	list := s.upstreamList()
	if len(list) == 0 {
		return
	}
	s.setOrphan(s.syncQuorum() > 0 && !s.ups.bootLeader)
	for _, up := range list {
		if up.joined != nil {
			c := up.joined
			up.joined = nil
			up.a.Resume(c, true)
			continue
		}
		if !up.started {
			up.started = true
			up.a.Start(true)
		} else {
			up.a.Follow()
		}
	}
	if recovered {
		s.waitConnected(cfg, f, list)
	}
	if !s.ups.bootLeader {
		s.syncReplicaset(cfg, f)
	}
}

// waitConnected is the wait of replicaset_connect: it returns when every
// applier of list is connected, when the connected ones (with those
// kept from before, counted in already) reach the quorum, when too many
// failed for a quorum, or at replication_connect_timeout. f holds the
// baton; it is released while waiting.
func (s *Server) waitConnected(cfg map[string]any, f *fiber.Fiber, list []*upstream) {
	if len(list) == 0 {
		return
	}
	total := len(s.upstreamList())
	quorum := connectQuorum(cfg, total)
	already := total - len(list)
	s.Log.Logf(f.Who(), say.Info, "connecting to %d replicas", total)
	deadline := time.Now().Add(cfgDuration(cfg, "replication_connect_timeout", 30))
	connected := 0
	f.Block(func() {
		for {
			connected, failed := already, 0
			for _, up := range list {
				switch {
				case up.a.Connected():
					connected++
				case up.a.Stopped():
					failed++
				}
			}
			if connected == total || connected >= quorum || total-failed < quorum || time.Now().After(deadline) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	connected = already
	for _, up := range list {
		if up.a.Connected() {
			connected++
		}
	}
	if connected < total {
		s.Log.Logf(f.Who(), say.Crit, "failed to connect to %d out of %d replicas", total-connected, total)
	} else {
		s.Log.Logf(f.Who(), say.Info, "connected to %d replicas", connected)
	}
}

// syncReplicaset is replicaset_sync: it waits up to
// replication_sync_timeout for a quorum of appliers to follow (while
// enough are connected for that to happen), then leaves or enters orphan
// mode. f holds the baton; it is released while waiting.
func (s *Server) syncReplicaset(cfg map[string]any, f *fiber.Fiber) {
	quorum := s.syncQuorum()
	if quorum == 0 {
		s.setOrphan(false)
		s.Log.Log(f.Who(), say.Crit, "leaving orphan mode")
		return
	}
	s.Log.Logf(f.Who(), say.Info, "synchronizing with %d replicas", quorum)
	deadline := time.Now().Add(cfgDuration(cfg, "replication_sync_timeout", 300))
	synced := 0
	count := func() (synced, connected int) {
		for _, up := range s.upstreamList() {
			if up.a.IsSelf() {
				continue
			}
			if up.a.IsFollowing() {
				synced++
			}
			if up.a.Connected() {
				connected++
			}
		}
		return synced, connected
	}
	f.Block(func() {
		for {
			var connected int
			synced, connected = count()
			if synced >= quorum || connected < quorum || time.Now().After(deadline) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	total := 0
	for _, up := range s.upstreamList() {
		if !up.a.IsSelf() {
			total++
		}
	}
	if synced < quorum {
		s.Log.Logf(f.Who(), say.Crit, "failed to synchronize with %d out of %d replicas", total-synced, total)
		s.setOrphan(true)
		s.Log.Log(f.Who(), say.Crit, "entering orphan mode")
		return
	}
	s.Log.Log(f.Who(), say.Info, "replica set sync complete")
	s.setOrphan(false)
	s.Log.Log(f.Who(), say.Crit, "leaving orphan mode")
}

// setReplication is box.cfg{replication = ...} at run time. Unlike 2.6,
// which replaces every applier, it keeps the appliers of sources that
// stay (their links are not broken), stops those of removed sources
// (their box.info.replication entries lose the upstream) and starts new
// ones; an applier that stopped (a conflict, a foreign replica set) is
// started again when its source is still listed, as 2.6's new applier
// would be. It returns once the new appliers connected or
// replication_connect_timeout passed, after 2.6's sync wait. restart
// replaces every applier as 2.6 does (an instance that stopped being
// anonymous subscribes again as a normal replica). f holds the baton.
func (s *Server) setReplication(cfg map[string]any, f *fiber.Fiber, restart bool) error {
	uris, err := replicationSources(cfg)
	if err != nil {
		return err
	}
	if len(uris) >= vclockMax {
		return boxerr.New(boxerr.ER_CFG, "replication", "too many replicas")
	}
	f.Block(s.ups.reconfig.Lock)
	defer s.ups.reconfig.Unlock()
	// A source is the same when its address and credentials are (Text
	// hides the password).
	key := func(u applier.URI) string { return u.Login + "\x00" + u.Password + "\x00" + u.Addr }
	old := s.upstreamList()
	running := make(map[string]*upstream, len(old))
	for _, up := range old {
		running[key(up.a.URI())] = up
	}
	var fresh, drop []*upstream
	list := make([]*upstream, 0, len(uris))
	for _, u := range uris {
		up := running[key(u)]
		if up != nil && !up.a.Stopped() && !restart {
			delete(running, key(u))
			list = append(list, up)
			continue
		}
		nu := s.newUpstream(cfg, u)
		fresh = append(fresh, nu)
		list = append(list, nu)
	}
	for _, up := range running {
		drop = append(drop, up)
	}
	s.ups.mu.Lock()
	s.ups.list = list
	s.ups.quorum = connectQuorum(cfg, len(list))
	s.ups.bootLeader = false
	s.ups.mu.Unlock()
	// Stopping waits for the applier goroutines, which may be waiting
	// for the baton: give it up meanwhile.
	if len(drop) > 0 {
		f.Block(func() {
			for _, up := range drop {
				up.a.Stop()
				up.f.Acquire()
				if fc, ok := up.f.Local.(*luabox.FiberCtx); ok {
					s.RT.ReleaseFiberCtx(fc)
				}
				up.f.Finish()
				up.fw.Acquire()
				up.fw.Finish()
			}
		})
	}
	if len(list) == 0 {
		// replicaset_sync with no quorum to wait for.
		s.syncReplicaset(cfg, f)
		return nil
	}
	for _, up := range fresh {
		up.started = true
		up.a.Start(true)
	}
	s.waitConnected(cfg, f, fresh)
	s.syncReplicaset(cfg, f)
	return nil
}

// checkQuorum is replicaset_check_quorum, run when the quorum changes:
// enough followers end orphan mode (2.6 logs it even when the instance
// was not orphan). Under the baton.
func (s *Server) checkQuorum() {
	if s.Box == nil {
		return
	}
	n := 0
	for _, up := range s.upstreamList() {
		if up.a.IsFollowing() {
			n++
		}
	}
	if n >= s.syncQuorum() {
		s.setOrphan(false)
		s.Log.Log(s.who(), say.Crit, "leaving orphan mode")
	}
}

// vclockMax is VCLOCK_MAX: at most 31 sources besides this instance.
const vclockMax = 32

// syncQuorum is how many appliers must follow before the instance leaves
// orphan mode: replication_connect_quorum, but at most the number of
// sources that are not this instance itself (2.6 drops the applier that
// connected to self from the replica set).
func (s *Server) syncQuorum() int {
	list := s.upstreamList()
	others := 0
	for _, up := range list {
		if !up.a.IsSelf() {
			others++
		}
	}
	s.ups.mu.Lock()
	q := s.ups.quorum
	s.ups.mu.Unlock()
	return min(q, others)
}

// setOrphan switches orphan mode; the box is read-only while orphan.
// Under the baton.
func (s *Server) setOrphan(on bool) {
	s.ups.mu.Lock()
	s.ups.orphan = on
	s.ups.mu.Unlock()
	if on {
		s.status = "orphan"
	} else if s.status == "orphan" {
		s.status = "running"
	}
	if s.Box != nil {
		s.Box.SetReadOnly(s.readOnly || on)
	}
}

func (s *Server) stopUpstreams() {
	for _, up := range s.upstreamList() {
		up.a.Stop()
	}
}

// InstanceUUID implements applier.Replica.
func (u *upstream) InstanceUUID() string { return u.s.uuid }

// Subscription implements applier.Replica.
func (u *upstream) Subscription() (string, vclock.VClock, uint32, bool) {
	s := u.s
	u.walErr.Store(nil)
	u.f.Acquire()
	defer u.f.Release()
	var id uint32
	if s.Box != nil {
		id = s.Box.InstanceID()
	}
	s.ups.mu.Lock()
	if s.ups.orphan {
		id = 0
	}
	s.ups.mu.Unlock()
	return s.clusterUUID, s.st.wal.VClock(), id, s.anon
}

// VClock implements applier.Replica.
func (u *upstream) VClock() vclock.VClock { return u.s.st.wal.VClock() }

// ApplyTx implements applier.Replica (applier_apply_tx): a transaction
// whose last row the local vclock covers is dropped whole (it came from
// another peer of a full mesh first); otherwise its already applied
// prefix is dropped (an old master not knowing transaction boundaries)
// and the rest is applied under the baton as one box transaction with
// one WAL write, each row keeping its origin replica_id/lsn. applyMu
// makes the vclock check and the write one unit across appliers.
func (u *upstream) ApplyTx(rows []*xrow.Row, written func()) error {
	if len(rows) == 0 {
		written()
		return nil
	}
	if err := u.walErr.Swap(nil); err != nil {
		return *err
	}
	s := u.s
	s.ups.applyMu.Lock()
	defer s.ups.applyMu.Unlock()
	local := s.st.wal.VClock()
	if s.ups.appliedStale.Swap(false) {
		s.ups.applied = local
	} else {
		local.Max(&s.ups.applied)
	}
	covered := func(r *xrow.Row) bool { return r.LSN <= int64(local.Get(vclock.ReplicaID(r.ReplicaID))) }
	if covered(rows[len(rows)-1]) {
		written()
		return nil
	}
	for covered(rows[0]) {
		rows = rows[1:]
	}
	if s.ups.inflight == nil {
		s.ups.inflight = make(chan struct{}, maxInflight)
	}
	s.ups.inflight <- struct{}{} // waits, without the baton, while the WAL is behind
	u.f.Acquire()
	if u.f.Local == nil {
		// before_replace and on_replace triggers in Lua run on the
		// applier's fiber, in the admin session (2.6's applier session).
		s.RT.NewFiberCtx(u.f, s.Box.AdminSession())
	}
	res, pending, err := s.Box.ApplyTxAsync(rows, s.ups.skipConflict.Load())
	u.f.Release()
	if res.Skipped > 0 {
		u.skipped.Add(int64(res.Skipped))
	}
	if err != nil || pending == nil {
		<-s.ups.inflight
		if err == nil {
			written()
		}
		return err
	}
	for _, r := range rows {
		s.ups.applied.Follow(vclock.ReplicaID(r.ReplicaID), vclock.LSN(r.LSN))
	}
	if pending.NeedsBaton() {
		// A catalog change completes before the next transaction is
		// applied, as a local DDL statement does.
		u.complete(pending)
		if err := u.walErr.Swap(nil); err != nil {
			return *err
		}
		written()
		return nil
	}
	s.ups.completer.push(s, pendingTx{u: u, p: pending, written: written})
	return nil
}

// complete finishes a transaction committed without waiting for the WAL,
// once its rows are durable (or failed: its changes are rolled back under
// the baton, in the WAL's newest-first order, and the applier learns of
// the failure at its next transaction).
func (u *upstream) complete(p *box.PendingCommit) {
	s := u.s
	defer func() { <-s.ups.inflight }()
	<-p.Done()
	if p.Wait() == nil && !p.NeedsBaton() {
		p.Finish()
		return
	}
	f := s.Sched.New("applier")
	f.Acquire()
	err := p.Finish()
	f.Finish()
	if err != nil {
		s.ups.appliedStale.Store(true)
		u.walErr.CompareAndSwap(nil, &err)
	}
}

// OnFollow implements applier.Replica: a quorum of followers ends
// orphan mode.
// It runs on the applier's writer goroutine, so it takes the baton
// through the writer's own fiber.
func (u *upstream) OnFollow() {
	s := u.s
	n := 0
	for _, up := range s.upstreamList() {
		if up.a.IsFollowing() {
			n++
		}
	}
	if n < s.syncQuorum() {
		return
	}
	s.ups.mu.Lock()
	was := s.ups.orphan
	s.ups.mu.Unlock()
	if !was {
		return
	}
	u.fw.Acquire()
	s.ups.mu.Lock()
	was = s.ups.orphan
	s.ups.mu.Unlock()
	if was {
		s.setOrphan(false)
	}
	u.fw.Release()
	if was {
		s.Log.Log(u.fw.Who(), say.Crit, "leaving orphan mode")
	}
}

// upstreamInfo is box.info.replication[n].upstream for the applier whose
// master has uuid, nil if none.
func (s *Server) upstreamInfo(uuid string) map[string]any {
	for _, up := range s.upstreamList() {
		st := up.a.Status()
		if st.MasterUUID != uuid {
			continue
		}
		m := map[string]any{"status": string(st.State), "idle": st.Idle.Seconds(), "peer": st.Peer, "lag": st.Lag}
		if st.Message != "" {
			m["message"] = st.Message
		}
		// A Spindle extension: rows skipped by replication_skip_conflict.
		if n := up.skipped.Load(); n > 0 {
			m["skipped"] = n
		}
		return m
	}
	return nil
}
