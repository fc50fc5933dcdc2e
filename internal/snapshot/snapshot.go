package snapshot

import (
	"context"
	"fmt"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/spindledb/spindle/internal/memtx"
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

// Space is one space to dump.
type Space struct {
	ID uint32
	// GroupID is 1 for is_local spaces.
	GroupID uint32
	View    *memtx.ReadView
}

// Meta identifies the checkpoint.
type Meta struct {
	InstanceUUID string
	VClock       vclock.VClock
}

// Options tune Write.
type Options struct {
	Log Logger
	// Who names the writer in log lines; "snapshot/101/main" when empty
	// (the cord Tarantool runs checkpoint_f in).
	Who string
	// Timestamp overrides the timestamp of every row; zero means the
	// process-wide one fixed at the first snapshot.
	Timestamp float64
	// NoCompression writes every block plain.
	NoCompression bool
	// RateLimit is snap_io_rate_limit in bytes per second: the file is
	// written no faster, checked every SyncInterval bytes, as xlog.c
	// throttles a snapshot. Zero means no limit.
	RateLimit float64
}

// SyncInterval is SNAP_SYNC_INTERVAL: how many bytes of the file are
// written between two checks of RateLimit.
const SyncInterval = 2 << 20

const insertType = 2 // IPROTO_INSERT

// rowsPerReport is how often checkpoint_write_row reports progress.
const rowsPerReport = 100000

var (
	processStamp     float64
	processStampOnce sync.Once
)

// stamp returns the timestamp of snapshot rows: fixed for the process at
// the first call, as checkpoint_write_row's static "last".
func stamp() float64 {
	processStampOnce.Do(func() { processStamp = float64(time.Now().UnixNano()) / 1e9 })
	return processStamp
}

// filePath formats a file name as xdir_format_filename does ("dir/name").
func filePath(dir, name string) string { return dir + "/" + name }

// Write writes the snapshot of meta.VClock into dir and returns its path.
// Cancelling ctx stops it between rows; the partial file is removed.
func Write(ctx context.Context, fs vfs.FS, dir string, meta Meta, spaces []Space, opts Options) (string, error) {
	who := opts.Who
	if who == "" {
		who = "snapshot/101/main"
	}
	logf := func(level say.Level, format string, args ...any) {
		if opts.Log != nil {
			opts.Log.Log(who, level, fmt.Sprintf(format, args...))
		}
	}
	sig := meta.VClock.Sum()
	name := xlog.FileName(sig, xlog.TypeSnap)
	final := path.Join(dir, name)
	if f, err := fs.Open(final); err == nil {
		f.Close()
		return final, nil
	}
	vc := meta.VClock
	w, err := xlog.Create(fs, dir, &xlog.Meta{Type: xlog.TypeSnap, InstanceUUID: meta.InstanceUUID, VClock: &vc},
		xlog.Options{NoCompression: opts.NoCompression})
	if err != nil {
		return "", err
	}
	logf(say.Info, "saving snapshot `%s'", filePath(dir, name)+xlog.InprogressSuffix)
	fail := func(err error) (string, error) {
		w.Close()
		fs.Remove(w.Path())
		return "", err
	}
	ordered := append([]Space(nil), spaces...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].ID < ordered[j].ID })
	ts := opts.Timestamp
	if ts == 0 {
		ts = stamp()
	}
	var (
		row  xrow.Row
		rows = []*xrow.Row{&row}
		body []byte
		werr error
		// checked and checkedAt are the file size and time of the last
		// rate check.
		checked   = w.Offset()
		checkedAt = time.Now()
	)
	for _, sp := range ordered {
		sp.View.Iterate(func(t *memtx.Tuple) bool {
			n := w.Rows() + w.PendingRows()
			if n%1024 == 0 && ctx.Err() != nil {
				werr = ctx.Err()
				return false
			}
			body = xrow.AppendSnapshotInsertBody(body[:0], sp.ID, t.Data())
			row = xrow.Row{Type: insertType, GroupID: sp.GroupID, LSN: n, TSN: n, IsCommit: true, Timestamp: ts, Body: body}
			if werr = w.WriteTxn(rows); werr != nil {
				return false
			}
			if opts.RateLimit > 0 && w.Offset() >= checked+SyncInterval {
				// Sleep off what this stretch was written too fast for
				// the limit.
				due := time.Duration(float64(w.Offset()-checked) / opts.RateLimit * float64(time.Second))
				if d := due - time.Since(checkedAt); d > 0 {
					time.Sleep(d)
				}
				checked, checkedAt = w.Offset(), time.Now()
			}
			if n+1 > 0 && (n+1)%rowsPerReport == 0 {
				logf(say.Crit, "%.1fM rows written", float64(n+1)/1e6)
			}
			return true
		})
		if werr != nil {
			return fail(werr)
		}
	}
	if err := w.Close(); err != nil {
		fs.Remove(w.Path())
		return "", err
	}
	if _, err := xlog.Commit(fs, w.Path()); err != nil {
		fs.Remove(w.Path())
		return "", err
	}
	logf(say.Info, "done")
	return final, nil
}
