package luamod

import (
	"errors"
	"math"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/lua"
)

// fio follows Tarantool 2.6's split: what 2.6 writes in C (src/lua/fio.c)
// is Go here, what it writes in Lua (builtin/fio.lua) is lua/fio.lua,
// which receives the Go functions in a helper table. The functions 2.6
// exports from C (fio.stat, fio.mkdir, ...) are exported as they are, so
// their usage errors carry the caller's position as luaL_error gives
// it; the rest are fio.lua's private helpers, as fio.internal is.
//
// Arguments are read as the C functions read them: lua_tostring (strings
// and numbers; C sees a string up to its first NUL), lua_tointeger and
// lua_tonumber (numbers and numeric strings, 0 for anything else,
// including cdata). Failures of system calls are nil (or false) plus the
// SystemError "fio: <strerror>", made by Options.NewError.
//
// Where Spindle differs from 2.6, on purpose:
//   - Tarantool runs these calls in a thread pool and yields the fiber;
//     here they run on the calling goroutine and block the Lua state
//     until the system call returns (a FIFO's open or a pipe's read
//     blocks every fiber).
//   - A collected handle's descriptor is closed at once, not by a
//     worker fiber later.
//   - Descriptors of fio.open are close-on-exec (Go does not close
//     inherited descriptors in the processes it starts).
//   - Inputs on which 2.6's C is undefined (negative or NaN sizes,
//     offsets past off_t) get defined results: EINVAL for sizes, the
//     current offset for offsets.
//   - With Options.NewError nil, errors are tables (pushFioDefaultError),
//     not box.error cdata.

func init() { addModule("fio", 0, preloadFio) }

func preloadFio(L lua.State, opts *Options) {
	f := &fioModule{newError: opts.NewError}
	registerLua(L, "fio", "fio.lua", f.pushHelpers)
}

// fioModule is the Go side of one Lua universe's fio.
type fioModule struct {
	newError func(L lua.State, e *boxerr.Error)
	// statMethods holds registry references of the stat object methods
	// (fioStatKinds' order), made with the helpers.
	statMethods [len(fioStatKinds)]int
}

// pushHelpers pushes the table fio.lua receives.
func (f *fioModule) pushHelpers(L lua.State) {
	L.NewTable()
	L.SetFuncs(-1, map[string]lua.Function{
		// Exported as fio.<name>.
		"lstat": f.lstat, "stat": f.stat, "mkdir": f.mkdir, "rmdir": f.rmdir,
		"glob": f.glob, "link": f.link, "symlink": f.symlink, "readlink": f.readlink,
		"unlink": f.unlink, "rename": f.rename, "chown": f.chown, "chmod": f.chmod,
		"truncate": f.truncate, "tempdir": f.tempdir, "cwd": f.cwd, "sync": f.sync,
		// fio.lua's own helpers.
		"open": f.open, "close": f.close, "gc_close": f.gcClose,
		"read": f.read, "pread": f.pread, "write": f.write, "pwrite": f.pwrite,
		"lseek": f.lseek, "ftruncate": f.ftruncate, "fsync": f.fsync,
		"fdatasync": f.fdatasync, "fstat": f.fstat, "listdir": f.listdir,
		"copyfile": f.copyfile, "utime": f.utime, "umask": f.umask,
		"chdir": f.chdir, "dirname": f.dirname, "strerror": f.strerror,
		"time": f.now,
	})
	L.PushInt(int(syscall.EEXIST))
	L.RawSetField(-2, "EEXIST")
	L.PushInt(int(syscall.ENOTDIR))
	L.RawSetField(-2, "ENOTDIR")
	L.NewTable()
	for _, c := range []struct {
		name   string
		values map[string]int
	}{{"flag", fioFlags}, {"mode", fioModes}, {"seek", fioSeeks}} {
		L.CreateTable(0, len(c.values))
		for k, v := range c.values {
			L.PushInt(v)
			L.RawSetField(-2, k)
		}
		L.RawSetField(-2, c.name)
	}
	L.RawSetField(-2, "c")
	if f.statMethods[0] == 0 {
		f.makeStatMethods(L)
	}
}

// --- errors ----------------------------------------------------------------

// fioError is Tarantool's diag for a failed system call in fio.
func fioError(errno syscall.Errno) *boxerr.Error {
	e := boxerr.System("fio: " + Strerror(int(errno)))
	e.Errno = int(errno)
	return e
}

// fioErrno extracts the errno of a failed os or syscall call.
func fioErrno(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}

// pushError pushes the error object of errno and leaves errno in the C
// errno, where 2.6's failed call leaves it for errno().
func (f *fioModule) pushError(L lua.State, errno syscall.Errno) {
	SetErrno(L, int(errno))
	e := fioError(errno)
	if f.newError != nil {
		f.newError(L, e)
		return
	}
	pushFioDefaultError(L, e)
}

// fioErrorMeta is the registry key of the default error objects'
// metatable.
const fioErrorMeta = "luamod.fio.error"

// pushFioDefaultError pushes the stand-in for a box.error object used
// when Options.NewError is nil: a table with type, base_type, message
// and errno (code is nil for a SystemError, as in 2.6) whose tostring is
// the message.
func pushFioDefaultError(L lua.State, e *boxerr.Error) {
	L.CreateTable(0, 4)
	L.PushString(e.Type)
	L.RawSetField(-2, "type")
	L.PushString(e.Type)
	L.RawSetField(-2, "base_type")
	L.PushString(e.Message)
	L.RawSetField(-2, "message")
	if e.Errno != 0 {
		L.PushInt(e.Errno)
		L.RawSetField(-2, "errno")
	}
	L.RawGetField(lua.RegistryIndex, fioErrorMeta)
	if L.IsNil(-1) {
		L.Pop(1)
		L.CreateTable(0, 1)
		L.PushFunction(func(L lua.State) int {
			if !L.IsTable(1) {
				L.TypeError(1, "table")
			}
			L.RawGetField(1, "message")
			return 1
		})
		L.RawSetField(-2, "__tostring")
		L.PushValue(-1)
		L.RawSetField(lua.RegistryIndex, fioErrorMeta)
	}
	L.SetMetatable(-2)
}

// fail pushes first (nil or false) and the error of err.
func (f *fioModule) fail(L lua.State, first bool, err error) int {
	if first {
		L.PushBool(false)
	} else {
		L.PushNil()
	}
	f.pushError(L, fioErrno(err))
	return 2
}

// pushResult is lbox_fio_pushbool: true, or false and the error.
func (f *fioModule) pushResult(L lua.State, err error) int {
	if err == nil {
		L.PushBool(true)
		return 1
	}
	return f.fail(L, true, err)
}

// --- arguments as C reads them ---------------------------------------------

// fioArg is lua_tostring: a string, or a number converted in place;
// the text stops at the first NUL.
func fioArg(L lua.State, idx int) (string, bool) {
	s, ok := L.ToString(idx)
	if !ok {
		return "", false
	}
	return fioCPath(s), true
}

// fioArgs checks that at least n arguments are given and that the first
// n are strings (or numbers), raising usage otherwise.
func fioArgs(L lua.State, n int, usage string) []string {
	if L.GetTop() < n {
		L.Errorf("%s", usage)
	}
	out := make([]string, n)
	for i := range out {
		s, ok := fioArg(L, i+1)
		if !ok {
			L.Errorf("%s", usage)
		}
		out[i] = s
	}
	return out
}

// fioInt64 converts a double to a 64-bit integer as x86-64 does in C:
// truncation toward zero, and INT64_MIN (the "integer indefinite") for
// NaN and values out of range, where Go leaves the result unspecified.
func fioInt64(v float64) int64 {
	if math.IsNaN(v) || v >= 1<<63 || v < -(1<<63) {
		return math.MinInt64
	}
	return int64(v)
}

// fioArgInt is lua_tointeger of the argument at idx.
func fioArgInt(L lua.State, idx int) int64 { return fioInt64(L.ToNumber(idx)) }

// fioArgFd is a file descriptor argument (C's int fh = lua_tointeger(...)).
func fioArgFd(L lua.State, idx int) int { return int(int32(fioArgInt(L, idx))) }

// --- functions fio exports from Go --------------------------------------------

func (f *fioModule) stat(L lua.State) int {
	p := fioArgs(L, 1, "Usage: fio.stat(pathname)")[0]
	var st syscall.Stat_t
	return f.pushStat(L, &st, syscall.Stat(p, &st))
}

func (f *fioModule) lstat(L lua.State) int {
	p := fioArgs(L, 1, "pathname is absent")[0]
	var st syscall.Stat_t
	return f.pushStat(L, &st, syscall.Lstat(p, &st))
}

func (f *fioModule) mkdir(L lua.State) int {
	p := fioArgs(L, 1, "Usage fio.mkdir(pathname[, mode])")[0]
	mode := uint32(0o777)
	if !L.IsNoneOrNil(2) {
		mode = uint32(fioArgInt(L, 2))
	}
	return f.pushResult(L, syscall.Mkdir(p, mode))
}

func (f *fioModule) rmdir(L lua.State) int {
	return f.pushResult(L, syscall.Rmdir(fioArgs(L, 1, "Usage: fio.rmdir(pathname)")[0]))
}

func (f *fioModule) unlink(L lua.State) int {
	return f.pushResult(L, syscall.Unlink(fioArgs(L, 1, "Usage: fio.unlink(pathname)")[0]))
}

func (f *fioModule) rename(L lua.State) int {
	a := fioArgs(L, 2, "Usage: fio.rename(oldpath, newpath)")
	return f.pushResult(L, syscall.Rename(a[0], a[1]))
}

func (f *fioModule) link(L lua.State) int {
	a := fioArgs(L, 2, "Usage: fio.link(target, linkpath)")
	return f.pushResult(L, syscall.Link(a[0], a[1]))
}

func (f *fioModule) symlink(L lua.State) int {
	a := fioArgs(L, 2, "Usage: fio.symlink(target, linkpath)")
	return f.pushResult(L, syscall.Symlink(a[0], a[1]))
}

func (f *fioModule) readlink(L lua.State) int {
	p := fioArgs(L, 1, "Usage: fio.readlink(pathname)")[0]
	buf := make([]byte, fioPathMax)
	n, err := syscall.Readlink(p, buf)
	if err != nil {
		return f.fail(L, false, err)
	}
	L.PushBytes(buf[:n])
	return 1
}

func (f *fioModule) chmod(L lua.State) int {
	p := fioArgs(L, 2, "Usage: fio.chmod(pathname, mode)")[0]
	return f.pushResult(L, syscall.Chmod(p, uint32(fioArgInt(L, 2))))
}

func (f *fioModule) truncate(L lua.State) int {
	p := fioArgs(L, 1, "Usage: fio.truncate(pathname[, newlen])")[0]
	return f.pushResult(L, syscall.Truncate(p, fioInt64(L.ToNumber(2))))
}

// chown takes ids, or user and group names looked up as getpwnam and
// getgrnam do; an unknown name returns a lone nil (errno EINVAL), as in
// 2.6.
func (f *fioModule) chown(L lua.State) int {
	const usage = "Usage: fio.chown(pathname, owner, group)"
	if L.GetTop() < 3 {
		L.Errorf("%s", usage)
	}
	p, ok := fioArg(L, 1)
	if !ok {
		L.Errorf("%s", usage)
	}
	uid, ok := fioOwnerID(L, 2, func(name string) (string, error) {
		u, err := user.Lookup(name)
		if err != nil {
			return "", err
		}
		return u.Uid, nil
	})
	if !ok {
		SetErrno(L, int(syscall.EINVAL))
		L.PushNil()
		return 1
	}
	gid, ok := fioOwnerID(L, 3, func(name string) (string, error) {
		g, err := user.LookupGroup(name)
		if err != nil {
			return "", err
		}
		return g.Gid, nil
	})
	if !ok {
		SetErrno(L, int(syscall.EINVAL))
		L.PushNil()
		return 1
	}
	return f.pushResult(L, syscall.Chown(p, uid, gid))
}

// fioOwnerID reads a uid or gid argument: a number (or numeric string)
// is the id itself (uid_t: -1 leaves it unchanged), anything else a name
// ("" when not a string) to look up.
func fioOwnerID(L lua.State, idx int, lookup func(string) (string, error)) (int, bool) {
	if L.IsNumber(idx) {
		return int(uint32(fioArgInt(L, idx))), true
	}
	name, _ := fioArg(L, idx)
	id, err := lookup(name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(id, 10, 32)
	return int(n), err == nil
}

func (f *fioModule) glob(L lua.State) int {
	pattern := fioArgs(L, 1, "Usage: fio.glob(pattern)")[0]
	paths, ok := fioGlob(pattern)
	if !ok {
		SetErrno(L, int(syscall.ENOMEM))
		L.PushNil()
		return 1
	}
	L.CreateTable(len(paths), 0)
	for i, p := range paths {
		L.PushString(p)
		L.RawSetI(-2, i+1)
	}
	return 1
}

func (f *fioModule) tempdir(L lua.State) int {
	dir, err := fioTempdir()
	if err != nil {
		return f.fail(L, false, err)
	}
	L.PushString(dir)
	return 1
}

func (f *fioModule) cwd(L lua.State) int {
	wd, err := syscall.Getwd()
	if err != nil {
		return f.fail(L, false, err)
	}
	L.PushString(wd)
	return 1
}

func (f *fioModule) sync(L lua.State) int {
	syscall.Sync()
	L.PushBool(true)
	return 1
}

// --- helpers of fio.lua's path functions --------------------------------------

// listdir(path) returns the names in path (readdir order, without "."
// and ".."), or nil and the error. 2.6 passes the names joined by "\n"
// and splits them again, so a name holding a newline comes out as two.
func (f *fioModule) listdir(L lua.State) int {
	p, _ := fioArg(L, 1)
	d, err := os.Open(p)
	if err != nil {
		return f.fail(L, false, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return f.fail(L, false, err)
	}
	if joined := strings.Join(names, "\n"); strings.Contains(joined, "\n") {
		names = strings.Split(joined, "\n")
	}
	L.CreateTable(len(names), 0)
	for i, n := range names {
		L.PushString(n)
		L.RawSetI(-2, i+1)
	}
	return 1
}

// copyfile(from, to) copies the file as coio_copyfile does: the
// destination is created (or truncated) with the source's permission
// bits under the umask, and st_size bytes, as stat saw them before the
// copy, are sent. It returns true, or false and the error.
func (f *fioModule) copyfile(L lua.State) int {
	from, _ := fioArg(L, 1)
	to, _ := fioArg(L, 2)
	return f.pushResult(L, fioCopyFile(from, to))
}

func fioCopyFile(from, to string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(from, &st); err != nil {
		return err
	}
	src, err := fioOpen(from, syscall.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(src)
	dst, err := fioOpen(to, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, st.Mode&0o777)
	if err != nil {
		return err
	}
	defer syscall.Close(dst)
	var off int64
	for off < st.Size {
		n, err := syscall.Sendfile(dst, src, &off, int(min(st.Size-off, fioMaxRW)))
		switch {
		case err == syscall.EINTR || err == syscall.EAGAIN:
			continue
		case err == syscall.EINVAL || err == syscall.ENOSYS:
			// File systems without sendfile: copy the rest through a buffer.
			return fioCopyRest(dst, src, off, st.Size)
		case err != nil:
			return err
		case n == 0:
			// The source shrank since stat: what it had is copied.
			return nil
		}
	}
	return nil
}

// fioCopyRest copies src's bytes from off up to size into dst at the
// same offsets.
func fioCopyRest(dst, src int, off, size int64) error {
	buf := make([]byte, 64<<10)
	for off < size {
		n, err := syscall.Pread(src, buf[:min(int64(len(buf)), size-off)], off)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := fioPwriteAll(dst, buf[:n], off); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

// utime(path, atime, mtime) sets the times as libeio does: seconds
// truncated toward zero and the fraction in nanoseconds, so a negative
// fraction is EINVAL; atime and mtime both -1 mean now.
func (f *fioModule) utime(L lua.State) int {
	p, _ := fioArg(L, 1)
	atime, mtime := L.ToNumber(2), L.ToNumber(3)
	var err error
	if atime == -1 && mtime == -1 {
		err = fioUtimensat(p, nil)
	} else {
		ts := func(t float64) syscall.Timespec {
			sec := fioInt64(t)
			return syscall.Timespec{Sec: sec, Nsec: fioInt64((t - float64(sec)) * 1e9)}
		}
		err = fioUtimensat(p, &[2]syscall.Timespec{ts(atime), ts(mtime)})
	}
	return f.pushResult(L, err)
}

// fioUtimensat is utimensat(AT_FDCWD, path, times, 0); times nil sets
// both to now. syscall.UtimesNano cannot pass a null times.
func fioUtimensat(path string, times *[2]syscall.Timespec) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	atFDCWD := -100
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(atFDCWD),
		uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(times)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// umask() returns the mask; umask(n) sets it and returns the old one.
// n comes from fio.umask's tonumber, and nil is what LuaJIT's ffi says
// of it when 2.6 passes it to ffi.C.umask.
func (f *fioModule) umask(L lua.State) int {
	if L.GetTop() == 0 {
		old := syscall.Umask(0)
		syscall.Umask(old)
		L.PushInt(old)
		return 1
	}
	if L.Type(1) != lua.TypeNumber {
		L.RaiseString("bad argument #1 to '?' (cannot convert '" + L.TypeName(1) + "' to 'int')")
	}
	L.PushInt(syscall.Umask(int(int32(fioArgInt(L, 1)))))
	return 1
}

// chdir(path) reports whether chdir(2) succeeded (errno tells why not).
func (f *fioModule) chdir(L lua.State) int {
	p, _ := fioArg(L, 1)
	err := syscall.Chdir(p)
	if err != nil {
		SetErrno(L, int(fioErrno(err)))
	}
	L.PushBool(err == nil)
	return 1
}

func (f *fioModule) dirname(L lua.State) int {
	p, _ := L.ToString(1)
	L.PushString(fioDirname(p))
	return 1
}

// strerror(errno) is the C library's text for errno.
func (f *fioModule) strerror(L lua.State) int {
	L.PushString(Strerror(int(fioArgInt(L, 1))))
	return 1
}

// now is fiber.time(), which fio.utime defaults to: seconds since the
// epoch with a fraction.
func (f *fioModule) now(L lua.State) int {
	L.PushNumber(float64(time.Now().UnixNano()) / 1e9)
	return 1
}
