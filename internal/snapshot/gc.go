package snapshot

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/spindledb/spindle/internal/say"
	"github.com/spindledb/spindle/internal/vclock"
	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xlog"
)

// Checkpoint is one .snap file found in a directory.
type Checkpoint struct {
	Signature int64
	VClock    vclock.VClock
	// Path is the file's path as passed to the FS.
	Path string
}

// List returns the snapshots in dir, oldest first, with the vclocks read
// from their meta. A file whose meta cannot be read or does not match its
// name is reported as an error naming it.
func List(fs vfs.FS, dir string) ([]Checkpoint, error) {
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Checkpoint
	for _, name := range names {
		sig, t, ok := xlog.ParseFileName(name)
		if !ok || t != xlog.TypeSnap {
			continue
		}
		c, err := xlog.Open(fs, dir, sig, xlog.TypeSnap, "")
		if err != nil {
			return nil, err
		}
		vc := *c.Meta().VClock
		c.Close()
		out = append(out, Checkpoint{Signature: sig, VClock: vc, Path: path.Join(dir, name)})
	}
	// ReadDir sorts names; equal-width names sort by signature.
	return out, nil
}

// CollectOptions configure Collect.
type CollectOptions struct {
	// Keep is checkpoint_count: how many newest snapshots survive; at
	// least one always does.
	Keep int
	// Consumers are the vclocks of readers that still need xlog rows
	// (relays, backups); component 0 is ignored as those never need local
	// rows.
	Consumers []vclock.VClock
	// Pinned are the signatures of checkpoints a backup holds
	// (box.backup.start): the oldest of them and every newer checkpoint
	// survive, whatever Keep says, as Tarantool's collector stops at the
	// first referenced checkpoint.
	Pinned []int64
	Log    Logger
	// Who names the writer of "removed" lines; "main" when empty.
	Who string
}

// Collect deletes snapshots beyond the newest opts.Keep and leftover
// .inprogress files in dir, and returns the vclock the WAL may collect
// xlogs up to (pass it to wal.Writer.CollectGarbage). ok is false when dir
// holds no snapshot: then nothing may be collected.
func Collect(fs vfs.FS, dir string, opts CollectOptions) (gcVClock vclock.VClock, ok bool, err error) {
	who := opts.Who
	if who == "" {
		who = "main"
	}
	logf := func(level say.Level, format string, args ...any) {
		if opts.Log != nil {
			opts.Log.Log(who, level, fmt.Sprintf(format, args...))
		}
	}
	cps, err := List(fs, dir)
	if err != nil {
		return vclock.VClock{}, false, err
	}
	if len(cps) == 0 {
		return vclock.VClock{}, false, nil
	}
	drop := max(len(cps)-max(opts.Keep, 1), 0)
	for i, c := range cps[:drop] {
		if slices.Contains(opts.Pinned, c.Signature) {
			drop = i
			break
		}
	}
	for _, c := range cps[:drop] {
		name := xlog.FileName(c.Signature, xlog.TypeSnap)
		if err := fs.Remove(c.Path); err != nil && !vfs.IsNotExist(err) {
			logf(say.SysError, "error while removing %s: %s", filePath(dir, name), err.Error())
			continue
		}
		logf(say.Info, "removed %s", filePath(dir, name))
	}
	cps = cps[drop:]
	names, err := fs.ReadDir(dir)
	if err != nil {
		return vclock.VClock{}, false, err
	}
	for _, name := range names {
		if !strings.HasSuffix(name, xlog.InprogressSuffix) {
			continue
		}
		if err := fs.Remove(path.Join(dir, name)); err != nil {
			logf(say.SysError, "error while removing %s: %s", filePath(dir, name), err.Error())
			continue
		}
		logf(say.Info, "removed %s", filePath(dir, name))
	}
	return GCVClock(cps, opts.Consumers), true, nil
}

// GCVClock is the collector's vclock (gc.vclock): the oldest of cps
// (oldest first) lowered by every consumer, whose component 0 is
// ignored; the zero vclock when there is no checkpoint.
func GCVClock(cps []Checkpoint, consumers []vclock.VClock) vclock.VClock {
	var v vclock.VClock
	if len(cps) == 0 {
		return v
	}
	v = cps[0].VClock
	for i := range consumers {
		v.MinIgnore0(&consumers[i])
	}
	return v
}
