package wal

import (
	"path"
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/xlog"
)

// loop is the writer goroutine (wal_writer_f). It writes whatever is
// queued whenever no waiter is writing a batch itself (see lead).
func (w *Writer) loop() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for w.writing || len(w.queue) == 0 && !w.closing {
			w.wake.Wait()
		}
		if len(w.queue) == 0 { // closing
			// Nothing is queued and nothing can be (Submit refuses
			// now): the file stays the loop's for good.
			w.writing = true
			w.mu.Unlock()
			break
		}
		q := w.takeLocked()
		w.mu.Unlock()
		w.writeTaken(q)
	}
	w.shutdown()
}

// lead runs in Wait for an entry that was the only transaction in flight
// when it was submitted, for which the writer goroutine was not woken:
// unless someone is writing already, the waiting goroutine writes the
// queue itself. A lone transaction is so written without waking the
// writer goroutine, saving two goroutine hand-offs (to the writer and
// back).
func (w *Writer) lead(e *Entry) {
	w.mu.Lock()
	// Whoever is writing wakes the loop when done if e is still queued
	// then (writeTaken).
	if w.writing || e.failed || isClosed(e.done) {
		w.mu.Unlock()
		return
	}
	// e is not complete, not failed and not being written: it is queued.
	q := w.takeLocked()
	w.leading = true
	w.mu.Unlock()
	w.writeTaken(q)
}

// takeLocked hands the queue to the caller, who owns the file until it
// clears writing; w.mu is held.
func (w *Writer) takeLocked() []item {
	q := w.queue
	w.queue = w.spare[:0]
	w.spare = nil
	w.writing = true
	return q
}

// writeTaken processes a taken queue and gives the file up, waking the
// writer goroutine if more was queued meanwhile (from the writer
// goroutine itself the signal finds nobody waiting and is lost).
func (w *Writer) writeTaken(q []item) {
	w.process(q)
	w.mu.Lock()
	w.writing, w.leading = false, false
	if len(w.queue) > 0 || w.closing {
		w.wake.Signal()
	}
	w.mu.Unlock()
}

// process writes the entries and runs the controls of a taken queue in
// order; the caller has set writing.
func (w *Writer) process(q []item) {
	batch := w.batch[:0]
	for i := 0; i < len(q); {
		if c := q[i].ctl; c != nil {
			w.control(c)
			i++
			continue
		}
		batch = batch[:0]
		for ; i < len(q) && q[i].e != nil; i++ {
			// Entries failed by an earlier batch of this round are
			// already in the rollback chain.
			if !q[i].e.failed {
				batch = append(batch, q[i].e)
			}
		}
		if len(batch) > 0 {
			w.writeBatch(batch, q[i:])
		}
	}
	clear(batch)
	w.batch = batch[:0]
	clear(q)
	// The emptied array is what Submit fills next instead of growing a
	// new one every round.
	if cap(q) <= 4096 {
		w.spare = q
	}
}

// writeBatch writes the entries of one batch; rest is what was dequeued
// with them and comes after them (failed too if this batch fails).
func (w *Writer) writeBatch(batch []*Entry, rest []item) {
	w.mu.Lock()
	broken := w.broken
	w.mu.Unlock()
	if broken != nil {
		w.fail(batch, rest, nil)
		return
	}
	if err := w.openCurrent(); err != nil {
		w.log(say.Error, "%s", err.Error())
		w.fail(batch, rest, nil)
		return
	}
	start := w.cur.Offset()
	now := w.now()
	var err error
	for _, e := range batch {
		for _, r := range e.Rows {
			r.Timestamp = now
		}
		if err = w.cur.WriteTxn(e.Rows); err != nil {
			break
		}
	}
	if err == nil {
		err = w.cur.Flush()
	}
	if err == nil && w.opts.Mode == ModeFsync {
		err = w.cur.Sync()
	}
	if err != nil {
		w.log(say.Error, "SystemError failed to write to '%s': %s", w.cur.Path(), err.Error())
		w.fail(batch, rest, &start)
		return
	}
	w.mu.Lock()
	w.pending -= len(batch)
	for _, e := range batch {
		for _, r := range e.Rows {
			if id := vclock.ReplicaID(r.ReplicaID); vclock.LSN(r.LSN) > w.written.Get(id) {
				w.written.Follow(id, vclock.LSN(r.LSN))
			}
		}
	}
	w.cpSize += w.cur.Offset() - start
	trigger := !w.cpTriggered && w.cpThreshold > 0 && w.cpSize > w.cpThreshold
	if trigger {
		w.cpTriggered = true
	}
	w.notifyLocked()
	w.mu.Unlock()
	if trigger && w.opts.OnCheckpointThreshold != nil {
		w.opts.OnCheckpointThreshold()
	}
	for _, e := range batch {
		close(e.done)
	}
}

// fail starts a cascading rollback: batch, every entry in rest and every
// entry queued since are failed and chained for Release, newest woken
// first. start, when set, is where the batch began in the current file,
// which is cut back there and abandoned.
func (w *Writer) fail(batch []*Entry, rest []item, start *int64) {
	var brokenErr error
	if start != nil && w.cur != nil {
		brokenErr = w.abandonCurrent(*start)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if brokenErr != nil && w.broken == nil {
		w.broken = brokenErr
		w.log(say.Crit, "the WAL can no longer be written: %s", brokenErr.Error())
	}
	errWAL := boxerr.New(boxerr.ER_WAL_IO)
	add := func(e *Entry) {
		e.failed, e.inChain, e.err = true, true, errWAL
		w.pending--
		w.chain = append(w.chain, e)
	}
	for _, e := range batch {
		add(e)
	}
	for _, it := range rest {
		if it.e != nil && !it.e.failed {
			add(it.e)
		}
	}
	kept := w.queue[:0]
	for _, it := range w.queue {
		if it.e != nil {
			add(it.e)
		} else {
			kept = append(kept, it)
		}
	}
	w.queue = kept
	w.inRollback = true
	if w.cascade != nil {
		close(w.cascade)
		w.cascade = nil
	}
	// The failed entries' LSNs are handed out again.
	w.assigned = w.written
	// Submit refuses entries during a cascade, so the chain holds only
	// this cascade: wake its newest entry first.
	if n := len(w.chain); n > 0 {
		close(w.chain[n-1].done)
	}
}

// abandonCurrent closes the current file after a failed batch and cuts
// off whatever part of the batch reached it. A file left with no rows is
// removed so the next file can take its name. An error means the file may
// hold rows that were rolled back.
func (w *Writer) abandonCurrent(start int64) error {
	name := w.cur.Path()
	sig := w.curVClock.Sum()
	w.cur.Close() // after a failed write this only closes; otherwise the EOF marker is cut below
	w.cur = nil
	if err := w.fs.Truncate(name, start); err != nil {
		return err
	}
	if sig == w.written.Sum() {
		if err := w.fs.Remove(name); err != nil {
			return err
		}
		w.dropFile(sig)
		return w.fs.SyncDir(w.dir)
	}
	return nil
}

// openCurrent rotates by size and opens a new file when none is open
// (wal_opt_rotate).
func (w *Writer) openCurrent() error {
	if w.cur != nil && w.cur.Offset() >= w.opts.MaxSize {
		w.closeCurrent()
	}
	if w.cur != nil {
		return nil
	}
	w.mu.Lock()
	vc := w.written
	w.mu.Unlock()
	meta := &xlog.Meta{Type: xlog.TypeXlog, InstanceUUID: w.opts.InstanceUUID, VClock: &vc}
	if n := len(w.files); n > 0 {
		prev := w.files[n-1].vclock
		meta.PrevVClock = &prev
	}
	cur, err := xlog.Create(w.fs, w.dir, meta, xlog.Options{NoCompression: w.opts.NoCompression})
	if err != nil {
		return err
	}
	// The meta and the new name must survive a crash before rows in the
	// file are acknowledged, in write mode too, so a crash never leaves an
	// xlog without a readable header.
	if err := cur.Sync(); err != nil {
		cur.Close()
		w.fs.Remove(cur.Path())
		return err
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		cur.Close()
		w.fs.Remove(cur.Path())
		return err
	}
	w.cur, w.curVClock = cur, vc
	w.files = append(w.files, xlogFile{sig: vc.Sum(), vclock: vc})
	w.mu.Lock()
	w.notifyLocked()
	w.mu.Unlock()
	return nil
}

func (w *Writer) closeCurrent() {
	if w.cur == nil {
		return
	}
	if err := w.cur.Close(); err != nil {
		w.log(say.Warn, "failed to close %s: %s", w.cur.Path(), err.Error())
	}
	w.cur = nil
}

func (w *Writer) control(c *control) {
	defer close(c.done)
	w.mu.Lock()
	written, inRollback := w.written, w.inRollback
	w.mu.Unlock()
	switch c.kind {
	case ctlSync:
		c.result = written
		if inRollback {
			c.err = boxerr.New(boxerr.ER_WAL_IO)
		}
	case ctlRotate:
		if inRollback {
			c.err = boxerr.New(boxerr.ER_CHECKPOINT_ROLLBACK)
			return
		}
		if w.cur != nil && w.curVClock.Sum() != written.Sum() {
			w.closeCurrent()
		}
		c.result = written
		w.mu.Lock()
		w.cpBegin = w.cpSize
		w.mu.Unlock()
	case ctlGC:
		w.collect(c.vclock, written)
	}
}

func (w *Writer) collect(v, written vclock.VClock) {
	limit := v.Sum()
	if w.cur != nil || limit < written.Sum() {
		// Keep the newest file starting at or before v: it holds the rows
		// right after v.
		i := sort.Search(len(w.files), func(i int) bool { return w.files[i].sig > limit })
		if i == 0 {
			return
		}
		limit = w.files[i-1].sig
	}
	for len(w.files) > 0 && w.files[0].sig < limit {
		f := w.files[0]
		if w.cur != nil && f.sig == w.curVClock.Sum() {
			break
		}
		name := xlog.FileName(f.sig, xlog.TypeXlog)
		err := w.fs.Remove(path.Join(w.dir, name))
		switch {
		case err == nil:
			w.log(say.Info, "removed %s", filePath(w.dir, name))
		case !isNotExist(err):
			w.log(say.SysError, "error while removing %s: %s", filePath(w.dir, name), err.Error())
		}
		w.files = w.files[1:]
	}
}

// shutdown is the end of wal_writer_f: leave an empty xlog named by the
// final vclock unless the current file already starts there.
func (w *Writer) shutdown() {
	if w.opts.Mode == ModeNone {
		return
	}
	w.mu.Lock()
	written := w.written
	broken := w.broken
	w.mu.Unlock()
	if broken == nil && (w.cur == nil || written.Sum() > w.curVClock.Sum()) {
		w.closeCurrent()
		if err := w.openCurrent(); err != nil {
			w.log(say.Error, "%s", err.Error())
		}
	}
	w.closeCurrent()
	if err := w.fs.SyncDir(w.dir); err != nil {
		w.log(say.Error, "%s", err.Error())
	}
}
