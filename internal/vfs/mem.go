package vfs

import (
	"fmt"
	"io"
	iofs "io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Op names a file system operation for fault injection and counting.
type Op uint8

// Operations MemFS counts and can fail.
const (
	OpWrite    Op = iota + 1 // File.WriteAt
	OpSync                   // File.Sync
	OpCreate                 // FS.Create
	OpRename                 // FS.Rename
	OpRemove                 // FS.Remove
	OpSyncDir                // FS.SyncDir
	OpTruncate               // File.Truncate and FS.Truncate
	numOps
)

var opNames = [...]string{OpWrite: "write", OpSync: "fsync", OpCreate: "open", OpRename: "rename",
	OpRemove: "unlink", OpSyncDir: "fsync", OpTruncate: "ftruncate"}

func (o Op) String() string {
	if o > 0 && o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Fault describes an injected failure: the (After+1)-th operation Op on a
// path containing Match fails with Err (an *fs.PathError wrapping EIO when
// nil). A write fault first writes Short bytes (a short write). With Repeat
// every later matching operation fails too; otherwise the fault fires once.
type Fault struct {
	Op     Op
	After  int
	Match  string
	Err    error
	Short  int
	Repeat bool
}

type faultState struct {
	Fault
	seen  int
	fired bool
}

type inode struct {
	data   []byte
	synced []byte // contents as of the last Sync; what survives a crash
}

// MemFS is an in-memory FS that tracks durability (see the package doc) and
// injects faults. The zero value is not usable; use NewMemFS.
type MemFS struct {
	mu sync.Mutex
	// dirs holds the current entries of every directory; durable holds the
	// entries as of the last SyncDir of each directory.
	dirs    map[string]map[string]*inode
	durable map[string]map[string]*inode
	faults  []*faultState
	counts  [numOps]int
}

var _ FS = (*MemFS)(nil)

// NewMemFS returns an empty file system holding the root directory "." and "/".
func NewMemFS() *MemFS {
	m := &MemFS{dirs: map[string]map[string]*inode{}, durable: map[string]map[string]*inode{}}
	m.mkdir(".")
	m.mkdir("/")
	return m
}

func (m *MemFS) mkdir(dir string) {
	if m.dirs[dir] == nil {
		m.dirs[dir] = map[string]*inode{}
		m.durable[dir] = map[string]*inode{}
	}
}

func split(name string) (dir, base string) {
	name = path.Clean(name)
	return path.Dir(name), path.Base(name)
}

// Inject adds a fault; faults are checked in the order they were added.
func (m *MemFS) Inject(f Fault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, &faultState{Fault: f})
}

// ClearFaults removes every injected fault.
func (m *MemFS) ClearFaults() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = nil
}

// Count returns how many operations op were attempted so far.
func (m *MemFS) Count(op Op) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[op]
}

// check counts op on name and returns the fault that fires, if any.
// Called with mu held.
func (m *MemFS) check(op Op, name string) *faultState {
	m.counts[op]++
	for _, f := range m.faults {
		if f.Op != op || (f.Match != "" && !strings.Contains(name, f.Match)) {
			continue
		}
		if f.fired && !f.Repeat {
			continue
		}
		f.seen++
		if f.seen > f.After {
			f.fired = true
			return f
		}
	}
	return nil
}

func (f *faultState) err(op Op, name string) error {
	if f.Err != nil {
		return f.Err
	}
	return &iofs.PathError{Op: op.String(), Path: name, Err: syscall.EIO}
}

func (m *MemFS) lookup(name string) (*inode, error) {
	dir, base := split(name)
	d := m.dirs[dir]
	if d == nil || d[base] == nil {
		return nil, &iofs.PathError{Op: "open", Path: name, Err: iofs.ErrNotExist}
	}
	return d[base], nil
}

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.check(OpCreate, name); f != nil {
		return nil, f.err(OpCreate, name)
	}
	dir, base := split(name)
	d := m.dirs[dir]
	if d == nil {
		return nil, &iofs.PathError{Op: "open", Path: name, Err: iofs.ErrNotExist}
	}
	if d[base] != nil {
		return nil, &iofs.PathError{Op: "open", Path: name, Err: iofs.ErrExist}
	}
	ino := &inode{}
	d[base] = ino
	return &memFile{fs: m, ino: ino, name: path.Clean(name)}, nil
}

// Open implements FS.
func (m *MemFS) Open(name string) (ReadFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	return &memReader{fs: m, ino: ino}, nil
}

// Rename implements FS.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.check(OpRename, oldname); f != nil {
		return f.err(OpRename, oldname)
	}
	ino, err := m.lookup(oldname)
	if err != nil {
		return err
	}
	ndir, nbase := split(newname)
	if m.dirs[ndir] == nil {
		return &iofs.PathError{Op: "rename", Path: newname, Err: iofs.ErrNotExist}
	}
	odir, obase := split(oldname)
	delete(m.dirs[odir], obase)
	m.dirs[ndir][nbase] = ino
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.check(OpRemove, name); f != nil {
		return f.err(OpRemove, name)
	}
	if _, err := m.lookup(name); err != nil {
		return err
	}
	dir, base := split(name)
	delete(m.dirs[dir], base)
	return nil
}

// SyncDir implements FS.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = path.Clean(dir)
	if f := m.check(OpSyncDir, dir); f != nil {
		return f.err(OpSyncDir, dir)
	}
	d := m.dirs[dir]
	if d == nil {
		return &iofs.PathError{Op: "open", Path: dir, Err: iofs.ErrNotExist}
	}
	dur := make(map[string]*inode, len(d))
	for k, v := range d {
		dur[k] = v
	}
	m.durable[dir] = dur
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.dirs[path.Clean(dir)]
	if d == nil {
		return nil, &iofs.PathError{Op: "open", Path: dir, Err: iofs.ErrNotExist}
	}
	out := make([]string, 0, len(d))
	for k := range d {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// Size implements FS.
func (m *MemFS) Size(name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, err := m.lookup(name)
	if err != nil {
		return 0, err
	}
	return int64(len(ino.data)), nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := path.Clean(dir); ; d = path.Dir(d) {
		m.mkdir(d)
		if d == "." || d == "/" {
			return nil
		}
	}
}

// Truncate implements FS.
func (m *MemFS) Truncate(name string, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f := m.check(OpTruncate, name); f != nil {
		return f.err(OpTruncate, name)
	}
	ino, err := m.lookup(name)
	if err != nil {
		return err
	}
	ino.truncate(size)
	ino.synced = append([]byte(nil), ino.data...)
	return nil
}

func (ino *inode) truncate(size int64) {
	if size <= int64(len(ino.data)) {
		ino.data = ino.data[:size]
		return
	}
	ino.data = append(ino.data, make([]byte, size-int64(len(ino.data)))...)
}

// Crash returns the file system a machine would find after losing power
// now: only directory entries made durable by SyncDir, each holding only
// the bytes made durable by Sync. Faults are not carried over. m itself is
// unchanged and may go on being used (by goroutines that do not know they
// "died").
func (m *MemFS) Crash() *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMemFS()
	// One inode may be reachable under two durable names (a rename synced in
	// one directory only); keep them one inode after the crash too.
	copies := map[*inode]*inode{}
	for dir, ents := range m.durable {
		c.mkdir(dir)
		for name, ino := range ents {
			n := copies[ino]
			if n == nil {
				n = &inode{data: append([]byte(nil), ino.synced...), synced: append([]byte(nil), ino.synced...)}
				copies[ino] = n
			}
			c.dirs[dir][name] = n
			c.durable[dir][name] = n
		}
	}
	return c
}

// ReadFile returns a copy of the current contents of a file.
func (m *MemFS) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ino, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), ino.data...), nil
}

// WriteFile replaces (or creates) a file with data and makes both the
// data and the directory entry durable: a test helper to plant or damage
// files.
func (m *MemFS) WriteFile(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base := split(name)
	d := m.dirs[dir]
	if d == nil {
		return &iofs.PathError{Op: "open", Path: name, Err: iofs.ErrNotExist}
	}
	ino := d[base]
	if ino == nil {
		ino = &inode{}
		d[base] = ino
		m.durable[dir][base] = ino
	}
	ino.data = append([]byte(nil), data...)
	ino.synced = append([]byte(nil), data...)
	return nil
}

type memFile struct {
	fs     *MemFS
	ino    *inode
	name   string
	closed bool
}

var errClosed = &iofs.PathError{Op: "write", Err: iofs.ErrClosed}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, errClosed
	}
	if off < 0 {
		return 0, &iofs.PathError{Op: "write", Path: f.name, Err: syscall.EINVAL}
	}
	n := len(p)
	fault := f.fs.check(OpWrite, f.name)
	if fault != nil {
		n = min(max(fault.Short, 0), len(p))
	}
	if end := off + int64(n); end > int64(len(f.ino.data)) {
		f.ino.truncate(end)
	}
	copy(f.ino.data[off:], p[:n])
	if fault != nil {
		return n, fault.err(OpWrite, f.name)
	}
	return n, nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return errClosed
	}
	if fault := f.fs.check(OpTruncate, f.name); fault != nil {
		return fault.err(OpTruncate, f.name)
	}
	f.ino.truncate(size)
	return nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return errClosed
	}
	if fault := f.fs.check(OpSync, f.name); fault != nil {
		return fault.err(OpSync, f.name)
	}
	f.ino.synced = append(f.ino.synced[:0:0], f.ino.data...)
	return nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return errClosed
	}
	f.closed = true
	return nil
}

type memReader struct {
	fs     *MemFS
	ino    *inode
	closed bool
}

func (r *memReader) ReadAt(p []byte, off int64) (int, error) {
	r.fs.mu.Lock()
	defer r.fs.mu.Unlock()
	if r.closed {
		return 0, &iofs.PathError{Op: "read", Err: iofs.ErrClosed}
	}
	if off < 0 {
		return 0, &iofs.PathError{Op: "read", Err: syscall.EINVAL}
	}
	if off >= int64(len(r.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *memReader) Close() error {
	r.fs.mu.Lock()
	defer r.fs.mu.Unlock()
	r.closed = true
	return nil
}
