package xlog

import (
	"fmt"
	"io"
	iofs "io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/spindledb/spindle/internal/boxerr"
)

// File is a file open for writing, as the vfs package provides it.
//
// WriteAt writes at an absolute offset (the Writer keeps its own), Truncate
// cuts the file back after a failed write, Sync makes written data durable
// and Close releases the file. A File is used by one goroutine at a time.
type File interface {
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	Close() error
}

// ReadFile is a file open for reading. ReadAt follows io.ReaderAt: a short
// read at the end of the file returns io.EOF.
type ReadFile interface {
	io.ReaderAt
	io.Closer
}

// FS is the part of a file system this package needs.
//
//   - Create makes a new empty file and fails if it already exists
//     (O_CREAT|O_EXCL): a log file is never overwritten.
//   - Rename replaces newname atomically.
//   - SyncDir makes the directory's entries (creations, renames) durable.
type FS interface {
	Create(name string) (File, error)
	Open(name string) (ReadFile, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// InprogressSuffix marks a file that is still being written.
const InprogressSuffix = ".inprogress"

// FileName returns the name of the file of type t whose vclock signature is
// signature: "%020d" plus the extension, e.g. 00000000000000000027.snap.
func FileName(signature int64, t FileType) string {
	return fmt.Sprintf("%020d%s", signature, t.Ext())
}

// ParseFileName reads the signature and type from a file name made by
// FileName (without .inprogress). ok is false for any other name.
func ParseFileName(name string) (signature int64, t FileType, ok bool) {
	dot := strings.IndexByte(name, '.')
	if dot <= 0 {
		return 0, "", false
	}
	switch name[dot:] {
	case TypeXlog.Ext():
		t = TypeXlog
	case TypeSnap.Ext():
		t = TypeSnap
	case TypeVylog.Ext():
		t = TypeVylog
	default:
		return 0, "", false
	}
	sig, err := strconv.ParseInt(name[:dot], 10, 64)
	if err != nil || sig < 0 {
		return 0, "", false
	}
	return sig, t, true
}

// Create starts a new file of meta.Type in dir, named after the signature
// of meta.VClock (which must be set), as xdir_create_xlog does: the file is
// created as NAME.inprogress and the meta written; an xlog is then renamed
// to NAME at once, so relays never see a file without a meta, while a
// snapshot keeps the suffix until Commit.
func Create(fs FS, dir string, meta *Meta, opts Options) (*Writer, error) {
	if meta.VClock == nil {
		return nil, fmt.Errorf("xlog: creating a %s file without a vclock", meta.Type)
	}
	final := path.Join(dir, FileName(meta.VClock.Sum(), meta.Type))
	// Never overwrite an existing log (xlog_create checks the same).
	if f, err := fs.Open(final); err == nil {
		f.Close()
		return nil, fmt.Errorf("xlog: file '%s' already exists: %w", final, iofs.ErrExist)
	}
	tmp := final + InprogressSuffix
	f, err := fs.Create(tmp)
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(f, meta, opts)
	if err != nil {
		f.Close()
		fs.Remove(tmp)
		return nil, err
	}
	w.path = tmp
	if meta.Type != TypeXlog {
		return w, nil
	}
	if err := fs.Rename(tmp, final); err != nil {
		w.Close()
		fs.Remove(tmp)
		return nil, err
	}
	w.path = final
	return w, nil
}

// Commit renames a completed NAME.inprogress file to NAME and syncs the
// directory, making it visible to recovery; it returns the new path.
func Commit(fs FS, inprogress string) (string, error) {
	final, ok := strings.CutSuffix(inprogress, InprogressSuffix)
	if !ok {
		return "", fmt.Errorf("xlog: %s has no %s suffix", inprogress, InprogressSuffix)
	}
	if err := fs.Rename(inprogress, final); err != nil {
		return "", err
	}
	if err := fs.SyncDir(path.Dir(final)); err != nil {
		return "", err
	}
	return final, nil
}

// Open opens the file of type t with the given signature in dir for
// reading and checks it as xdir_open_cursor does: the meta's type must be
// t (ER_INVALID_XLOG_TYPE), its instance UUID must be instanceUUID unless
// that is "" ("invalid instance UUID"), and the signature of its VClock
// must equal the one in the name ("signature check failed").
func Open(fs FS, dir string, signature int64, t FileType, instanceUUID string) (*Cursor, error) {
	name := path.Join(dir, FileName(signature, t))
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	c, err := NewCursor(f, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	c.closer = f
	m := c.Meta()
	switch {
	case m.Type != t:
		err = boxerr.New(boxerr.ER_INVALID_XLOG_TYPE, string(t), string(m.Type))
	case instanceUUID != "" && !strings.EqualFold(instanceUUID, m.InstanceUUID):
		err = &MetaError{File: name, Reason: "invalid instance UUID"}
	case m.VClock == nil || m.VClock.Sum() != signature:
		err = &MetaError{File: name, Reason: "signature check failed"}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
