package server

import (
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/luabox"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/snapshot"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xlog"
)

// collectGarbage deletes the snapshots beyond checkpoint_count that no
// backup pins, and the xlogs neither the oldest checkpoint kept nor a
// replica still needs (gc_run_cleanup).
func (s *Server) collectGarbage() error {
	st := s.st
	st.gcMu.Lock()
	defer st.gcMu.Unlock()
	opts := snapshot.CollectOptions{Keep: st.keep, Log: s.Log, Consumers: s.repl.walConsumers()}
	if st.backingUp {
		opts.Pinned = []int64{st.backup}
	}
	gc, ok, err := snapshot.Collect(st.fs, st.memtxDir, opts)
	if err == nil && ok {
		err = st.wal.CollectGarbage(gc)
	}
	return err
}

// BackupStart implements luabox.Host: box.backup.start(idx) pins the
// idx-th newest checkpoint, and with it the xlogs after it, and returns
// its snapshot file, named under memtx_dir as Tarantool names it.
func (s *Server) BackupStart(idx int) ([]string, error) {
	st := s.st
	if s.Box == nil || st == nil {
		return nil, boxerr.New(boxerr.ER_LOADING)
	}
	st.gcMu.Lock()
	defer st.gcMu.Unlock()
	if st.backingUp {
		return nil, boxerr.New(boxerr.ER_BACKUP_IN_PROGRESS)
	}
	cps, err := snapshot.List(st.fs, st.memtxDir)
	if err != nil {
		return nil, storageError(err)
	}
	if idx >= len(cps) {
		return nil, boxerr.New(boxerr.ER_MISSING_SNAPSHOT)
	}
	cp := cps[len(cps)-1-idx]
	st.backingUp, st.backup = true, cp.Signature
	return []string{st.memtxDir + "/" + xlog.FileName(cp.Signature, xlog.TypeSnap)}, nil
}

// BackupStop implements luabox.Host: the checkpoint a backup pinned is
// released, and what it held back is collected.
func (s *Server) BackupStop() {
	st := s.st
	if st == nil {
		return
	}
	st.gcMu.Lock()
	was := st.backingUp
	st.backingUp = false
	st.gcMu.Unlock()
	if !was {
		return
	}
	var err error
	if f := s.Sched.Current(); f != nil {
		f.Block(func() { err = s.collectGarbage() })
	} else {
		err = s.collectGarbage()
	}
	if err != nil {
		s.Log.Logf(s.who(), say.Error, "garbage collection failed: %s", err.Error())
	}
}

// GC implements luabox.Host (box.info.gc()).
func (s *Server) GC() luabox.GCInfo {
	g := luabox.GCInfo{VClock: map[uint32]int64{}}
	st := s.st
	if st == nil {
		return g
	}
	g.CheckpointIsInProgress = st.checkpointing
	st.gcMu.Lock()
	cps, _ := snapshot.List(st.fs, st.memtxDir)
	backingUp, backup := st.backingUp, st.backup
	st.gcMu.Unlock()
	for _, c := range cps {
		gc := luabox.GCCheckpoint{VClock: vclockMap(c.VClock), Signature: c.Signature, References: []string{}}
		if backingUp && c.Signature == backup {
			gc.References = append(gc.References, "backup")
		}
		g.Checkpoints = append(g.Checkpoints, gc)
	}
	var consumers []vclock.VClock
	for uuid, v := range s.repl.consumerMap() {
		consumers = append(consumers, v)
		g.Consumers = append(g.Consumers, luabox.GCConsumer{Name: "replica " + uuid, VClock: vclockMap(v), Signature: v.Sum()})
	}
	sort.Slice(g.Consumers, func(i, j int) bool {
		a, b := g.Consumers[i], g.Consumers[j]
		return a.Signature < b.Signature || a.Signature == b.Signature && a.Name < b.Name
	})
	gcv := snapshot.GCVClock(cps, consumers)
	g.VClock, g.Signature = vclockMap(gcv), gcv.Sum()
	return g
}

// vclockMap is a vclock as box.info tables carry it.
func vclockMap(v vclock.VClock) map[uint32]int64 {
	m := map[uint32]int64{}
	v.Each(func(id vclock.ReplicaID, lsn vclock.LSN) { m[uint32(id)] = int64(lsn) })
	return m
}
