package wal

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

// groupLocal is GROUP_LOCAL: rows of is_local spaces.
const groupLocal = 1

// Options configure a Writer.
type Options struct {
	Mode Mode
	// MaxSize is wal_max_size: a file at least this big is closed before the
	// next batch. Zero means DefaultMaxSize.
	MaxSize int64
	// InstanceUUID goes into every file's meta.
	InstanceUUID string
	// VClock is the vclock recovery ended with; the first LSNs follow it.
	VClock vclock.VClock
	// InstanceID signs local non-local-space rows; 0 until registered
	// (SetInstanceID changes it).
	InstanceID vclock.ReplicaID
	// Now returns the time in seconds since the epoch for row timestamps;
	// nil means the system clock.
	Now func() float64
	// Log receives the writer's log lines; nil discards them.
	Log Logger
	// NoCompression writes every block plain.
	NoCompression bool
	// CheckpointThreshold is checkpoint_wal_threshold: once the rows
	// written since the last checkpoint exceed this many bytes,
	// OnCheckpointThreshold is called, once until CommitCheckpoint.
	// Zero means no threshold.
	CheckpointThreshold int64
	// OnCheckpointThreshold is called by the goroutine that wrote the
	// batch crossing the threshold; it must not block.
	OnCheckpointThreshold func()
}

// xlogFile is one .xlog in the WAL directory.
type xlogFile struct {
	sig    int64
	vclock vclock.VClock
}

// Writer is the WAL writer. Submit, SetInstanceID and VClock may be called
// from any goroutine; the file belongs to whoever has set writing: the
// writer goroutine or a waiter writing its own batch (lead).
type Writer struct {
	fs   vfs.FS
	dir  string
	opts Options

	mu       sync.Mutex
	wake     *sync.Cond
	assigned vclock.VClock // LSNs handed out by Submit
	written  vclock.VClock // rows written (and synced, in fsync mode)
	id       vclock.ReplicaID
	queue    []item
	closing  bool
	// writing is set while a goroutine owns the file and the fields
	// below: the writer goroutine, or a waiter writing a batch itself
	// (lead). Whoever clears it with a non-empty queue wakes the loop.
	writing bool
	// leading is set while the owner is a waiter (lead): submitters
	// need not wake the writer goroutine, the waiter does when done.
	leading bool
	// pending counts the entries queued or being written.
	pending int
	// cpSize is the bytes of rows written since the last checkpoint
	// (checkpoint_wal_size), cpBegin its value when the checkpoint in
	// progress began (Rotate), cpThreshold checkpoint_wal_threshold and
	// cpTriggered set once OnCheckpointThreshold was called for it.
	cpSize, cpBegin, cpThreshold int64
	cpTriggered                  bool
	// chain holds the failed entries of a cascading rollback not yet
	// released, oldest first; inRollback stays set until it is empty.
	chain      []*Entry
	inRollback bool
	// cascade is closed when the next cascading rollback starts (see
	// Cascade); nil until asked for.
	cascade chan struct{}
	// broken is set when a failed batch could not be cut off the file:
	// the writer refuses every later entry.
	broken   error
	watchers map[int]chan struct{}
	nextW    int

	// Owned by whoever has set writing.
	cur       *xlog.Writer
	curVClock vclock.VClock
	files     []xlogFile // ascending signature, the current file included
	spare     []item     // the array of the queue emptied last
	batch     []*Entry
	done      chan struct{}
}

type ctlKind uint8

const (
	ctlRotate ctlKind = iota + 1
	ctlGC
	ctlSync
)

type control struct {
	kind   ctlKind
	vclock vclock.VClock
	result vclock.VClock
	err    error
	done   chan struct{}
}

type item struct {
	e   *Entry
	ctl *control
}

// Entry is one submitted transaction.
type Entry struct {
	// Rows are the transaction's rows with LSNs assigned; they belong to the
	// writer until the entry completes. Nil in ModeNone's shared entry.
	Rows    []*xrow.Row
	w       *Writer
	done    chan struct{}
	err     error
	inChain bool
	failed  bool
	// lead is set on a deferred entry submitted as the only one in
	// flight: the writer goroutine was not woken, Wait writes it (lead).
	lead bool
}

// Wait blocks until the entry is written per mode and returns nil, or
// returns ER_WAL_IO when the entry was rolled back. After an error the
// caller must roll the transaction back and call Release, holding the tx
// baton throughout (see the package doc).
func (e *Entry) Wait() error {
	if e.done != closedChan {
		// An entry born complete (wal_mode none's shared one, a refused
		// one) is not waited for: receiving from the one closed channel
		// they share takes its lock, and every writing goroutine would
		// contend for it.
		if e.lead {
			e.w.lead(e)
		}
		<-e.done
	}
	return e.err
}

// Done returns a channel closed when the entry completes.
func (e *Entry) Done() <-chan struct{} { return e.done }

// Cascade returns a channel closed once a cascading rollback is under way:
// at once if one is now, else when the next one starts. A goroutine that
// waits for several entries in the order they were submitted watches it:
// in a cascade the newest failed entry completes first and each older one
// only after the newer ones are released, so waiting for the oldest alone
// would never end.
func (w *Writer) Cascade() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inRollback {
		return closedChan
	}
	if w.cascade == nil {
		w.cascade = make(chan struct{})
	}
	return w.cascade
}

// Release hands a failed entry back after its transaction was rolled back
// in memory, waking the next-older failed entry of the cascade. It is a
// no-op for entries that succeeded or were refused by Submit.
func (e *Entry) Release() {
	if e == written {
		return // never failed
	}
	w := e.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if !e.inChain {
		return
	}
	e.inChain = false
	n := len(w.chain)
	if n == 0 || w.chain[n-1] != e {
		panic("wal: Release of a failed entry out of reverse order")
	}
	w.chain = w.chain[:n-1]
	if n > 1 {
		close(w.chain[n-2].done)
		return
	}
	w.inRollback = false
}

// Open starts a WAL writer appending to dir, whose xlogs must already have
// been recovered up to opts.VClock.
func Open(fs vfs.FS, dir string, opts Options) (*Writer, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	w := &Writer{
		fs: fs, dir: dir, opts: opts, cpThreshold: opts.CheckpointThreshold,
		assigned: opts.VClock, written: opts.VClock, id: opts.InstanceID,
		watchers: map[int]chan struct{}{},
		done:     make(chan struct{}),
	}
	w.wake = sync.NewCond(&w.mu)
	if opts.Mode != ModeNone {
		if err := w.scan(); err != nil {
			return nil, err
		}
		if err := w.reopenCurrent(); err != nil {
			return nil, err
		}
	}
	go w.loop()
	return w, nil
}

func (w *Writer) log(level say.Level, format string, args ...any) {
	if w.opts.Log != nil {
		w.opts.Log.Log(whoWAL, level, fmt.Sprintf(format, args...))
	}
}

// filePath formats a file name as xdir_format_filename does: "dir/name",
// so log lines read "./00000000000000000000.xlog" like Tarantool's.
func filePath(dir, name string) string { return dir + "/" + name }

// scan builds the index of existing xlogs (xdir_scan), used for PrevVClock
// and garbage collection.
func (w *Writer) scan() error {
	names, err := w.fs.ReadDir(w.dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		sig, t, ok := xlog.ParseFileName(name)
		if !ok || t != xlog.TypeXlog {
			continue
		}
		m, err := readMeta(w.fs, path.Join(w.dir, name))
		if err != nil || m.VClock == nil || m.VClock.Sum() != sig {
			w.log(say.Warn, "skipping %s: unreadable xlog meta", filePath(w.dir, name))
			continue
		}
		w.files = append(w.files, xlogFile{sig: sig, vclock: *m.VClock})
	}
	sort.Slice(w.files, func(i, j int) bool { return w.files[i].sig < w.files[j].sig })
	return nil
}

func readMeta(fs vfs.FS, name string) (*xlog.Meta, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := xlog.NewCursor(f, name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Meta(), nil
}

// reopenCurrent handles an existing xlog named by the current signature
// (wal_open): such a file can only be the row-less xlog left by a clean
// shutdown, which is replaced by the one the first batch creates; one
// holding rows or unreadable is renamed to .corrupted.
func (w *Writer) reopenCurrent() error {
	sig := w.written.Sum()
	name := path.Join(w.dir, xlog.FileName(sig, xlog.TypeXlog))
	f, err := w.fs.Open(name)
	if vfs.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c, err := xlog.NewCursor(f, name)
	empty := false
	if err == nil {
		var row xrow.Row
		rerr := c.Next(&row)
		empty = rerr == io.EOF || errors.Is(rerr, xlog.ErrNoEOFMarker)
		c.Close()
	}
	f.Close()
	if empty {
		err = w.fs.Remove(name)
	} else {
		w.log(say.Warn, "renaming corrupted %s", filePath(w.dir, xlog.FileName(sig, xlog.TypeXlog)))
		err = w.fs.Rename(name, name+".corrupted")
	}
	if err != nil {
		return err
	}
	w.dropFile(sig)
	return w.fs.SyncDir(w.dir)
}

func (w *Writer) dropFile(sig int64) {
	for i, f := range w.files {
		if f.sig == sig {
			w.files = append(w.files[:i], w.files[i+1:]...)
			return
		}
	}
}

// SetInstanceID sets the id that signs local rows from now on
// (box.info.id after registration in _cluster).
func (w *Writer) SetInstanceID(id vclock.ReplicaID) {
	w.mu.Lock()
	w.id = id
	w.mu.Unlock()
}

// VClock returns the vclock of the rows written so far (in mode none: of
// every row submitted).
func (w *Writer) VClock() vclock.VClock {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

// Mode returns the writer's mode.
func (w *Writer) Mode() Mode { return w.opts.Mode }

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (w *Writer) refuse(rows []*xrow.Row, err error) *Entry {
	return &Entry{Rows: rows, w: w, err: err, failed: true, done: closedChan}
}

// written is the entry Submit returns in ModeNone, where every entry is
// complete and successful at once: one shared, never modified entry
// instead of an allocation per transaction.
var written = &Entry{done: closedChan}

// Submit queues the rows of one transaction; see the package doc. It never
// blocks on I/O. The rows must not be touched until the entry completes.
func (w *Writer) Submit(rows []*xrow.Row) *Entry { return w.submit(rows, false) }

// SubmitDeferred is Submit for a caller that will call Wait on the entry
// (not only watch Done). If it is the only transaction in flight, the
// writer goroutine is not woken for it: Wait writes it on the waiting
// goroutine unless the writer goroutine got there first. Waiting on Done
// alone might never end.
func (w *Writer) SubmitDeferred(rows []*xrow.Row) *Entry { return w.submit(rows, true) }

func (w *Writer) submit(rows []*xrow.Row, deferred bool) *Entry {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closing:
		return w.refuse(rows, boxerr.New(boxerr.ER_WAL_IO))
	case w.broken != nil:
		return w.refuse(rows, boxerr.New(boxerr.ER_WAL_IO))
	case w.inRollback:
		if w.opts.Log != nil {
			w.opts.Log.Log("main", say.Error, fmt.Sprintf("Aborting transaction %d during cascading rollback", w.written.Sum()))
		}
		return w.refuse(rows, boxerr.New(boxerr.ER_WAL_IO))
	}
	if err := assignLSN(&w.assigned, w.id, rows); err != nil {
		w.log(say.Crit, "%s", err.Error())
		return w.refuse(rows, boxerr.New(boxerr.ER_WAL_IO))
	}
	if w.opts.Mode == ModeNone {
		w.written = w.assigned
		w.notifyLocked()
		return written
	}
	e := &Entry{Rows: rows, w: w, done: make(chan struct{})}
	w.queue = append(w.queue, item{e: e})
	w.pending++
	// In fsync mode a deferred entry that is the only one in flight is
	// left to its waiter (lead), who would otherwise sleep through the
	// fsync. Any other wakes the writer goroutine at once, so that it
	// writes while the submitter goes on: the first writes of a
	// pipelined batch reach the disk while the rest are being executed,
	// and concurrent transactions are written in groups. (In write mode
	// the write is short, and leading measured no faster with one client
	// and slower with sixteen: more wake-ups of the writer goroutine,
	// which finds the file taken.)
	if deferred && w.pending == 1 && w.opts.Mode == ModeFsync {
		e.lead = true
	} else if !w.leading {
		w.wake.Signal()
	}
	return e
}

// assignLSN is wal_assign_lsn. On error (a broken LSN from a replica)
// vc is unchanged.
func assignLSN(vc *vclock.VClock, id vclock.ReplicaID, rows []*xrow.Row) error {
	next := *vc
	var tsn int64
	firstGlobal := 0
	for i, r := range rows {
		if r.ReplicaID == 0 {
			if r.GroupID != groupLocal {
				r.ReplicaID = uint32(id)
			}
			r.LSN = int64(next.Inc(vclock.ReplicaID(r.ReplicaID)))
			if r.GroupID != groupLocal && tsn == 0 {
				tsn = r.LSN
				firstGlobal = i
			}
			if tsn == 0 {
				r.TSN = rows[0].LSN
			} else {
				r.TSN = tsn
			}
			r.IsCommit = i == len(rows)-1
			continue
		}
		if r.ReplicaID >= vclock.Max {
			return fmt.Errorf("Attempt to write a row of replica id %d to WAL", r.ReplicaID)
		}
		rid := vclock.ReplicaID(r.ReplicaID)
		if cur := next.Get(rid); vclock.LSN(r.LSN) <= cur {
			return fmt.Errorf("Attempt to write a broken LSN to WAL: replica id: %d, confirmed lsn: %d, new lsn %d",
				r.ReplicaID, cur, r.LSN)
		}
		next.Follow(rid, vclock.LSN(r.LSN))
	}
	if tsn != 0 {
		for _, r := range rows[:firstGlobal] {
			r.TSN = tsn
		}
	}
	*vc = next
	return nil
}

// Watch returns a channel that receives a value (coalesced) after every
// batch written and every new file, and a function that stops the
// notifications. Relays use it to follow the WAL.
func (w *Writer) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	id := w.nextW
	w.nextW++
	w.watchers[id] = ch
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.watchers, id)
		w.mu.Unlock()
	}
}

func (w *Writer) notifyLocked() {
	for _, ch := range w.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (w *Writer) call(c *control) error {
	c.done = make(chan struct{})
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return errors.New("wal: writer is closed")
	}
	w.queue = append(w.queue, item{ctl: c})
	w.wake.Signal()
	w.mu.Unlock()
	<-c.done
	return c.err
}

// Rotate starts a checkpoint (wal_begin_checkpoint): it waits until every
// entry submitted before it is written, closes the current file unless it
// has no rows, so the next batch starts a new one, and returns the vclock
// of the checkpoint. It fails with ER_CHECKPOINT_ROLLBACK during a
// cascading rollback.
func (w *Writer) Rotate() (vclock.VClock, error) {
	w.mu.Lock()
	if w.opts.Mode == ModeNone {
		defer w.mu.Unlock()
		return w.written, nil
	}
	if w.inRollback {
		w.mu.Unlock()
		return vclock.VClock{}, boxerr.New(boxerr.ER_CHECKPOINT_ROLLBACK)
	}
	w.mu.Unlock()
	c := &control{kind: ctlRotate}
	err := w.call(c)
	return c.result, err
}

// CommitCheckpoint tells the writer that the checkpoint begun by the last
// Rotate is complete (wal_commit_checkpoint): the rows written before it
// no longer count towards CheckpointThreshold, and the threshold may
// trigger again.
func (w *Writer) CommitCheckpoint() {
	w.mu.Lock()
	w.cpSize -= w.cpBegin
	w.cpBegin = 0
	w.cpTriggered = false
	w.mu.Unlock()
}

// SetCheckpointThreshold changes checkpoint_wal_threshold; zero means
// none.
func (w *Writer) SetCheckpointThreshold(n int64) {
	w.mu.Lock()
	w.cpThreshold = n
	w.mu.Unlock()
}

// Sync waits until every entry submitted before it is complete and
// returns the written vclock (wal_sync).
func (w *Writer) Sync() (vclock.VClock, error) {
	if w.opts.Mode == ModeNone {
		return w.VClock(), nil
	}
	c := &control{kind: ctlSync}
	err := w.call(c)
	return c.result, err
}

// CollectGarbage deletes the xlogs that hold only rows older than v
// (wal_collect_garbage): every file older than the newest file starting
// at or before v, or every file when v covers all rows and no file is
// open. The current file is never deleted.
func (w *Writer) CollectGarbage(v vclock.VClock) error {
	if w.opts.Mode == ModeNone {
		return nil
	}
	return w.call(&control{kind: ctlGC, vclock: v})
}

// Close writes what is queued, closes the current file and, as
// Tarantool does on shutdown, leaves an empty xlog named by the final
// vclock if the current file does not already start there. Later Submits
// fail with ER_WAL_IO.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closing = true
	w.wake.Signal()
	w.mu.Unlock()
	<-w.done
	return nil
}

func (w *Writer) now() float64 {
	if w.opts.Now != nil {
		return w.opts.Now()
	}
	return float64(time.Now().UnixNano()) / 1e9
}
