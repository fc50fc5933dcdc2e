package xlog

import (
	"errors"
	"io"
	"io/fs"
	"sort"
	"sync"
)

// memFS is a minimal in-memory FS for tests, with write fault injection.
// The vfs package provides the real implementations.
type memFS struct {
	mu    sync.Mutex
	files map[string]*memFile
	// failWriteAt, if > 0, makes a WriteAt fail after writing a prefix
	// when the write would extend the file beyond this size.
	failWriteAt int64
	failTrunc   bool
	syncedDirs  []string
}

func newMemFS() *memFS { return &memFS{files: map[string]*memFile{}} }

type memFile struct {
	fs     *memFS
	data   []byte
	closed bool
}

func (m *memFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; ok {
		return nil, fs.ErrExist
	}
	f := &memFile{fs: m}
	m.files[name] = f
	return f, nil
}

func (m *memFS) Open(name string) (ReadFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return &memReader{data: f}, nil
}

func (m *memFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[oldname]
	if !ok {
		return fs.ErrNotExist
	}
	delete(m.files, oldname)
	m.files[newname] = f
	return nil
}

func (m *memFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

func (m *memFS) SyncDir(dir string) error {
	m.syncedDirs = append(m.syncedDirs, dir)
	return nil
}

func (m *memFS) names() []string {
	var out []string
	for n := range m.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var errInjected = errors.New("injected write error")

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, fs.ErrClosed
	}
	n := len(p)
	var err error
	if lim := f.fs.failWriteAt; lim > 0 && off+int64(len(p)) > lim {
		n = int(max(lim-off, 0))
		err = errInjected
	}
	if need := off + int64(n); need > int64(len(f.data)) {
		f.data = append(f.data, make([]byte, need-int64(len(f.data)))...)
	}
	copy(f.data[off:], p[:n])
	return n, err
}

func (f *memFile) Truncate(size int64) error {
	if f.fs.failTrunc {
		return errInjected
	}
	f.data = f.data[:size]
	return nil
}

func (f *memFile) Sync() error  { return nil }
func (f *memFile) Close() error { f.closed = true; return nil }

type memReader struct{ data *memFile }

func (r *memReader) ReadAt(p []byte, off int64) (int, error) {
	return bytesReaderAt(r.data.data).ReadAt(p, off)
}
func (r *memReader) Close() error { return nil }

// bytesReaderAt reads a byte slice through io.ReaderAt.
type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
