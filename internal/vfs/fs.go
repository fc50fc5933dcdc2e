package vfs

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/spindledb/spindle/internal/xlog"
)

// File is a file open for writing (xlog.File): WriteAt, Truncate, Sync,
// Close. A File is used by one goroutine at a time.
type File = xlog.File

// ReadFile is a file open for reading (xlog.ReadFile): ReadAt, Close.
type ReadFile = xlog.ReadFile

// FS is a file system. Every method is safe for concurrent use on different
// files.
//
//   - Create makes a new empty file open for writing and fails with an error
//     wrapping fs.ErrExist if the name exists (O_CREAT|O_EXCL).
//   - Open opens an existing file for reading (fs.ErrNotExist if absent).
//   - Rename replaces newname atomically.
//   - Remove deletes a file (fs.ErrNotExist if absent).
//   - SyncDir makes the directory's entries durable (fsync of the directory).
//   - ReadDir returns the names (not paths) of the directory's files, sorted.
//   - Size returns a file's size in bytes.
//   - MkdirAll creates a directory and its parents.
//   - Truncate cuts a file to size and makes the file's data durable.
type FS interface {
	Create(name string) (File, error)
	Open(name string) (ReadFile, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	SyncDir(dir string) error
	ReadDir(dir string) ([]string, error)
	Size(name string) (int64, error)
	MkdirAll(dir string) error
	Truncate(name string, size int64) error
}

var _ xlog.FS = FS(nil)

// IsNotExist reports whether err says a file or directory does not exist.
func IsNotExist(err error) bool { return errors.Is(err, iofs.ErrNotExist) }

// IsExist reports whether err says a file already exists.
func IsExist(err error) bool { return errors.Is(err, iofs.ErrExist) }

// OS is the operating system's file system.
type OS struct{}

var _ FS = OS{}

// Create implements FS.
func (OS) Create(name string) (File, error) {
	f, err := os.OpenFile(filepath.FromSlash(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Open implements FS.
func (OS) Open(name string) (ReadFile, error) {
	f, err := os.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Rename implements FS.
func (OS) Rename(oldname, newname string) error {
	return os.Rename(filepath.FromSlash(oldname), filepath.FromSlash(newname))
}

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(filepath.FromSlash(name)) }

// SyncDir implements FS.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(filepath.FromSlash(dir))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadDir implements FS: regular files only.
func (OS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.FromSlash(dir))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Size implements FS.
func (OS) Size(name string) (int64, error) {
	st, err := os.Stat(filepath.FromSlash(name))
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// MkdirAll implements FS.
func (OS) MkdirAll(dir string) error { return os.MkdirAll(filepath.FromSlash(dir), 0o755) }

// Truncate implements FS.
func (OS) Truncate(name string, size int64) error {
	f, err := os.OpenFile(filepath.FromSlash(name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
