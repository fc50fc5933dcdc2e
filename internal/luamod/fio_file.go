package luamod

import (
	"io"
	"syscall"
	"unsafe"

	"github.com/spindledb/spindle/internal/lua"
)

// File handles: fio.lua wraps descriptors in a struct fio_handle cdata
// and calls these helpers with the descriptor (self.fh), as 2.6's
// methods call fio.internal.
//
// A buffer argument is a char pointer cdata (fio.lua checks the type
// first, as 2.6 does): the system call reads or writes at that address,
// trusting the caller's size as 2.6 does, and the kernel's EFAULT, not a
// crash, answers an invalid one.

// fioMaxRW is the most one read(2) or write(2) transfers on Linux
// (MAX_RW_COUNT).
const fioMaxRW = 0x7ffff000

// fioOpen is open(2) retried on EINTR (opening a FIFO blocks). Every
// descriptor is close-on-exec: Go starts child processes without closing
// inherited descriptors, and Tarantool's children do not inherit fio's.
func fioOpen(path string, flags int, mode uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, flags|syscall.O_CLOEXEC, mode)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// fioCount is a byte count argument (C's size_t len = lua_tonumber(...));
// ok is false for NaN and negative counts, which 2.6 turns into sizes
// near 2^64 (and memory corruption) and Spindle reports as EINVAL.
func fioCount(v float64) (uint64, bool) {
	if !(v >= 0) || v >= 1<<64 {
		return 0, false
	}
	return uint64(v), true
}

// fioOffset is an offset argument of pread and pwrite; a negative one
// (or NaN, or one past off_t) means the current file offset, as libeio
// then calls read and write instead.
func fioOffset(v float64) int64 {
	if !(v >= 0) || v >= 1<<63 {
		return -1
	}
	return int64(v)
}

// fioSysRead reads n bytes at p from fd: read(2), or pread(2) at off
// when off >= 0; retried on EINTR.
func fioSysRead(fd int, p unsafe.Pointer, n uint64, off int64) (int, error) {
	for {
		var r uintptr
		var errno syscall.Errno
		if off >= 0 {
			r, _, errno = syscall.Syscall6(syscall.SYS_PREAD64, uintptr(fd), uintptr(p), uintptr(n), uintptr(off), 0, 0)
		} else {
			r, _, errno = syscall.Syscall(syscall.SYS_READ, uintptr(fd), uintptr(p), uintptr(n))
		}
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(r), nil
	}
}

// fioSysWrite writes all n bytes at p to fd, as coio_write and
// coio_pwrite loop: write(2), or pwrite(2) from off when off >= 0.
func fioSysWrite(fd int, p unsafe.Pointer, n uint64, off int64) error {
	var done uint64
	for done < n {
		var r uintptr
		var errno syscall.Errno
		q := unsafe.Add(p, done)
		if off >= 0 {
			r, _, errno = syscall.Syscall6(syscall.SYS_PWRITE64, uintptr(fd), uintptr(q), uintptr(n-done), uintptr(off+int64(done)), 0, 0)
		} else {
			r, _, errno = syscall.Syscall(syscall.SYS_WRITE, uintptr(fd), uintptr(q), uintptr(n-done))
		}
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		if r == 0 {
			return syscall.EIO
		}
		done += uint64(r)
	}
	return nil
}

// fioPwriteAll writes b at off.
func fioPwriteAll(fd int, b []byte, off int64) error {
	if len(b) == 0 {
		return nil
	}
	return fioSysWrite(fd, unsafe.Pointer(unsafe.SliceData(b)), uint64(len(b)), off)
}

// fioReadSize is the buffer for a read of n bytes from fd at off (-1:
// the current offset) into a new string: n itself up to 1 MiB; past
// that no more than one read(2) returns and, for a regular file, no more
// than it has past the offset, so a huge size does not make Go allocate
// what the read cannot fill.
func fioReadSize(fd int, n uint64, off int64) (uint64, error) {
	if n <= 1<<20 {
		return n, nil
	}
	n = min(n, fioMaxRW)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return n, nil
	}
	if off < 0 {
		cur, err := syscall.Seek(fd, 0, io.SeekCurrent)
		if err != nil {
			return n, nil
		}
		off = cur
	}
	return min(n, uint64(max(st.Size-off, 0))), nil
}

// read(fd, buf, size) is read(2) of size bytes: into buf (a char
// pointer cdata), returning the count, or, with buf nil, returning them
// as a string. nil and the error on failure.
func (f *fioModule) read(L lua.State) int {
	return f.readAt(L, fioArgFd(L, 1), L.ToNumber(3), -1)
}

// pread(fd, buf, size, offset) is read at offset, as read.
func (f *fioModule) pread(L lua.State) int {
	return f.readAt(L, fioArgFd(L, 1), L.ToNumber(3), fioOffset(L.ToNumber(4)))
}

func (f *fioModule) readAt(L lua.State, fd int, size float64, off int64) int {
	n, ok := fioCount(size)
	if !ok {
		return f.fail(L, false, syscall.EINVAL)
	}
	if L.Type(2) == lua.TypeCdata {
		if n == 0 {
			L.PushInt(0)
			return 1
		}
		p := *(*unsafe.Pointer)(L.CdataPointer(2))
		r, err := fioSysRead(fd, p, n, off)
		if err != nil {
			return f.fail(L, false, err)
		}
		L.PushInt(r)
		return 1
	}
	if n == 0 {
		L.PushString("")
		return 1
	}
	n, err := fioReadSize(fd, n, off)
	if err != nil {
		return f.fail(L, false, err)
	}
	// One byte more than asked keeps the pointer valid when n is 0 (a
	// regular file read at its end), where read(2) still checks fd.
	buf := make([]byte, n+1)
	r, err := fioSysRead(fd, unsafe.Pointer(unsafe.SliceData(buf)), n, off)
	if err != nil {
		return f.fail(L, false, err)
	}
	L.PushBytes(buf[:r])
	return 1
}

// write(fd, data, len) writes all of data (a string, or len bytes at a
// char pointer cdata); true, or false and the error.
func (f *fioModule) write(L lua.State) int {
	return f.writeAt(L, fioArgFd(L, 1), -1)
}

// pwrite(fd, data, len, offset) is write at offset.
func (f *fioModule) pwrite(L lua.State) int {
	return f.writeAt(L, fioArgFd(L, 1), fioOffset(L.ToNumber(4)))
}

func (f *fioModule) writeAt(L lua.State, fd int, off int64) int {
	n, ok := fioCount(L.ToNumber(3))
	if !ok {
		return f.fail(L, true, syscall.EINVAL)
	}
	var p unsafe.Pointer
	if L.Type(2) == lua.TypeCdata {
		p = *(*unsafe.Pointer)(L.CdataPointer(2))
	} else {
		// The string stays on the stack, and so alive, during the call.
		b, _ := L.ToBytesView(2)
		n = min(n, uint64(len(b)))
		p = unsafe.Pointer(unsafe.SliceData(b))
	}
	return f.pushResult(L, fioSysWrite(fd, p, n, off))
}

// lseek(fd, offset, whence) returns the new offset, or -1 on failure
// with no error value (errno tells why), as in 2.6.
func (f *fioModule) lseek(L lua.State) int {
	res, err := syscall.Seek(fioArgFd(L, 1), fioInt64(L.ToNumber(2)), int(int32(fioArgInt(L, 3))))
	if err != nil {
		SetErrno(L, int(fioErrno(err)))
		res = -1
	}
	L.PushNumber(float64(res))
	return 1
}

func (f *fioModule) ftruncate(L lua.State) int {
	return f.pushResult(L, syscall.Ftruncate(fioArgFd(L, 1), fioInt64(L.ToNumber(2))))
}

func (f *fioModule) fsync(L lua.State) int {
	return f.pushResult(L, syscall.Fsync(fioArgFd(L, 1)))
}

func (f *fioModule) fdatasync(L lua.State) int {
	return f.pushResult(L, syscall.Fdatasync(fioArgFd(L, 1)))
}

func (f *fioModule) close(L lua.State) int {
	return f.pushResult(L, syscall.Close(fioArgFd(L, 1)))
}

// gcClose closes the descriptor of a handle collected unclosed. It runs
// inside the garbage collector's finalizer, so it must never raise.
func (f *fioModule) gcClose(L lua.State) int {
	if fd := fioArgFd(L, 1); fd >= 0 {
		syscall.Close(fd)
	}
	return 0
}

func (f *fioModule) fstat(L lua.State) int {
	var st syscall.Stat_t
	return f.pushStat(L, &st, syscall.Fstat(fioArgFd(L, 1), &st))
}

// open(path, flags, mode) returns the new descriptor, or nil and the
// error.
func (f *fioModule) open(L lua.State) int {
	p := fioArgs(L, 1, "Usage: fio.open(path, flags, mode)")[0]
	fd, err := fioOpen(p, int(int32(fioArgInt(L, 2))), uint32(fioArgInt(L, 3)))
	if err != nil {
		return f.fail(L, false, err)
	}
	L.PushInt(fd)
	return 1
}

// --- stat objects ----------------------------------------------------------

// pushStat pushes the stat object of st, or nil and the error: a table of
// plain numbers as lua_pushinteger makes them (64-bit fields through a
// double, unsigned ones through int64) and times in seconds with a
// fraction. Each object has a metatable and a method table of its own,
// as in 2.6, holding the same is_* functions.
func (f *fioModule) pushStat(L lua.State, st *syscall.Stat_t, err error) int {
	if err != nil {
		return f.fail(L, false, err)
	}
	L.CreateTable(0, 13)
	for _, kv := range [...]struct {
		k string
		v float64
	}{
		{"dev", float64(int64(st.Dev))}, {"inode", float64(int64(st.Ino))},
		{"mode", float64(st.Mode)}, {"nlink", float64(int64(st.Nlink))},
		{"uid", float64(st.Uid)}, {"gid", float64(st.Gid)},
		{"rdev", float64(int64(st.Rdev))}, {"size", float64(st.Size)},
		{"blksize", float64(st.Blksize)}, {"blocks", float64(st.Blocks)},
		{"ctime", fioSeconds(st.Ctim)}, {"mtime", fioSeconds(st.Mtim)},
		{"atime", fioSeconds(st.Atim)},
	} {
		L.PushNumber(kv.v)
		L.RawSetField(-2, kv.k)
	}
	L.CreateTable(0, 1)
	L.CreateTable(0, len(fioStatKinds))
	for i, k := range fioStatKinds {
		L.PushRef(f.statMethods[i])
		L.RawSetField(-2, k.name)
	}
	L.RawSetField(-2, "__index")
	L.SetMetatable(-2)
	return 1
}

func fioSeconds(ts syscall.Timespec) float64 {
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}

// fioStatKinds are the stat object methods and the file type each
// tests.
var fioStatKinds = [...]struct {
	name string
	kind uint32
}{
	{"is_reg", syscall.S_IFREG}, {"is_dir", syscall.S_IFDIR}, {"is_chr", syscall.S_IFCHR},
	{"is_blk", syscall.S_IFBLK}, {"is_fifo", syscall.S_IFIFO}, {"is_link", syscall.S_IFLNK},
	{"is_sock", syscall.S_IFSOCK},
}

// makeStatMethods makes stat:is_reg() and the rest, kept as registry
// references in f.statMethods: each reads self.mode (through
// metamethods, as lua_gettable) as an int and tests its file type.
func (f *fioModule) makeStatMethods(L lua.State) {
	for i, m := range fioStatKinds {
		usage := "usage: stat:" + m.name + "()"
		kind := m.kind
		L.PushFunction(func(L lua.State) int {
			if L.GetTop() < 1 || !L.IsTable(1) {
				L.Errorf("%s", usage)
			}
			if err := L.GetField(1, "mode"); err != nil {
				L.RaiseString(err.Error())
			}
			mode := uint32(int32(fioArgInt(L, -1)))
			L.PushBool(mode&syscall.S_IFMT == kind)
			return 1
		})
		f.statMethods[i] = L.Ref()
	}
}
