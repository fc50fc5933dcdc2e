package server

import (
	"context"
	"errors"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spindledb/spindle/internal/box"
	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
	"github.com/spindledb/spindle/internal/recovery"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/snapshot"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/wal"
	"github.com/spindledb/spindle/internal/xrow"
)

// clusterSpaceID is _cluster.
const clusterSpaceID = 320

// storage is the persistent side of an instance: where its files live,
// the WAL writer and the checkpoint settings.
type storage struct {
	fs       vfs.FS
	memtxDir string
	walDir   string
	wal      *wal.Writer
	// checkpointing is set while a checkpoint runs (under the baton), so
	// box.snapshot() calls do not overlap.
	checkpointing bool
	// schedMu guards sched, the checkpoint daemon's schedule
	// (checkpoint_interval).
	schedMu sync.Mutex
	sched   schedule
	// daemon wakes the checkpoint daemon when its schedule changes;
	// threshold when the WAL has crossed checkpoint_wal_threshold.
	daemon, threshold chan struct{}
	// gcMu serializes garbage collection with box.backup.start, so a
	// checkpoint is never deleted while a backup pins it; it guards
	// keep (checkpoint_count), backingUp and backup, the signature of
	// the pinned checkpoint.
	gcMu      sync.Mutex
	keep      int
	backingUp bool
	backup    int64
	// rateLimit is snap_io_rate_limit in bytes per second (0: none), the
	// bits of a float64; box.cfg sets it while a snapshot may run.
	rateLimit atomic.Uint64
	// dirLock holds the flock on wal_dir while the instance runs.
	dirLock *os.File
}

// setRateLimit takes snap_io_rate_limit, in megabytes per second as
// box.cfg gives it; nil or 0 lifts the limit.
func (st *storage) setRateLimit(v any) {
	mb, _ := v.(float64)
	st.rateLimit.Store(math.Float64bits(max(mb, 0) * (1 << 20)))
}

// walJournal is box's Journal: rows go to the WAL writer; the fiber gives
// the baton up while the rows are written (group commit with other
// fibers), and writes them itself when the WAL is idle.
type walJournal struct{ s *Server }

// Write implements box.Journal.
func (j walJournal) Write(rows []*xrow.Row) error {
	e := j.s.st.wal.SubmitDeferred(rows) // waited for with Wait below
	var err error
	select {
	case <-e.Done(): // wal_mode none, or a refused entry
		err = e.Wait()
	default:
		j.s.Sched.Current().Block(func() { err = e.Wait() })
	}
	if err != nil {
		// Failed entries roll back newest first: Release wakes the next
		// older one once this transaction has been undone by box, which
		// happens right after Write returns, before any yield.
		e.Release()
		s := j.s
		s.Log.Logf(s.who(), say.Error, "%s", err.Error())
		return boxerr.New(boxerr.ER_WAL_IO)
	}
	return nil
}

// Submit implements box.AsyncJournal: the rows are queued for the WAL
// and the caller learns the outcome from the entry.
func (j walJournal) Submit(rows []*xrow.Row) box.JournalEntry {
	return j.s.st.wal.Submit(rows)
}

// SubmitDeferred implements box.AsyncJournal.
func (j walJournal) SubmitDeferred(rows []*xrow.Row) box.JournalEntry {
	return j.s.st.wal.SubmitDeferred(rows)
}

func cfgString(cfg map[string]any, key, def string) string {
	if v, ok := cfg[key].(string); ok && v != "" {
		return v
	}
	return def
}

// storageFS is the file system of memtx_dir and wal_dir: the operating
// system's; tests put an in-memory one with injected faults in its place.
var storageFS = func() vfs.FS { return vfs.OS{} }

func cfgNumber(cfg map[string]any, key string, def float64) float64 {
	return numberOr(cfg[key], def)
}

// numberOr is a box.cfg number, or def when the option is unset or reset
// to box.NULL.
func numberOr(v any, def float64) float64 {
	if n, ok := v.(float64); ok {
		return n
	}
	return def
}

// Defaults of the checkpoint options, which box.cfg may also reset to.
const (
	defaultCheckpointCount    = 2
	defaultCheckpointInterval = 3600 // seconds
	// defaultWALThreshold is checkpoint_wal_threshold's 1e18: never
	// reached.
	defaultWALThreshold = 1e18
)

// openStorage recovers the instance from memtx_dir/wal_dir, or bootstraps
// a new one, and starts the WAL. It returns the ready box.
func (s *Server) openStorage(cfg map[string]any, dirLock *os.File) (*box.Box, error) {
	who := s.who()
	st := &storage{
		fs:        storageFS(),
		memtxDir:  cfgString(cfg, "memtx_dir", "."),
		walDir:    cfgString(cfg, "wal_dir", "."),
		keep:      int(cfgNumber(cfg, "checkpoint_count", defaultCheckpointCount)),
		daemon:    make(chan struct{}, 1),
		threshold: make(chan struct{}, 1),
		dirLock:   dirLock,
	}
	st.sched.cfg(time.Now(), seconds(cfgNumber(cfg, "checkpoint_interval", defaultCheckpointInterval)))
	st.setRateLimit(cfg["snap_io_rate_limit"])
	s.st = st
	mode, ok := wal.ParseMode(cfgString(cfg, "wal_mode", "write"))
	if !ok {
		return nil, boxerr.New(boxerr.ER_CFG, "wal_mode", "expected 'none', 'write' or 'fsync'")
	}
	rec, err := recovery.Open(st.fs, recovery.Options{
		MemtxDir:      st.memtxDir,
		WALDir:        st.walDir,
		InstanceUUID:  s.uuid,
		ForceRecovery: cfg["force_recovery"] == true,
		Log:           s.Log,
		Who:           who,
	})
	if err != nil {
		return nil, storageError(err)
	}
	var b *box.Box
	var vc vclock.VClock
	if rec.HasSnapshot() {
		if s.uuid != "" && s.uuid != rec.InstanceUUID() {
			return nil, boxerr.New(boxerr.ER_INSTANCE_UUID_MISMATCH, s.uuid, rec.InstanceUUID())
		}
		s.setUUID(rec.InstanceUUID())
		s.Log.Logf(who, say.Info, "instance uuid %s", s.uuid)
		end := rec.EndVClock()
		s.Log.Logf(who, say.Info, "instance vclock %s", end.String())
		b = s.newBox()
		b.SetRecovering(true)
		res, err := rec.Run(b)
		b.SetRecovering(false)
		if err != nil {
			return nil, storageError(err)
		}
		vc = res.VClock
		if s.clusterUUID != "" && s.clusterUUID != b.ReplicasetUUID() {
			return nil, boxerr.New(boxerr.ER_REPLICASET_UUID_MISMATCH, s.clusterUUID, b.ReplicasetUUID())
		}
		s.clusterUUID = b.ReplicasetUUID()
	} else {
		if s.uuid == "" {
			s.setUUID(newUUID())
		}
		s.Log.Logf(who, say.Info, "instance uuid %s", s.uuid)
		// An empty instance with replication sources elects the bootstrap
		// leader among them and itself; it joins the leader, or creates
		// the replica set when it is the leader.
		var peers []string
		local := len(s.ups.list) == 0
		if !local {
			b, vc, peers, err = s.bootstrapFromMaster(cfg, s.Sched.Current())
			if errors.Is(err, errBootstrapLeader) {
				local, err = true, nil
				s.ups.bootLeader = true
			}
			if err != nil {
				return nil, err
			}
		}
		if local {
			if s.clusterUUID == "" {
				s.clusterUUID = newUUID()
			}
			s.Log.Log(who, say.Info, "initializing an empty data directory")
			b = s.newBox()
			if err := b.Bootstrap(s.clusterUUID, 1); err != nil {
				return nil, err
			}
			s.Log.Logf(who, say.Info, "assigned id 1 to replica %s", s.uuid)
			// The peers connected at bootstrap are registered right away,
			// in ascending UUID order, so that they join already known.
			for i, p := range peers {
				t := msgpack.AppendArrayHeader(nil, 2)
				t = msgpack.AppendUint(t, uint64(i+2))
				t = msgpack.AppendString(t, p)
				if err := b.ApplySnapshotRow(clusterSpaceID, t); err != nil {
					return nil, err
				}
				s.Log.Logf(who, say.Info, "assigned id %d to replica %s", i+2, p)
			}
			s.Log.Logf(who, say.Info, "cluster uuid %s", s.clusterUUID)
		}
	}
	w, err := wal.Open(st.fs, st.walDir, wal.Options{
		Mode:                  mode,
		MaxSize:               int64(cfgNumber(cfg, "wal_max_size", wal.DefaultMaxSize)),
		InstanceUUID:          s.uuid,
		VClock:                vc,
		InstanceID:            vclock.ReplicaID(b.InstanceID()),
		Log:                   s.Log,
		CheckpointThreshold:   int64(cfgNumber(cfg, "checkpoint_wal_threshold", defaultWALThreshold)),
		OnCheckpointThreshold: func() { notify(st.threshold) },
	})
	if err != nil {
		return nil, storageError(err)
	}
	st.wal = w
	if !rec.HasSnapshot() {
		// The first checkpoint holds the bootstrap data, as in Tarantool.
		if err := s.writeCheckpoint(b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// storageError turns recovery and WAL errors into box errors with the
// message Tarantool gives.
func storageError(err error) error {
	var be *boxerr.Error
	if errors.As(err, &be) {
		return be
	}
	var gap *recovery.GapError
	if errors.As(err, &gap) {
		return &boxerr.Error{Code: boxerr.ER_PROC_LUA, Type: "XlogGapError", Message: gap.Error()}
	}
	return &boxerr.Error{Code: boxerr.ER_INVALID_XLOG, Type: "XlogError", Message: err.Error()}
}

func (s *Server) newBox() *box.Box {
	return box.New(box.Options{
		InstanceUUID: s.uuid,
		MemtxMemory:  s.memtxMemory,
		Journal:      walJournal{s},
		Log: func(level int, msg string) {
			s.Log.Log(s.who(), say.Level(level), msg)
		},
	})
}

// Snapshot implements box.snapshot(): it rotates the WAL, writes a
// checkpoint from read views of every persistent space while writes go
// on, and collects files no checkpoint needs. The calling fiber waits
// (without the baton) until the snapshot is on disk.
func (s *Server) Snapshot() error {
	st := s.st
	if s.Box == nil || st == nil {
		return boxerr.New(boxerr.ER_LOADING)
	}
	if !st.checkpointing {
		// gc_checkpoint: the next scheduled checkpoint is a whole
		// interval from this one.
		st.schedMu.Lock()
		st.sched.reset(time.Now())
		st.schedMu.Unlock()
		notify(st.daemon)
	}
	return s.writeCheckpoint(s.Box)
}

func (s *Server) writeCheckpoint(b *box.Box) error {
	st := s.st
	if st.checkpointing {
		return boxerr.New(boxerr.ER_CHECKPOINT_IN_PROGRESS)
	}
	st.checkpointing = true
	defer func() { st.checkpointing = false }()
	vc, err := st.wal.Rotate()
	if err != nil {
		return storageError(err)
	}
	// Read views are taken under the baton, at the rotation point.
	var spaces []snapshot.Space
	for _, sp := range b.Spaces() {
		if sp.Temporary || sp.IsView() || sp.Primary() == nil {
			continue
		}
		var group uint32
		if sp.IsLocal {
			group = 1
		}
		spaces = append(spaces, snapshot.Space{ID: sp.ID, GroupID: group, View: sp.ReadView()})
	}
	meta := snapshot.Meta{InstanceUUID: s.uuid, VClock: vc}
	write := func() error {
		if _, err := snapshot.Write(context.Background(), st.fs, st.memtxDir, meta, spaces, snapshot.Options{Log: s.Log,
			RateLimit: math.Float64frombits(st.rateLimit.Load())}); err != nil {
			return err
		}
		st.wal.CommitCheckpoint()
		return s.collectGarbage()
	}
	if f := s.Sched.Current(); f != nil {
		f.Block(func() { err = write() })
	} else {
		err = write()
	}
	if err != nil {
		s.Log.Logf(s.who(), say.Error, "checkpoint failed: %s", err.Error())
		return storageError(err)
	}
	return nil
}

// closeStorage stops the WAL at shutdown.
func (s *Server) closeStorage() {
	if s.st != nil && s.st.wal != nil {
		s.st.wal.Close()
	}
	if s.st != nil {
		closeLock(s.st.dirLock)
	}
}
