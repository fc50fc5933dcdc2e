package recovery

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/gcpacer"
	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xlog"
	"github.com/spindledb/spindle/internal/xrow"
)

// Logger receives log lines; *say.Logger implements it.
type Logger interface {
	Log(who string, level say.Level, msg string)
}

// Consumer applies recovered rows; *box.Box implements it (call
// SetRecovering(true) first so ApplyRow does not write to the journal).
type Consumer interface {
	ApplySnapshotRow(spaceID uint32, tuple []byte) error
	ApplyRow(row *xrow.Row) error
}

// Options configure recovery.
type Options struct {
	MemtxDir string
	WALDir   string
	// InstanceUUID is box.cfg.instance_uuid; "" accepts any.
	InstanceUUID  string
	ForceRecovery bool
	Log           Logger
	// Who names the fiber in log lines, e.g. "main/103/init.lua".
	Who string
}

// GapError is Tarantool's XlogGapError: xlogs are missing between two
// vclocks.
type GapError struct {
	From, To vclock.VClock
}

func (e *GapError) Error() string {
	return fmt.Sprintf("Missing .xlog file between LSN %d %s and %d %s", e.From.Sum(), e.From.String(), e.To.Sum(), e.To.String())
}

// NoEOFError reports a snapshot without its EOF marker, which Tarantool
// refuses to trust (it panics).
type NoEOFError struct{ Path string }

func (e *NoEOFError) Error() string { return fmt.Sprintf("snapshot `%s' has no EOF marker", e.Path) }

// ApplyError reports a row the consumer refused.
type ApplyError struct {
	File   string
	Offset int64 // of the row's block
	Err    error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("%s: can't apply row in the block at offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

type xlogFile struct {
	sig    int64
	vclock vclock.VClock
	name   string
}

// Recovery is a prepared start-up: the snapshot chosen and the WAL indexed.
type Recovery struct {
	fs   vfs.FS
	opts Options

	hasSnap    bool
	snapSig    int64
	uuid       string
	checkpoint vclock.VClock
	files      []xlogFile
	end        vclock.VClock
}

// Open chooses the newest snapshot and scans the WAL directory. A
// directory without snapshots gives a Recovery with HasSnapshot false: the
// instance must be bootstrapped.
func Open(fs vfs.FS, opts Options) (*Recovery, error) {
	r := &Recovery{fs: fs, opts: opts}
	names, err := fs.ReadDir(opts.MemtxDir)
	if err != nil && !vfs.IsNotExist(err) {
		return nil, err
	}
	for _, name := range names {
		if sig, t, ok := xlog.ParseFileName(name); ok && t == xlog.TypeSnap && (!r.hasSnap || sig > r.snapSig) {
			r.hasSnap, r.snapSig = true, sig
		}
	}
	if !r.hasSnap {
		return r, nil
	}
	c, err := xlog.Open(fs, opts.MemtxDir, r.snapSig, xlog.TypeSnap, "")
	if err != nil {
		return nil, err
	}
	m := c.Meta()
	c.Close()
	if opts.InstanceUUID != "" && opts.InstanceUUID != m.InstanceUUID {
		return nil, boxerr.New(boxerr.ER_INSTANCE_UUID_MISMATCH, opts.InstanceUUID, m.InstanceUUID)
	}
	r.uuid, r.checkpoint = m.InstanceUUID, *m.VClock
	if err := r.scanWAL(); err != nil {
		return nil, err
	}
	r.end = r.scanEnd()
	return r, nil
}

// HasSnapshot reports whether a snapshot was found.
func (r *Recovery) HasSnapshot() bool { return r.hasSnap }

// InstanceUUID is the UUID in the snapshot's meta.
func (r *Recovery) InstanceUUID() string { return r.uuid }

// CheckpointVClock is the snapshot's vclock.
func (r *Recovery) CheckpointVClock() vclock.VClock { return r.checkpoint }

// SnapshotPath is the path of the snapshot Run will read.
func (r *Recovery) SnapshotPath() string {
	return path.Join(r.opts.MemtxDir, xlog.FileName(r.snapSig, xlog.TypeSnap))
}

// EndVClock is the vclock recovery is expected to reach ("instance
// vclock"): the checkpoint's, advanced by the rows of the last xlog.
func (r *Recovery) EndVClock() vclock.VClock { return r.end }

func (r *Recovery) log(level say.Level, format string, args ...any) {
	if r.opts.Log != nil {
		r.opts.Log.Log(r.opts.Who, level, fmt.Sprintf(format, args...))
	}
}

// logAt writes a warning or error with the source position Tarantool
// prints for such lines, so the log reads like 2.6's.
func (r *Recovery) logAt(level say.Level, where string, format string, args ...any) {
	if r.opts.Log != nil {
		r.opts.Log.Log(r.opts.Who+" "+where, level, fmt.Sprintf(format, args...))
	}
}

func display(dir, name string) string { return dir + "/" + name }

// scanWAL indexes the xlogs (xdir_scan): each meta is read and checked
// against its name and the instance UUID.
func (r *Recovery) scanWAL() error {
	names, err := r.fs.ReadDir(r.opts.WALDir)
	if err != nil {
		if vfs.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, name := range names {
		sig, t, ok := xlog.ParseFileName(name)
		if !ok || t != xlog.TypeXlog {
			continue
		}
		c, err := xlog.Open(r.fs, r.opts.WALDir, sig, xlog.TypeXlog, r.uuid)
		if err != nil {
			if r.opts.ForceRecovery {
				r.logAt(say.Error, "xlog.c:558", "%s", err.Error())
				continue
			}
			return err
		}
		r.files = append(r.files, xlogFile{sig: sig, vclock: *c.Meta().VClock, name: name})
		c.Close()
	}
	sort.Slice(r.files, func(i, j int) bool { return r.files[i].sig < r.files[j].sig })
	return nil
}

// scanEnd is recovery_scan's end vclock.
func (r *Recovery) scanEnd() vclock.VClock {
	end := r.checkpoint
	n := len(r.files)
	if n == 0 {
		return end
	}
	last := r.files[n-1]
	if o := last.vclock.Compare(&r.checkpoint); o == vclock.Less || o == vclock.Incomparable {
		return end
	}
	end = last.vclock
	c, err := xlog.Open(r.fs, r.opts.WALDir, last.sig, xlog.TypeXlog, "")
	if err != nil {
		return end
	}
	defer c.Close()
	var row xrow.Row
	for c.Next(&row) == nil {
		if id := vclock.ReplicaID(row.ReplicaID); id < vclock.Max && vclock.LSN(row.LSN) > end.Get(id) {
			end.Follow(id, vclock.LSN(row.LSN))
		}
	}
	return end
}

// Result is the outcome of Run.
type Result struct {
	InstanceUUID     string
	CheckpointVClock vclock.VClock
	// VClock covers every row recovered; the WAL continues from it.
	VClock vclock.VClock
	// SnapshotRows and XlogRows count the rows applied.
	SnapshotRows, XlogRows int64
}

// Run recovers the snapshot and then the xlogs into c.
func (r *Recovery) Run(c Consumer) (*Result, error) {
	if !r.hasSnap {
		return nil, errors.New("recovery: no snapshot to recover from")
	}
	res := &Result{InstanceUUID: r.uuid, CheckpointVClock: r.checkpoint}
	n, err := r.recoverSnapshot(c)
	res.SnapshotRows = n
	if err != nil {
		return res, err
	}
	vc, n, err := r.recoverWALs(c)
	res.VClock, res.XlogRows = vc, n
	return res, err
}

func (r *Recovery) recoverSnapshot(c Consumer) (int64, error) {
	r.log(say.Info, "recovery start")
	name := xlog.FileName(r.snapSig, xlog.TypeSnap)
	shown := display(r.opts.MemtxDir, name)
	r.log(say.Info, "recovering from `%s'", shown)
	cur, err := xlog.Open(r.fs, r.opts.MemtxDir, r.snapSig, xlog.TypeSnap, "")
	if err != nil {
		return 0, err
	}
	defer cur.Close()
	// A snapshot's rows become tuples and index entries that all stay
	// live: a collection during the load would free nothing.
	defer gcpacer.Pause()()
	var row xrow.Row
	var count int64
	for {
		err := cur.Next(&row)
		switch {
		case err == nil:
		case err == io.EOF:
			return count, nil
		case errors.Is(err, xlog.ErrNoEOFMarker) || xlog.IsTornTail(err):
			return count, &NoEOFError{Path: shown}
		case xlog.IsCorruption(err) && r.opts.ForceRecovery:
			r.logAt(say.Error, "xlog.c:1935", "can't open tx: %s", reason(err))
			if rerr := cur.Resync(); rerr != nil {
				return count, &NoEOFError{Path: shown}
			}
			continue
		default:
			return count, err
		}
		if aerr := applySnapshotRow(c, &row); aerr != nil {
			if !r.opts.ForceRecovery {
				return count, &ApplyError{File: shown, Offset: cur.GoodOffset(), Err: aerr}
			}
			r.log(say.Error, "can't apply row: ")
			r.log(say.Error, "%s", aerr.Error())
		}
		count++
		if count%100000 == 0 {
			r.log(say.Info, "%.1fM rows processed", float64(count)/1e6)
		}
	}
}

func reason(err error) string {
	var ce *xlog.CorruptionError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return err.Error()
}

const insertType = 2

func applySnapshotRow(c Consumer, row *xrow.Row) error {
	if row.Type != insertType {
		return boxerr.New(boxerr.ER_UNKNOWN_REQUEST_TYPE, uint32(row.Type))
	}
	req, err := xrow.DecodeDML(row, xrow.RequiredKeys(row.Type))
	if err != nil {
		return err
	}
	return c.ApplySnapshotRow(req.SpaceID, req.Tuple)
}

// recoverWALs is recover_remaining_wals from the checkpoint vclock.
func (r *Recovery) recoverWALs(c Consumer) (vclock.VClock, int64, error) {
	vc := r.checkpoint
	var count int64
	start := r.match(&vc)
	var prevMeta *vclock.VClock
	for i := start; i >= 0 && i < len(r.files); i++ {
		f := r.files[i]
		// Gap checks of recovery_open_log.
		if prevMeta == nil {
			if o := f.vclock.Compare(&vc); o == vclock.Greater || o == vclock.Incomparable {
				if err := r.gap(vc, f.vclock); err != nil {
					return vc, count, err
				}
			}
		}
		cur, err := xlog.Open(r.fs, r.opts.WALDir, f.sig, xlog.TypeXlog, r.uuid)
		if err != nil {
			return vc, count, err
		}
		if prev := cur.Meta().PrevVClock; prevMeta != nil && prev != nil && prev.Compare(prevMeta) != vclock.Equal {
			if err := r.gap(vc, f.vclock); err != nil {
				cur.Close()
				return vc, count, err
			}
		}
		if o := vc.Compare(&f.vclock); o == vclock.Less {
			vc = f.vclock
		}
		fv := f.vclock
		prevMeta = &fv
		shown := display(r.opts.WALDir, f.name)
		r.log(say.Info, "recover from `%s'", shown)
		n, err := r.recoverXlog(cur, c, &vc, shown, i == len(r.files)-1, path.Join(r.opts.WALDir, f.name))
		count += n
		cur.Close()
		if err != nil {
			return vc, count, err
		}
	}
	return vc, count, nil
}

// match is vclockset_match: the newest file starting at or before vc, or
// the first file.
func (r *Recovery) match(vc *vclock.VClock) int {
	if len(r.files) == 0 {
		return -1
	}
	for i := len(r.files) - 1; i >= 0; i-- {
		if o := r.files[i].vclock.Compare(vc); o == vclock.Less || o == vclock.Equal {
			return i
		}
	}
	return 0
}

func (r *Recovery) gap(from, to vclock.VClock) error {
	e := &GapError{From: from, To: to}
	if !r.opts.ForceRecovery {
		return e
	}
	r.logAt(say.Error, "recovery.cc:211", "XlogGapError: %s", e.Error())
	r.logAt(say.Warn, "recovery.cc:212", "ignoring a gap in LSN")
	return nil
}

func (r *Recovery) recoverXlog(cur *xlog.Cursor, c Consumer, vc *vclock.VClock, shown string, last bool, fullPath string) (int64, error) {
	var row xrow.Row
	var count int64
	for {
		err := cur.Next(&row)
		switch {
		case err == nil:
		case err == io.EOF:
			r.log(say.Info, "done `%s'", shown)
			return count, nil
		case errors.Is(err, xlog.ErrNoEOFMarker):
			r.logAt(say.Warn, "recovery.cc:155", "file `%s` wasn't correctly closed", shown)
			return count, nil
		case xlog.IsTornTail(err):
			r.logAt(say.Warn, "recovery.cc:155", "file `%s` wasn't correctly closed", shown)
			if last {
				var te *xlog.TornTailError
				errors.As(err, &te)
				if terr := r.fs.Truncate(fullPath, te.Offset); terr != nil {
					return count, terr
				}
				r.logAt(say.Warn, "recovery.cc:155", "truncated `%s' to %d bytes: dropped %d bytes of a torn block", shown, te.Offset, te.Size)
			}
			return count, nil
		case xlog.IsCorruption(err):
			if !r.opts.ForceRecovery {
				r.logAt(say.Error, "xlog.c:1747", "XlogError: %s", reason(err))
				return count, err
			}
			r.logAt(say.Error, "xlog.c:1935", "can't open tx: %s", reason(err))
			if rerr := cur.Resync(); rerr != nil {
				r.logAt(say.Warn, "recovery.cc:155", "file `%s` wasn't correctly closed", shown)
				return count, nil
			}
			continue
		default:
			return count, err
		}
		id := vclock.ReplicaID(row.ReplicaID)
		if id >= vclock.Max {
			if !r.opts.ForceRecovery {
				return count, &ApplyError{File: shown, Offset: cur.GoodOffset(), Err: fmt.Errorf("replica id %d out of range", row.ReplicaID)}
			}
			continue
		}
		if vclock.LSN(row.LSN) <= vc.Get(id) {
			continue // already applied
		}
		vc.Follow(id, vclock.LSN(row.LSN))
		if aerr := c.ApplyRow(&row); aerr != nil {
			if !r.opts.ForceRecovery {
				return count, &ApplyError{File: shown, Offset: cur.GoodOffset(), Err: aerr}
			}
			r.logAt(say.Error, "recovery.cc:285", "skipping row {%d: %d}", row.ReplicaID, row.LSN)
			r.log(say.Error, "%s", aerr.Error())
			continue
		}
		count++
		if count%100000 == 0 {
			r.log(say.Info, "%.1fM rows processed", float64(count)/1e6)
		}
	}
}
